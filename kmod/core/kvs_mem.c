// SPDX-License-Identifier: GPL-2.0
/*
 * kvs_mem.c - the portable half of the platform layer: counted allocation
 * with failure injection, deferred free after an RCU grace period, and
 * hierarchical memory accounting. Written once against kvs_platform.h and
 * compiled in both homes.
 */
#include "kvs_platform.h"

/* Allocations left before the injected failure; 0 when disarmed. */
static kvs_atomic_t kvs_fault_nth = KVS_ATOMIC_INIT(0);
/* Only this task's allocations count, if not 0 (kvs_fault_fail_nth_mine()). */
static unsigned long kvs_fault_owner;

void kvs_fault_fail_nth(unsigned int n)
{
	KVS_WRITE_ONCE(kvs_fault_owner, 0);
	kvs_atomic_set(&kvs_fault_nth, (int)min_t(unsigned int, n, INT_MAX));
}

void kvs_fault_fail_nth_mine(unsigned int n)
{
	KVS_WRITE_ONCE(kvs_fault_owner, __kvs_task_id());
	kvs_atomic_set(&kvs_fault_nth, (int)min_t(unsigned int, n, INT_MAX));
}

bool kvs_fault_armed(void)
{
	return kvs_atomic_read(&kvs_fault_nth) > 0;
}

/* Counts one allocation down; true for the one that must fail. */
static bool kvs_fault_should_fail(void)
{
	int left = kvs_atomic_read(&kvs_fault_nth);
	unsigned long owner;

	if (likely(left <= 0))
		return false;
	owner = KVS_READ_ONCE(kvs_fault_owner);
	if (owner && owner != __kvs_task_id())
		return false;
	while (left > 0) {
		if (kvs_atomic_try_cmpxchg(&kvs_fault_nth, &left, left - 1))
			return left == 1;
	}
	return false;
}

/* Checks shared by every allocating function; false if it must fail. */
static bool kvs_alloc_prepare(kvs_gfp_t *gfp)
{
	if (KVS_WARN_ON_ONCE(*gfp != KVS_GFP_KERNEL && *gfp != KVS_GFP_ATOMIC))
		*gfp = KVS_GFP_ATOMIC;
	if (*gfp == KVS_GFP_KERNEL)
		kvs_might_sleep();
	return !kvs_fault_should_fail();
}

static void *kvs_alloc_common(size_t size, kvs_gfp_t gfp, bool zero)
{
	void *p;

	if (!kvs_alloc_prepare(&gfp))
		return NULL;
	p = __kvs_heap_alloc(size, gfp, zero);
	if (p)
		__kvs_live_inc();
	return p;
}

void *kvs_alloc(size_t size, kvs_gfp_t gfp)
{
	return kvs_alloc_common(size, gfp, false);
}

void *kvs_zalloc(size_t size, kvs_gfp_t gfp)
{
	return kvs_alloc_common(size, gfp, true);
}

void kvs_free(const void *p)
{
	if (!p)
		return;
	__kvs_live_dec();
	__kvs_heap_free(p);
}

void *kvs_kvzalloc(size_t size, kvs_gfp_t gfp)
{
	void *p;

	if (!kvs_alloc_prepare(&gfp))
		return NULL;
	p = __kvs_heap_kvzalloc(size, gfp);
	if (p)
		__kvs_live_inc();
	return p;
}

void kvs_kvfree(const void *p)
{
	if (!p)
		return;
	__kvs_kvfree_might_sleep();
	__kvs_live_dec();
	__kvs_heap_kvfree(p);
}

/*
 * Deferred free. The trampoline is what the home's call_rcu() invokes; it
 * decrements the pending count only once the callback has returned, so that
 * after kvs_rcu_barrier() both kvs_rcu_pending() and the objects' share of
 * kvs_alloc_live() are back to zero.
 */
static void kvs_rcu_trampoline(struct rcu_head *rcu)
{
	struct kvs_rcu_head *head = container_of(rcu, struct kvs_rcu_head, rcu);

	__kvs_rcu_cb_enter();
	if (head->offset < __KVS_RCU_OFFSET_MAX)
		kvs_kvfree((char *)head - head->offset);
	else
		head->func(head);
	__kvs_rcu_cb_exit();
	__kvs_rcu_pending_dec();
}

void kvs_call_rcu(struct kvs_rcu_head *head,
		  void (*func)(struct kvs_rcu_head *head))
{
	head->func = func;
	__kvs_rcu_pending_inc();
	__kvs_call_rcu_raw(&head->rcu, kvs_rcu_trampoline);
}

void kvs_free_rcu(const void *obj, struct kvs_rcu_head *head)
{
	unsigned long offset = (const char *)head - (const char *)obj;

	/* The trampoline tells an offset from a callback by its size. */
	if (KVS_WARN_ON_ONCE(offset >= __KVS_RCU_OFFSET_MAX))
		return;
	head->offset = offset;
	__kvs_rcu_pending_inc();
	__kvs_call_rcu_raw(&head->rcu, kvs_rcu_trampoline);
}

/* Memory accounting */

void kvs_mem_account_init(struct kvs_mem_account *a, u64 limit,
			  struct kvs_mem_account *parent)
{
	kvs_atomic64_set(&a->used, 0);
	a->limit = limit;
	a->parent = parent;
}

void kvs_mem_account_set_limit(struct kvs_mem_account *a, u64 limit)
{
	KVS_WRITE_ONCE(a->limit, limit);
}

u64 kvs_mem_used(const struct kvs_mem_account *a)
{
	return (u64)kvs_atomic64_read(&a->used);
}

/*
 * Charge one level. A cmpxchg loop rather than add-then-check: @used never
 * goes above @limit, not even for a moment, so a reader of kvs_mem_used()
 * can rely on it.
 */
static bool kvs_mem_try_charge(struct kvs_mem_account *a, u64 bytes)
{
	u64 limit = KVS_READ_ONCE(a->limit);
	s64 old = kvs_atomic64_read(&a->used);
	u64 max = limit && limit < (u64)S64_MAX ? limit : (u64)S64_MAX;

	do {
		if ((u64)old > max || bytes > max - (u64)old)
			return false;
	} while (!kvs_atomic64_try_cmpxchg(&a->used, &old, old + (s64)bytes));
	return true;
}

/* Uncharge one level, clamping at zero. */
static void kvs_mem_cancel(struct kvs_mem_account *a, u64 bytes)
{
	s64 old = kvs_atomic64_read(&a->used);
	bool underflow;
	s64 new;

	do {
		underflow = (u64)old < bytes;
		new = underflow ? 0 : old - (s64)bytes;
	} while (!kvs_atomic64_try_cmpxchg(&a->used, &old, new));
	KVS_WARN_ON_ONCE(underflow);
}

int kvs_mem_charge(struct kvs_mem_account *a, u64 bytes)
{
	struct kvs_mem_account *it, *failed;

	if (!bytes)
		return 0;
	for (it = a; it; it = it->parent) {
		if (!kvs_mem_try_charge(it, bytes))
			goto undo;
	}
	return 0;

undo:
	failed = it;
	for (it = a; it != failed; it = it->parent)
		kvs_mem_cancel(it, bytes);
	return -ENOSPC;
}

void kvs_mem_uncharge(struct kvs_mem_account *a, u64 bytes)
{
	for (; a; a = a->parent)
		kvs_mem_cancel(a, bytes);
}

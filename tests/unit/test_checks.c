// SPDX-License-Identifier: GPL-2.0
/*
 * test_checks.c - tests of the user-space home's own checkers: each breaks a
 * rule on purpose (unlock by a non-owner, recursive locking, sleeping under
 * a spinlock or in an RCU section, unprotected RCU dereference, accounting
 * underflow, ...) and checks that exactly the expected warnings fire. In the
 * kernel the same mistakes are lockdep's, PROVE_RCU's and
 * DEBUG_ATOMIC_SLEEP's to report, so these run in user space only.
 */
#include "kvs_tests.h"
#include "kvs_unit.h"

/* Shared with a second thread; the flag sequences the two. */
struct lock_probe {
	kvs_spinlock_t *spin;
	kvs_mutex_t *mutex;
	kvs_atomic_t step;
	int held;		/* is_held() as the other thread saw it */
	int trylock;		/* trylock() result in the other thread */
};

static int spin_bad_unlock_thread(void *arg)
{
	struct lock_probe *p = arg;

	if (!kvs_test_wait_for(&p->step, 1, 10000))
		return -1;
	p->held = kvs_spin_is_held(p->spin);
	kvs_spin_unlock(p->spin);	/* not ours: must warn, not unlock */
	p->trylock = kvs_spin_trylock(p->spin);
	kvs_atomic_set(&p->step, 2);
	return 0;
}

KVS_TEST(spin_unlock_by_non_owner)
{
	struct lock_probe p = { .step = KVS_ATOMIC_INIT(0) };
	struct kvs_test_thread *t;
	kvs_spinlock_t l;

	kvs_spin_lock_init(&l);
	p.spin = &l;
	t = kvs_test_thread_run(spin_bad_unlock_thread, &p, 0);
	KVS_TEST_NOT_NULL(t);

	kvs_spin_lock(&l);
	kvs_atomic_set(&p.step, 1);
	KVS_TEST_EQ(kvs_test_thread_join(t), 0);
	KVS_TEST_EQ(p.held, 0);
	KVS_TEST_EQ(p.trylock, 0);	/* still ours */
	KVS_TEST_ASSERT(kvs_spin_is_held(&l));
	KVS_TEST_WARNED(1);
	kvs_spin_unlock(&l);
	KVS_TEST_WARNED(0);
}

KVS_TEST(spin_recursive_and_bh_mismatch)
{
	kvs_spinlock_t l, raw;

	kvs_spin_lock_init(&l);
	kvs_spin_lock(&l);
	kvs_spin_lock(&l);		/* would deadlock in the kernel */
	KVS_TEST_WARNED(1);
	KVS_TEST_ASSERT(kvs_spin_is_held(&l));
	kvs_spin_unlock(&l);
	KVS_TEST_ASSERT(!kvs_spin_is_held(&l));
	kvs_spin_unlock(&l);		/* not held any more */
	KVS_TEST_WARNED(1);

	kvs_spin_lock_bh(&l);
	kvs_spin_unlock(&l);		/* must be kvs_spin_unlock_bh() */
	KVS_TEST_WARNED(1);
	KVS_TEST_ASSERT(!kvs_spin_is_held(&l));
	KVS_TEST_EQ(kvs_spin_trylock(&l), 1);
	kvs_spin_unlock(&l);
	KVS_TEST_WARNED(0);

	memset(&raw, 0, sizeof(raw));	/* never initialized */
	kvs_spin_lock(&raw);
	kvs_spin_unlock(&raw);
	KVS_TEST_WARNED(2);
}

static int mutex_bad_unlock_thread(void *arg)
{
	struct lock_probe *p = arg;

	kvs_mutex_unlock(p->mutex);	/* held by the test thread */
	p->trylock = kvs_mutex_trylock(p->mutex);
	return 0;
}

KVS_TEST(mutex_unlock_by_non_owner)
{
	struct lock_probe p = { .step = KVS_ATOMIC_INIT(0) };
	struct kvs_test_thread *t;
	kvs_mutex_t m;

	kvs_mutex_init(&m);
	p.mutex = &m;
	kvs_mutex_lock(&m);
	t = kvs_test_thread_run(mutex_bad_unlock_thread, &p, 0);
	KVS_TEST_NOT_NULL(t);
	KVS_TEST_EQ(kvs_test_thread_join(t), 0);
	KVS_TEST_WARNED(1);
	KVS_TEST_EQ(p.trylock, 0);
	KVS_TEST_ASSERT(kvs_mutex_is_held(&m));

	kvs_mutex_lock(&m);		/* recursive */
	KVS_TEST_WARNED(1);
	kvs_mutex_destroy(&m);		/* while held */
	KVS_TEST_WARNED(1);
	kvs_mutex_unlock(&m);
	kvs_mutex_destroy(&m);
	KVS_TEST_WARNED(0);
}

KVS_TEST(assert_held_detects)
{
	kvs_spinlock_t l;
	kvs_mutex_t m;

	kvs_spin_lock_init(&l);
	kvs_mutex_init(&m);

	kvs_spin_assert_held(&l);
	KVS_TEST_WARNED(1);
	kvs_assert_held(&l);
	KVS_TEST_WARNED(1);
	kvs_mutex_assert_held(&m);
	KVS_TEST_WARNED(1);
	kvs_assert_held(&m);
	KVS_TEST_WARNED(1);

	kvs_spin_lock(&l);
	kvs_mutex_lock(&m);		/* under a spinlock: may not sleep */
	KVS_TEST_WARNED(1);
	kvs_assert_held(&l);
	kvs_assert_held(&m);
	KVS_TEST_WARNED(0);
	kvs_mutex_unlock(&m);
	kvs_spin_unlock(&l);
	kvs_mutex_destroy(&m);
	KVS_TEST_WARNED(0);
}

KVS_TEST(might_sleep_detects)
{
	kvs_spinlock_t l;
	void *p;

	kvs_spin_lock_init(&l);
	kvs_might_sleep();
	KVS_TEST_WARNED(0);

	kvs_spin_lock(&l);
	kvs_might_sleep();
	KVS_TEST_WARNED(1);
	p = kvs_alloc(16, KVS_GFP_ATOMIC);	/* fine under a spinlock */
	KVS_TEST_WARNED(0);
	kvs_free(p);
	p = kvs_alloc(16, KVS_GFP_KERNEL);	/* may sleep: not here */
	KVS_TEST_WARNED(1);
	kvs_free(p);
	kvs_spin_unlock(&l);

	kvs_spin_lock_bh(&l);
	kvs_might_sleep();
	KVS_TEST_WARNED(1);
	kvs_spin_unlock_bh(&l);

	kvs_rcu_read_lock();
	kvs_might_sleep();
	KVS_TEST_WARNED(1);
	kvs_synchronize_rcu();	/* must warn, not deadlock */
	KVS_TEST_WARNED(1);
	kvs_rcu_read_unlock();

	kvs_might_sleep();
	p = kvs_alloc(16, KVS_GFP_KERNEL);
	kvs_free(p);
	kvs_synchronize_rcu();
	KVS_TEST_WARNED(0);
}

struct rcu_obj {
	int val;
};

KVS_TEST(rcu_checks_detect)
{
	struct rcu_obj obj = { .val = 7 };
	struct rcu_obj __rcu *gp = NULL;
	struct rcu_obj *p;
	kvs_spinlock_t l;

	kvs_spin_lock_init(&l);
	kvs_spin_lock(&l);
	kvs_rcu_assign_pointer(gp, &obj);
	p = kvs_rcu_dereference_protected(gp, kvs_spin_is_held(&l));
	KVS_TEST_WARNED(0);
	KVS_TEST_EQ(p->val, 7);
	kvs_spin_unlock(&l);

	p = kvs_rcu_dereference_protected(gp, kvs_spin_is_held(&l));
	KVS_TEST_WARNED(1);
	p = kvs_rcu_dereference(gp);		/* outside a read section */
	KVS_TEST_WARNED(1);
	p = kvs_rcu_dereference_check(gp, false);
	KVS_TEST_WARNED(1);
	p = kvs_rcu_dereference_check(gp, true);
	KVS_TEST_WARNED(0);

	kvs_rcu_read_lock();
	p = kvs_rcu_dereference(gp);
	p = kvs_rcu_dereference_check(gp, false);
	KVS_TEST_WARNED(0);
	kvs_rcu_read_unlock();
	kvs_rcu_read_unlock();			/* unbalanced */
	KVS_TEST_WARNED(1);
	KVS_TEST_EQ(p->val, 7);
	KVS_TEST_ASSERT(kvs_rcu_access_pointer(gp) == &obj);
}

KVS_TEST(account_underflow_warns)
{
	struct kvs_mem_account parent, child;

	kvs_mem_account_init(&parent, 0, NULL);
	kvs_mem_account_init(&child, 0, &parent);
	KVS_TEST_EQ(kvs_mem_charge(&child, 10), 0);
	KVS_TEST_EQ(kvs_mem_charge(&parent, 5), 0);
	kvs_mem_uncharge(&child, 12);	/* child underflows, parent not */
	KVS_TEST_WARNED(1);
	KVS_TEST_EQ(kvs_mem_used(&child), 0);
	KVS_TEST_EQ(kvs_mem_used(&parent), 3);
	kvs_mem_uncharge(&parent, 3);
	KVS_TEST_WARNED(0);
}

struct cb_item {
	int val;
	struct kvs_rcu_head rcu;
};

static void cb_sleeps(struct kvs_rcu_head *head)
{
	kvs_might_sleep();		/* callbacks run in atomic context */
	kvs_free(container_of(head, struct cb_item, rcu));
}

KVS_TEST(rcu_callback_is_atomic)
{
	struct cb_item *o = kvs_alloc(sizeof(*o), KVS_GFP_KERNEL);

	KVS_TEST_NOT_NULL(o);
	kvs_call_rcu(&o->rcu, cb_sleeps);
	kvs_rcu_barrier();
	KVS_TEST_WARNED(1);
	KVS_TEST_EQ(kvs_rcu_pending(), 0);
}

struct far_head {
	char pad[5000];
	struct kvs_rcu_head rcu;
};

KVS_TEST(free_rcu_far_head_warns)
{
	struct far_head *o = kvs_alloc(sizeof(*o), KVS_GFP_KERNEL);

	KVS_TEST_NOT_NULL(o);
	kvs_free_rcu(o, &o->rcu);	/* head beyond 4 KiB: refused */
	KVS_TEST_WARNED(1);
	KVS_TEST_EQ(kvs_rcu_pending(), 0);
	KVS_TEST_EQ(kvs_alloc_live(), 1);
	kvs_free(o);
}

static int unregistered_reader(void *arg)
{
	(void)arg;
	kvs_rcu_read_lock();	/* liburcu would not see this reader */
	kvs_rcu_read_unlock();
	return 0;
}

KVS_TEST(rcu_reader_must_register)
{
	struct kvs_test_thread *t;

	t = kvs_test_thread_run(unregistered_reader, NULL,
				KVS_TEST_THREAD_UNREGISTERED);
	KVS_TEST_NOT_NULL(t);
	KVS_TEST_EQ(kvs_test_thread_join(t), 0);
	KVS_TEST_WARNED(1);
}

const struct kvs_test_case kvs_unit_cases[] = {
	KVS_TEST_CASE(spin_unlock_by_non_owner, 0),
	KVS_TEST_CASE(spin_recursive_and_bh_mismatch, 0),
	KVS_TEST_CASE(mutex_unlock_by_non_owner, 0),
	KVS_TEST_CASE(assert_held_detects, 0),
	KVS_TEST_CASE(might_sleep_detects, 0),
	KVS_TEST_CASE(rcu_checks_detect, 0),
	KVS_TEST_CASE(rcu_reader_must_register, 0),
	KVS_TEST_CASE(rcu_callback_is_atomic, 0),
	KVS_TEST_CASE(account_underflow_warns, 0),
	KVS_TEST_CASE(free_rcu_far_head_warns, 0),
};

const unsigned int kvs_unit_ncases = ARRAY_SIZE(kvs_unit_cases);

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvs_platform_kernel.h - the kernel home of the kvstore platform layer.
 *
 * A thin mapping of the __kvs_* primitives behind kvs_platform.h onto kernel
 * primitives. Include kvs_platform.h, never this file. Lock and RCU
 * operations are macros so that lockdep classes, sparse context tracking and
 * _RET_IP_ all see the engine's call site.
 */
#ifndef _KVS_PLATFORM_KERNEL_H
#define _KVS_PLATFORM_KERNEL_H

#ifndef __KVS_PLATFORM_INSIDE
#error "include kvs_platform.h, not kvs_platform_kernel.h"
#endif

#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/stddef.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/compiler.h>
#include <linux/build_bug.h>
#include <linux/minmax.h>
#include <linux/bug.h>
#include <linux/sched.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/lockdep.h>
#include <linux/atomic.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/prefetch.h>
#include <linux/timekeeping.h>
#include <linux/random.h>
#include <linux/export.h>
#include <linux/workqueue.h>
#include <linux/bottom_half.h>
#include <linux/preempt.h>
#include <asm/byteorder.h>

/* Warnings: kvs_platform_kernel.c */
void __kvs_warn_note(void);

#define __KVS_WARN_ON_ONCE(cond)					\
	({								\
		bool __kvs_w = WARN_ON_ONCE(cond);			\
									\
		if (unlikely(__kvs_w))					\
			__kvs_warn_note();				\
		__kvs_w;						\
	})

/* Threads and sleeping */
#define __kvs_thread_register()		do { } while (0)
#define __kvs_thread_unregister()	do { } while (0)
#define __kvs_might_sleep()		might_sleep()
#define __kvs_cond_resched()		cond_resched()

/*
 * The "is held" checks are only exact with lockdep; without it
 * lockdep_is_held() is a declaration that must not be called.
 */
#ifdef CONFIG_DEBUG_LOCK_ALLOC
#define KVS_HELD_CHECKS_EXACT		1
#define __kvs_lock_is_held(l)		(lockdep_is_held(l) != 0)
#else
#define KVS_HELD_CHECKS_EXACT		0
#define __kvs_lock_is_held(l)		({ (void)(l); true; })
#endif

/* RCU */
#define __kvs_rcu_read_lock()		rcu_read_lock()
#define __kvs_rcu_read_unlock()		rcu_read_unlock()
#define __kvs_rcu_read_lock_held()	(rcu_read_lock_held() != 0)
#define __kvs_rcu_dereference(p)	rcu_dereference(p)
#define __kvs_rcu_dereference_check(p, c) rcu_dereference_check(p, c)
#define __kvs_rcu_dereference_protected(p, c) rcu_dereference_protected(p, c)
#define __kvs_rcu_access_pointer(p)	rcu_access_pointer(p)
#define __kvs_rcu_assign_pointer(p, v)	rcu_assign_pointer(p, v)
#define __KVS_RCU_INIT_POINTER(p, v)	RCU_INIT_POINTER(p, v)
#define __kvs_call_rcu_raw(head, func)	call_rcu(head, func)
#define __kvs_synchronize_rcu()		synchronize_rcu()
#define __kvs_rcu_barrier()		rcu_barrier()

/* RCU callbacks already run where sleeping is caught (softirq, BH off). */
#define __kvs_rcu_cb_enter()		do { } while (0)
#define __kvs_rcu_cb_exit()		do { } while (0)

/* Per-CPU counters behind kvs_alloc_live() and kvs_rcu_pending(). */
DECLARE_PER_CPU(long, __kvs_live_pcpu);
DECLARE_PER_CPU(long, __kvs_rcu_pending_pcpu);
#define __kvs_live_inc()		this_cpu_inc(__kvs_live_pcpu)
#define __kvs_live_dec()		this_cpu_dec(__kvs_live_pcpu)
#define __kvs_rcu_pending_inc()		this_cpu_inc(__kvs_rcu_pending_pcpu)
#define __kvs_rcu_pending_dec()		this_cpu_dec(__kvs_rcu_pending_pcpu)

/* Locks */
typedef spinlock_t kvs_spinlock_t;
typedef struct mutex kvs_mutex_t;

#define __KVS_DEFINE_SPINLOCK(name)	DEFINE_SPINLOCK(name)
#define __kvs_spin_lock_init(l)		spin_lock_init(l)
#define __kvs_spin_lock(l)		spin_lock(l)
#define __kvs_spin_unlock(l)		spin_unlock(l)
#define __kvs_spin_lock_bh(l)		spin_lock_bh(l)
#define __kvs_spin_unlock_bh(l)		spin_unlock_bh(l)
#define __kvs_spin_trylock(l)		spin_trylock(l)
#define __kvs_spin_is_held(l)		__kvs_lock_is_held(l)
#define __kvs_spin_assert_held(l)	lockdep_assert_held(l)

#define __KVS_DEFINE_MUTEX(name)	DEFINE_MUTEX(name)
#define __kvs_mutex_init(m)		mutex_init(m)
#define __kvs_mutex_destroy(m)		mutex_destroy(m)
#define __kvs_mutex_lock(m)		mutex_lock(m)
#define __kvs_mutex_unlock(m)		mutex_unlock(m)
#define __kvs_mutex_trylock(m)		mutex_trylock(m)
#define __kvs_mutex_is_held(m)		__kvs_lock_is_held(m)
#define __kvs_mutex_assert_held(m)	lockdep_assert_held(m)

#define __kvs_assert_held(l)		lockdep_assert_held(l)

/* Atomics and ordering */
typedef atomic_t kvs_atomic_t;
typedef atomic64_t kvs_atomic64_t;

#define __KVS_ATOMIC_INIT(i)		ATOMIC_INIT(i)

#define __kvs_atomic_read(v)		atomic_read(v)
#define __kvs_atomic_set(v, i)		atomic_set(v, i)
#define __kvs_atomic_inc(v)		atomic_inc(v)
#define __kvs_atomic_dec(v)		atomic_dec(v)
#define __kvs_atomic_add(i, v)		atomic_add(i, v)
#define __kvs_atomic_sub(i, v)		atomic_sub(i, v)
#define __kvs_atomic_inc_return(v)	atomic_inc_return(v)
#define __kvs_atomic_dec_return(v)	atomic_dec_return(v)
#define __kvs_atomic_add_return(i, v)	atomic_add_return(i, v)
#define __kvs_atomic_sub_return(i, v)	atomic_sub_return(i, v)
#define __kvs_atomic_cmpxchg(v, o, n)	atomic_cmpxchg(v, o, n)
#define __kvs_atomic_try_cmpxchg(v, po, n) atomic_try_cmpxchg(v, po, n)
#define __kvs_atomic_dec_and_test(v)	atomic_dec_and_test(v)

#define __kvs_atomic64_read(v)		atomic64_read(v)
#define __kvs_atomic64_set(v, i)	atomic64_set(v, i)
#define __kvs_atomic64_read_acquire(v)	atomic64_read_acquire(v)
#define __kvs_atomic64_set_release(v, i) atomic64_set_release(v, i)
#define __kvs_atomic64_inc(v)		atomic64_inc(v)
#define __kvs_atomic64_dec(v)		atomic64_dec(v)
#define __kvs_atomic64_add(i, v)	atomic64_add(i, v)
#define __kvs_atomic64_sub(i, v)	atomic64_sub(i, v)
#define __kvs_atomic64_inc_return(v)	atomic64_inc_return(v)
#define __kvs_atomic64_dec_return(v)	atomic64_dec_return(v)
#define __kvs_atomic64_add_return(i, v)	atomic64_add_return(i, v)
#define __kvs_atomic64_sub_return(i, v)	atomic64_sub_return(i, v)
#define __kvs_atomic64_cmpxchg(v, o, n)	atomic64_cmpxchg(v, o, n)
#define __kvs_atomic64_try_cmpxchg(v, po, n) atomic64_try_cmpxchg(v, po, n)
#define __kvs_atomic64_dec_and_test(v)	atomic64_dec_and_test(v)

#define __KVS_READ_ONCE(x)		READ_ONCE(x)
#define __KVS_WRITE_ONCE(x, v)		WRITE_ONCE(x, v)
/*
 * Barriers: plain renames. Their callers in the engine say what each one
 * pairs with.
 */
#define __kvs_smp_mb			smp_mb
#define __kvs_smp_rmb			smp_rmb
#define __kvs_smp_wmb			smp_wmb
#define __kvs_smp_load_acquire		smp_load_acquire
#define __kvs_smp_store_release		smp_store_release

/* Allocation */
#define KVS_ALLOC_MAX			KMALLOC_MAX_SIZE
#define __KVS_KVALLOC_MAX		((size_t)INT_MAX)

static inline gfp_t __kvs_gfp(kvs_gfp_t gfp)
{
	return (gfp == KVS_GFP_KERNEL ? GFP_KERNEL : GFP_ATOMIC) | __GFP_NOWARN;
}

static inline void *__kvs_heap_alloc(size_t size, kvs_gfp_t gfp, bool zero)
{
	return kmalloc(size, __kvs_gfp(gfp) | (zero ? __GFP_ZERO : 0));
}

/* kvzalloc() falls back to kmalloc alone for GFP_ATOMIC. */
static inline void *__kvs_heap_kvzalloc(size_t size, kvs_gfp_t gfp)
{
	return kvzalloc(size, __kvs_gfp(gfp));
}

#define __kvs_heap_free(p)		kfree(p)
#define __kvs_heap_kvfree(p)		kvfree(p)
/* kvfree() does its own might_sleep_if() for vmalloc memory. */
#define __kvs_kvfree_might_sleep()	do { } while (0)

/* Time */
#define __kvs_ktime_ns()		ktime_get_ns()

/* The self-test module compiles the engine too: it must not export it. */
#ifdef KVS_NO_EXPORTS
#undef EXPORT_SYMBOL_GPL
#define EXPORT_SYMBOL_GPL(sym)		extern int __kvs_export_##sym
#endif

/* Who allocates: the task in process context, nobody (0) elsewhere. */
#define __kvs_task_id()	(in_task() ? (unsigned long)current : 0UL)

/* Non-preemptible windows and spinning */
static inline void __kvs_nosleep_enter(void)
{
	local_bh_disable();
	preempt_disable();
}

static inline void __kvs_nosleep_exit(void)
{
	preempt_enable();
	local_bh_enable();
}

static inline void __kvs_lockwin_enter(void)
{
	local_bh_disable();
	if (!IS_ENABLED(CONFIG_PREEMPT_RT))
		preempt_disable();
}

static inline void __kvs_lockwin_exit(void)
{
	if (!IS_ENABLED(CONFIG_PREEMPT_RT))
		preempt_enable();
	local_bh_enable();
}

#define __kvs_owner_token()		((long)current)
#define __kvs_cpu_hint()		((unsigned int)raw_smp_processor_id())

#define __kvs_cpu_relax()		cpu_relax()
#define __kvs_prefetch(p)		prefetch(p)
#define __kvs_le64_to_cpu(x)		le64_to_cpu((__force __le64)(x))

/* Randomness */
#define __kvs_get_random_bytes(buf, len) get_random_bytes(buf, len)
#define __kvs_random_u32()		get_random_u32()

/* Deferred work: a work_struct on system_unbound_wq. */
struct kvs_work {
	struct work_struct work;
	void (*fn)(struct kvs_work *w);
};

/* Calls w->fn; kvs_platform_kernel.c. */
void __kvs_work_run(struct work_struct *work);

#define __kvs_work_init(w, f)						\
	do {								\
		struct kvs_work *__kvs_w = (w);				\
									\
		__kvs_w->fn = (f);					\
		INIT_WORK(&__kvs_w->work, __kvs_work_run);		\
	} while (0)
#define __kvs_work_queue(w)		queue_work(system_unbound_wq, &(w)->work)
#define __kvs_work_cancel_sync(w)	cancel_work_sync(&(w)->work)
#define __kvs_work_flush(w)		flush_work(&(w)->work)

#endif /* _KVS_PLATFORM_KERNEL_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvs_platform.h - the only header the portable kvstore engine includes.
 *
 * The engine is plain C written against this small layer: kernel types and
 * helpers under their kernel names, warnings, RCU, locks with "is held"
 * checks, atomics, counted allocation with failure injection, memory
 * accounting, deferred free and time. It has two homes:
 *
 *  - the kernel (kvs_platform_kernel.h): a thin mapping to kernel primitives;
 *  - user space (kvs_platform_user.h): liburcu (urcu-memb, _LGPL_SOURCE) and
 *    pthreads, with owner-tracking locks and atomic-context checks, so the
 *    engine's tests run fast under ASan/UBSan and catch lock bugs that the
 *    kernel would only catch with lockdep.
 *
 * This is the single place that tests __KERNEL__. The contract of every
 * kvs_* name is documented here; the homes implement __kvs_* primitives.
 *
 * Rules that hold in both homes:
 *  - kvs_spin_is_held(), kvs_mutex_is_held() and kvs_rcu_read_lock_held() are
 *    exact in user space; in the kernel they are exact only with lockdep
 *    (CONFIG_DEBUG_LOCK_ALLOC) and return true otherwise, so use them in
 *    assertions, never to choose a code path. KVS_HELD_CHECKS_EXACT says which.
 *  - Every thread that uses RCU in user space calls kvs_thread_register()
 *    first and kvs_thread_unregister() before it exits (no-ops in the kernel).
 *  - A module that queued callbacks with kvs_call_rcu() or kvs_free_rcu() must
 *    call kvs_rcu_barrier() before it is unloaded.
 */
#ifndef _KVS_PLATFORM_H
#define _KVS_PLATFORM_H

#ifdef __KERNEL__
#include <linux/types.h>	/* the sparse forms of __bitwise and __force */
#endif
#ifndef __bitwise
#define __bitwise
#endif
#ifndef __force
#define __force
#endif

/* Allocation context, passed to every allocating function (sparse-checked). */
typedef unsigned int __bitwise kvs_gfp_t;

/* May sleep: process context, no spinlock held, not in an RCU read section. */
#define KVS_GFP_KERNEL		((__force kvs_gfp_t)0x1u)
/* Never sleeps: any context; fails sooner under memory pressure. */
#define KVS_GFP_ATOMIC		((__force kvs_gfp_t)0x2u)

struct kvs_rcu_head;

#define __KVS_PLATFORM_INSIDE	1
#ifdef __KERNEL__
#include "kvs_platform_kernel.h"
#else
#include "kvs_platform_user.h"
#endif
#undef __KVS_PLATFORM_INSIDE

/*
 * Basics, under their kernel names in both homes: u8 u16 u32 u64 s8 s16 s32
 * s64 (u64 is unsigned long long in both, so "%llu" fits) size_t bool,
 * likely() unlikely() container_of() ARRAY_SIZE() min() max() min_t()
 * max_t() BUILD_BUG_ON() offsetof() U32_MAX U64_MAX S64_MAX INT_MAX, the
 * attributes __must_check __maybe_unused __printf() and the
 * statement attribute for switch cases, the sparse annotations __rcu
 * __acquires() __releases() __must_hold(), the errno values (ENOMEM ENOSPC
 * EINVAL EAGAIN EEXIST ENOENT ...) and memcpy() memmove() memcmp() memset()
 * strlen() snprintf(). va_list and va_start() come with them.
 */

/*
 * EXPORT_SYMBOL_GPL() makes an engine function part of the module's API,
 * written right under the function; in user space it expands to nothing
 * (and in the self-test module, which compiles the engine again, too).
 */

/* ------------------------------------------------------------------------ */
/* Warnings                                                                 */
/* ------------------------------------------------------------------------ */

/**
 * KVS_WARN_ON_ONCE() - report a broken invariant, once per call site
 * @cond: condition that must be false
 *
 * Kernel: WARN_ON_ONCE(). User space: prints file:line and a stack trace the
 * first time a site fires. Both homes count every firing in kvs_warn_count(),
 * which the tests' teardown asserts is zero. There is deliberately no
 * KVS_BUG_ON(): recover and return an error instead.
 *
 * Context: any.
 * Return: @cond, evaluated once, as a bool.
 */
#define KVS_WARN_ON_ONCE(cond)		__KVS_WARN_ON_ONCE(cond)

/* kvs_warn_count() - number of KVS_WARN_ON_ONCE() firings so far. */
unsigned long kvs_warn_count(void);

/* kvs_warn_reset() - zero kvs_warn_count(); for tests that expect a warning. */
void kvs_warn_reset(void);

/* ------------------------------------------------------------------------ */
/* Threads and sleeping                                                     */
/* ------------------------------------------------------------------------ */

/**
 * kvs_thread_register() - make the calling thread an RCU reader
 *
 * Note: in user space, registers the thread with liburcu; required before the
 * first kvs_rcu_read_lock() or kvs_call_rcu() of a thread. Kernel: no-op.
 *
 * Context: thread context, not in an RCU read section, no lock held.
 */
#define kvs_thread_register()		__kvs_thread_register()

/**
 * kvs_thread_unregister() - undo kvs_thread_register() before the thread exits
 *
 * Note: in user space, warns if the thread still holds a lock or is inside an
 * RCU read section. Kernel: no-op.
 *
 * Context: thread context, not in an RCU read section, no lock held.
 */
#define kvs_thread_unregister()		__kvs_thread_unregister()

/**
 * kvs_might_sleep() - annotate a point where the caller may sleep
 *
 * Note: in the kernel, might_sleep() (reports with CONFIG_DEBUG_ATOMIC_SLEEP).
 * User space: warns if the thread holds a kvs spinlock, is in an RCU read
 * section or runs an RCU callback.
 *
 * Context: process context, no spinlock held, not in an RCU read section.
 */
#define kvs_might_sleep()		__kvs_might_sleep()

/**
 * kvs_cond_resched() - let other tasks run during a long loop
 *
 * Note: in the kernel, cond_resched(). User space: sched_yield(). Both check
 * kvs_might_sleep() first.
 *
 * Context: process context, no spinlock held, not in an RCU read section.
 */
#define kvs_cond_resched()		__kvs_cond_resched()

/* ------------------------------------------------------------------------ */
/* RCU                                                                      */
/* ------------------------------------------------------------------------ */

/**
 * kvs_rcu_read_lock() - enter an RCU read-side critical section
 *
 * Note: Sections nest. Objects reached through kvs_rcu_dereference() stay
 * valid until the matching outermost kvs_rcu_read_unlock(). The section must
 * not sleep.
 *
 * Context: any (kernel: process, softirq or hardirq); user space: a
 * registered thread.
 */
#define kvs_rcu_read_lock()		__kvs_rcu_read_lock()

/**
 * kvs_rcu_read_unlock() - leave an RCU read-side critical section
 *
 * Context: inside a section entered by the same thread.
 */
#define kvs_rcu_read_unlock()		__kvs_rcu_read_unlock()

/**
 * kvs_rcu_read_lock_held() - is the caller inside an RCU read section?
 *
 * Note: Exact in user space (per-thread depth); in the kernel exact with
 * CONFIG_DEBUG_LOCK_ALLOC, otherwise always true. For assertions only.
 *
 * Context: any.
 * Return: true if inside a section (or if the kernel cannot tell).
 */
#define kvs_rcu_read_lock_held()	__kvs_rcu_read_lock_held()

/**
 * kvs_rcu_dereference() - load an RCU-protected pointer for reading
 * @p: the __rcu pointer (an lvalue)
 *
 * Context: inside kvs_rcu_read_lock(); user space warns otherwise, like the
 * kernel with CONFIG_PROVE_RCU.
 * Return: the pointer, safe to dereference until the section ends.
 */
#define kvs_rcu_dereference(p)		__kvs_rcu_dereference(p)

/**
 * kvs_rcu_dereference_check() - kvs_rcu_dereference() also valid under @c
 * @p: the __rcu pointer
 * @c: another condition that makes the access safe (e.g. a lock is held)
 *
 * Context: inside kvs_rcu_read_lock() or with @c true.
 * Return: the pointer.
 */
#define kvs_rcu_dereference_check(p, c)	__kvs_rcu_dereference_check(p, c)

/**
 * kvs_rcu_dereference_protected() - load an RCU pointer on the update side
 * @p: the __rcu pointer
 * @c: the condition that keeps @p from changing, typically
 *     kvs_spin_is_held(&lock) or kvs_mutex_is_held(&lock)
 *
 * No ordering is implied: only the caller can change @p.
 *
 * Context: @c must be true; user space warns otherwise (kernel with
 * CONFIG_PROVE_RCU too).
 * Return: the pointer.
 */
#define kvs_rcu_dereference_protected(p, c) __kvs_rcu_dereference_protected(p, c)

/**
 * kvs_rcu_access_pointer() - read an RCU pointer's value without dereferencing
 * @p: the __rcu pointer
 *
 * For NULL tests and comparisons only.
 *
 * Context: any.
 * Return: the pointer value.
 */
#define kvs_rcu_access_pointer(p)	__kvs_rcu_access_pointer(p)

/**
 * kvs_rcu_assign_pointer() - publish @v in the RCU pointer @p
 * @p: the __rcu pointer (an lvalue)
 * @v: the new value, fully initialized before this call
 *
 * Release ordering: readers that see @v see everything written to *@v
 * before the assignment.
 *
 * Context: any; the caller serializes updates of @p.
 */
#define kvs_rcu_assign_pointer(p, v)	__kvs_rcu_assign_pointer(p, v)

/**
 * KVS_RCU_INIT_POINTER() - assign an RCU pointer without ordering
 * @p: the __rcu pointer
 * @v: NULL, or a value readers cannot reach yet
 *
 * Context: any.
 */
#define KVS_RCU_INIT_POINTER(p, v)	__KVS_RCU_INIT_POINTER(p, v)

/**
 * struct kvs_rcu_head - embed in objects freed after a grace period
 * @rcu: the home's callback node
 * @func: the callback given to kvs_call_rcu()
 * @offset: for kvs_free_rcu(): offset of this head in the object
 *
 * The union is told apart the way the kernel's kvfree_rcu() does: no function
 * lives below address %__KVS_RCU_OFFSET_MAX.
 */
struct kvs_rcu_head {
	struct rcu_head rcu;
	union {
		void (*func)(struct kvs_rcu_head *head);
		unsigned long offset;
	};
};

#define __KVS_RCU_OFFSET_MAX	4096UL

/**
 * kvs_call_rcu() - run @func(@head) after a grace period
 * @head: the rcu head embedded in the object
 * @func: the callback; it runs in a context that must not sleep (kernel:
 *        softirq or an rcuo kthread with bottom halves off; user space: the
 *        liburcu callback thread, where kvs_might_sleep() warns)
 *
 * Every pre-existing RCU reader has finished when @func runs. The callback
 * counts in kvs_rcu_pending() until it has returned.
 *
 * Context: any (kernel); a registered thread (user space).
 */
void kvs_call_rcu(struct kvs_rcu_head *head,
		  void (*func)(struct kvs_rcu_head *head));

/**
 * kvs_free_rcu() - kvs_kvfree() an object after a grace period
 * @obj: the object, from kvs_alloc(), kvs_zalloc() or kvs_kvzalloc(); not
 *       NULL
 * @head: its rcu head, as in kvs_free_rcu(p, &p->rcu); it must lie in the
 *        object's first 4 KiB (otherwise: a warning, and no free)
 *
 * Like the kernel's kvfree_rcu(), the object's start is found again from the
 * head's offset, so no callback is needed. The object counts in
 * kvs_rcu_pending() until it is freed.
 *
 * Context: any (kernel); a registered thread (user space).
 */
void kvs_free_rcu(const void *obj, struct kvs_rcu_head *head);

/**
 * kvs_synchronize_rcu() - wait until every pre-existing RCU reader finished
 *
 * Note: Does not wait for queued callbacks (see kvs_rcu_barrier()).
 *
 * Context: process context, may sleep; not in an RCU read section (user
 * space warns and returns at once instead of deadlocking).
 */
#define kvs_synchronize_rcu()		__kvs_synchronize_rcu()

/**
 * kvs_rcu_barrier() - wait until every queued RCU callback has run
 *
 * Note: After it returns, kvs_rcu_pending() is zero unless callbacks were
 * queued meanwhile (or by the callbacks themselves).
 *
 * Context: process context, may sleep; not in an RCU read section nor in an
 * RCU callback.
 */
#define kvs_rcu_barrier()		__kvs_rcu_barrier()

/**
 * kvs_rcu_pending() - RCU callbacks queued here that have not finished yet
 *
 * Note: counts kvs_call_rcu() and kvs_free_rcu() callbacks. Kernel: sum of
 * per-CPU counters, exact once callers are quiescent.
 *
 * Context: any.
 * Return: the number of pending callbacks.
 */
long kvs_rcu_pending(void);

/* ------------------------------------------------------------------------ */
/* Locks                                                                    */
/*                                                                          */
/* kvs_spinlock_t: kernel spinlock_t (a sleeping lock on PREEMPT_RT).       */
/* kvs_mutex_t: kernel struct mutex. In user space both are pthread mutexes */
/* that record their owner: locking a lock one already holds, unlocking one */
/* held by another thread, mixing _bh and plain calls, and using a lock     */
/* that was never initialized all warn instead of hanging.                  */
/* ------------------------------------------------------------------------ */

/* KVS_DEFINE_SPINLOCK() - define and initialize a static kvs_spinlock_t. */
#define KVS_DEFINE_SPINLOCK(name)	__KVS_DEFINE_SPINLOCK(name)

/**
 * kvs_spin_lock_init() - initialize a spinlock
 * @l: the lock
 *
 * A macro: in the kernel each call site is its own lockdep class, as with
 * spin_lock_init().
 *
 * Context: any; @l is not in use.
 */
#define kvs_spin_lock_init(l)		__kvs_spin_lock_init(l)

/**
 * kvs_spin_lock() - acquire a spinlock
 * @l: the lock, not held by the caller
 *
 * The holder must not sleep. If the lock is also taken from softirq context,
 * process-context users must use kvs_spin_lock_bh().
 *
 * Context: any; the caller must not already hold @l.
 */
#define kvs_spin_lock(l)		__kvs_spin_lock(l)

/* kvs_spin_unlock() - release @l, which the caller took with kvs_spin_lock(). */
#define kvs_spin_unlock(l)		__kvs_spin_unlock(l)

/**
 * kvs_spin_lock_bh() - acquire a spinlock and disable bottom halves
 * @l: the lock, not held by the caller
 *
 * Context: process or softirq context, not hardirq.
 */
#define kvs_spin_lock_bh(l)		__kvs_spin_lock_bh(l)

/* kvs_spin_unlock_bh() - release @l, taken with kvs_spin_lock_bh(). */
#define kvs_spin_unlock_bh(l)		__kvs_spin_unlock_bh(l)

/**
 * kvs_spin_trylock() - try to acquire a spinlock without spinning
 * @l: the lock
 *
 * Context: any. Fails (without warning) if the caller already holds @l.
 * Return: 1 if the lock was taken, 0 otherwise.
 */
#define kvs_spin_trylock(l)		__kvs_spin_trylock(l)

/**
 * kvs_spin_is_held() - does the calling thread hold @l?
 * @l: the lock
 *
 * User space: exact (owner tracking). Kernel: lockdep_is_held(), or true
 * without lockdep. For assertions and kvs_rcu_dereference_protected().
 *
 * Context: any.
 */
#define kvs_spin_is_held(l)		__kvs_spin_is_held(l)

/* kvs_spin_assert_held() - warn (user space, lockdep) unless the caller holds @l. */
#define kvs_spin_assert_held(l)		__kvs_spin_assert_held(l)

/* KVS_DEFINE_MUTEX() - define and initialize a static kvs_mutex_t. */
#define KVS_DEFINE_MUTEX(name)		__KVS_DEFINE_MUTEX(name)

/**
 * kvs_mutex_init() - initialize a mutex
 * @m: the mutex
 *
 * A macro: in the kernel each call site is its own lockdep class.
 *
 * Context: any; @m is not in use.
 */
#define kvs_mutex_init(m)		__kvs_mutex_init(m)

/**
 * kvs_mutex_destroy() - mark a mutex unusable
 * @m: the mutex, not held
 *
 * Context: process context. User space warns if @m is held.
 */
#define kvs_mutex_destroy(m)		__kvs_mutex_destroy(m)

/**
 * kvs_mutex_lock() - acquire a mutex, sleeping if needed
 * @m: the mutex, not held by the caller
 *
 * Calls kvs_might_sleep() first.
 *
 * Context: process context, no spinlock held, not in an RCU read section.
 */
#define kvs_mutex_lock(m)		__kvs_mutex_lock(m)

/* kvs_mutex_unlock() - release @m; only its owner may. Context: process. */
#define kvs_mutex_unlock(m)		__kvs_mutex_unlock(m)

/**
 * kvs_mutex_trylock() - try to acquire a mutex without sleeping
 * @m: the mutex
 *
 * Context: process context. Fails if the caller already holds @m.
 * Return: 1 if the mutex was taken, 0 otherwise.
 */
#define kvs_mutex_trylock(m)		__kvs_mutex_trylock(m)

/* kvs_mutex_is_held() - does the calling thread hold @m? See kvs_spin_is_held(). */
#define kvs_mutex_is_held(m)		__kvs_mutex_is_held(m)

/* kvs_mutex_assert_held() - warn (user space, lockdep) unless the caller holds @m. */
#define kvs_mutex_assert_held(m)	__kvs_mutex_assert_held(m)

/**
 * kvs_assert_held() - warn unless the caller holds @l
 * @l: a kvs_spinlock_t * or kvs_mutex_t *
 *
 * Kernel: lockdep_assert_held() (nothing without lockdep).
 *
 * Context: any.
 */
#define kvs_assert_held(l)		__kvs_assert_held(l)

/* ------------------------------------------------------------------------ */
/* Atomics and ordering                                                     */
/*                                                                          */
/* Kernel semantics in both homes: read, set and the void operations are    */
/* relaxed; every operation that returns a value (including cmpxchg and     */
/* dec_and_test) is fully ordered.                                          */
/* ------------------------------------------------------------------------ */

/* KVS_ATOMIC_INIT() - static initializer for kvs_atomic_t and kvs_atomic64_t. */
#define KVS_ATOMIC_INIT(i)		__KVS_ATOMIC_INIT(i)

/* kvs_atomic_read() - relaxed load of the int in @v. */
#define kvs_atomic_read(v)		__kvs_atomic_read(v)
/* kvs_atomic_set() - relaxed store of @i in @v. */
#define kvs_atomic_set(v, i)		__kvs_atomic_set(v, i)
/* kvs_atomic_inc() - @v += 1, unordered. */
#define kvs_atomic_inc(v)		__kvs_atomic_inc(v)
/* kvs_atomic_dec() - @v -= 1, unordered. */
#define kvs_atomic_dec(v)		__kvs_atomic_dec(v)
/* kvs_atomic_add() - @v += @i, unordered. */
#define kvs_atomic_add(i, v)		__kvs_atomic_add(i, v)
/* kvs_atomic_sub() - @v -= @i, unordered. */
#define kvs_atomic_sub(i, v)		__kvs_atomic_sub(i, v)
/* kvs_atomic_inc_return() - @v += 1; returns the new value, fully ordered. */
#define kvs_atomic_inc_return(v)	__kvs_atomic_inc_return(v)
/* kvs_atomic_dec_return() - @v -= 1; returns the new value, fully ordered. */
#define kvs_atomic_dec_return(v)	__kvs_atomic_dec_return(v)
/* kvs_atomic_add_return() - @v += @i; returns the new value, fully ordered. */
#define kvs_atomic_add_return(i, v)	__kvs_atomic_add_return(i, v)
/* kvs_atomic_sub_return() - @v -= @i; returns the new value, fully ordered. */
#define kvs_atomic_sub_return(i, v)	__kvs_atomic_sub_return(i, v)
/* kvs_atomic_cmpxchg() - if @v == @o then @v = @n; returns the old value. */
#define kvs_atomic_cmpxchg(v, o, n)	__kvs_atomic_cmpxchg(v, o, n)
/* kvs_atomic_try_cmpxchg() - like cmpxchg; on failure stores @v in *@po; bool. */
#define kvs_atomic_try_cmpxchg(v, po, n) __kvs_atomic_try_cmpxchg(v, po, n)
/* kvs_atomic_dec_and_test() - @v -= 1; true if it reached 0, fully ordered. */
#define kvs_atomic_dec_and_test(v)	__kvs_atomic_dec_and_test(v)

/* kvs_atomic64_read() - relaxed load of the s64 in @v. */
#define kvs_atomic64_read(v)		__kvs_atomic64_read(v)
/* Ordered forms: a read that later loads cannot pass, a set that earlier stores cannot pass. */
#define kvs_atomic64_read_acquire(v)	__kvs_atomic64_read_acquire(v)
#define kvs_atomic64_set_release(v, i)	__kvs_atomic64_set_release(v, i)
/* kvs_atomic64_set() - relaxed store of @i in @v. */
#define kvs_atomic64_set(v, i)		__kvs_atomic64_set(v, i)
/* kvs_atomic64_inc() - @v += 1, unordered. */
#define kvs_atomic64_inc(v)		__kvs_atomic64_inc(v)
/* kvs_atomic64_dec() - @v -= 1, unordered. */
#define kvs_atomic64_dec(v)		__kvs_atomic64_dec(v)
/* kvs_atomic64_add() - @v += @i, unordered. */
#define kvs_atomic64_add(i, v)		__kvs_atomic64_add(i, v)
/* kvs_atomic64_sub() - @v -= @i, unordered. */
#define kvs_atomic64_sub(i, v)		__kvs_atomic64_sub(i, v)
/* kvs_atomic64_inc_return() - @v += 1; returns the new value, fully ordered. */
#define kvs_atomic64_inc_return(v)	__kvs_atomic64_inc_return(v)
/* kvs_atomic64_dec_return() - @v -= 1; returns the new value, fully ordered. */
#define kvs_atomic64_dec_return(v)	__kvs_atomic64_dec_return(v)
/* kvs_atomic64_add_return() - @v += @i; returns the new value, fully ordered. */
#define kvs_atomic64_add_return(i, v)	__kvs_atomic64_add_return(i, v)
/* kvs_atomic64_sub_return() - @v -= @i; returns the new value, fully ordered. */
#define kvs_atomic64_sub_return(i, v)	__kvs_atomic64_sub_return(i, v)
/* kvs_atomic64_cmpxchg() - if @v == @o then @v = @n; returns the old value. */
#define kvs_atomic64_cmpxchg(v, o, n)	__kvs_atomic64_cmpxchg(v, o, n)
/* kvs_atomic64_try_cmpxchg() - like cmpxchg; on failure stores @v in *@po; bool. */
#define kvs_atomic64_try_cmpxchg(v, po, n) __kvs_atomic64_try_cmpxchg(v, po, n)
/* kvs_atomic64_dec_and_test() - @v -= 1; true if it reached 0, fully ordered. */
#define kvs_atomic64_dec_and_test(v)	__kvs_atomic64_dec_and_test(v)

/* KVS_READ_ONCE() - one untorn, uncached load of the scalar lvalue @x. */
#define KVS_READ_ONCE(x)		__KVS_READ_ONCE(x)
/* KVS_WRITE_ONCE() - one untorn store of @v to the scalar lvalue @x. */
#define KVS_WRITE_ONCE(x, v)		__KVS_WRITE_ONCE(x, v)
/* kvs_smp_mb() - full memory barrier between CPUs. */
#define kvs_smp_mb()			__kvs_smp_mb()
/* kvs_smp_rmb() - orders earlier loads before later loads. */
#define kvs_smp_rmb()			__kvs_smp_rmb()
/* kvs_smp_wmb() - orders earlier stores before later stores. */
#define kvs_smp_wmb()			__kvs_smp_wmb()
/* kvs_smp_load_acquire() - load *@p; later accesses stay after it. */
#define kvs_smp_load_acquire(p)		__kvs_smp_load_acquire(p)
/* kvs_smp_store_release() - store @v in *@p; earlier accesses stay before it. */
#define kvs_smp_store_release(p, v)	__kvs_smp_store_release(p, v)

/* ------------------------------------------------------------------------ */
/* Allocation (kvs_mem.c)                                                   */
/*                                                                          */
/* Every allocation through these functions is counted in kvs_alloc_live()  */
/* and can be made to fail with kvs_fault_fail_nth(). In the kernel they    */
/* add __GFP_NOWARN: every engine allocation can be triggered by a user, is */
/* handled as -ENOMEM, and must not let a user flood the log. The kernel's  */
/* own fault injection (failslab, fail_page_alloc) applies underneath.      */
/* ------------------------------------------------------------------------ */

/*
 * KVS_ALLOC_MAX: the largest size kvs_alloc() and kvs_zalloc() can serve
 * (kernel: KMALLOC_MAX_SIZE; user space enforces the same 4 MiB bound so
 * engine code that would fail in the kernel fails in the tests too).
 */

/**
 * kvs_alloc() - allocate memory
 * @size: bytes; at most %KVS_ALLOC_MAX
 * @gfp: %KVS_GFP_KERNEL or %KVS_GFP_ATOMIC
 *
 * The contents are undefined (user space fills them with 0x5a, so reading
 * them before writing shows up).
 *
 * Context: any with %KVS_GFP_ATOMIC; %KVS_GFP_KERNEL may sleep and calls
 * kvs_might_sleep() first.
 * Return: the memory, or NULL.
 */
void *kvs_alloc(size_t size, kvs_gfp_t gfp);

/**
 * kvs_zalloc() - allocate zeroed memory
 * @size: bytes; at most %KVS_ALLOC_MAX
 * @gfp: %KVS_GFP_KERNEL or %KVS_GFP_ATOMIC
 *
 * Context: as kvs_alloc().
 * Return: the memory, or NULL.
 */
void *kvs_zalloc(size_t size, kvs_gfp_t gfp);

/**
 * kvs_free() - free memory from kvs_alloc() or kvs_zalloc()
 * @p: the memory, or NULL (then nothing happens)
 *
 * Context: any.
 */
void kvs_free(const void *p);

/**
 * kvs_kvzalloc() - allocate a large zeroed array
 * @size: bytes (at most INT_MAX)
 * @gfp: %KVS_GFP_KERNEL or %KVS_GFP_ATOMIC
 *
 * Kernel: kvzalloc(), which falls back to vmalloc for %KVS_GFP_KERNEL only;
 * with %KVS_GFP_ATOMIC it is kmalloc alone, so sizes above %KVS_ALLOC_MAX
 * fail (user space mirrors that).
 *
 * Context: as kvs_alloc().
 * Return: the memory, or NULL.
 */
void *kvs_kvzalloc(size_t size, kvs_gfp_t gfp);

/**
 * kvs_kvfree() - free memory from any kvs allocation function
 * @p: the memory, or NULL
 *
 * Context: may sleep (vfree) unless called from an RCU callback; user space
 * checks kvs_might_sleep() outside callbacks. Use kvs_free_rcu() to free
 * from atomic context.
 */
void kvs_kvfree(const void *p);

/**
 * kvs_alloc_live() - allocations made through this layer not yet freed
 *
 * Note: Objects queued by kvs_free_rcu() count until they are freed. Kernel:
 * sum of per-CPU counters, exact once callers are quiescent.
 *
 * Context: any.
 * Return: the number of live allocations.
 */
long kvs_alloc_live(void);

/**
 * kvs_fault_fail_nth() - make the @n-th allocation from now fail
 * @n: 1 fails the next allocation through this layer, 2 the one after, ...;
 *     0 disarms
 *
 * One failure only: the injection disarms itself when it fires. The state is
 * global and atomic, meant for single-threaded sweeps (arm n = 1, 2, ... until
 * an operation succeeds with the injection still armed).
 *
 * Context: any.
 */
void kvs_fault_fail_nth(unsigned int n);

/*
 * kvs_fault_fail_nth_mine() - like kvs_fault_fail_nth(), counting only the
 * calling task's allocations (kernel: process context only), so work that
 * other threads do meanwhile (resizes, reclamation) cannot take the failure.
 * Context: process context.
 */
void kvs_fault_fail_nth_mine(unsigned int n);

/* kvs_fault_armed() - true while a kvs_fault_fail_nth() failure is pending. */
bool kvs_fault_armed(void);

/* ------------------------------------------------------------------------ */
/* Memory accounting (kvs_mem.c)                                            */
/* ------------------------------------------------------------------------ */

/**
 * struct kvs_mem_account - a byte budget, optionally nested in a parent's
 * @used: bytes charged to this account (and therefore to every ancestor)
 * @limit: the most @used may reach; 0 means unlimited
 * @parent: the enclosing account (e.g. the store for a table), or NULL
 */
struct kvs_mem_account {
	kvs_atomic64_t used;
	u64 limit;
	struct kvs_mem_account *parent;
};

/**
 * kvs_mem_account_init() - initialize an account
 * @a: the account
 * @limit: its limit in bytes, 0 for unlimited
 * @parent: the enclosing account or NULL; it must outlive @a
 *
 * Context: any; @a is not in use yet.
 */
void kvs_mem_account_init(struct kvs_mem_account *a, u64 limit,
			  struct kvs_mem_account *parent);

/**
 * kvs_mem_account_set_limit() - change an account's limit
 * @a: the account
 * @limit: the new limit, 0 for unlimited
 *
 * Lowering the limit below the current use only blocks new charges.
 *
 * Context: any.
 */
void kvs_mem_account_set_limit(struct kvs_mem_account *a, u64 limit);

/**
 * kvs_mem_charge() - charge @bytes to @a and all its ancestors
 * @a: the account
 * @bytes: the amount
 *
 * All or nothing: if any level would go over its limit, what was charged is
 * undone. No level's use ever exceeds its limit, even transiently; a
 * concurrent charge may fail while another one is being undone.
 *
 * Context: any; lock-free.
 * Return: 0, or -ENOSPC with nothing charged.
 */
int __must_check kvs_mem_charge(struct kvs_mem_account *a, u64 bytes);

/**
 * kvs_mem_uncharge() - return @bytes to @a and all its ancestors
 * @a: the account
 * @bytes: an amount charged before
 *
 * Warns and clamps to zero if a level would go below zero.
 *
 * Context: any; lock-free.
 */
void kvs_mem_uncharge(struct kvs_mem_account *a, u64 bytes);

/* kvs_mem_used() - bytes currently charged to @a (including its children). */
u64 kvs_mem_used(const struct kvs_mem_account *a);

/* ------------------------------------------------------------------------ */
/* Time                                                                     */
/* ------------------------------------------------------------------------ */

/* kvs_ktime_ns() - monotonic time in nanoseconds. Context: any. */
#define kvs_ktime_ns()			__kvs_ktime_ns()

/* ------------------------------------------------------------------------ */
/* Non-preemptible windows and spinning                                     */
/* ------------------------------------------------------------------------ */

/**
 * kvs_nosleep_enter() - start a short window nobody on this CPU can preempt
 *
 * Note: kernel: local_bh_disable() then preempt_disable(), so neither another
 * task nor a softirq on this CPU runs until kvs_nosleep_exit(); a thread that
 * spins waiting for the window's end therefore waits only for other CPUs.
 * Inside: no sleeping, no KVS_GFP_KERNEL allocation and no kvs lock (on
 * PREEMPT_RT spinlocks sleep); keep it to a few stores. User space: counted
 * as an atomic section, so kvs_might_sleep() inside it warns.
 *
 * Context: process or softirq context. Nests.
 */
#define kvs_nosleep_enter()		__kvs_nosleep_enter()

/* kvs_nosleep_exit() - end a kvs_nosleep_enter() window. */
#define kvs_nosleep_exit()		__kvs_nosleep_exit()

/**
 * kvs_lockwin_enter() - start a window that may hold the engine's own
 *			 spinning locks (record locks)
 *
 * Note: kernel: local_bh_disable(), then preempt_disable() except on
 * PREEMPT_RT. Nothing else on this CPU that could wait for such a lock runs
 * until kvs_lockwin_exit(): not softirqs, not (without RT) another task; on
 * PREEMPT_RT the window holds the CPU's bottom-half lock instead, which a
 * task that would wait on this CPU must take first, so it blocks (with
 * priority inheritance) rather than spins. kvs spinlocks may be taken
 * inside; no sleeping, no KVS_GFP_KERNEL allocation. User space: counted
 * as an atomic section, like kvs_nosleep_enter().
 *
 * Context: process or softirq context. Nests.
 */
#define kvs_lockwin_enter()		__kvs_lockwin_enter()

/* kvs_lockwin_exit() - end a kvs_lockwin_enter() window. */
#define kvs_lockwin_exit()		__kvs_lockwin_exit()

/*
 * kvs_owner_token() - a non-zero, even word naming the running task, stable
 * for as long as it holds a lock taken in a kvs_lockwin_enter() window
 * (bit 0 is free for the lock's own use). Kernel: the task_struct address;
 * user space: twice the thread's id. Context: process or softirq context.
 */
#define kvs_owner_token()		__kvs_owner_token()

/*
 * kvs_cpu_hint() - a small number that differs between CPUs running at
 * once, to spread shared state over stripes; only a hint (the caller may
 * move to another CPU right after). Kernel: raw_smp_processor_id(); user
 * space: the thread's id. Context: any.
 */
#define kvs_cpu_hint()			__kvs_cpu_hint()

/*
 * kvs_cpu_relax() - pause inside a spin-wait loop. Kernel: cpu_relax();
 * user space: sched_yield(), since there a thread being waited for may have
 * been preempted (no window there is truly non-preemptible). Context: any.
 */
#define kvs_cpu_relax()			__kvs_cpu_relax()

/*
 * kvs_prefetch() - start loading the cache line at @p for reading; a hint
 * only, @p need not be valid memory. Kernel: prefetch(); user space:
 * __builtin_prefetch(). Context: any.
 */
#define kvs_prefetch(p)			__kvs_prefetch(p)

/**
 * kvs_load_le64() - the little-endian 64-bit word at @p, any alignment
 * @p: 8 readable bytes
 *
 * One load on the machines we run on (memcpy of a constant 8 bytes).
 *
 * Context: any.
 * Return: the word, in CPU order.
 */
static inline u64 kvs_load_le64(const void *p)
{
	u64 m;

	memcpy(&m, p, sizeof(m));
	return __kvs_le64_to_cpu(m);
}

/* The 32-bit word at @p, any alignment, in memory order. */
static inline u32 __kvs_load32(const void *p)
{
	u32 m;

	memcpy(&m, p, sizeof(m));
	return m;
}

/**
 * kvs_mem_eq() - are two byte strings of one length equal?
 * @a: @len readable bytes
 * @b: @len readable bytes
 * @len: their number
 *
 * memcmp() == 0, inline, for short keys: 8-byte loads, the last one
 * overlapping the one before when @len is not a multiple of 8 (4-byte
 * loads below 8 bytes), no call. It says only equal or not: no order.
 *
 * Context: any.
 * Return: true if the bytes are equal.
 */
static __always_inline bool kvs_mem_eq(const void *a, const void *b,
				       size_t len)
{
	const u8 *x = a, *y = b;

	if (len >= 8) {
		for (; len > 8; len -= 8, x += 8, y += 8)
			if (kvs_load_le64(x) != kvs_load_le64(y))
				return false;
		return kvs_load_le64(x + len - 8) == kvs_load_le64(y + len - 8);
	}
	if (len >= 4)
		return __kvs_load32(x) == __kvs_load32(y) &&
		       __kvs_load32(x + len - 4) == __kvs_load32(y + len - 4);
	for (; len; len--, x++, y++)
		if (*x != *y)
			return false;
	return true;
}

/* ------------------------------------------------------------------------ */
/* Randomness                                                               */
/* ------------------------------------------------------------------------ */

/*
 * kvs_get_random_bytes() - fill @buf with @len unpredictable bytes, for
 * secrets such as hash seeds. Kernel: get_random_bytes(); user space:
 * getrandom(2). Context: any.
 */
#define kvs_get_random_bytes(buf, len)	__kvs_get_random_bytes(buf, len)

/*
 * kvs_random_u32() - a cheap random number for choices such as skiplist
 * heights; not for secrets in user space (a per-thread xorshift seeded from
 * getrandom(2)). Kernel: get_random_u32(). Context: any.
 */
#define kvs_random_u32()		__kvs_random_u32()

/* ------------------------------------------------------------------------ */
/* Deferred work                                                            */
/*                                                                          */
/* struct kvs_work: a function to run later in process context, for what   */
/* must not run in the caller's (possibly atomic) context, such as a hash   */
/* table resize. Kernel: a work_struct on system_unbound_wq. User space: a  */
/* worker thread of its own, started at the first kvs_work_queue(),         */
/* registered with RCU, so tests see the work run concurrently with them.   */
/* The function runs with no lock held and may sleep; it must return with   */
/* no lock held and outside any RCU read section, and must not wait for     */
/* another work item (user space has one worker thread) nor free its own   */
/* struct kvs_work. A module must cancel or flush its work items before it  */
/* is unloaded.                                                             */
/* ------------------------------------------------------------------------ */

/**
 * kvs_work_init() - prepare a work item
 * @w: the struct kvs_work, not queued
 * @fn: void (*)(struct kvs_work *), the function to run; it finds its
 *      object with container_of()
 *
 * A macro: in the kernel each call site is its own lockdep class, as with
 * INIT_WORK().
 *
 * Context: any; @w is not in use.
 */
#define kvs_work_init(w, fn)		__kvs_work_init(w, fn)

/**
 * kvs_work_queue() - run a work item once more, later, in process context
 * @w: the work item
 *
 * If @w is already queued and has not started, nothing changes. If it is
 * running, it runs once more afterwards; a work item never runs
 * concurrently with itself.
 *
 * Context: any, hardirq included; takes no lock the caller may hold.
 * Return: true if @w was queued, false if it was already pending.
 */
#define kvs_work_queue(w)		__kvs_work_queue(w)

/**
 * kvs_work_cancel_sync() - unqueue a work item and wait for it to finish
 * @w: the work item
 *
 * After it returns @w is neither queued nor running, unless it was queued
 * again meanwhile (by itself, or by someone else).
 *
 * Context: process context, may sleep; not from @w's own function.
 * Return: true if @w was pending (and is now not run).
 */
#define kvs_work_cancel_sync(w)		__kvs_work_cancel_sync(w)

/**
 * kvs_work_flush() - wait until the last queueing of a work item has run
 * @w: the work item
 *
 * Context: process context, may sleep; not from @w's own function.
 * Return: true if it waited, false if @w was idle.
 */
#define kvs_work_flush(w)		__kvs_work_flush(w)

#endif /* _KVS_PLATFORM_H */

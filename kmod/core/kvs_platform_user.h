/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvs_platform_user.h - the user-space home of the kvstore platform layer.
 *
 * The engine compiled in user space for its tests: RCU is liburcu's memb
 * flavour inlined with _LGPL_SOURCE, locks are pthread mutexes that record
 * their owner, and each thread tracks the spinlocks it holds, its RCU read
 * depth and whether it runs an RCU callback, so that the checks the kernel
 * makes with lockdep, PROVE_RCU and DEBUG_ATOMIC_SLEEP are made here on every
 * run. Include kvs_platform.h, never this file.
 *
 * Link with -lurcu-memb -lurcu-common -lpthread.
 */
#ifndef _KVS_PLATFORM_USER_H
#define _KVS_PLATFORM_USER_H

#ifndef __KVS_PLATFORM_INSIDE
#error "include kvs_platform.h, not kvs_platform_user.h"
#endif

#ifndef _LGPL_SOURCE
#define _LGPL_SOURCE
#endif

#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <urcu/urcu-memb.h>

/* Basic types and helpers under their kernel names, as int-ll64.h has them */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef signed char s8;
typedef short s16;
typedef int s32;
typedef long long s64;

#define U32_MAX		((u32)~0U)
#define U64_MAX		((u64)~0ULL)
#define S64_MAX		((s64)(U64_MAX >> 1))

#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#endif
#ifndef unlikely
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif
#ifndef container_of
#define container_of(ptr, type, member)					\
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#ifndef BUILD_BUG_ON
#define BUILD_BUG_ON(cond)	((void)sizeof(char[1 - 2 * !!(cond)]))
#endif

/* Like the kernel's: both arguments must have the same type. */
#define __kvs_minmax(x, y, op)						\
	({								\
		typeof(x) __kvs_x = (x);				\
		typeof(y) __kvs_y = (y);				\
		(void)(&__kvs_x == &__kvs_y);				\
		__kvs_x op __kvs_y ? __kvs_x : __kvs_y;			\
	})
#ifndef min
#define min(x, y)	__kvs_minmax(x, y, <)
#endif
#ifndef max
#define max(x, y)	__kvs_minmax(x, y, >)
#endif
#ifndef min_t
#define min_t(t, x, y)	__kvs_minmax((t)(x), (t)(y), <)
#endif
#ifndef max_t
#define max_t(t, x, y)	__kvs_minmax((t)(x), (t)(y), >)
#endif

#ifndef __must_check
#define __must_check	__attribute__((__warn_unused_result__))
#endif
#ifndef __maybe_unused
#define __maybe_unused	__attribute__((__unused__))
#endif
#ifndef __printf
#define __printf(a, b)	__attribute__((__format__(printf, a, b)))
#endif
#ifndef fallthrough
#define fallthrough	__attribute__((__fallthrough__))
#endif
/* Sparse annotations; __rcu comes from liburcu (empty). */
#ifndef __force
#define __force
#endif
#ifndef __acquires
#define __acquires(x)
#endif
#ifndef __releases
#define __releases(x)
#endif
#ifndef __must_hold
#define __must_hold(x)
#endif

/* Warnings (kvs_platform_user.c) */

/*
 * Report a warning at @file:@line and count it in kvs_warn_count(). With
 * @once, print only the first report of that site; without, print until a
 * global cap is reached.
 */
void __kvs_warn(const char *file, int line, int *once, const char *fmt, ...)
	__printf(4, 5);

/* Print warnings on one line, without a stack trace: for expected ones. */
void __kvs_warn_set_quiet(bool quiet);

#define __KVS_WARN_ON_ONCE_MSG(cond, msg)				\
	({								\
		static int __kvs_once;					\
		bool __kvs_w = !!(cond);				\
									\
		if (unlikely(__kvs_w))					\
			__kvs_warn(__FILE__, __LINE__, &__kvs_once,	\
				   "%s", msg);				\
		__kvs_w;						\
	})
#define __KVS_WARN_ON_ONCE(cond)	__KVS_WARN_ON_ONCE_MSG(cond, #cond)

/* Per-thread state: what the kernel knows from preempt_count and lockdep. */
struct __kvs_thread {
	unsigned long id;	/* owner tag for locks; 0 until first needed */
	int spin_depth;		/* kvs spinlocks held */
	int mutex_depth;	/* kvs mutexes held */
	int rcu_depth;		/* kvs_rcu_read_lock() nesting */
	int cb_depth;		/* running an RCU callback (softirq-like) */
	int nosleep_depth;	/* inside kvs_nosleep_enter() windows */
	bool registered;	/* registered with liburcu */
};

extern __thread struct __kvs_thread __kvs_self;

unsigned long __kvs_thread_id_slow(void);

static inline unsigned long __kvs_thread_id(void)
{
	if (likely(__kvs_self.id))
		return __kvs_self.id;
	return __kvs_thread_id_slow();
}

#define EXPORT_SYMBOL_GPL(sym)		extern int __kvs_export_##sym

/* Who allocates: for kvs_fault_fail_nth_mine(). */
#define __kvs_task_id()		__kvs_thread_id()

/* Threads and sleeping */
void __kvs_thread_register(void);
void __kvs_thread_unregister(void);

static inline bool __kvs_in_atomic(void)
{
	return __kvs_self.spin_depth || __kvs_self.rcu_depth ||
	       __kvs_self.cb_depth || __kvs_self.nosleep_depth;
}

void __kvs_might_sleep_fail(const char *file, int line);

#define __kvs_might_sleep_at(file, line)				\
	do {								\
		if (unlikely(__kvs_in_atomic()))			\
			__kvs_might_sleep_fail(file, line);		\
	} while (0)
#define __kvs_might_sleep()	__kvs_might_sleep_at(__FILE__, __LINE__)
#define __kvs_cond_resched()						\
	do {								\
		__kvs_might_sleep();					\
		sched_yield();						\
	} while (0)

#define KVS_HELD_CHECKS_EXACT	1

/* RCU */
static inline void __kvs_rcu_read_lock(void)
{
	__KVS_WARN_ON_ONCE_MSG(!__kvs_self.registered,
			       "kvs_rcu_read_lock() in a thread without kvs_thread_register()");
	urcu_memb_read_lock();
	__kvs_self.rcu_depth++;
}

static inline void __kvs_rcu_read_unlock(void)
{
	if (__KVS_WARN_ON_ONCE_MSG(__kvs_self.rcu_depth <= 0,
				   "kvs_rcu_read_unlock() without kvs_rcu_read_lock()"))
		return;
	__kvs_self.rcu_depth--;
	urcu_memb_read_unlock();
}

#define __kvs_rcu_read_lock_held()	(__kvs_self.rcu_depth > 0)

#define __kvs_rcu_dereference(p)					\
	({								\
		__KVS_WARN_ON_ONCE_MSG(!__kvs_rcu_read_lock_held(),	\
				       "kvs_rcu_dereference() outside kvs_rcu_read_lock()"); \
		rcu_dereference(p);					\
	})
#define __kvs_rcu_dereference_check(p, c)				\
	({								\
		__KVS_WARN_ON_ONCE_MSG(!(c) && !__kvs_rcu_read_lock_held(), \
				       "kvs_rcu_dereference_check(" #c	\
				       ") outside kvs_rcu_read_lock()"); \
		rcu_dereference(p);					\
	})
#define __kvs_rcu_dereference_protected(p, c)				\
	({								\
		__KVS_WARN_ON_ONCE_MSG(!(c),				\
				       "kvs_rcu_dereference_protected(" #c \
				       ") without protection");		\
		(p);							\
	})
#define __kvs_rcu_access_pointer(p)	__atomic_load_n(&(p), __ATOMIC_RELAXED)
#define __kvs_rcu_assign_pointer(p, v)	rcu_assign_pointer(p, v)
#define __KVS_RCU_INIT_POINTER(p, v)	__KVS_WRITE_ONCE(p, v)

static inline void __kvs_call_rcu_raw(struct rcu_head *head,
				      void (*func)(struct rcu_head *head))
{
	__KVS_WARN_ON_ONCE_MSG(!__kvs_self.registered,
			       "kvs_call_rcu() in a thread without kvs_thread_register()");
	urcu_memb_call_rcu(head, func);
}

/* Waiting for readers from inside a reader or a callback would deadlock. */
static inline void __kvs_synchronize_rcu(void)
{
	__kvs_might_sleep();
	if (__kvs_self.rcu_depth || __kvs_self.cb_depth)
		return;
	urcu_memb_synchronize_rcu();
}

static inline void __kvs_rcu_barrier(void)
{
	__kvs_might_sleep();
	if (__kvs_self.rcu_depth || __kvs_self.cb_depth)
		return;
	urcu_memb_barrier();
}

/* Callbacks run in liburcu's registered call_rcu thread; mark it atomic. */
void __kvs_rcu_cb_enter(void);
void __kvs_rcu_cb_exit(void);

/* Exact counters behind kvs_alloc_live() and kvs_rcu_pending(). */
extern long __kvs_live_count;
extern long __kvs_rcu_pending_count;
#define __kvs_live_inc()	__atomic_add_fetch(&__kvs_live_count, 1, __ATOMIC_SEQ_CST)
#define __kvs_live_dec()	__atomic_sub_fetch(&__kvs_live_count, 1, __ATOMIC_SEQ_CST)
#define __kvs_rcu_pending_inc()	\
	__atomic_add_fetch(&__kvs_rcu_pending_count, 1, __ATOMIC_SEQ_CST)
#define __kvs_rcu_pending_dec()	\
	__atomic_sub_fetch(&__kvs_rcu_pending_count, 1, __ATOMIC_SEQ_CST)

/* Locks: a pthread mutex plus the id of the thread that holds it. */
#define __KVS_LOCK_MAGIC	0x6b76736cU

struct __kvs_lock {
	pthread_mutex_t mutex;
	unsigned long owner;	/* __kvs_thread_id() of the holder, or 0 */
	unsigned int magic;	/* __KVS_LOCK_MAGIC once initialized */
	bool bh;		/* taken with the _bh variant; owner only */
};

typedef struct {
	struct __kvs_lock lk;
} kvs_spinlock_t;

typedef struct {
	struct __kvs_lock lk;
} kvs_mutex_t;

#define __KVS_LOCK_INITIALIZER						\
	{ .lk = { .mutex = PTHREAD_MUTEX_INITIALIZER, .magic = __KVS_LOCK_MAGIC } }

void __kvs_lock_init(struct __kvs_lock *l);
void __kvs_lock_acquire(struct __kvs_lock *l, bool bh, bool spin,
			const char *file, int line);
void __kvs_lock_release(struct __kvs_lock *l, bool bh, bool spin,
			const char *file, int line);
int __kvs_lock_try(struct __kvs_lock *l, bool spin, const char *file,
		   int line);
void __kvs_lock_destroy(struct __kvs_lock *l, const char *file, int line);
void __kvs_lock_not_held(const char *file, int line);

static inline bool __kvs_lock_held_by_me(const struct __kvs_lock *l)
{
	return __atomic_load_n(&l->owner, __ATOMIC_RELAXED) ==
	       __kvs_thread_id();
}

static inline bool __kvs_spin_is_held(const kvs_spinlock_t *l)
{
	return __kvs_lock_held_by_me(&l->lk);
}

static inline bool __kvs_mutex_is_held(const kvs_mutex_t *m)
{
	return __kvs_lock_held_by_me(&m->lk);
}

static inline void __kvs_lock_assert_held_at(const struct __kvs_lock *l,
					     const char *file, int line)
{
	if (unlikely(!__kvs_lock_held_by_me(l)))
		__kvs_lock_not_held(file, line);
}

#define __KVS_DEFINE_SPINLOCK(name)	kvs_spinlock_t name = __KVS_LOCK_INITIALIZER
#define __kvs_spin_lock_init(l)		__kvs_lock_init(&(l)->lk)
/* Type-checked access to the lock inside (const for the checks). */
#define __kvs_spinlock_of(l)		(&((kvs_spinlock_t *){ (l) })->lk)
#define __kvs_spinlock_of_const(l)	(&((const kvs_spinlock_t *){ (l) })->lk)
#define __kvs_spin_lock(l)						\
	__kvs_lock_acquire(__kvs_spinlock_of(l), false, true, __FILE__, __LINE__)
#define __kvs_spin_unlock(l)						\
	__kvs_lock_release(__kvs_spinlock_of(l), false, true, __FILE__, __LINE__)
#define __kvs_spin_lock_bh(l)						\
	__kvs_lock_acquire(__kvs_spinlock_of(l), true, true, __FILE__, __LINE__)
#define __kvs_spin_unlock_bh(l)						\
	__kvs_lock_release(__kvs_spinlock_of(l), true, true, __FILE__, __LINE__)
#define __kvs_spin_trylock(l)						\
	__kvs_lock_try(__kvs_spinlock_of(l), true, __FILE__, __LINE__)
#define __kvs_spin_assert_held(l)					\
	__kvs_lock_assert_held_at(__kvs_spinlock_of_const(l), __FILE__, __LINE__)

#define __KVS_DEFINE_MUTEX(name)	kvs_mutex_t name = __KVS_LOCK_INITIALIZER
#define __kvs_mutex_of(m)		(&((kvs_mutex_t *){ (m) })->lk)
#define __kvs_mutex_of_const(m)		(&((const kvs_mutex_t *){ (m) })->lk)
#define __kvs_mutex_init(m)		__kvs_lock_init(__kvs_mutex_of(m))
#define __kvs_mutex_destroy(m)						\
	__kvs_lock_destroy(__kvs_mutex_of(m), __FILE__, __LINE__)
#define __kvs_mutex_lock(m)						\
	do {								\
		__kvs_might_sleep();					\
		__kvs_lock_acquire(__kvs_mutex_of(m), false, false,	\
				   __FILE__, __LINE__);			\
	} while (0)
#define __kvs_mutex_unlock(m)						\
	__kvs_lock_release(__kvs_mutex_of(m), false, false, __FILE__, __LINE__)
#define __kvs_mutex_trylock(m)						\
	__kvs_lock_try(__kvs_mutex_of(m), false, __FILE__, __LINE__)
#define __kvs_mutex_assert_held(m)					\
	__kvs_lock_assert_held_at(__kvs_mutex_of_const(m), __FILE__, __LINE__)

/* Both lock types embed a struct __kvs_lock named lk. */
#define __kvs_assert_held(l)						\
	__kvs_lock_assert_held_at(&(l)->lk, __FILE__, __LINE__)

/* Atomics: GCC builtins with the kernel's ordering rules. */
typedef struct {
	int counter;
} kvs_atomic_t;

typedef struct {
	s64 counter;
} kvs_atomic64_t;

#define __KVS_ATOMIC_INIT(i)	{ (i) }

/*
 * One generator for both widths, as the kernel generates its atomics:
 * plain reads, writes and void RMWs are relaxed; value-returning RMWs and
 * cmpxchg are fully ordered, as in the kernel's memory model.
 */
#define __KVS_ATOMIC_OPS(name, type)					\
static inline type __kvs_##name##_read(const kvs_##name##_t *v)		\
{									\
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);		\
}									\
static inline void __kvs_##name##_set(kvs_##name##_t *v, type i)	\
{									\
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline void __kvs_##name##_add(type i, kvs_##name##_t *v)	\
{									\
	__atomic_fetch_add(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline void __kvs_##name##_sub(type i, kvs_##name##_t *v)	\
{									\
	__atomic_fetch_sub(&v->counter, i, __ATOMIC_RELAXED);		\
}									\
static inline void __kvs_##name##_inc(kvs_##name##_t *v)		\
{									\
	__kvs_##name##_add(1, v);					\
}									\
static inline void __kvs_##name##_dec(kvs_##name##_t *v)		\
{									\
	__kvs_##name##_sub(1, v);					\
}									\
static inline type __kvs_##name##_add_return(type i, kvs_##name##_t *v)	\
{									\
	return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST);	\
}									\
static inline type __kvs_##name##_sub_return(type i, kvs_##name##_t *v)	\
{									\
	return __atomic_sub_fetch(&v->counter, i, __ATOMIC_SEQ_CST);	\
}									\
static inline type __kvs_##name##_inc_return(kvs_##name##_t *v)	\
{									\
	return __kvs_##name##_add_return(1, v);				\
}									\
static inline type __kvs_##name##_dec_return(kvs_##name##_t *v)	\
{									\
	return __kvs_##name##_sub_return(1, v);				\
}									\
static inline bool __kvs_##name##_dec_and_test(kvs_##name##_t *v)	\
{									\
	return __kvs_##name##_sub_return(1, v) == 0;			\
}									\
static inline bool __kvs_##name##_try_cmpxchg(kvs_##name##_t *v,	\
					      type *old, type new)	\
{									\
	return __atomic_compare_exchange_n(&v->counter, old, new, false,\
					   __ATOMIC_SEQ_CST,		\
					   __ATOMIC_SEQ_CST);		\
}									\
static inline type __kvs_##name##_cmpxchg(kvs_##name##_t *v, type old,	\
					  type new)			\
{									\
	__kvs_##name##_try_cmpxchg(v, &old, new);			\
	return old;							\
}

__KVS_ATOMIC_OPS(atomic, int)
__KVS_ATOMIC_OPS(atomic64, s64)

static inline s64 __kvs_atomic64_read_acquire(const kvs_atomic64_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_ACQUIRE);
}

static inline void __kvs_atomic64_set_release(kvs_atomic64_t *v, s64 i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELEASE);
}

#define __KVS_READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define __KVS_WRITE_ONCE(x, v)						\
	do {								\
		typeof(x) __kvs_v = (v);				\
									\
		__atomic_store_n(&(x), __kvs_v, __ATOMIC_RELAXED);	\
	} while (0)
#define __kvs_smp_mb()			__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define __kvs_smp_rmb()			__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define __kvs_smp_wmb()			__atomic_thread_fence(__ATOMIC_RELEASE)
#define __kvs_smp_load_acquire(p)	__atomic_load_n(p, __ATOMIC_ACQUIRE)
#define __kvs_smp_store_release(p, v)					\
	do {								\
		typeof(p) __kvs_p = (p);				\
		typeof(*__kvs_p) __kvs_v = (v);				\
									\
		__atomic_store_n(__kvs_p, __kvs_v, __ATOMIC_RELEASE);	\
	} while (0)

/* Allocation: the kernel's size bounds, poisoned contents. */
#define KVS_ALLOC_MAX			((size_t)4 << 20)
#define __KVS_KVALLOC_MAX		((size_t)INT_MAX)

void *__kvs_heap_alloc(size_t size, kvs_gfp_t gfp, bool zero);
void *__kvs_heap_kvzalloc(size_t size, kvs_gfp_t gfp);
void __kvs_heap_free(const void *p);
#define __kvs_heap_kvfree(p)		__kvs_heap_free(p)
#define __kvs_kvfree_might_sleep()					\
	do {								\
		if (!__kvs_self.cb_depth)				\
			__kvs_might_sleep();				\
	} while (0)

/* Time */
static inline u64 __kvs_ktime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

/* Non-preemptible windows and spinning */
static inline void __kvs_nosleep_enter(void)
{
	__kvs_self.nosleep_depth++;
}

static inline void __kvs_nosleep_exit(void)
{
	__KVS_WARN_ON_ONCE_MSG(__kvs_self.nosleep_depth <= 0,
			       "kvs_nosleep_exit() without kvs_nosleep_enter()");
	if (__kvs_self.nosleep_depth > 0)
		__kvs_self.nosleep_depth--;
}

#define __kvs_lockwin_enter()		__kvs_nosleep_enter()
#define __kvs_lockwin_exit()		__kvs_nosleep_exit()
#define __kvs_owner_token()		((long)__kvs_thread_id() * 2)
#define __kvs_cpu_hint()		((unsigned int)__kvs_thread_id())

#define __kvs_cpu_relax()		sched_yield()
#define __kvs_prefetch(p)		__builtin_prefetch(p)
#define __kvs_le64_to_cpu(x)		le64toh(x)

/* Randomness */
void __kvs_get_random_bytes(void *buf, size_t len);
u32 __kvs_random_u32(void);

/* Deferred work: one worker thread (kvs_platform_user.c), started lazily. */
struct kvs_work {
	void (*fn)(struct kvs_work *w);
	struct kvs_work *next;	/* in the worker's queue */
	bool pending;		/* queued, not started */
	unsigned long started;	/* runs begun */
	unsigned long done;	/* runs finished */
};

void __kvs_work_init(struct kvs_work *w, void (*fn)(struct kvs_work *w));
bool __kvs_work_queue(struct kvs_work *w);
bool __kvs_work_cancel(struct kvs_work *w, bool cancel, const char *file,
		       int line);

#define __kvs_work_cancel_sync(w)					\
	({								\
		__kvs_might_sleep();					\
		__kvs_work_cancel(w, true, __FILE__, __LINE__);	\
	})
#define __kvs_work_flush(w)						\
	({								\
		__kvs_might_sleep();					\
		__kvs_work_cancel(w, false, __FILE__, __LINE__);	\
	})

#endif /* _KVS_PLATFORM_USER_H */

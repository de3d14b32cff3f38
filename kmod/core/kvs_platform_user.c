// SPDX-License-Identifier: GPL-2.0
/*
 * kvs_platform_user.c - state and slow paths of the user-space home: warning
 * reports, thread registration, owner-tracking locks, the heap.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <sys/random.h>

#include "kvs_platform.h"

__thread struct __kvs_thread __kvs_self;

long __kvs_live_count;
long __kvs_rcu_pending_count;

static unsigned long kvs_warns;
static unsigned long kvs_next_thread_id;
static int kvs_reports_left = 50;
static bool kvs_warn_quiet;

/* With ASan, a warning shows where it came from. */
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#define kvs_print_stack()	__sanitizer_print_stack_trace()
#else
#define kvs_print_stack()	do { } while (0)
#endif

void __kvs_warn(const char *file, int line, int *once, const char *fmt, ...)
{
	va_list ap;

	__atomic_add_fetch(&kvs_warns, 1, __ATOMIC_SEQ_CST);
	if (once && __atomic_exchange_n(once, 1, __ATOMIC_RELAXED))
		return;
	if (!once && __atomic_sub_fetch(&kvs_reports_left, 1, __ATOMIC_RELAXED) < 0)
		return;

	flockfile(stderr);
	fprintf(stderr, "kvs: WARNING%s at %s:%d: ",
		kvs_warn_quiet ? " (expected)" : "", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (!kvs_warn_quiet)
		kvs_print_stack();
	funlockfile(stderr);
}

void __kvs_warn_set_quiet(bool quiet)
{
	kvs_warn_quiet = quiet;
}

unsigned long kvs_warn_count(void)
{
	return __atomic_load_n(&kvs_warns, __ATOMIC_SEQ_CST);
}

void kvs_warn_reset(void)
{
	__atomic_store_n(&kvs_warns, 0, __ATOMIC_SEQ_CST);
}

long kvs_alloc_live(void)
{
	return __atomic_load_n(&__kvs_live_count, __ATOMIC_SEQ_CST);
}

long kvs_rcu_pending(void)
{
	return __atomic_load_n(&__kvs_rcu_pending_count, __ATOMIC_SEQ_CST);
}

unsigned long __kvs_thread_id_slow(void)
{
	__kvs_self.id = __atomic_add_fetch(&kvs_next_thread_id, 1,
					   __ATOMIC_RELAXED);
	return __kvs_self.id;
}

void __kvs_thread_register(void)
{
	if (__KVS_WARN_ON_ONCE_MSG(__kvs_self.registered,
				   "kvs_thread_register() twice"))
		return;
	urcu_memb_register_thread();
	__kvs_self.registered = true;
}

void __kvs_thread_unregister(void)
{
	struct __kvs_thread *t = &__kvs_self;

	if (t->spin_depth || t->mutex_depth || t->rcu_depth)
		__kvs_warn(__FILE__, __LINE__, NULL,
			   "thread leaves with %d spinlock(s), %d mutex(es), RCU depth %d",
			   t->spin_depth, t->mutex_depth, t->rcu_depth);
	if (__KVS_WARN_ON_ONCE_MSG(!t->registered,
				   "kvs_thread_unregister() without kvs_thread_register()"))
		return;
	urcu_memb_unregister_thread();
	t->registered = false;
}

void __kvs_might_sleep_fail(const char *file, int line)
{
	struct __kvs_thread *t = &__kvs_self;

	__kvs_warn(file, line, NULL,
		   "sleeping function called from invalid context (spinlocks held: %d, RCU read depth: %d, in RCU callback: %d, no-sleep windows: %d)",
		   t->spin_depth, t->rcu_depth, t->cb_depth, t->nosleep_depth);
}

void __kvs_rcu_cb_enter(void)
{
	/* liburcu registers its call_rcu threads itself. */
	__kvs_self.registered = true;
	__kvs_self.cb_depth++;
}

void __kvs_rcu_cb_exit(void)
{
	struct __kvs_thread *t = &__kvs_self;

	t->cb_depth--;
	if (t->spin_depth || t->rcu_depth)
		__kvs_warn(__FILE__, __LINE__, NULL,
			   "RCU callback returns with %d spinlock(s) held, RCU depth %d",
			   t->spin_depth, t->rcu_depth);
}

/* Locks */

static bool kvs_lock_valid(struct __kvs_lock *l, const char *file, int line)
{
	if (likely(l->magic == __KVS_LOCK_MAGIC))
		return true;
	__kvs_warn(file, line, NULL, "lock %p used uninitialized or destroyed",
		   (void *)l);
	return false;
}

static const char *kvs_lock_kind(bool spin)
{
	return spin ? "spinlock" : "mutex";
}

void __kvs_lock_init(struct __kvs_lock *l)
{
	pthread_mutex_init(&l->mutex, NULL);
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELAXED);
	l->bh = false;
	l->magic = __KVS_LOCK_MAGIC;
}

static void kvs_lock_taken(struct __kvs_lock *l, bool bh, bool spin,
			   unsigned long me)
{
	__atomic_store_n(&l->owner, me, __ATOMIC_RELAXED);
	l->bh = bh;
	if (spin)
		__kvs_self.spin_depth++;
	else
		__kvs_self.mutex_depth++;
}

void __kvs_lock_acquire(struct __kvs_lock *l, bool bh, bool spin,
			const char *file, int line)
{
	unsigned long me = __kvs_thread_id();

	kvs_lock_valid(l, file, line);
	/* The kernel would deadlock here; report it and carry on. */
	if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED) == me) {
		__kvs_warn(file, line, NULL,
			   "recursive locking: %s %p already held by this thread",
			   kvs_lock_kind(spin), (void *)l);
		return;
	}
	pthread_mutex_lock(&l->mutex);
	kvs_lock_taken(l, bh, spin, me);
}

void __kvs_lock_release(struct __kvs_lock *l, bool bh, bool spin,
			const char *file, int line)
{
	unsigned long owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);

	kvs_lock_valid(l, file, line);
	if (owner != __kvs_thread_id()) {
		__kvs_warn(file, line, NULL, "unlock of %s %p %s",
			   kvs_lock_kind(spin), (void *)l,
			   owner ? "held by another thread" : "that is not held");
		return;
	}
	if (l->bh != bh)
		__kvs_warn(file, line, NULL,
			   "spinlock %p taken with%s _bh, released with%s",
			   (void *)l, l->bh ? "" : "out", bh ? "" : "out");
	__atomic_store_n(&l->owner, 0, __ATOMIC_RELAXED);
	l->bh = false;
	if (spin)
		__kvs_self.spin_depth--;
	else
		__kvs_self.mutex_depth--;
	pthread_mutex_unlock(&l->mutex);
}

int __kvs_lock_try(struct __kvs_lock *l, bool spin, const char *file, int line)
{
	unsigned long me = __kvs_thread_id();

	kvs_lock_valid(l, file, line);
	if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED) == me)
		return 0;
	if (pthread_mutex_trylock(&l->mutex))
		return 0;
	kvs_lock_taken(l, false, spin, me);
	return 1;
}

void __kvs_lock_destroy(struct __kvs_lock *l, const char *file, int line)
{
	if (!kvs_lock_valid(l, file, line))
		return;
	if (__atomic_load_n(&l->owner, __ATOMIC_RELAXED)) {
		__kvs_warn(file, line, NULL, "destroying mutex %p while it is held",
			   (void *)l);
		return;
	}
	l->magic = 0;
	pthread_mutex_destroy(&l->mutex);
}

void __kvs_lock_not_held(const char *file, int line)
{
	__kvs_warn(file, line, NULL, "lock not held by this thread");
}

/* Heap */

void *__kvs_heap_alloc(size_t size, kvs_gfp_t gfp, bool zero)
{
	void *p;

	(void)gfp;
	if (size > KVS_ALLOC_MAX)
		return NULL;
	if (zero)
		return calloc(1, size);
	p = malloc(size);
	/* kmalloc() memory is not zeroed either: make reliance on it show. */
	if (p)
		memset(p, 0x5a, size);
	return p;
}

void *__kvs_heap_kvzalloc(size_t size, kvs_gfp_t gfp)
{
	size_t max = gfp == KVS_GFP_KERNEL ? __KVS_KVALLOC_MAX : KVS_ALLOC_MAX;

	if (size > max)
		return NULL;
	return calloc(1, size);
}

void __kvs_heap_free(const void *p)
{
	free((void *)p);
}

void __kvs_get_random_bytes(void *buf, size_t len)
{
	u8 *p = buf;

	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0) {
			/* Only EINTR is possible for small requests. */
			if (errno == EINTR)
				continue;
			abort();
		}
		p += n;
		len -= (size_t)n;
	}
}

u32 __kvs_random_u32(void)
{
	static __thread u64 state;
	u64 x = state;

	while (unlikely(!x))
		__kvs_get_random_bytes(&x, sizeof(x));
	/* xorshift64* (Vigna) */
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	state = x;
	return (u32)((x * 0x2545F4914F6CDD1DULL) >> 32);
}

/*
 * Deferred work: one worker thread, registered with RCU, started by the
 * first kvs_work_queue(). kvs_wq_lock is a plain pthread mutex, not a kvs
 * lock, so queueing is valid whatever kvs locks or RCU sections the caller
 * is in, as queue_work() is in the kernel.
 */
static pthread_mutex_t kvs_wq_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t kvs_wq_more = PTHREAD_COND_INITIALIZER;
static pthread_cond_t kvs_wq_done = PTHREAD_COND_INITIALIZER;
static pthread_once_t kvs_wq_once = PTHREAD_ONCE_INIT;
static struct kvs_work *kvs_wq_head, **kvs_wq_tail = &kvs_wq_head;
static __thread struct kvs_work *kvs_wq_running;	/* in the worker */

static void *kvs_wq_worker(void *arg)
{
	struct __kvs_thread *t = &__kvs_self;
	struct kvs_work *w;

	(void)arg;
	__kvs_thread_register();
	pthread_mutex_lock(&kvs_wq_lock);
	for (;;) {
		while (!kvs_wq_head)
			pthread_cond_wait(&kvs_wq_more, &kvs_wq_lock);
		w = kvs_wq_head;
		kvs_wq_head = w->next;
		if (!kvs_wq_head)
			kvs_wq_tail = &kvs_wq_head;
		w->pending = false;
		w->started++;
		pthread_mutex_unlock(&kvs_wq_lock);

		kvs_wq_running = w;
		w->fn(w);
		kvs_wq_running = NULL;
		if (t->spin_depth || t->mutex_depth || t->rcu_depth ||
		    t->nosleep_depth)
			__kvs_warn(__FILE__, __LINE__, NULL,
				   "work %p returns with %d spinlock(s), %d mutex(es), RCU depth %d",
				   (void *)w, t->spin_depth, t->mutex_depth,
				   t->rcu_depth);

		/* @w may be freed as soon as its waiters see it done. */
		pthread_mutex_lock(&kvs_wq_lock);
		w->done++;
		pthread_cond_broadcast(&kvs_wq_done);
	}
	return NULL;
}

static void kvs_wq_start(void)
{
	pthread_attr_t attr;
	pthread_t tid;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&tid, &attr, kvs_wq_worker, NULL)) {
		fprintf(stderr, "kvs: cannot start the work thread\n");
		abort();
	}
	pthread_attr_destroy(&attr);
}

void __kvs_work_init(struct kvs_work *w, void (*fn)(struct kvs_work *w))
{
	w->fn = fn;
	w->next = NULL;
	w->pending = false;
	w->started = 0;
	w->done = 0;
}

bool __kvs_work_queue(struct kvs_work *w)
{
	bool queued = false;

	pthread_once(&kvs_wq_once, kvs_wq_start);
	pthread_mutex_lock(&kvs_wq_lock);
	if (!w->pending) {
		w->pending = true;
		w->next = NULL;
		*kvs_wq_tail = w;
		kvs_wq_tail = &w->next;
		pthread_cond_signal(&kvs_wq_more);
		queued = true;
	}
	pthread_mutex_unlock(&kvs_wq_lock);
	return queued;
}

/* Unqueue @w if @cancel, then wait for the runs it owes to finish. */
bool __kvs_work_cancel(struct kvs_work *w, bool cancel, const char *file,
		       int line)
{
	struct kvs_work **pp;
	unsigned long target;
	bool ret;

	pthread_mutex_lock(&kvs_wq_lock);
	ret = w->pending;
	/*
	 * One worker: from inside it, another work item is never running, so
	 * cancelling it needs no wait (the kernel's cancel_work_sync() from a
	 * work function is fine too). Waiting for itself, or for a queued
	 * item to run, would never end.
	 */
	if (kvs_wq_running) {
		if (w == kvs_wq_running || (!cancel && w->pending))
			__kvs_warn(file, line, NULL,
				   "waiting for work %p from the work thread (running %p)",
				   (void *)w, (void *)kvs_wq_running);
		else if (w->pending)
			cancel = true;	/* unqueue below, and do not wait */
		else
			ret = false;
		if (!cancel || w == kvs_wq_running) {
			pthread_mutex_unlock(&kvs_wq_lock);
			return false;
		}
	}
	if (cancel && w->pending) {
		for (pp = &kvs_wq_head; *pp != w; pp = &(*pp)->next)
			;
		*pp = w->next;
		if (kvs_wq_tail == &w->next)
			kvs_wq_tail = pp;
		w->pending = false;
	}
	/* The run in progress, and the queued one if it stays queued. */
	target = w->started + (w->pending ? 1 : 0);
	if (kvs_wq_running)
		target = w->done;	/* not running: nothing to wait for */
	if (!cancel)
		ret = (long)(w->done - target) < 0;
	while ((long)(w->done - target) < 0)
		pthread_cond_wait(&kvs_wq_done, &kvs_wq_lock);
	pthread_mutex_unlock(&kvs_wq_lock);
	return ret;
}

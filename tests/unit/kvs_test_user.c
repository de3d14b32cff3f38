// SPDX-License-Identifier: GPL-2.0
/*
 * kvs_test_user.c - the user-space half of the test shim (tests/common/
 * kvs_test.h): logging and test threads on pthreads.
 */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kvs_test.h"

/* Where kvs_test_end() leaves to, in this thread; NULL outside tests. */
static __thread jmp_buf *kvs_test_exit;

struct kvs_test_thread {
	pthread_t tid;
	int (*fn)(void *arg);
	void *arg;
	unsigned int flags;
	int ret;
};

void kvs_test_vlog(const char *fmt, va_list ap)
{
	flockfile(stdout);
	fputs("# ", stdout);
	vfprintf(stdout, fmt, ap);
	fputc('\n', stdout);
	fflush(stdout);
	funlockfile(stdout);
}

void kvs_test_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvs_test_vlog(fmt, ap);
	va_end(ap);
}

void kvs_test_run_body(void (*fn)(void))
{
	jmp_buf env;

	if (!setjmp(env)) {
		kvs_test_exit = &env;
		fn();
	}
	kvs_test_exit = NULL;
}

void kvs_test_end(void)
{
	if (kvs_test_exit)
		longjmp(*kvs_test_exit, 1);
}

static void *kvs_test_thread_main(void *arg)
{
	struct kvs_test_thread *t = arg;
	bool reg = !(t->flags & KVS_TEST_THREAD_UNREGISTERED);
	jmp_buf env;

	if (reg)
		kvs_thread_register();
	if (!setjmp(env)) {
		kvs_test_exit = &env;
		t->ret = t->fn(t->arg);
	} else {
		/* An assertion ended it, maybe inside a section or holding a lock. */
		t->ret = -ECANCELED;
		kvs_test_thread_cleanup();
	}
	kvs_test_exit = NULL;
	if (reg)
		kvs_thread_unregister();
	return NULL;
}

struct kvs_test_thread *kvs_test_thread_run(int (*fn)(void *arg), void *arg,
					    unsigned int flags)
{
	struct kvs_test_thread *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->fn = fn;
	t->arg = arg;
	t->flags = flags;
	if (pthread_create(&t->tid, NULL, kvs_test_thread_main, t)) {
		free(t);
		return NULL;
	}
	return t;
}

int kvs_test_thread_join(struct kvs_test_thread *t)
{
	int ret;

	pthread_join(t->tid, NULL);
	ret = t->ret;
	free(t);
	return ret;
}

int kvs_test_thread_cleanup(void)
{
	struct __kvs_thread *t = &__kvs_self;
	int left = t->spin_depth + t->mutex_depth + t->rcu_depth;

	while (t->rcu_depth > 0)
		kvs_rcu_read_unlock();
	t->spin_depth = 0;
	t->mutex_depth = 0;
	return left;
}

unsigned int kvs_test_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned int)n : 1;
}

void kvs_test_yield(void)
{
	sched_yield();
}

void kvs_test_msleep(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

void kvs_test_cpu_relax(void)
{
	/* Threads may outnumber CPUs: spinning must let the others run. */
	sched_yield();
}

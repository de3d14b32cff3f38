/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvs_test.h - the shim that lets one test body run in both homes.
 *
 * Test bodies are written once against kvs_platform.h and this header, and
 * compiled into the cmocka program (tests/unit) and into the in-kernel
 * self-test module (tests/kmod). The homes differ only in the few functions
 * declared at the end (logging, test threads, sleeping), which each runner
 * implements.
 *
 * A failed KVS_TEST_* assertion logs file:line, marks the running test
 * failed ("not ok" in KTAP) and ends the thread's part in it at once, in both
 * homes: the test body (which each runner starts in a context it can leave:
 * setjmp() in user space, a kthread of its own in the kernel), or a thread
 * started with kvs_test_thread_run(), whose join then returns -ECANCELED.
 * So assertions work in helpers too. They must not be used in RCU callbacks
 * or with a lock held; there, and in critical sections, KVS_TEST_EXPECT()
 * records the failure and goes on.
 */
#ifndef _KVS_TEST_H
#define _KVS_TEST_H

#include "kvs_platform.h"

/* A test body: void kvs_test_<name>(void). */
#define KVS_TEST(name)		void kvs_test_##name(void)

/* Test flags */
#define KVS_TEST_SMP		0x1u	/* needs two CPUs running at once */

struct kvs_test_case {
	const char *name;
	void (*fn)(void);
	unsigned int flags;
};

/* An entry of a test table. */
#define KVS_TEST_CASE(n, fl)	{ .name = #n, .fn = kvs_test_##n, .flags = (fl) }

/* The list of every test, in kvs_tests.c; both runners walk it. */
extern const struct kvs_test_case kvs_test_cases[];
extern const unsigned int kvs_test_ncases;

/**
 * kvs_test_run_case() - run one test with the common setup and teardown
 * @tc: the test
 *
 * The teardown waits for RCU callbacks (kvs_rcu_barrier()), then checks that
 * no allocation is live and no warning fired, and disarms fault injection.
 *
 * Return: the number of failed checks, 0 if the test passed.
 */
int kvs_test_run_case(const struct kvs_test_case *tc);

/* Record a failure of the running test and log it. Any thread. */
void __kvs_test_fail(const char *file, int line, const char *fmt, ...)
	__printf(3, 4);

/*
 * Record a failure, log it and end the calling test thread (see above). Only
 * if called from elsewhere, it logs that and returns.
 */
void __kvs_test_abort(const char *file, int line, const char *fmt, ...)
	__printf(3, 4);

#define KVS_TEST_EXPECT(cond)						\
	({								\
		bool __kvs_ok = !!(cond);				\
									\
		if (unlikely(!__kvs_ok))				\
			__kvs_test_fail(__FILE__, __LINE__,		\
					"expected: %s", #cond);		\
		__kvs_ok;						\
	})

/* Record a failure and go on. */
#define KVS_TEST_FAIL(msg)	__kvs_test_fail(__FILE__, __LINE__, "%s", msg)

#define KVS_TEST_ASSERT(cond)						\
	do {								\
		if (unlikely(!(cond)))					\
			__kvs_test_abort(__FILE__, __LINE__,		\
					 "assertion failed: %s", #cond); \
	} while (0)

/* Integer comparisons, as signed 64-bit values. */
#define __KVS_TEST_CMP(a, op, b)					\
	do {								\
		long long __kvs_a = (long long)(a);			\
		long long __kvs_b = (long long)(b);			\
									\
		if (unlikely(!(__kvs_a op __kvs_b)))			\
			__kvs_test_abort(__FILE__, __LINE__,		\
					 "assertion failed: %s %s %s (%lld vs %lld)", \
					 #a, #op, #b, __kvs_a, __kvs_b); \
	} while (0)

#define KVS_TEST_EQ(a, b)	__KVS_TEST_CMP(a, ==, b)
#define KVS_TEST_NE(a, b)	__KVS_TEST_CMP(a, !=, b)
#define KVS_TEST_LT(a, b)	__KVS_TEST_CMP(a, <, b)
#define KVS_TEST_LE(a, b)	__KVS_TEST_CMP(a, <=, b)
#define KVS_TEST_GT(a, b)	__KVS_TEST_CMP(a, >, b)
#define KVS_TEST_GE(a, b)	__KVS_TEST_CMP(a, >=, b)
#define KVS_TEST_NULL(p)	KVS_TEST_ASSERT((p) == NULL)
#define KVS_TEST_NOT_NULL(p)	KVS_TEST_ASSERT((p) != NULL)

/*
 * Check that exactly @n warnings fired since the last reset, then reset:
 * for tests that break a rule on purpose.
 */
#define KVS_TEST_WARNED(n)						\
	do {								\
		unsigned long __kvs_n = kvs_warn_count();		\
									\
		kvs_warn_reset();					\
		KVS_TEST_EQ(__kvs_n, (n));				\
	} while (0)

/*
 * Wait until @v reads @val or @timeout_ms passes. kvs_test_wait_atomic()
 * never sleeps (for RCU sections and spinlock holders: the test then needs
 * KVS_TEST_SMP); kvs_test_wait_for() yields the CPU while it waits.
 * Return: true if @v reached @val.
 */
bool kvs_test_wait_atomic(kvs_atomic_t *v, int val, unsigned int timeout_ms);
bool kvs_test_wait_for(kvs_atomic_t *v, int val, unsigned int timeout_ms);

/* Busy-wait @ms milliseconds without sleeping (valid in an RCU section). */
void kvs_test_spin_ms(unsigned int ms);

/* ---- implemented by each runner ---------------------------------------- */

/*
 * Run a test body so that kvs_test_end() can leave it: user space with
 * setjmp() in the calling thread, the kernel in a kthread of its own.
 */
void kvs_test_run_body(void (*fn)(void));

/*
 * Leave the running body or kvs_test_thread_run() thread. Return: only when
 * the caller is neither (then there is nothing to leave).
 */
void kvs_test_end(void);

/* Log a diagnostic line ("# ..." in KTAP). */
void kvs_test_log(const char *fmt, ...) __printf(1, 2);
void kvs_test_vlog(const char *fmt, va_list ap) __printf(1, 0);

struct kvs_test_thread;

/* The thread does not call kvs_thread_register() (user space only). */
#define KVS_TEST_THREAD_UNREGISTERED	0x1u

/*
 * Start @fn(@arg) in a new thread (user space: a pthread registered with
 * RCU; kernel: a kthread). Return: a handle for kvs_test_thread_join(), or
 * NULL.
 */
struct kvs_test_thread *kvs_test_thread_run(int (*fn)(void *arg), void *arg,
					    unsigned int flags);

/*
 * Wait for the thread to finish and free the handle. Return: @fn's result,
 * or -ECANCELED if an assertion ended the thread.
 */
int kvs_test_thread_join(struct kvs_test_thread *t);

/*
 * After a test body returned: leave any RCU read section and forget any lock
 * the test left behind (user space), so one failed test cannot break the
 * next. Return: how many were left (0 in the kernel, which cannot tell).
 */
int kvs_test_thread_cleanup(void);

/* CPUs online. */
unsigned int kvs_test_ncpus(void);

/* Let other threads run; may sleep. */
void kvs_test_yield(void);

/* Sleep @ms milliseconds. */
void kvs_test_msleep(unsigned int ms);

/* Pause in a busy-wait loop; never sleeps (user space: yields the CPU). */
void kvs_test_cpu_relax(void);

#endif /* _KVS_TEST_H */

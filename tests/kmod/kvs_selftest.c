// SPDX-License-Identifier: GPL-2.0
/*
 * kvs_selftest.c - the in-kernel runner of the shared test bodies
 * (tests/common), compiled against the kernel home of the platform layer.
 *
 * Every test runs at module load; results go to the kernel log as KTAP
 * version 1, one printk per line starting with the KTAP text itself:
 *
 *	dmesg | sed -n 's/^\[[ 0-9.]*\] //p' | sed -n '/^KTAP version 1$/,/^# Totals/p'
 *
 * Init returns 0 whatever the results, so the module stays loaded until
 * rmmod; it exposes nothing else. KVS_TEST_SMP tests are reported as SKIP on
 * a single CPU.
 *
 * The module is one translation unit: it must be called kvs_selftest.ko,
 * and Kbuild cannot link a composite module named after one of its own
 * objects. So the platform layer's kernel home and the test bodies are
 * compiled in here, found through the include path that Kbuild sets; their
 * file-local names must stay distinct.
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/sched/task.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/cpumask.h>

/* kmod/core: the platform layer (kernel home + portable part) */
#include "kvs_platform_kernel.c"
#include "kvs_mem.c"
#include "kvs_siphash.c"
#include "kvs_hash.c"
#include "kvs_skiplist.c"
#include "kvs_clock.c"
#include "kvs_store.c"
#include "kvs_txn.c"

/* tests/common: the shared runner logic and test bodies */
#include "kvs_test.c"
#include "test_lock.c"
#include "test_alloc.c"
#include "test_account.c"
#include "test_rcu.c"
#include "test_work.c"
#include "test_hash.c"
#include "test_skiplist.c"
#include "test_clock.c"
#include "test_store.c"
#include "test_txn.c"
#include "test_txn_mt.c"

struct kvs_test_thread {
	struct task_struct *task;
	struct completion done;
	int (*fn)(void *arg);
	void *arg;
	int ret;
};

void kvs_test_vlog(const char *fmt, va_list ap)
{
	struct va_format vaf;
	va_list aq;

	va_copy(aq, ap);
	vaf.fmt = fmt;
	vaf.va = &aq;
	pr_info("# %pV\n", &vaf);
	va_end(aq);
}

void kvs_test_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvs_test_vlog(fmt, ap);
	va_end(ap);
}

/*
 * Runs the test's function, then stays until kvs_test_thread_join() stops
 * it. kvs_test_end() may instead end it early with kthread_complete_and_exit(),
 * which is why the handle holds a reference on the task.
 */
static int kvs_test_kthread(void *data)
{
	struct kvs_test_thread *t = data;

	t->ret = t->fn(t->arg);
	complete(&t->done);

	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

struct kvs_test_thread *kvs_test_thread_run(int (*fn)(void *arg), void *arg,
					    unsigned int flags)
{
	static atomic_t seq = ATOMIC_INIT(0);
	struct kvs_test_thread *t;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return NULL;
	t->fn = fn;
	t->arg = arg;
	init_completion(&t->done);
	t->task = kthread_create(kvs_test_kthread, t, "kvs_test/%d",
				 atomic_inc_return(&seq));
	if (IS_ERR(t->task)) {
		kfree(t);
		return NULL;
	}
	get_task_struct(t->task);
	wake_up_process(t->task);
	return t;
}

int kvs_test_thread_join(struct kvs_test_thread *t)
{
	int ret;

	wait_for_completion(&t->done);
	kthread_stop(t->task);
	put_task_struct(t->task);
	ret = t->ret;
	kfree(t);
	return ret;
}

void kvs_test_end(void)
{
	struct kvs_test_thread *t;

	if (kthread_func(current) != kvs_test_kthread)
		return;
	t = kthread_data(current);
	t->ret = -ECANCELED;
	kthread_complete_and_exit(&t->done, 0);
}

struct kvs_test_body {
	void (*fn)(void);
};

static int kvs_test_body_fn(void *arg)
{
	struct kvs_test_body *body = arg;

	body->fn();
	return 0;
}

/* Each body runs in a kthread of its own, which an assertion can end. */
void kvs_test_run_body(void (*fn)(void))
{
	struct kvs_test_body body = { .fn = fn };
	struct kvs_test_thread *t;

	t = kvs_test_thread_run(kvs_test_body_fn, &body, 0);
	if (!t) {
		__kvs_test_fail(__FILE__, __LINE__, "no kthread for the test");
		return;
	}
	kvs_test_thread_join(t);
}

/* A test that returns holding a lock is a bug lockdep reports by itself. */
int kvs_test_thread_cleanup(void)
{
	return 0;
}

unsigned int kvs_test_ncpus(void)
{
	return num_online_cpus();
}

void kvs_test_yield(void)
{
	cond_resched();
}

void kvs_test_msleep(unsigned int ms)
{
	msleep(ms);
}

void kvs_test_cpu_relax(void)
{
	cpu_relax();
}

static const char *kvs_selftest_skip(const struct kvs_test_case *tc)
{
	if ((tc->flags & KVS_TEST_SMP) && num_online_cpus() < 2)
		return "needs 2 CPUs";
	return NULL;
}

static int __init kvs_selftest_init(void)
{
	unsigned int i, pass = 0, fail = 0, skip = 0;

	pr_info("KTAP version 1\n");
	pr_info("1..%u\n", kvs_test_ncases);
	for (i = 0; i < kvs_test_ncases; i++) {
		const struct kvs_test_case *tc = &kvs_test_cases[i];
		const char *why = kvs_selftest_skip(tc);

		if (why) {
			pr_info("ok %u %s # SKIP %s\n", i + 1, tc->name, why);
			skip++;
		} else if (kvs_test_run_case(tc)) {
			pr_info("not ok %u %s\n", i + 1, tc->name);
			fail++;
		} else {
			pr_info("ok %u %s\n", i + 1, tc->name);
			pass++;
		}
	}
	pr_info("# Totals: pass:%u fail:%u xfail:0 xpass:0 skip:%u error:0\n",
		pass, fail, skip);
	return 0;
}

static void __exit kvs_selftest_exit(void)
{
	/* The RCU trampoline lives in this module. */
	kvs_rcu_barrier();
}

module_init(kvs_selftest_init);
module_exit(kvs_selftest_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kvstore platform layer self-test (KTAP in the kernel log)");

// SPDX-License-Identifier: GPL-2.0
/*
 * test_work.c - deferred work (struct kvs_work): it runs later, in another
 * thread, may sleep, never runs concurrently with itself, is queued once
 * while pending, and can be flushed and cancelled; queueing is valid from
 * an RCU read section, under a spinlock and from an RCU callback (softirq
 * context in the kernel). Work items and rcu heads live on the heap: the
 * debug kernel's object debugging wants on-stack ones annotated.
 */
#include "kvs_tests.h"

struct wtest {
	struct kvs_work work;
	kvs_mutex_t mutex;	/* the work takes it: it may sleep */
	kvs_atomic_t runs;	/* runs finished */
	kvs_atomic_t running;	/* runs in progress (never above 1) */
	kvs_atomic_t overlap;	/* times running went above 1 */
	kvs_atomic_t gate;	/* 1: a run waits until it is 0 */
	kvs_atomic_t entered;	/* runs started */
};

static void wtest_fn(struct kvs_work *w)
{
	struct wtest *t = container_of(w, struct wtest, work);

	if (kvs_atomic_inc_return(&t->running) > 1)
		kvs_atomic_inc(&t->overlap);
	kvs_atomic_inc(&t->entered);
	kvs_mutex_lock(&t->mutex);
	kvs_test_msleep(1);
	kvs_mutex_unlock(&t->mutex);
	/* Held here by the test: the test thread goes on meanwhile. */
	kvs_test_wait_for(&t->gate, 0, 10000);
	kvs_atomic_dec(&t->running);
	kvs_atomic_inc(&t->runs);
}

static void wtest_init(struct wtest *t)
{
	kvs_work_init(&t->work, wtest_fn);
	kvs_mutex_init(&t->mutex);
	kvs_atomic_set(&t->runs, 0);
	kvs_atomic_set(&t->running, 0);
	kvs_atomic_set(&t->overlap, 0);
	kvs_atomic_set(&t->gate, 0);
	kvs_atomic_set(&t->entered, 0);
}

static int wtest_open_gate(void *arg)
{
	struct wtest *t = arg;

	kvs_test_msleep(50);
	kvs_atomic_set(&t->gate, 0);
	return 0;
}

KVS_TEST(work_queue_flush_cancel)
{
	struct kvs_test_thread *th;
	struct wtest *t;

	t = kvs_zalloc(sizeof(*t), KVS_GFP_KERNEL);
	KVS_TEST_NOT_NULL(t);
	wtest_init(t);
	/* Idle: nothing to flush or cancel. */
	KVS_TEST_EQ(kvs_work_flush(&t->work), false);
	KVS_TEST_EQ(kvs_work_cancel_sync(&t->work), false);

	KVS_TEST_EQ(kvs_work_queue(&t->work), true);
	kvs_work_flush(&t->work);
	KVS_TEST_EQ(kvs_atomic_read(&t->runs), 1);

	/* A run held at the gate: the test goes on while it is running. */
	kvs_atomic_set(&t->gate, 1);
	KVS_TEST_EQ(kvs_work_queue(&t->work), true);
	KVS_TEST_ASSERT(kvs_test_wait_for(&t->entered, 2, 10000));
	KVS_TEST_EQ(kvs_atomic_read(&t->runs), 1);
	/* Running, not pending: queued again, once. */
	KVS_TEST_EQ(kvs_work_queue(&t->work), true);
	KVS_TEST_EQ(kvs_work_queue(&t->work), false);
	kvs_atomic_set(&t->gate, 0);
	KVS_TEST_EQ(kvs_work_flush(&t->work), true);
	KVS_TEST_EQ(kvs_atomic_read(&t->runs), 3);

	/* Cancel a pending run behind a running one: only the first runs. */
	kvs_atomic_set(&t->gate, 1);
	KVS_TEST_EQ(kvs_work_queue(&t->work), true);
	KVS_TEST_ASSERT(kvs_test_wait_for(&t->entered, 4, 10000));
	KVS_TEST_EQ(kvs_work_queue(&t->work), true);
	th = kvs_test_thread_run(wtest_open_gate, t, 0);
	KVS_TEST_NOT_NULL(th);
	KVS_TEST_EQ(kvs_work_cancel_sync(&t->work), true);
	/* cancel_sync waited for the running one, which needed the gate. */
	KVS_TEST_EQ(kvs_atomic_read(&t->runs), 4);
	KVS_TEST_EQ(kvs_test_thread_join(th), 0);
	kvs_test_msleep(20);
	KVS_TEST_EQ(kvs_atomic_read(&t->runs), 4);
	KVS_TEST_EQ(kvs_atomic_read(&t->overlap), 0);
	KVS_TEST_EQ(kvs_work_flush(&t->work), false);
	kvs_mutex_destroy(&t->mutex);
	kvs_free(t);
}

struct wcb {
	struct kvs_rcu_head rcu;
	struct wtest *t;
	kvs_atomic_t queued;
};

static void wcb_fn(struct kvs_rcu_head *head)
{
	struct wcb *c = container_of(head, struct wcb, rcu);

	kvs_work_queue(&c->t->work);
	kvs_atomic_inc(&c->queued);
}

KVS_TEST(work_queue_atomic_contexts)
{
	kvs_spinlock_t lock;
	struct wtest *t;
	struct wcb *cb;
	int runs = 0;

	t = kvs_zalloc(sizeof(*t), KVS_GFP_KERNEL);
	cb = kvs_zalloc(sizeof(*cb), KVS_GFP_KERNEL);
	if (!t || !cb) {
		kvs_free(t);
		kvs_free(cb);
		KVS_TEST_ASSERT(t && cb);
	}
	wtest_init(t);
	kvs_spin_lock_init(&lock);

	kvs_rcu_read_lock();
	KVS_TEST_EXPECT(kvs_work_queue(&t->work));
	kvs_rcu_read_unlock();
	kvs_work_flush(&t->work);
	KVS_TEST_EQ(kvs_atomic_read(&t->runs), ++runs);

	kvs_spin_lock_bh(&lock);
	KVS_TEST_EXPECT(kvs_work_queue(&t->work));
	kvs_spin_unlock_bh(&lock);
	kvs_work_flush(&t->work);
	KVS_TEST_EQ(kvs_atomic_read(&t->runs), ++runs);

	kvs_spin_lock(&lock);
	KVS_TEST_EXPECT(kvs_work_queue(&t->work));
	kvs_spin_unlock(&lock);
	kvs_work_flush(&t->work);
	KVS_TEST_EQ(kvs_atomic_read(&t->runs), ++runs);

	/* From an RCU callback: softirq context in the kernel. */
	cb->t = t;
	kvs_call_rcu(&cb->rcu, wcb_fn);
	kvs_rcu_barrier();
	KVS_TEST_EQ(kvs_atomic_read(&cb->queued), 1);
	kvs_work_flush(&t->work);
	KVS_TEST_EQ(kvs_atomic_read(&t->runs), ++runs);
	KVS_TEST_EQ(kvs_atomic_read(&t->overlap), 0);
	kvs_mutex_destroy(&t->mutex);
	kvs_free(cb);
	kvs_free(t);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * test_lock.c - locks and their "is held" checks, seen from the owner and
 * from another thread, and the atomics. A trylock that succeeds is always
 * unlocked in the same block, so sparse can follow the lock context.
 * (Misuse that must be detected is tested in tests/unit/test_checks.c.)
 */
#include "kvs_tests.h"

/* Shared with a second thread; the flag sequences the two. */
struct lock_probe {
	kvs_spinlock_t *spin;
	kvs_mutex_t *mutex;
	kvs_atomic_t step;
	int held;		/* is_held() as the other thread saw it */
	int trylock;		/* trylock() result in the other thread */
	int trylock_after;	/* trylock() once the owner released it */
};

KVS_TEST(spin_owner)
{
	kvs_spinlock_t l;

	kvs_spin_lock_init(&l);
	if (KVS_HELD_CHECKS_EXACT)
		KVS_TEST_ASSERT(!kvs_spin_is_held(&l));

	kvs_spin_lock(&l);
	KVS_TEST_EXPECT(kvs_spin_is_held(&l));
	kvs_spin_assert_held(&l);
	kvs_assert_held(&l);
	/* Trying a lock one holds fails, quietly, as in the kernel. */
	if (kvs_spin_trylock(&l)) {
		KVS_TEST_FAIL("trylock of a spinlock we hold succeeded");
		kvs_spin_unlock(&l);
	}
	kvs_spin_unlock(&l);
	if (KVS_HELD_CHECKS_EXACT)
		KVS_TEST_ASSERT(!kvs_spin_is_held(&l));

	if (kvs_spin_trylock(&l)) {
		KVS_TEST_EXPECT(kvs_spin_is_held(&l));
		kvs_spin_unlock(&l);
	} else {
		KVS_TEST_FAIL("trylock of a free spinlock failed");
	}

	kvs_spin_lock_bh(&l);
	KVS_TEST_EXPECT(kvs_spin_is_held(&l));
	kvs_spin_unlock_bh(&l);
	KVS_TEST_WARNED(0);
}

static int spin_probe_thread(void *arg)
{
	struct lock_probe *p = arg;

	if (!kvs_test_wait_for(&p->step, 1, 10000))
		return -1;
	p->held = kvs_spin_is_held(p->spin);
	if (kvs_spin_trylock(p->spin)) {
		p->trylock = 1;
		kvs_spin_unlock(p->spin);
	}
	kvs_atomic_set(&p->step, 2);
	if (!kvs_test_wait_for(&p->step, 3, 10000))
		return -1;
	if (kvs_spin_trylock(p->spin)) {
		p->trylock_after = 1;
		kvs_spin_unlock(p->spin);
	}
	return 0;
}

KVS_TEST(spin_other_thread)
{
	struct lock_probe p = { .step = KVS_ATOMIC_INIT(0) };
	struct kvs_test_thread *t;
	kvs_spinlock_t l;

	kvs_spin_lock_init(&l);
	p.spin = &l;
	t = kvs_test_thread_run(spin_probe_thread, &p, 0);
	KVS_TEST_NOT_NULL(t);

	kvs_spin_lock(&l);
	kvs_atomic_set(&p.step, 1);
	KVS_TEST_EXPECT(kvs_test_wait_atomic(&p.step, 2, 10000));
	KVS_TEST_EXPECT(kvs_spin_is_held(&l));
	kvs_spin_unlock(&l);
	kvs_atomic_set(&p.step, 3);
	KVS_TEST_EQ(kvs_test_thread_join(t), 0);

	if (KVS_HELD_CHECKS_EXACT)
		KVS_TEST_EQ(p.held, 0);
	KVS_TEST_EQ(p.trylock, 0);
	KVS_TEST_EQ(p.trylock_after, 1);
	if (KVS_HELD_CHECKS_EXACT)
		KVS_TEST_ASSERT(!kvs_spin_is_held(&l));
}

static int mutex_probe_thread(void *arg)
{
	struct lock_probe *p = arg;

	if (!kvs_test_wait_for(&p->step, 1, 10000))
		return -1;
	p->held = kvs_mutex_is_held(p->mutex);
	if (kvs_mutex_trylock(p->mutex)) {
		p->trylock = 1;
		kvs_mutex_unlock(p->mutex);
	}
	kvs_atomic_set(&p->step, 2);
	if (!kvs_test_wait_for(&p->step, 3, 10000))
		return -1;
	/* Blocks until the owner releases it. */
	kvs_mutex_lock(p->mutex);
	p->trylock_after = kvs_mutex_is_held(p->mutex);
	kvs_mutex_unlock(p->mutex);
	return 0;
}

KVS_TEST(mutex_owner)
{
	struct lock_probe p = { .step = KVS_ATOMIC_INIT(0) };
	struct kvs_test_thread *t;
	kvs_mutex_t m;

	kvs_mutex_init(&m);
	p.mutex = &m;
	if (KVS_HELD_CHECKS_EXACT)
		KVS_TEST_ASSERT(!kvs_mutex_is_held(&m));
	t = kvs_test_thread_run(mutex_probe_thread, &p, 0);
	KVS_TEST_NOT_NULL(t);

	kvs_mutex_lock(&m);
	KVS_TEST_EXPECT(kvs_mutex_is_held(&m));
	kvs_mutex_assert_held(&m);
	kvs_assert_held(&m);
	if (kvs_mutex_trylock(&m)) {
		KVS_TEST_FAIL("trylock of a mutex we hold succeeded");
		kvs_mutex_unlock(&m);
	}
	kvs_atomic_set(&p.step, 1);
	KVS_TEST_EXPECT(kvs_test_wait_for(&p.step, 2, 10000));
	kvs_atomic_set(&p.step, 3);
	kvs_test_msleep(10);	/* let the thread block on the mutex */
	kvs_mutex_unlock(&m);
	KVS_TEST_EQ(kvs_test_thread_join(t), 0);

	if (KVS_HELD_CHECKS_EXACT)
		KVS_TEST_EQ(p.held, 0);
	KVS_TEST_EQ(p.trylock, 0);
	KVS_TEST_EQ(p.trylock_after, 1);
	if (kvs_mutex_trylock(&m))
		kvs_mutex_unlock(&m);
	else
		KVS_TEST_FAIL("trylock of a free mutex failed");
	kvs_mutex_destroy(&m);
	KVS_TEST_WARNED(0);
}

KVS_TEST(atomics)
{
	kvs_atomic_t a = KVS_ATOMIC_INIT(5);
	kvs_atomic64_t b = KVS_ATOMIC_INIT(1LL << 40);
	s64 old64 = 0;
	int old = 0;
	u32 x = 0;

	KVS_TEST_EQ(kvs_atomic_read(&a), 5);
	kvs_atomic_inc(&a);
	kvs_atomic_add(4, &a);
	kvs_atomic_dec(&a);
	kvs_atomic_sub(2, &a);
	KVS_TEST_EQ(kvs_atomic_read(&a), 7);
	KVS_TEST_EQ(kvs_atomic_add_return(3, &a), 10);
	KVS_TEST_EQ(kvs_atomic_sub_return(4, &a), 6);
	KVS_TEST_EQ(kvs_atomic_inc_return(&a), 7);
	KVS_TEST_EQ(kvs_atomic_dec_return(&a), 6);
	KVS_TEST_EQ(kvs_atomic_cmpxchg(&a, 5, 9), 6);	/* fails */
	KVS_TEST_EQ(kvs_atomic_cmpxchg(&a, 6, 1), 6);	/* succeeds */
	KVS_TEST_ASSERT(!kvs_atomic_try_cmpxchg(&a, &old, 3));
	KVS_TEST_EQ(old, 1);
	KVS_TEST_ASSERT(kvs_atomic_try_cmpxchg(&a, &old, 3));
	kvs_atomic_set(&a, 2);
	KVS_TEST_ASSERT(!kvs_atomic_dec_and_test(&a));
	KVS_TEST_ASSERT(kvs_atomic_dec_and_test(&a));

	KVS_TEST_EQ(kvs_atomic64_add_return(1, &b), (1LL << 40) + 1);
	KVS_TEST_EQ(kvs_atomic64_sub_return(2, &b), (1LL << 40) - 1);
	kvs_atomic64_inc(&b);
	kvs_atomic64_dec(&b);
	kvs_atomic64_add(1, &b);
	kvs_atomic64_sub(1, &b);
	KVS_TEST_EQ(kvs_atomic64_inc_return(&b), 1LL << 40);
	KVS_TEST_EQ(kvs_atomic64_dec_return(&b), (1LL << 40) - 1);
	KVS_TEST_EQ(kvs_atomic64_cmpxchg(&b, 0, 5), (1LL << 40) - 1);
	KVS_TEST_ASSERT(!kvs_atomic64_try_cmpxchg(&b, &old64, 1));
	KVS_TEST_EQ(old64, (1LL << 40) - 1);
	KVS_TEST_ASSERT(kvs_atomic64_try_cmpxchg(&b, &old64, 1));
	KVS_TEST_ASSERT(kvs_atomic64_dec_and_test(&b));
	kvs_atomic64_set(&b, -3);
	KVS_TEST_EQ(kvs_atomic64_read(&b), -3);

	KVS_WRITE_ONCE(x, 41);
	KVS_TEST_EQ(KVS_READ_ONCE(x), 41);
	kvs_smp_store_release(&x, 42);
	kvs_smp_mb();
	kvs_smp_rmb();
	kvs_smp_wmb();
	KVS_TEST_EQ(kvs_smp_load_acquire(&x), 42);
	KVS_TEST_EQ(min(3, 4), 3);
	KVS_TEST_EQ(max_t(u64, 3, 4), 4);
	KVS_TEST_GT(kvs_ktime_ns(), 0);
}

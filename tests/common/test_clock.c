// SPDX-License-Identifier: GPL-2.0
/*
 * test_clock.c - commit timestamps and the visible watermark: visible never
 * passes a commit that has not finished, even when commits finish out of
 * order, and reaches every finished one.
 */
#include "kvs_tests.h"
#include "kvs_clock.h"

KVS_TEST(clock_out_of_order)
{
	struct kvs_clock c;
	u64 a, b, d;

	KVS_TEST_EQ(kvs_clock_init(&c, KVS_GFP_KERNEL), 0);
	KVS_TEST_EQ(kvs_clock_visible(&c), 0);

	kvs_nosleep_enter();
	a = kvs_clock_begin(&c);
	b = kvs_clock_begin(&c);
	d = kvs_clock_begin(&c);
	kvs_nosleep_exit();
	KVS_TEST_EQ(a, 1);
	KVS_TEST_EQ(b, 2);
	KVS_TEST_EQ(d, 3);

	kvs_nosleep_enter();
	kvs_clock_end(&c, b);
	kvs_nosleep_exit();
	KVS_TEST_EQ(kvs_clock_visible(&c), 0);	/* 1 is still installing */

	kvs_nosleep_enter();
	kvs_clock_end(&c, a);
	kvs_nosleep_exit();
	KVS_TEST_EQ(kvs_clock_visible(&c), 2);	/* 1 and 2, not 3 */

	kvs_nosleep_enter();
	kvs_clock_end(&c, d);
	kvs_nosleep_exit();
	KVS_TEST_EQ(kvs_clock_visible(&c), 3);
	kvs_clock_wait_visible(&c, 3);
	kvs_clock_destroy(&c);
}

/* A full ring: KVS_CLOCK_SLOTS - 1 commits in flight, then all finish. */
KVS_TEST(clock_ring_wrap)
{
	struct kvs_clock c;
	u64 ts, i, lap;

	KVS_TEST_EQ(kvs_clock_init(&c, KVS_GFP_KERNEL), 0);
	for (lap = 0; lap < 3; lap++) {
		u64 base = kvs_clock_visible(&c);

		for (i = 1; i < KVS_CLOCK_SLOTS; i++) {
			kvs_nosleep_enter();
			ts = kvs_clock_begin(&c);
			kvs_nosleep_exit();
			KVS_TEST_EQ(ts, base + i);
		}
		/* Finish them newest first: visible moves only at the end. */
		for (i = KVS_CLOCK_SLOTS - 1; i >= 2; i--) {
			kvs_nosleep_enter();
			kvs_clock_end(&c, base + i);
			kvs_nosleep_exit();
		}
		KVS_TEST_EQ(kvs_clock_visible(&c), base);
		kvs_nosleep_enter();
		kvs_clock_end(&c, base + 1);
		kvs_nosleep_exit();
		KVS_TEST_EQ(kvs_clock_visible(&c), base + KVS_CLOCK_SLOTS - 1);
	}
	kvs_clock_destroy(&c);
}

#define CLOCK_LOG	16384	/* > KVS_CLOCK_SLOTS, a power of two */

/* Commits per committer thread: a fixed amount of work, not a time. */
#define CLOCK_COMMITS	3000

struct clock_stress {
	struct kvs_clock clock;
	kvs_atomic64_t installed[CLOCK_LOG];	/* slot ts % CLOCK_LOG holds ts */
	kvs_atomic_t running;	/* committers not finished */
	kvs_atomic64_t commits;
	kvs_atomic64_t checks;
	kvs_atomic64_t early;	/* visible passed an unfinished commit */
};

static int clock_committer(void *arg)
{
	struct clock_stress *s = arg;
	unsigned int i;

	for (i = 0; i < CLOCK_COMMITS; i++) {
		u32 delay = kvs_random_u32() % 64;
		u64 ts;

		kvs_nosleep_enter();
		ts = kvs_clock_begin(&s->clock);
		/* An install that takes a while, during which others finish. */
		while (delay--)
			kvs_cpu_relax();
		kvs_atomic64_set_release(&s->installed[ts % CLOCK_LOG], (s64)ts);
		kvs_clock_end(&s->clock, ts);
		kvs_nosleep_exit();
		kvs_clock_wait_visible(&s->clock, ts);
		if (kvs_clock_visible(&s->clock) < ts)
			kvs_atomic64_inc(&s->early);
		kvs_atomic64_inc(&s->commits);
		/* Non-preemptible kernels: let the readers run. */
		kvs_cond_resched();
	}
	kvs_atomic_dec(&s->running);
	return 0;
}

static int clock_reader(void *arg)
{
	struct clock_stress *s = arg;

	while (kvs_atomic_read(&s->running)) {
		u64 v = kvs_clock_visible(&s->clock);
		u64 t, lo = v > 64 ? v - 64 : 1;

		/* Every commit at or below visible has installed. */
		for (t = lo; t <= v; t++) {
			u64 got = (u64)kvs_atomic64_read(&s->installed[t % CLOCK_LOG]);

			if (got < t || (got - t) % CLOCK_LOG)
				kvs_atomic64_inc(&s->early);
		}
		kvs_atomic64_inc(&s->checks);
		kvs_cond_resched();
	}
	return 0;
}

KVS_TEST(clock_stress_visibility)
{
	struct kvs_test_thread *t[4];
	struct clock_stress *s;
	unsigned int i;

	s = kvs_kvzalloc(sizeof(*s), KVS_GFP_KERNEL);
	KVS_TEST_NOT_NULL(s);
	KVS_TEST_EQ(kvs_clock_init(&s->clock, KVS_GFP_KERNEL), 0);
	kvs_atomic_set(&s->running, 3);
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		t[i] = kvs_test_thread_run(i < 3 ? clock_committer : clock_reader, s, 0);
		if (!KVS_TEST_EXPECT(t[i]) && i < 3)
			kvs_atomic_dec(&s->running);
	}
	for (i = 0; i < ARRAY_SIZE(t); i++)
		if (t[i])
			KVS_TEST_EXPECT(kvs_test_thread_join(t[i]) == 0);

	kvs_test_log("clock stress: %lld commits, %lld reader checks",
		     (long long)kvs_atomic64_read(&s->commits),
		     (long long)kvs_atomic64_read(&s->checks));
	KVS_TEST_EXPECT(kvs_atomic64_read(&s->early) == 0);
	KVS_TEST_EXPECT(kvs_atomic64_read(&s->commits) == 3 * CLOCK_COMMITS);
	KVS_TEST_EXPECT(kvs_clock_visible(&s->clock) ==
			(u64)kvs_atomic64_read(&s->clock.last));
	kvs_clock_destroy(&s->clock);
	kvs_kvfree(s);
}

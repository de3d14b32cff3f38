// SPDX-License-Identifier: GPL-2.0
/*
 * test_account.c - hierarchical memory accounting: limits, all-or-nothing
 * charges across levels, and a threaded stress that checks no level ever
 * goes over its limit.
 */
#include "kvs_tests.h"

KVS_TEST(account_charge_uncharge)
{
	struct kvs_mem_account a, unl;

	kvs_mem_account_init(&a, 100, NULL);
	KVS_TEST_EQ(kvs_mem_used(&a), 0);
	KVS_TEST_EQ(kvs_mem_charge(&a, 60), 0);
	KVS_TEST_EQ(kvs_mem_used(&a), 60);
	KVS_TEST_EQ(kvs_mem_charge(&a, 41), -ENOSPC);
	KVS_TEST_EQ(kvs_mem_used(&a), 60);
	KVS_TEST_EQ(kvs_mem_charge(&a, 40), 0);	/* exactly the limit */
	KVS_TEST_EQ(kvs_mem_used(&a), 100);
	KVS_TEST_EQ(kvs_mem_charge(&a, 1), -ENOSPC);
	KVS_TEST_EQ(kvs_mem_charge(&a, 0), 0);
	kvs_mem_uncharge(&a, 30);
	KVS_TEST_EQ(kvs_mem_used(&a), 70);

	/* A lower limit only blocks new charges. */
	kvs_mem_account_set_limit(&a, 50);
	KVS_TEST_EQ(kvs_mem_charge(&a, 1), -ENOSPC);
	KVS_TEST_EQ(kvs_mem_used(&a), 70);
	kvs_mem_uncharge(&a, 70);
	KVS_TEST_EQ(kvs_mem_charge(&a, 50), 0);
	kvs_mem_uncharge(&a, 50);
	KVS_TEST_EQ(kvs_mem_used(&a), 0);

	/* Limit 0: unlimited, but never wraps. */
	kvs_mem_account_init(&unl, 0, NULL);
	KVS_TEST_EQ(kvs_mem_charge(&unl, 1ULL << 50), 0);
	KVS_TEST_EQ(kvs_mem_charge(&unl, 1ULL << 50), 0);
	KVS_TEST_EQ(kvs_mem_charge(&unl, U64_MAX), -ENOSPC);
	KVS_TEST_EQ(kvs_mem_used(&unl), 1ULL << 51);
	kvs_mem_uncharge(&unl, 1ULL << 51);
	KVS_TEST_EQ(kvs_mem_used(&unl), 0);
	KVS_TEST_WARNED(0);
}

KVS_TEST(account_nested_all_or_nothing)
{
	struct kvs_mem_account store, a, b, leaf;

	kvs_mem_account_init(&store, 100, NULL);
	kvs_mem_account_init(&a, 80, &store);
	kvs_mem_account_init(&b, 0, &store);

	KVS_TEST_EQ(kvs_mem_charge(&a, 70), 0);
	KVS_TEST_EQ(kvs_mem_used(&a), 70);
	KVS_TEST_EQ(kvs_mem_used(&store), 70);

	/* Child limit hit: the parent is not charged. */
	KVS_TEST_EQ(kvs_mem_charge(&a, 20), -ENOSPC);
	KVS_TEST_EQ(kvs_mem_used(&a), 70);
	KVS_TEST_EQ(kvs_mem_used(&store), 70);

	/* Parent limit hit: the child's charge is undone. */
	KVS_TEST_EQ(kvs_mem_charge(&b, 40), -ENOSPC);
	KVS_TEST_EQ(kvs_mem_used(&b), 0);
	KVS_TEST_EQ(kvs_mem_used(&store), 70);
	KVS_TEST_EQ(kvs_mem_charge(&b, 30), 0);
	KVS_TEST_EQ(kvs_mem_used(&store), 100);
	KVS_TEST_EQ(kvs_mem_charge(&a, 1), -ENOSPC);
	KVS_TEST_EQ(kvs_mem_used(&a), 70);

	kvs_mem_uncharge(&a, 70);
	KVS_TEST_EQ(kvs_mem_used(&store), 30);
	kvs_mem_uncharge(&b, 30);
	KVS_TEST_EQ(kvs_mem_used(&store), 0);

	/* Three levels: the top refuses, two levels below are undone. */
	kvs_mem_account_init(&store, 50, NULL);
	kvs_mem_account_init(&a, 0, &store);
	kvs_mem_account_init(&leaf, 100, &a);
	KVS_TEST_EQ(kvs_mem_charge(&leaf, 60), -ENOSPC);
	KVS_TEST_EQ(kvs_mem_used(&leaf), 0);
	KVS_TEST_EQ(kvs_mem_used(&a), 0);
	KVS_TEST_EQ(kvs_mem_used(&store), 0);
	KVS_TEST_EQ(kvs_mem_charge(&leaf, 50), 0);
	KVS_TEST_EQ(kvs_mem_used(&leaf), 50);
	KVS_TEST_EQ(kvs_mem_used(&a), 50);
	KVS_TEST_EQ(kvs_mem_used(&store), 50);
	kvs_mem_uncharge(&leaf, 50);
	KVS_TEST_EQ(kvs_mem_used(&store), 0);
	KVS_TEST_WARNED(0);
}

#define ACCT_THREADS	4
#define ACCT_MS		300	/* charge for this long... */
#define ACCT_MIN_ITERS	20000	/* ...and at least this often per thread */
#define ACCT_HOLD	8	/* charges each thread keeps outstanding */
#define ACCT_STORE_LIMIT 700
#define ACCT_TABLE_LIMIT 400

struct acct_stress {
	struct kvs_mem_account store;
	struct kvs_mem_account table[2];
	kvs_atomic_t start;
	kvs_atomic_t running;	/* workers not finished yet */
	long samples;		/* taken by the observer */
	long over;		/* observer saw a level above its limit */
};

struct acct_worker {
	struct acct_stress *s;
	struct kvs_mem_account *acct;
	u32 seed;
	long charged;		/* successful charges */
	long refused;		/* -ENOSPC */
	long over;		/* a level seen above its limit */
	long bad;		/* any other return value */
};

static u32 acct_rand(u32 *state)
{
	u32 x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

static void acct_check_limits(struct acct_worker *w)
{
	if (kvs_mem_used(w->acct) > ACCT_TABLE_LIMIT ||
	    kvs_mem_used(&w->s->store) > ACCT_STORE_LIMIT)
		w->over++;
}

static int acct_worker_fn(void *arg)
{
	struct acct_worker *w = arg;
	u64 held[ACCT_HOLD] = { 0 };
	unsigned int i, slot;
	u64 end;
	int ret;

	if (!kvs_test_wait_for(&w->s->start, 1, 10000))
		return -1;
	end = kvs_ktime_ns() + ACCT_MS * 1000000ULL;
	for (i = 0; i < ACCT_MIN_ITERS || kvs_ktime_ns() < end; i++) {
		slot = i % ACCT_HOLD;
		if (held[slot]) {
			kvs_mem_uncharge(w->acct, held[slot]);
			held[slot] = 0;
		}
		held[slot] = 1 + acct_rand(&w->seed) % 64;
		ret = kvs_mem_charge(w->acct, held[slot]);
		if (ret) {
			if (ret == -ENOSPC)
				w->refused++;
			else
				w->bad++;
			held[slot] = 0;
		} else {
			w->charged++;
		}
		acct_check_limits(w);
		if (!(i % 256))
			kvs_test_yield();
	}
	for (slot = 0; slot < ACCT_HOLD; slot++)
		kvs_mem_uncharge(w->acct, held[slot]);
	kvs_atomic_dec(&w->s->running);
	return 0;
}

/* Samples every level while the workers run, to catch a passing overshoot. */
static int acct_observer_fn(void *arg)
{
	struct acct_stress *s = arg;

	if (!kvs_test_wait_for(&s->start, 1, 10000))
		return -1;
	while (kvs_atomic_read(&s->running)) {
		if (kvs_mem_used(&s->store) > ACCT_STORE_LIMIT ||
		    kvs_mem_used(&s->table[0]) > ACCT_TABLE_LIMIT ||
		    kvs_mem_used(&s->table[1]) > ACCT_TABLE_LIMIT)
			s->over++;
		if (!(++s->samples % 1024))
			kvs_test_yield();
	}
	return 0;
}

KVS_TEST(account_threaded_limit)
{
	struct acct_worker w[ACCT_THREADS] = { };
	struct kvs_test_thread *t[ACCT_THREADS], *obs;
	struct acct_stress s = { };
	long charged = 0, refused = 0;
	int i, started = 0;

	kvs_atomic_set(&s.start, 0);
	kvs_atomic_set(&s.running, ACCT_THREADS);
	kvs_mem_account_init(&s.store, ACCT_STORE_LIMIT, NULL);
	kvs_mem_account_init(&s.table[0], ACCT_TABLE_LIMIT, &s.store);
	kvs_mem_account_init(&s.table[1], ACCT_TABLE_LIMIT, &s.store);

	for (i = 0; i < ACCT_THREADS; i++) {
		w[i].s = &s;
		w[i].acct = &s.table[i % 2];
		w[i].seed = 2463534242u + i * 7919;
		t[i] = kvs_test_thread_run(acct_worker_fn, &w[i], 0);
		if (!KVS_TEST_EXPECT(t[i]))
			break;
		started++;
	}
	kvs_atomic_sub(ACCT_THREADS - started, &s.running);
	obs = kvs_test_thread_run(acct_observer_fn, &s, 0);
	KVS_TEST_EXPECT(obs);
	kvs_atomic_set(&s.start, 1);
	for (i = 0; i < started; i++)
		KVS_TEST_EXPECT(kvs_test_thread_join(t[i]) == 0);
	if (obs)
		KVS_TEST_EXPECT(kvs_test_thread_join(obs) == 0);
	KVS_TEST_EQ(started, ACCT_THREADS);
	KVS_TEST_NOT_NULL(obs);
	KVS_TEST_EQ(s.over, 0);

	for (i = 0; i < ACCT_THREADS; i++) {
		KVS_TEST_EQ(w[i].over, 0);
		KVS_TEST_EQ(w[i].bad, 0);
		charged += w[i].charged;
		refused += w[i].refused;
	}
	kvs_test_log("accounting stress: %ld charges, %ld refused, %ld samples",
		     charged, refused, s.samples);
	/* The limits were really hit, and concurrency left nothing behind. */
	KVS_TEST_GT(charged, 0);
	KVS_TEST_GT(refused, 0);
	KVS_TEST_EQ(kvs_mem_used(&s.table[0]), 0);
	KVS_TEST_EQ(kvs_mem_used(&s.table[1]), 0);
	KVS_TEST_EQ(kvs_mem_used(&s.store), 0);
	KVS_TEST_WARNED(0);
}

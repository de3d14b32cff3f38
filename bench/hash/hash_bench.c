// SPDX-License-Identifier: GPL-2.0
/*
 * hash_bench.c - kvs_hash against liburcu's rculfhash (cds_lfht), in user
 * space, side by side: the same keys (16 random bytes each), the same hash
 * function (kvs_siphash(), SipHash-1-3, under a random key), the same RCU flavour
 * (urcu-memb), both tables starting at 256 buckets and resizing by
 * themselves.
 *
 *   hash_bench [-n KEYS] [-t T1,T2,..] [-m MS] [-r TRIALS]
 *
 * For each thread count: every thread inserts its share of the keys
 * (inserts/s over the whole phase, resizes included), then every thread
 * looks up random present keys for MS milliseconds, one RCU read section
 * per lookup (lookups/s, all threads together). Each trial builds both
 * tables afresh, alternating which goes first; the best and the median of
 * TRIALS are printed, with the ratio kvs_hash / rculfhash of each. On a
 * shared machine the best trial is the least disturbed one.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "kvs_platform.h"
#include "kvs_hash.h"
#include "kvs_siphash.h"

#include <urcu/rculfhash.h>

#include "bench.h"

#define KEY_LEN		16

struct knode {
	struct kvs_hnode hn;
	u8 key[KEY_LEN];
};

struct lnode {
	struct cds_lfht_node node;
	u8 key[KEY_LEN];
};

static u32 nkeys = 1000000;
static unsigned int lookup_ms = 500;
static u8 (*keys)[KEY_LEN];
static struct knode *knodes;
static struct lnode *lnodes;
static struct kvs_siphash_key lseed;

static const void *knode_key(const struct kvs_hnode *n, u32 *len)
{
	*len = KEY_LEN;
	return container_of(n, struct knode, hn)->key;
}

static int lnode_match(struct cds_lfht_node *node, const void *key)
{
	return !memcmp(container_of(node, struct lnode, node)->key, key,
		       KEY_LEN);
}

static unsigned long lhash(const void *key)
{
	return (unsigned long)kvs_siphash(key, KEY_LEN, &lseed);
}

enum table { KVS, LFHT };

struct run {
	enum table which;
	unsigned int nthreads;
	struct kvs_hash *kht;
	struct cds_lfht *lht;
	pthread_barrier_t barrier;
	volatile int stop;
	u64 lookups[BENCH_MAX_THREADS];
	long failures;
};

struct worker {
	struct run *run;
	unsigned int no;
	pthread_t tid;
};

static void insert_share(struct run *r, unsigned int no)
{
	u32 i, from = (u64)nkeys * no / r->nthreads;
	u32 to = (u64)nkeys * (no + 1) / r->nthreads;
	struct cds_lfht_node *ret;

	for (i = from; i < to; i++) {
		if (r->which == KVS) {
			if (kvs_hash_insert(r->kht, &knodes[i].hn, NULL))
				__atomic_add_fetch(&r->failures, 1, __ATOMIC_RELAXED);
		} else {
			urcu_memb_read_lock();
			ret = cds_lfht_add_unique(r->lht, lhash(lnodes[i].key),
						  lnode_match, lnodes[i].key,
						  &lnodes[i].node);
			urcu_memb_read_unlock();
			if (ret != &lnodes[i].node)
				__atomic_add_fetch(&r->failures, 1, __ATOMIC_RELAXED);
		}
	}
}

static u64 lookup_loop(struct run *r, unsigned int no)
{
	u64 x = 0x9e3779b97f4a7c15ULL * (no + 1), n = 0;
	struct cds_lfht_iter iter;
	struct kvs_hnode *kn;
	const u8 *key;
	u32 i, hash;
	bool found;

	while (!r->stop) {
		/* 256 lookups between looks at the stop flag. */
		for (i = 0; i < 256; i++, n++) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			key = keys[(x * 0x2545F4914F6CDD1DULL >> 32) % nkeys];
			if (r->which == KVS) {
				hash = kvs_hash_keyhash(r->kht, key, KEY_LEN);
				kvs_rcu_read_lock();
				kn = kvs_hash_lookup(r->kht, key, KEY_LEN, hash);
				found = kn != NULL;
				kvs_rcu_read_unlock();
			} else {
				urcu_memb_read_lock();
				cds_lfht_lookup(r->lht, lhash(key), lnode_match,
						key, &iter);
				found = cds_lfht_iter_get_node(&iter) != NULL;
				urcu_memb_read_unlock();
			}
			if (!found)
				__atomic_add_fetch(&r->failures, 1, __ATOMIC_RELAXED);
		}
	}
	return n;
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;

	kvs_thread_register();
	pthread_barrier_wait(&r->barrier);	/* insert */
	insert_share(r, w->no);
	pthread_barrier_wait(&r->barrier);	/* inserted */
	pthread_barrier_wait(&r->barrier);	/* lookup */
	r->lookups[w->no] = lookup_loop(r, w->no);
	kvs_thread_unregister();
	return NULL;
}

/* Run one table with @nthreads; returns inserts/s and lookups/s. */
static int run_one(enum table which, unsigned int nthreads, double *ins,
		   double *look)
{
	struct kvs_hash_params p = { .key = knode_key };
	struct worker w[BENCH_MAX_THREADS];
	struct cds_lfht_iter iter;
	struct cds_lfht_node *node;
	double t0, t1;
	struct run r;
	u64 total = 0;
	unsigned int i;
	u32 k;

	memset(&r, 0, sizeof(r));
	r.which = which;
	r.nthreads = nthreads;
	if (which == KVS) {
		r.kht = calloc(1, sizeof(*r.kht));
		if (!r.kht || kvs_hash_init(r.kht, &p, KVS_GFP_KERNEL))
			return -1;
	} else {
		r.lht = cds_lfht_new_flavor(256, 256, 0,
					    CDS_LFHT_AUTO_RESIZE |
					    CDS_LFHT_ACCOUNTING,
					    &urcu_memb_flavor, NULL);
		if (!r.lht)
			return -1;
	}
	pthread_barrier_init(&r.barrier, NULL, nthreads + 1);
	for (i = 0; i < nthreads; i++) {
		w[i].run = &r;
		w[i].no = i;
		pthread_create(&w[i].tid, NULL, worker_fn, &w[i]);
	}
	/* Timed from before the start: workers may be done before we look. */
	t0 = bench_now_s();
	pthread_barrier_wait(&r.barrier);
	pthread_barrier_wait(&r.barrier);
	t1 = bench_now_s();
	*ins = nkeys / (t1 - t0);

	/* Let a resize still running finish, as a reader would find it. */
	if (which == KVS)
		kvs_hash_resize_wait(r.kht);
	t0 = bench_now_s();
	pthread_barrier_wait(&r.barrier);
	usleep(lookup_ms * 1000U);
	r.stop = 1;
	for (i = 0; i < nthreads; i++)
		pthread_join(w[i].tid, NULL);
	t1 = bench_now_s();
	for (i = 0; i < nthreads; i++)
		total += r.lookups[i];
	*look = total / (t1 - t0);

	if (r.failures)
		fprintf(stderr, "hash_bench: %ld failed operations\n", r.failures);
	if (which == KVS) {
		if (getenv("HASH_BENCH_VERBOSE"))
			printf("#   kvs_hash: %u buckets for %llu keys\n",
			       kvs_hash_buckets(r.kht), kvs_hash_count(r.kht));
		kvs_hash_destroy(r.kht, NULL, NULL);
		free(r.kht);
	} else {
		unsigned long count;
		long split;

		cds_lfht_count_nodes(r.lht, &split, &count, &split);
		if (getenv("HASH_BENCH_VERBOSE"))
			printf("#   rculfhash: %lu keys\n", count);
		urcu_memb_read_lock();
		cds_lfht_for_each(r.lht, &iter, node)
			cds_lfht_del(r.lht, node);
		urcu_memb_read_unlock();
		urcu_memb_synchronize_rcu();
		cds_lfht_destroy(r.lht, NULL);
	}
	for (k = 0; k < nkeys; k++) {
		knodes[k].hn.next = NULL;
		memset(&lnodes[k].node, 0, sizeof(lnodes[k].node));
	}
	pthread_barrier_destroy(&r.barrier);
	return r.failures ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		.nkeys = 1000000, .threads = { 1, 2 }, .nt = 2, .ms = 500,
		.trials = 5,
	};
	unsigned int t, i;
	double kins[BENCH_MAX_TRIALS], klook[BENCH_MAX_TRIALS];
	double lins[BENCH_MAX_TRIALS], llook[BENCH_MAX_TRIALS];
	double b[4], m[4];
	int bad;
	u32 k;

	if (bench_parse_opts(argc, argv, &o))
		return 2;
	nkeys = o.nkeys;
	lookup_ms = o.ms;
	keys = calloc(nkeys, KEY_LEN);
	knodes = calloc(nkeys, sizeof(*knodes));
	lnodes = calloc(nkeys, sizeof(*lnodes));
	if (!nkeys || !keys || !knodes || !lnodes)
		return 1;
	kvs_get_random_bytes(keys, (size_t)nkeys * KEY_LEN);
	kvs_get_random_bytes(&lseed, sizeof(lseed));
	for (k = 0; k < nkeys; k++) {
		memcpy(knodes[k].key, keys[k], KEY_LEN);
		memcpy(lnodes[k].key, keys[k], KEY_LEN);
	}
	kvs_thread_register();

	printf("# %u keys of %d random bytes, SipHash-1-3, lookups for %u ms, %u trials, %ld CPUs\n",
	       nkeys, KEY_LEN, lookup_ms, o.trials, sysconf(_SC_NPROCESSORS_ONLN));
	printf("%-8s %-10s %14s %14s %14s %14s\n", "threads", "table",
	       "best ins/s", "median ins/s", "best look/s", "median look/s");
	for (t = 0; t < o.nt; t++) {
		for (i = 0; i < o.trials; i++) {
			/* Alternate the order: neither always runs first. */
			if (i % 2)
				bad = run_one(LFHT, o.threads[t], &lins[i], &llook[i]) ||
				      run_one(KVS, o.threads[t], &kins[i], &klook[i]);
			else
				bad = run_one(KVS, o.threads[t], &kins[i], &klook[i]) ||
				      run_one(LFHT, o.threads[t], &lins[i], &llook[i]);
			if (bad)
				return 1;
		}
		bench_best_median(kins, o.trials, &b[0], &m[0]);
		bench_best_median(klook, o.trials, &b[1], &m[1]);
		bench_best_median(lins, o.trials, &b[2], &m[2]);
		bench_best_median(llook, o.trials, &b[3], &m[3]);
		printf("%-8u %-10s %14.0f %14.0f %14.0f %14.0f\n", o.threads[t],
		       "kvs_hash", b[0], m[0], b[1], m[1]);
		printf("%-8u %-10s %14.0f %14.0f %14.0f %14.0f\n", o.threads[t],
		       "rculfhash", b[2], m[2], b[3], m[3]);
		printf("%-8u %-10s %14.2f %14.2f %14.2f %14.2f\n", o.threads[t],
		       "ratio", b[0] / b[2], m[0] / m[2], b[1] / b[3], m[1] / m[3]);
	}
	kvs_thread_unregister();
	return kvs_warn_count() ? 1 : 0;
}

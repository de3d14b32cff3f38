// SPDX-License-Identifier: GPL-2.0
/*
 * engine_bench.c - the engine's tables (kvs_get/kvs_put, kmod/core/kvs_store.c
 * against the user-space platform layer) against liburcu's rculfhash
 * (cds_lfht) doing the same work with the same keys, in the same run.
 *
 *   engine_bench [-n KEYS] [-t T1,T2,..] [-m MS] [-r TRIALS]
 *
 * Keys are 16 random bytes, values 64 bytes. For each thread count and
 * trial, each table is built afresh (alternating which goes first) and run
 * through five phases:
 *
 *   load   every thread puts its share of the keys (ops/s over the phase);
 *   get    random present keys, the 64-byte value copied out: kvs_get()
 *          against cds_lfht_lookup() + memcpy() in one RCU read section;
 *   get16  the same reads 16 at a time: the engine's batch lookup
 *          (__kvs_lookup_batch_rcu(), as H_MGET uses it: one RCU read
 *          section, the 16 values copied out) against 16 of rculfhash's
 *          reads as above (it has no batch lookup); ops are keys;
 *   put    random existing keys get a new 64-byte value: kvs_put(UPSERT)
 *          against cds_lfht_add_replace() of a newly allocated node with
 *          call_rcu() freeing the old one (the peer of an MVCC update);
 *   mixed  90% get / 10% put, as above.
 *
 * get, get16, put and mixed run for MS milliseconds each. Between phases, untimed,
 * the engine's garbage collection is run (kvs_store_gc_sync()) and
 * rculfhash's pending call_rcu() frees are waited for (rcu_barrier()).
 *
 * Memory is measured once, before the trials, each table in a forked child
 * of its own (so that neither inherits the other's freed heap): the
 * process's RSS growth across the load of KEYS keys with one thread, and
 * for the engine its own accounting (kvs_table_get_stats(): bytes/entries).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvs_platform.h"
#include "kvs_store.h"
#include "kvs_siphash.h"

#include <urcu/rculfhash.h>

#include "bench.h"

#define KEY_LEN		16
#define VAL_LEN		64
/* An rculfhash entry: what a minimal RCU hash table of values holds. */
struct lnode {
	struct cds_lfht_node node;
	struct rcu_head rcu;
	u8 key[KEY_LEN];
	u8 val[VAL_LEN];
};

static u32 nkeys = 1000000;
static unsigned int phase_ms = 500;
static u8 (*keys)[KEY_LEN];
static struct kvs_siphash_key lseed;
static volatile u64 sink;

static int lnode_match(struct cds_lfht_node *node, const void *key)
{
	return !memcmp(container_of(node, struct lnode, node)->key, key,
		       KEY_LEN);
}

static unsigned long lhash(const void *key)
{
	return (unsigned long)kvs_siphash(key, KEY_LEN, &lseed);
}

static void lnode_free_rcu(struct rcu_head *head)
{
	free(container_of(head, struct lnode, rcu));
}

enum table { KVS, LFHT, NTABLES };
enum phase { LOAD, GET, GET16, PUT, MIXED, NPHASES };

static const char *const table_name[NTABLES] = { "kvs", "rculfhash" };
static const char *const phase_name[NPHASES] = {
	"load", "get", "get16", "put", "mixed"
};

struct run {
	enum table which;
	unsigned int nthreads;
	struct kvs_store store;
	struct kvs_table *kt;
	struct cds_lfht *lht;
	pthread_barrier_t barrier;
	volatile int stop;
	u64 ops[BENCH_MAX_THREADS];
	long failures;
};

struct worker {
	struct run *run;
	unsigned int no;
	pthread_t tid;
};

static void fail(struct run *r)
{
	__atomic_add_fetch(&r->failures, 1, __ATOMIC_RELAXED);
}

/* Fill @val with a value of key @i, generation @gen. */
static void make_val(u8 *val, u64 i, u64 gen)
{
	u64 w[VAL_LEN / 8];
	unsigned int j;

	for (j = 0; j < VAL_LEN / 8; j++)
		w[j] = i * 0x9e3779b97f4a7c15ULL + gen + j;
	memcpy(val, w, VAL_LEN);
}

static void do_put(struct run *r, const u8 *key, const u8 *val, bool load)
{
	struct cds_lfht_node *ret;
	struct lnode *n, *old;

	if (r->which == KVS) {
		if (kvs_put(r->kt, key, KEY_LEN, val, VAL_LEN, KVS_PUT_UPSERT,
			    0, NULL, KVS_GFP_KERNEL))
			fail(r);
		return;
	}
	n = malloc(sizeof(*n));
	if (!n) {
		fail(r);
		return;
	}
	memcpy(n->key, key, KEY_LEN);
	memcpy(n->val, val, VAL_LEN);
	urcu_memb_read_lock();
	if (load) {
		ret = cds_lfht_add_unique(r->lht, lhash(key), lnode_match, key,
					  &n->node);
		urcu_memb_read_unlock();
		if (ret != &n->node) {
			free(n);
			fail(r);
		}
		return;
	}
	ret = cds_lfht_add_replace(r->lht, lhash(key), lnode_match, key,
				   &n->node);
	urcu_memb_read_unlock();
	if (ret) {
		old = container_of(ret, struct lnode, node);
		urcu_memb_call_rcu(&old->rcu, lnode_free_rcu);
	} else {
		fail(r);	/* every key is present */
	}
}

static void do_get(struct run *r, const u8 *key, u8 *buf)
{
	struct cds_lfht_iter iter;
	struct cds_lfht_node *node;
	u32 vlen;

	if (r->which == KVS) {
		if (kvs_get(r->kt, key, KEY_LEN, buf, VAL_LEN, &vlen, NULL) ||
		    vlen != VAL_LEN)
			fail(r);
		return;
	}
	urcu_memb_read_lock();
	cds_lfht_lookup(r->lht, lhash(key), lnode_match, key, &iter);
	node = cds_lfht_iter_get_node(&iter);
	if (node)
		memcpy(buf, container_of(node, struct lnode, node)->val,
		       VAL_LEN);
	urcu_memb_read_unlock();
	if (!node)
		fail(r);
}

/* Read the @n keys @ks (n <= KVS_LOOKUP_BATCH) into @bufs. */
static void do_get_batch(struct run *r, const u8 *const *ks, unsigned int n,
			 u8 (*bufs)[VAL_LEN])
{
	static const u32 klens[KVS_LOOKUP_BATCH] = {
		[0 ... KVS_LOOKUP_BATCH - 1] = KEY_LEN
	};
	const void *vals[KVS_LOOKUP_BATCH];
	u32 vlens[KVS_LOOKUP_BATCH];
	unsigned int i;

	if (r->which != KVS) {
		for (i = 0; i < n; i++)
			do_get(r, ks[i], bufs[i]);
		return;
	}
	kvs_rcu_read_lock();
	__kvs_lookup_batch_rcu(r->kt, ks, klens, n, vals, vlens, NULL);
	for (i = 0; i < n; i++) {
		if (!vals[i] || vlens[i] != VAL_LEN)
			fail(r);
		else
			memcpy(bufs[i], vals[i], VAL_LEN);
	}
	kvs_rcu_read_unlock();
}

static void load_share(struct run *r, unsigned int no, unsigned int nthreads)
{
	u32 i, from = (u64)nkeys * no / nthreads;
	u32 to = (u64)nkeys * (no + 1) / nthreads;
	u8 val[VAL_LEN];

	for (i = from; i < to; i++) {
		make_val(val, i, 0);
		do_put(r, keys[i], val, true);
	}
}

/*
 * Random present keys until told to stop; @put_pct percent are puts; with
 * @batch, reads go by KVS_LOOKUP_BATCH keys (do_get_batch()).
 */
static u64 op_loop(struct run *r, unsigned int no, unsigned int put_pct,
		   bool batch)
{
	u64 x = 0x9e3779b97f4a7c15ULL * (no + 1), n = 0, gen = 0, acc = 0;
	u8 bufs[KVS_LOOKUP_BATCH][VAL_LEN], *buf = bufs[0];
	const u8 *ks[KVS_LOOKUP_BATCH];
	u32 i, j, k;

	while (!r->stop) {
		/* 256 operations between looks at the stop flag. */
		for (i = 0; batch && i < 256; i += KVS_LOOKUP_BATCH) {
			for (j = 0; j < KVS_LOOKUP_BATCH; j++) {
				x ^= x >> 12;
				x ^= x << 25;
				x ^= x >> 27;
				ks[j] = keys[(x * 0x2545F4914F6CDD1DULL >> 32) %
					     nkeys];
			}
			do_get_batch(r, ks, KVS_LOOKUP_BATCH, bufs);
			for (j = 0; j < KVS_LOOKUP_BATCH; j++)
				acc += bufs[j][0];
			n += KVS_LOOKUP_BATCH;
		}
		for (i = 0; !batch && i < 256; i++, n++) {
			x ^= x >> 12;
			x ^= x << 25;
			x ^= x >> 27;
			k = (x * 0x2545F4914F6CDD1DULL >> 32) % nkeys;
			if (put_pct && (x >> 40) % 100 < put_pct) {
				make_val(buf, k, ++gen);
				do_put(r, keys[k], buf, false);
			} else {
				do_get(r, keys[k], buf);
				acc += buf[0];
			}
		}
	}
	sink += acc;
	return n;
}

static const unsigned int put_pct[NPHASES] = {
	[GET] = 0, [GET16] = 0, [PUT] = 100, [MIXED] = 10,
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	int p;

	kvs_thread_register();
	pthread_barrier_wait(&r->barrier);
	load_share(r, w->no, r->nthreads);
	pthread_barrier_wait(&r->barrier);
	for (p = GET; p < NPHASES; p++) {
		pthread_barrier_wait(&r->barrier);
		r->ops[w->no] = op_loop(r, w->no, put_pct[p], p == GET16);
		pthread_barrier_wait(&r->barrier);
	}
	kvs_thread_unregister();
	return NULL;
}

static int table_new(struct run *r)
{
	struct kvs_table_params p = {
		.max_key_size = KEY_LEN,
		.max_value_size = VAL_LEN,
	};

	if (r->which == KVS) {
		if (kvs_store_init(&r->store, 0, 512, 65536))
			return -1;
		if (kvs_table_create(&r->store, "bench", &p, &r->kt)) {
			kvs_store_destroy(&r->store);
			return -1;
		}
		return 0;
	}
	/* As in bench/hash: 256 buckets to start, growing by itself. */
	r->lht = cds_lfht_new_flavor(256, 256, 0,
				     CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
				     &urcu_memb_flavor, NULL);
	return r->lht ? 0 : -1;
}

/* Untimed, between phases: let deferred frees and gc catch up. */
static void table_settle(struct run *r)
{
	if (r->which == KVS)
		kvs_store_gc_sync(&r->store);
	else
		urcu_memb_barrier();
}

static void table_free(struct run *r)
{
	struct cds_lfht_iter iter;
	struct cds_lfht_node *node;

	if (r->which == KVS) {
		kvs_table_put(r->kt);
		kvs_store_destroy(&r->store);
		return;
	}
	urcu_memb_read_lock();
	cds_lfht_for_each(r->lht, &iter, node) {
		if (!cds_lfht_del(r->lht, node))
			urcu_memb_call_rcu(&container_of(node, struct lnode,
							 node)->rcu,
					   lnode_free_rcu);
	}
	urcu_memb_read_unlock();
	urcu_memb_barrier();
	cds_lfht_destroy(r->lht, NULL);
}

/* Run one table with @nthreads through all phases; ops/s in @rate. */
static int run_one(enum table which, unsigned int nthreads,
		   double rate[NPHASES])
{
	struct worker w[BENCH_MAX_THREADS];
	struct run *r;
	unsigned int i;
	double t0, t1;
	u64 total;
	int p, ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -1;
	r->which = which;
	r->nthreads = nthreads;
	if (table_new(r)) {
		free(r);
		return -1;
	}
	pthread_barrier_init(&r->barrier, NULL, nthreads + 1);
	for (i = 0; i < nthreads; i++) {
		w[i].run = r;
		w[i].no = i;
		pthread_create(&w[i].tid, NULL, worker_fn, &w[i]);
	}
	/* Timed from before the start: workers may be done before we look. */
	t0 = bench_now_s();
	pthread_barrier_wait(&r->barrier);
	pthread_barrier_wait(&r->barrier);
	t1 = bench_now_s();
	rate[LOAD] = nkeys / (t1 - t0);

	for (p = GET; p < NPHASES; p++) {
		table_settle(r);
		r->stop = 0;
		t0 = bench_now_s();
		pthread_barrier_wait(&r->barrier);
		usleep(phase_ms * 1000U);
		r->stop = 1;
		pthread_barrier_wait(&r->barrier);
		t1 = bench_now_s();
		for (total = 0, i = 0; i < nthreads; i++)
			total += r->ops[i];
		rate[p] = total / (t1 - t0);
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(w[i].tid, NULL);
	if (r->failures)
		fprintf(stderr, "engine_bench: %s: %ld failed operations\n",
			table_name[which], r->failures);
	table_free(r);
	pthread_barrier_destroy(&r->barrier);
	ret = r->failures ? -1 : 0;
	free(r);
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Memory per entry                                                          */
/* ------------------------------------------------------------------------ */

struct mem_result {
	int ok;
	double rss_per_entry;
	double acct_per_entry;	/* engine only */
	u64 entries;
};

static long rss_bytes(void)
{
	long size, resident;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &size, &resident) != 2)
		resident = -1;
	fclose(f);
	return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

/* In a fresh child: build @which, load every key, measure, exit. */
static void mem_child(enum table which, struct mem_result *res)
{
	struct kvs_table_stats st;
	struct run *r;
	long before, after;

	kvs_thread_register();
	r = calloc(1, sizeof(*r));
	if (!r)
		_exit(1);
	r->which = which;
	r->nthreads = 1;
	if (table_new(r))
		_exit(1);
	before = rss_bytes();
	load_share(r, 0, 1);
	table_settle(r);
	after = rss_bytes();
	if (r->failures || before < 0 || after < 0)
		_exit(1);
	res->rss_per_entry = (double)(after - before) / nkeys;
	if (which == KVS) {
		kvs_table_get_stats(r->kt, &st);
		res->entries = st.entries;
		res->acct_per_entry = st.entries ?
				      (double)st.bytes / st.entries : 0;
	} else {
		unsigned long count;
		long split;

		urcu_memb_read_lock();
		cds_lfht_count_nodes(r->lht, &split, &count, &split);
		urcu_memb_read_unlock();
		res->entries = count;
	}
	res->ok = 1;
	_exit(0);	/* no teardown: only the numbers matter */
}

static int mem_measure(enum table which, struct mem_result *out)
{
	struct mem_result *res;
	int status;
	pid_t pid;

	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED)
		return -1;
	memset(res, 0, sizeof(*res));
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid)
		mem_child(which, res);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) || !res->ok) {
		munmap(res, sizeof(*res));
		return -1;
	}
	*out = *res;
	munmap(res, sizeof(*res));
	return 0;
}

/* ------------------------------------------------------------------------ */

static void print_loadavg(const char *when)
{
	double l[3];

	if (getloadavg(l, 3) == 3)
		printf("# load average %s: %.2f %.2f %.2f\n", when, l[0], l[1],
		       l[2]);
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		.nkeys = 1000000, .threads = { 1, 2 }, .nt = 2, .ms = 500,
		.trials = 5,
	};
	unsigned int t, i;
	static double rate[NTABLES][BENCH_MAX_TRIALS][NPHASES];
	double v[NTABLES][BENCH_MAX_TRIALS], b[NTABLES], m[NTABLES];
	double get_b = 0, get_m = 0;
	struct mem_result mem[NTABLES];
	int p, bad;

	if (bench_parse_opts(argc, argv, &o))
		return 2;
	nkeys = o.nkeys;
	phase_ms = o.ms;
	keys = calloc(nkeys, KEY_LEN);
	if (!keys)
		return 1;
	kvs_get_random_bytes(keys, (size_t)nkeys * KEY_LEN);
	kvs_get_random_bytes(&lseed, sizeof(lseed));

	printf("# %u keys of %d random bytes, %d-byte values, phases of %u ms, %u trials, %ld CPUs\n",
	       nkeys, KEY_LEN, VAL_LEN, phase_ms, o.trials,
	       sysconf(_SC_NPROCESSORS_ONLN));
	print_loadavg("at start");

	/* Before any thread exists here: the children start clean. */
	for (i = 0; i < NTABLES; i++) {
		if (mem_measure(i, &mem[i])) {
			fprintf(stderr, "engine_bench: memory measurement of %s failed\n",
				table_name[i]);
			return 1;
		}
	}
	printf("# memory at %llu entries: kvs %.1f B/entry (own accounting), RSS +%.1f B/entry; rculfhash RSS +%.1f B/entry (%llu entries, %zu-byte nodes)\n",
	       (unsigned long long)mem[KVS].entries, mem[KVS].acct_per_entry,
	       mem[KVS].rss_per_entry, mem[LFHT].rss_per_entry,
	       (unsigned long long)mem[LFHT].entries, sizeof(struct lnode));

	kvs_thread_register();
	printf("%-8s %-6s %12s %12s %6s %12s %12s %6s\n", "threads", "phase",
	       "kvs best", "lfht best", "ratio", "kvs median", "lfht median",
	       "ratio");
	for (t = 0; t < o.nt; t++) {
		for (i = 0; i < o.trials; i++) {
			/* Alternate the order: neither always runs first. */
			if (i % 2)
				bad = run_one(LFHT, o.threads[t], rate[LFHT][i]) ||
				      run_one(KVS, o.threads[t], rate[KVS][i]);
			else
				bad = run_one(KVS, o.threads[t], rate[KVS][i]) ||
				      run_one(LFHT, o.threads[t], rate[LFHT][i]);
			if (bad)
				return 1;
		}
		for (p = 0; p < NPHASES; p++) {
			for (i = 0; i < o.trials; i++) {
				v[KVS][i] = rate[KVS][i][p];
				v[LFHT][i] = rate[LFHT][i][p];
			}
			bench_best_median(v[KVS], o.trials, &b[KVS], &m[KVS]);
			bench_best_median(v[LFHT], o.trials, &b[LFHT], &m[LFHT]);
			printf("%-8u %-6s %12.0f %12.0f %6.2f %12.0f %12.0f %6.2f\n",
			       o.threads[t], phase_name[p], b[KVS], b[LFHT],
			       b[KVS] / b[LFHT], m[KVS], m[LFHT],
			       m[KVS] / m[LFHT]);
			if (p == GET)
				get_b = b[KVS], get_m = m[KVS];
		}
		/* b[KVS], m[KVS]: of the last phase; get16's are wanted. */
		for (i = 0; i < o.trials; i++)
			v[KVS][i] = rate[KVS][i][GET16];
		bench_best_median(v[KVS], o.trials, &b[KVS], &m[KVS]);
		printf("# %u threads: kvs get16 costs %.2fx a get per key (best), %.2fx (median)\n",
		       o.threads[t], get_b / b[KVS], get_m / m[KVS]);
		fflush(stdout);
	}
	print_loadavg("at end");
	kvs_thread_unregister();
	return kvs_warn_count() ? 1 : 0;
}

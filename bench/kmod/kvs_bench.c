// SPDX-License-Identifier: GPL-2.0
/*
 * kvs_bench: kvstore's exported API against the kernel's own rhashtable,
 * in the same run, on the same keys (bench/kmod/README.md).
 *
 * At load it fills a hash-only kvstore table and an rhashtable with the
 * same random 16-byte keys and 64-byte values, measures bytes per entry
 * (kvstore's own accounting, and the kernel's slab and free-page counters
 * around each load), then times point reads from kthreads pinned to CPUs:
 * kvs_get() (copies the value out), rhashtable_lookup_fast() plus a copy of
 * the value, and kvs_lookup_rcu() (zero-copy); then four kvs_put() against
 * one read-write transaction of four keys. It prints a table of ns/op and
 * ratios to the kernel log, frees everything and stays loaded until
 * rmmod. It never fails on a ratio: only a broken read (a missing key or a
 * wrong value) is reported as "not ok".
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/delay.h>
#include <linux/completion.h>
#include <linux/rhashtable.h>
#include <linux/vmalloc.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/mm.h>
#include <linux/vmstat.h>
#include <linux/random.h>
#include <linux/utsname.h>
#include <linux/sizes.h>
#include <linux/math64.h>
#include <linux/jhash.h>
#include <linux/siphash.h>
#include <linux/kvstore.h>

static unsigned long entries = 1000000;
module_param(entries, ulong, 0444);
MODULE_PARM_DESC(entries, "Keys in each table (default 1000000; fewer if memory is short)");

static unsigned int run_ms = 500;
module_param(run_ms, uint, 0444);
MODULE_PARM_DESC(run_ms, "Length of each timed phase in ms (default 500)");

static unsigned int reps = 5;
module_param(reps, uint, 0444);
MODULE_PARM_DESC(reps, "Repetitions of each timed phase, 1..100 (default 5)");

static unsigned int threads = 2;
module_param(threads, uint, 0444);
MODULE_PARM_DESC(threads, "Most reader threads, each pinned to a CPU (default 2)");

static bool ordered;
module_param(ordered, bool, 0444);
MODULE_PARM_DESC(ordered, "Give the kvstore table an ordered index too (default no)");

#define BENCH_KLEN	16
#define BENCH_VLEN	64
#define BENCH_BATCH	256	/* operations between clock reads */
#define BENCH_TXN_KEYS	4
#define BENCH_TXN_TRIES	16
#define BENCH_SETTLE_MS	50
/* What one entry may cost in both tables together, keys included. */
#define BENCH_EST_BYTES	600
#define BENCH_NAME	"kvs_bench"
#define BENCH_NUMBUF	24	/* a u64 in decimal, a point, two decimals */

struct bench_key {
	u8 b[BENCH_KLEN];
} __aligned(8);

/*
 * A typical rhashtable user's object: key and value inline, and an
 * rcu_head so that it can be removed under readers (kfree_rcu()), as
 * kvstore's records can.
 */
struct bench_obj {
	struct rhash_head node;
	struct bench_key key;
	u8 val[BENCH_VLEN];
	struct rcu_head rcu;
};

static const struct rhashtable_params bench_rht_params = {
	.key_len = BENCH_KLEN,
	.key_offset = offsetof(struct bench_obj, key),
	.head_offset = offsetof(struct bench_obj, node),
	.automatic_shrinking = true,
};

/* Each table's operations are consecutive; the first is its reference. */
enum bench_op {
	BENCH_RHT,
	BENCH_RHT_MEMCPY,
	BENCH_KVS_GET,
	BENCH_KVS_RCU,
	BENCH_PUT4,
	BENCH_TXN4,
	BENCH_TXN4_RMW,
	BENCH_JHASH,
	BENCH_SIPHASH,
	BENCH_NR_OPS,
};

static const char *const bench_op_name[BENCH_NR_OPS] = {
	[BENCH_RHT] = "rhashtable_lookup_fast+copy",
	[BENCH_RHT_MEMCPY] = "  same, memcpy() of vlen",
	[BENCH_KVS_GET] = "kvs_get",
	[BENCH_KVS_RCU] = "kvs_lookup_rcu (no copy)",
	[BENCH_PUT4] = "4 x kvs_put",
	[BENCH_TXN4] = "txn: 4 x kvs_txn_put",
	[BENCH_TXN4_RMW] = "txn: 4 x (kvs_txn_get+put)",
	[BENCH_JHASH] = "jhash2() (rhashtable's)",
	[BENCH_SIPHASH] = "siphash() (SipHash-2-4)",
};

static struct bench_key *bench_keys;	/* vmalloc()ed, bench_n of them */
static u32 bench_n;
static struct kvs_table *bench_table;
static struct rhashtable bench_ht;
static siphash_key_t bench_sipkey;

struct bench_thread {
	struct task_struct *task;
	struct completion *start;
	struct completion done;
	enum bench_op op;
	u64 seed;
	u64 ops;
	u64 ns;
	u64 bad;
	u64 aborts;
	u64 sink;
};

/* xorshift64, then a multiply-shift into [0, n): cheap, same for all. */
static __always_inline u32 bench_next(u64 *x, u32 n)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (u32)(((*x >> 32) * n) >> 32);
}

/* The value of a key: the key four times, so a read can be checked. */
static void bench_fill_value(u8 *val, const struct bench_key *k)
{
	int i;

	for (i = 0; i < BENCH_VLEN; i += BENCH_KLEN)
		memcpy(val + i, k->b, BENCH_KLEN);
}

/* ---- the operations timed (each returns 1 when something went wrong) */

/*
 * A length known only at run time, as a store of values of any length
 * has: memcpy() is then a call (rep movsb, slow under TCG), not the few
 * moves that a copy of a constant 64 bytes compiles to.
 */
static u32 bench_vlen = BENCH_VLEN;

static __always_inline int bench_rht_get(const struct bench_key *k, u64 *sink,
					 bool runtime_len)
{
	struct bench_obj *o;
	u8 buf[BENCH_VLEN];

	/* The copy needs RCU too; rhashtable_lookup_fast() nests in it. */
	rcu_read_lock();
	o = rhashtable_lookup_fast(&bench_ht, k, bench_rht_params);
	if (o && runtime_len)
		memcpy(buf, o->val, READ_ONCE(bench_vlen));
	else if (o)
		memcpy(buf, o->val, BENCH_VLEN);
	rcu_read_unlock();
	if (!o)
		return 1;
	barrier_data(buf);
	*sink += buf[0];
	return 0;
}

static __always_inline int bench_kvs_get(const struct bench_key *k, u64 *sink)
{
	u8 buf[BENCH_VLEN];
	u32 vlen;

	if (kvs_get(bench_table, k, BENCH_KLEN, buf, sizeof(buf), &vlen, NULL) ||
	    vlen != BENCH_VLEN)
		return 1;
	barrier_data(buf);
	*sink += buf[0];
	return 0;
}

static __always_inline int bench_kvs_rcu(const struct bench_key *k, u64 *sink)
{
	const u8 *v;
	u32 vlen;
	int bad;

	rcu_read_lock();
	v = kvs_lookup_rcu(bench_table, k, BENCH_KLEN, &vlen, NULL);
	bad = !v || vlen != BENCH_VLEN;
	if (!bad)
		*sink += v[0];
	rcu_read_unlock();
	return bad;
}

static int bench_put4(u64 *x, u8 *val)
{
	const struct bench_key *k;
	int i, bad = 0;

	for (i = 0; i < BENCH_TXN_KEYS; i++) {
		k = &bench_keys[bench_next(x, bench_n)];
		memcpy(val, k->b, BENCH_KLEN);
		bad |= !!kvs_put(bench_table, k, BENCH_KLEN, val, BENCH_VLEN,
				 KVS_PUT_UPSERT, 0, NULL, KVS_GFP_KERNEL);
	}
	return bad;
}

#ifdef KVS_BENCH_TXN
/*
 * One read-write transaction over four random keys: upserts only, or a
 * read of each key before its write. Retried on a conflict (-EAGAIN),
 * which two threads on random keys of a large table rarely meet.
 */
static int bench_txn4(u64 *x, u8 *val, bool rmw, u64 *aborts)
{
	const struct bench_key *k[BENCH_TXN_KEYS];
	u8 buf[BENCH_VLEN];
	struct kvs_txn *tx;
	int i, try, ret;
	u32 vlen;

	for (i = 0; i < BENCH_TXN_KEYS; i++)
		k[i] = &bench_keys[bench_next(x, bench_n)];
	for (try = 0; try < BENCH_TXN_TRIES; try++) {
		ret = kvs_txn_begin(kvs_store(), 0, KVS_GFP_KERNEL, &tx);
		if (ret)
			return 1;
		for (i = 0; i < BENCH_TXN_KEYS && !ret; i++) {
			if (rmw) {
				ret = kvs_txn_get(tx, bench_table, k[i], BENCH_KLEN,
						  buf, sizeof(buf), &vlen, NULL);
				if (ret)
					break;
				barrier_data(buf);
			}
			memcpy(val, k[i]->b, BENCH_KLEN);
			ret = kvs_txn_put(tx, bench_table, k[i], BENCH_KLEN, val,
					  BENCH_VLEN, KVS_PUT_UPSERT, 0);
		}
		if (ret) {
			kvs_txn_abort(tx);
		} else {
			ret = kvs_txn_commit(tx, NULL);
			if (!ret)
				return 0;
		}
		if (ret != -EAGAIN)
			return 1;
		(*aborts)++;
	}
	return 1;
}
#else
static int bench_txn4(u64 *x, u8 *val, bool rmw, u64 *aborts)
{
	return 1;
}
#endif

static __always_inline int bench_one(enum bench_op op, u64 *x, u8 *val,
				     u64 *sink, u64 *aborts)
{
	switch (op) {
	case BENCH_RHT:
		return bench_rht_get(&bench_keys[bench_next(x, bench_n)], sink, false);
	case BENCH_RHT_MEMCPY:
		return bench_rht_get(&bench_keys[bench_next(x, bench_n)], sink, true);
	case BENCH_KVS_GET:
		return bench_kvs_get(&bench_keys[bench_next(x, bench_n)], sink);
	case BENCH_KVS_RCU:
		return bench_kvs_rcu(&bench_keys[bench_next(x, bench_n)], sink);
	case BENCH_PUT4:
		return bench_put4(x, val);
	case BENCH_TXN4:
		return bench_txn4(x, val, false, aborts);
	case BENCH_TXN4_RMW:
		return bench_txn4(x, val, true, aborts);
	case BENCH_JHASH:
		*sink += jhash2((const u32 *)bench_keys[bench_next(x, bench_n)].b,
				BENCH_KLEN / sizeof(u32), (u32)*sink);
		return 0;
	case BENCH_SIPHASH:
		*sink += siphash(bench_keys[bench_next(x, bench_n)].b, BENCH_KLEN,
				 &bench_sipkey);
		return 0;
	default:
		return 1;
	}
}

/* The timed loop, one copy per operation so that none pays a switch. */
static __always_inline void bench_loop(struct bench_thread *bt,
				       enum bench_op op)
{
	u64 x = bt->seed, ops = 0, bad = 0, sink = 0, aborts = 0;
	u8 val[BENCH_VLEN];
	u64 t0, end, now;
	int i;

	memset(val, 0x5a, sizeof(val));
	t0 = ktime_get_ns();
	end = t0 + (u64)run_ms * NSEC_PER_MSEC;
	do {
		for (i = 0; i < BENCH_BATCH; i++)
			bad += bench_one(op, &x, val, &sink, &aborts);
		ops += BENCH_BATCH;
		cond_resched();
		now = ktime_get_ns();
	} while (now < end);
	bt->ns = now - t0;
	bt->ops = ops;
	bt->bad = bad;
	bt->aborts = aborts;
	bt->sink = sink;
}

static noinline void bench_loop_rht(struct bench_thread *bt)
{
	bench_loop(bt, BENCH_RHT);
}

static noinline void bench_loop_rht_memcpy(struct bench_thread *bt)
{
	bench_loop(bt, BENCH_RHT_MEMCPY);
}

static noinline void bench_loop_kvs_get(struct bench_thread *bt)
{
	bench_loop(bt, BENCH_KVS_GET);
}

static noinline void bench_loop_kvs_rcu(struct bench_thread *bt)
{
	bench_loop(bt, BENCH_KVS_RCU);
}

static noinline void bench_loop_jhash(struct bench_thread *bt)
{
	bench_loop(bt, BENCH_JHASH);
}

static noinline void bench_loop_siphash(struct bench_thread *bt)
{
	bench_loop(bt, BENCH_SIPHASH);
}

static noinline void bench_loop_writes(struct bench_thread *bt)
{
	bench_loop(bt, bt->op);
}

static int bench_thread_fn(void *arg)
{
	struct bench_thread *bt = arg;

	wait_for_completion(bt->start);
	switch (bt->op) {
	case BENCH_RHT:
		bench_loop_rht(bt);
		break;
	case BENCH_RHT_MEMCPY:
		bench_loop_rht_memcpy(bt);
		break;
	case BENCH_KVS_GET:
		bench_loop_kvs_get(bt);
		break;
	case BENCH_KVS_RCU:
		bench_loop_kvs_rcu(bt);
		break;
	case BENCH_JHASH:
		bench_loop_jhash(bt);
		break;
	case BENCH_SIPHASH:
		bench_loop_siphash(bt);
		break;
	default:
		bench_loop_writes(bt);
		break;
	}
	complete(&bt->done);
	/* Stay until kthread_stop(), which needs the task alive. */
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

/* The @i-th online CPU (wrapping around). */
static unsigned int bench_cpu(unsigned int i)
{
	unsigned int cpu, n = 0;

	i %= num_online_cpus();
	for_each_online_cpu(cpu)
		if (n++ == i)
			return cpu;
	return cpumask_first(cpu_online_mask);
}

struct bench_result {
	u64 ps_per_op;		/* thread time per operation, picoseconds */
	u64 bad;
	u64 aborts;
};

/*
 * Between timed phases, untimed: callbacks of the last phase run, and
 * deferred work it queued (kvstore reclaims old versions in a work item)
 * gets the CPUs before the next phase is timed.
 */
static void bench_settle(void)
{
	rcu_barrier();
	msleep(BENCH_SETTLE_MS);
}

/* Run @op on @nthr pinned kthreads for run_ms; its cost per operation. */
static int bench_run(enum bench_op op, unsigned int nthr,
		     struct bench_result *res)
{
	DECLARE_COMPLETION_ONSTACK(start);
	struct bench_thread *bt;
	u64 ns = 0, ops = 0;
	unsigned int i, made;
	int ret = 0;

	bt = kcalloc(nthr, sizeof(*bt), GFP_KERNEL);
	if (!bt)
		return -ENOMEM;
	for (made = 0; made < nthr; made++) {
		struct bench_thread *b = &bt[made];

		b->op = op;
		b->start = &start;
		b->seed = get_random_u64() | 1;
		init_completion(&b->done);
		b->task = kthread_create(bench_thread_fn, b, "kvs_bench/%u", made);
		if (IS_ERR(b->task)) {
			ret = PTR_ERR(b->task);
			break;
		}
		get_task_struct(b->task);
		kthread_bind(b->task, bench_cpu(made));
	}
	/* Threads never woken exit at kthread_stop() without running. */
	if (!ret) {
		for (i = 0; i < nthr; i++)
			wake_up_process(bt[i].task);
		complete_all(&start);
		for (i = 0; i < nthr; i++)
			wait_for_completion(&bt[i].done);
	}
	for (i = 0; i < made; i++) {
		kthread_stop(bt[i].task);
		put_task_struct(bt[i].task);
	}
	if (!ret) {
		memset(res, 0, sizeof(*res));
		for (i = 0; i < nthr; i++) {
			ns += bt[i].ns;
			ops += bt[i].ops;
			res->bad += bt[i].bad;
			res->aborts += bt[i].aborts;
		}
		res->ps_per_op = div64_u64(ns * 1000, max_t(u64, ops, 1));
	}
	kfree(bt);
	return ret;
}

/* ---- memory, as /proc/meminfo counts it */

struct bench_mem {
	unsigned long slab;	/* pages: meminfo's Slab: */
	unsigned long free;	/* pages: meminfo's MemFree: */
};

static void bench_mem_snap(struct bench_mem *m)
{
	rcu_barrier();		/* what the last load freed is free */
	m->slab = global_node_page_state_pages(NR_SLAB_RECLAIMABLE_B) +
		  global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B);
	m->free = global_zone_page_state(NR_FREE_PAGES);
}

/* Tenths of a byte per entry grown from @before to @after. */
static void bench_mem_growth(const struct bench_mem *before,
			     const struct bench_mem *after, u32 n,
			     u64 *slab10, u64 *all10)
{
	long slab = (long)after->slab - (long)before->slab;
	long all = (long)before->free - (long)after->free;

	*slab10 = div64_u64((u64)max(slab, 0L) * PAGE_SIZE * 10, max(n, 1U));
	*all10 = div64_u64((u64)max(all, 0L) * PAGE_SIZE * 10, max(n, 1U));
}

/* ---- loading */

/* Fill the kvstore table; returns how many keys went in (it may be full). */
static u32 bench_load_kvs(u32 n, u64 *ns)
{
	u8 val[BENCH_VLEN];
	u64 t0 = ktime_get_ns();
	u32 i;
	int ret;

	for (i = 0; i < n; i++) {
		bench_fill_value(val, &bench_keys[i]);
		ret = kvs_put(bench_table, &bench_keys[i], BENCH_KLEN, val,
			      BENCH_VLEN, KVS_PUT_UPSERT, 0, NULL, KVS_GFP_KERNEL);
		if (ret) {
			pr_info("# kvs_put: %d at %u entries: using %u entries\n",
				ret, i, i);
			break;
		}
		if (!(i % BENCH_BATCH))
			cond_resched();
	}
	*ns = ktime_get_ns() - t0;
	return i;
}

static void bench_obj_free(void *ptr, void *arg)
{
	kfree(ptr);
}

static u32 bench_load_rht(u32 n, u64 *ns)
{
	struct bench_obj *o;
	u64 t0 = ktime_get_ns();
	int ret, tries;
	u32 i;

	for (i = 0; i < n; i++) {
		o = kmalloc(sizeof(*o), GFP_KERNEL | __GFP_NOWARN);
		if (!o) {
			pr_info("# rhashtable: no memory at %u entries: using %u entries\n",
				i, i);
			break;
		}
		o->key = bench_keys[i];
		bench_fill_value(o->val, &o->key);
		/* A table over 100% full waits for its resize worker. */
		for (tries = 0; tries < 1000; tries++) {
			ret = rhashtable_insert_fast(&bench_ht, &o->node,
						     bench_rht_params);
			if (ret != -EBUSY && ret != -ENOMEM)
				break;
			cond_resched();
		}
		if (ret) {
			kfree(o);
			pr_info("# rhashtable_insert_fast: %d at %u entries: using %u entries\n",
				ret, i, i);
			break;
		}
		if (!(i % BENCH_BATCH))
			cond_resched();
	}
	*ns = ktime_get_ns() - t0;
	return i;
}

/* Every key present in both tables, with its value; 0 if so. */
static u32 bench_verify(u32 n)
{
	u8 buf[BENCH_VLEN], want[BENCH_VLEN];
	struct bench_obj *o;
	u32 i, bad = 0, vlen;

	for (i = 0; i < n; i++) {
		bench_fill_value(want, &bench_keys[i]);
		if (kvs_get(bench_table, &bench_keys[i], BENCH_KLEN, buf,
			    sizeof(buf), &vlen, NULL) || vlen != BENCH_VLEN ||
		    memcmp(buf, want, BENCH_VLEN))
			bad++;
		rcu_read_lock();
		o = rhashtable_lookup(&bench_ht, &bench_keys[i], bench_rht_params);
		if (!o || memcmp(o->val, want, BENCH_VLEN))
			bad++;
		rcu_read_unlock();
		if (!(i % BENCH_BATCH))
			cond_resched();
	}
	return bad;
}

/* ---- reporting */

static int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Best and median of @n samples (sorted in place). */
static void bench_stats(u64 *v, unsigned int n, u64 *best, u64 *median)
{
	sort(v, n, sizeof(*v), bench_cmp_u64, NULL);
	*best = v[0];
	*median = (v[(n - 1) / 2] + v[n / 2]) / 2;
}

/* "12345.6": picoseconds as nanoseconds with one decimal. */
static const char *bench_ns(char *buf, size_t len, u64 ps)
{
	u64 d = div64_u64(ps + 50, 100);

	snprintf(buf, len, "%llu.%llu", div64_u64(d, 10), d % 10);
	return buf;
}

/* "1.23": @a / @b with two decimals. */
static const char *bench_ratio(char *buf, size_t len, u64 a, u64 b)
{
	u64 r;

	if (!b) {
		snprintf(buf, len, "-");
		return buf;
	}
	r = div64_u64(a * 100 + b / 2, b);
	snprintf(buf, len, "%llu.%02llu", div64_u64(r, 100), r % 100);
	return buf;
}

/*
 * Time @nops operations starting at @first, for 1..@maxthr threads, @reps
 * times each in an order rotated every repetition, and print their best
 * and median cost with ratios to the first one. The samples of operation
 * o with t threads in repetition r are ps[(t - 1) * nops * reps + o * reps + r].
 */
static int bench_table_print(const char *title, const char *check,
			     enum bench_op first, unsigned int nops,
			     unsigned int maxthr)
{
	unsigned int t, o, r;
	struct bench_result res;
	u64 *ps, *row, best[BENCH_NR_OPS], med[BENCH_NR_OPS];
	u64 bad = 0, aborts = 0;
	char b1[BENCH_NUMBUF], b2[BENCH_NUMBUF], b3[BENCH_NUMBUF], b4[BENCH_NUMBUF];
	int ret = 0;

	ps = kcalloc(maxthr * nops * reps, sizeof(*ps), GFP_KERNEL);
	if (!ps)
		return -ENOMEM;
	for (t = 1; t <= maxthr && !ret; t++) {
		for (r = 0; r < reps && !ret; r++) {
			for (o = 0; o < nops && !ret; o++) {
				unsigned int op = (o + r) % nops;

				bench_settle();
				ret = bench_run(first + op, t, &res);
				if (ret)
					break;
				ps[((t - 1) * nops + op) * reps + r] = res.ps_per_op;
				bad += res.bad;
				aborts += res.aborts;
			}
		}
	}
	if (ret)
		goto out;

	pr_info("%s\n", title);
	pr_info("%-7s  %-28s  %10s  %12s  %8s  %10s\n", "threads", "operation",
		"best ns/op", "median ns/op", "best x", "median x");
	for (t = 1; t <= maxthr; t++) {
		for (o = 0; o < nops; o++) {
			row = &ps[((t - 1) * nops + o) * reps];
			bench_stats(row, reps, &best[o], &med[o]);
			pr_info("%-7u  %-28s  %10s  %12s  %8s  %10s\n", t,
				bench_op_name[first + o],
				bench_ns(b1, sizeof(b1), best[o]),
				bench_ns(b2, sizeof(b2), med[o]),
				bench_ratio(b3, sizeof(b3), best[o], best[0]),
				bench_ratio(b4, sizeof(b4), med[o], med[0]));
		}
	}
	if (aborts)
		pr_info("# %llu transaction conflicts retried\n", aborts);
	if (check)
		pr_info("%sok - %s (%llu failed)\n", bad ? "not " : "", check, bad);
out:
	kfree(ps);
	return ret;
}

static unsigned int bench_rht_buckets(void)
{
	unsigned int size;

	rcu_read_lock();
	size = rht_dereference_rcu(bench_ht.tbl, &bench_ht)->size;
	rcu_read_unlock();
	return size;
}

static void bench_print_bpe(const char *what, u64 kvs10, u64 rht10)
{
	char b1[BENCH_NUMBUF], b2[BENCH_NUMBUF];

	snprintf(b1, sizeof(b1), "%llu.%llu", div64_u64(kvs10, 10), kvs10 % 10);
	snprintf(b2, sizeof(b2), "%llu.%llu", div64_u64(rht10, 10), rht10 % 10);
	pr_info("  %-44s  %8s  %10s\n", what, b1, b2);
}

static void bench_print_mem(u32 n, const struct kvs_table_stats *st,
			    u64 kvs_slab10, u64 kvs_all10,
			    u64 rht_slab10, u64 rht_all10)
{
	unsigned int buckets = bench_rht_buckets();
	u64 own10 = div64_u64(st->bytes * 10, max_t(u64, st->entries, 1));
	u64 nom10 = div64_u64(((u64)sizeof(struct bench_obj) * n +
			       (u64)buckets * sizeof(struct rhash_head *)) * 10,
			      max(n, 1U));
	char title[48];

	snprintf(title, sizeof(title), "bytes per entry at %u entries", n);
	pr_info("%-46s  %8s  %10s\n", title, "kvstore", "rhashtable");
	bench_print_bpe("own accounting (1)", own10, nom10);
	bench_print_bpe("slab: growth of meminfo Slab:", kvs_slab10, rht_slab10);
	bench_print_bpe("pages: drop of meminfo MemFree: (2)", kvs_all10, rht_all10);
	pr_info("# (1) kvstore: kvs_table_get_stats() bytes / entries (%llu / %llu);\n",
		st->bytes, st->entries);
	pr_info("# rhashtable: %zu-byte objects + %u bucket pointers, no slab rounding\n",
		sizeof(struct bench_obj), buckets);
	pr_info("# slab: kmalloc() rounding and slab pages included, and bucket arrays\n");
	pr_info("# while kvmalloc() finds them contiguous pages (large kmallocs count as slab)\n");
	pr_info("# (2) every page taken, slab or not (vmalloc, page tables); pages that\n");
	pr_info("# per-CPU free lists held before count as taken already: +-1-2%% at 1M\n");
	pr_info("# kvstore: %llu records, %llu retained versions\n",
		st->records, st->retained_versions);
}

/* ---- setup and teardown */

static int bench_keys_make(u32 n)
{
	u64 x = get_random_u64() | 1, *w;
	u32 i;

	bench_keys = vmalloc(array_size(n, sizeof(*bench_keys)));
	if (!bench_keys)
		return -ENOMEM;
	/* splitmix64: random enough for siphash and jhash, and quick. */
	for (i = 0; i < n; i++) {
		for (w = (u64 *)bench_keys[i].b;
		     w < (u64 *)(bench_keys[i].b + BENCH_KLEN); w++) {
			u64 z = (x += 0x9e3779b97f4a7c15ull);

			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
			*w = z ^ (z >> 31);
		}
		if (!(i % (16 * BENCH_BATCH)))
			cond_resched();
	}
	return 0;
}

/* Entries to use: @want, or fewer if MemAvailable cannot hold them. */
static u32 bench_entries(unsigned long want)
{
	u64 avail = (u64)si_mem_available() << PAGE_SHIFT;
	u64 fit = div64_u64(avail / 4 * 3, BENCH_EST_BYTES);
	u64 n = min_t(u64, want, U32_MAX / 2);

	if (n > fit) {
		n = fit / 1000 * 1000;
		pr_info("# fallback: %lu entries need ~%llu MB, MemAvailable is %llu MB: using %llu\n",
			want, div64_u64((u64)want * BENCH_EST_BYTES, SZ_1M),
			div64_u64(avail, SZ_1M), n);
	}
	return (u32)n;
}

static int bench_main(void)
{
	struct kvs_table_params p = {
		.max_key_size = BENCH_KLEN,
		.max_value_size = BENCH_VLEN,
		.flags = ordered ? KVS_TABLE_ORDERED : 0,
		.mode = 0600,
	};
	struct bench_mem m0, m1, m2;
	u64 kvs_slab10, kvs_all10, rht_slab10, rht_all10, kvs_ns, rht_ns;
	struct kvs_table_stats st;
	unsigned int maxthr;
	char b1[BENCH_NUMBUF], b2[BENCH_NUMBUF];
	u32 n, got, bad;
	int ret;

	reps = clamp(reps, 1U, 100U);
	run_ms = clamp(run_ms, 10U, 60000U);
	maxthr = clamp(threads, 1U, num_online_cpus());
	n = bench_entries(entries);
	if (!n)
		return -ENOMEM;
	pr_info("# kernel %s, %u CPUs online, MemAvailable %lu MB\n",
		init_utsname()->release, num_online_cpus(),
		si_mem_available() >> (20 - PAGE_SHIFT));
	pr_info("# %u entries: %d-byte random keys, %d-byte values; kvstore table %s; rhashtable with jhash, %zu-byte kmalloc objects\n",
		n, BENCH_KLEN, BENCH_VLEN,
		ordered ? "with an ordered index" : "hash-only", sizeof(struct bench_obj));
	pr_info("# timed phases of %u ms, %u repetitions (order rotated), 1..%u kthreads pinned to CPUs\n",
		run_ms, reps, maxthr);

	get_random_bytes(&bench_sipkey, sizeof(bench_sipkey));
	ret = bench_keys_make(n);
	if (ret)
		return ret;
	ret = kvs_table_create(kvs_store(), BENCH_NAME, &p, &bench_table);
	if (ret) {
		pr_info("not ok - kvs_table_create: %d\n", ret);
		goto out_keys;
	}
	ret = rhashtable_init(&bench_ht, &bench_rht_params);
	if (ret)
		goto out_table;

	bench_mem_snap(&m0);
	got = bench_load_kvs(n, &kvs_ns);
	bench_mem_snap(&m1);
	n = bench_load_rht(got, &rht_ns);
	flush_work(&bench_ht.run_work);		/* a pending resize */
	bench_mem_snap(&m2);
	kvs_table_get_stats(bench_table, &st);
	bench_mem_growth(&m0, &m1, got, &kvs_slab10, &kvs_all10);
	bench_mem_growth(&m1, &m2, n, &rht_slab10, &rht_all10);
	if (!n) {
		ret = -ENOMEM;
		goto out_rht;
	}

	pr_info("# load, 1 thread: kvs_put %s ns/op, rhashtable_insert_fast %s ns/op (kmalloc included)\n",
		bench_ns(b1, sizeof(b1), div64_u64(kvs_ns * 1000, got)),
		bench_ns(b2, sizeof(b2), div64_u64(rht_ns * 1000, n)));
	bench_print_mem(n, &st, kvs_slab10, kvs_all10, rht_slab10, rht_all10);
	bad = bench_verify(n);
	pr_info("%sok - both tables hold every key with its value (%u wrong)\n",
		bad ? "not " : "", bad);
	bench_n = n;

	ret = bench_table_print("point reads of random present keys (x: to rhashtable)",
				"every read found its key", BENCH_RHT,
				BENCH_PUT4 - BENCH_RHT, maxthr);
	if (ret)
		goto out_rht;
#ifdef KVS_BENCH_TXN
	ret = bench_table_print("writes of 4 random present keys, ns per 4 (x: to 4 x kvs_put)",
				"every write committed", BENCH_PUT4,
				BENCH_JHASH - BENCH_PUT4, maxthr);
#else
	pr_info("# 4-key transaction against 4 x kvs_put: pending (this kvstore exports no kvs_txn_commit)\n");
#endif
	if (!ret)
		ret = bench_table_print("for context: hashing the 16-byte key alone (x: to jhash2)",
					NULL, BENCH_JHASH,
					BENCH_NR_OPS - BENCH_JHASH, 1);

out_rht:
	rhashtable_free_and_destroy(&bench_ht, bench_obj_free, NULL);
out_table:
	kvs_table_put(bench_table);
	kvs_table_drop(kvs_store(), BENCH_NAME);
out_keys:
	vfree(bench_keys);
	bench_keys = NULL;
	return ret;
}

static int __init kvs_bench_init(void)
{
	int ret = bench_main();

	if (ret)
		pr_info("not ok - benchmark stopped: %d\n", ret);
	pr_info("# done\n");
	return 0;
}

static void __exit kvs_bench_exit(void)
{
}

module_init(kvs_bench_init);
module_exit(kvs_bench_exit);

MODULE_DESCRIPTION("kvstore benchmark: kvs_get against rhashtable, transactions, bytes per entry");
MODULE_LICENSE("GPL");

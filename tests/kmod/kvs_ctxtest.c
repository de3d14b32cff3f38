// SPDX-License-Identifier: GPL-2.0
/*
 * kvs_ctxtest: kvstore's exported API used from every context at once, as
 * another module would use it: reads from hardirq (an hrtimer in hard mode)
 * and softirq (a timer), writes from softirq (KVS_GFP_ATOMIC) and from
 * process context (kthreads, KVS_GFP_KERNEL), for a couple of seconds.
 * Readers check that always-present keys are never missing nor torn.
 * Meanwhile softirq and process context move money between the accounts
 * of an ordered table in transactions (kvs_txn_run()), and check the total
 * with ordered scans (kvs_scan()) and read-only transactions.
 * Prints KTAP at load; lockdep, KASAN and the atomic-sleep checks of the
 * debug kernel watch the rest.
 */
#define pr_fmt(fmt) fmt

#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/timer.h>
#include <linux/hrtimer.h>
#include <linux/delay.h>
#include <linux/random.h>
#include <linux/kvstore.h>

static unsigned int run_ms = 2000;
module_param(run_ms, uint, 0444);
MODULE_PARM_DESC(run_ms, "How long the contexts run concurrently (ms)");

#define CTX_KEYS	64	/* always present */
#define CTX_CHURN	64	/* inserted and deleted */

struct ctx_val {
	u32 key;
	u32 gen;
	u64 check;
};

static struct kvs_table *ctx_table;
static struct timer_list ctx_timer;
static struct hrtimer ctx_hrtimer;
static atomic_t ctx_stop;
static atomic64_t ctx_reads[2], ctx_bad[2], ctx_writes[2], ctx_write_errs[2];

/* The bank: CTX_ACCOUNTS accounts of CTX_BALANCE each, in an ordered table. */
#define CTX_ACCOUNTS	16
#define CTX_BALANCE	1000
static struct kvs_table *ctx_bank;
static atomic64_t ctx_moves[2], ctx_move_errs[2], ctx_sums[2], ctx_bad_sums[2];

/* Slots of the counters: reads by softirq/hardirq, writes by softirq/process. */
enum { CTX_SOFTIRQ = 0, CTX_HARDIRQ = 1, CTX_PROCESS = 1 };

static u64 ctx_check(u32 key, u32 gen)
{
	return (u64)key * 1000003 + gen;
}

static atomic_t ctx_seq;

static void ctx_read_one(int ctx)
{
	/*
	 * Not get_random_u32(): on PREEMPT_RT it takes a sleeping lock, and
	 * this runs in hardirq context too. A multiplicative hash of a
	 * counter spreads the keys well enough.
	 */
	u32 k = ((u32)atomic_inc_return(&ctx_seq) * 2654435761u) % CTX_KEYS;
	u32 vlen;
	const struct ctx_val *p;
	struct ctx_val v;
	bool ok;

	/* Copy-out form. */
	ok = !kvs_get(ctx_table, &k, sizeof(k), &v, sizeof(v), &vlen, NULL) &&
	     vlen == sizeof(v) && v.key == k && v.check == ctx_check(k, v.gen);
	/* Zero-copy form. */
	rcu_read_lock();
	p = kvs_lookup_rcu(ctx_table, &k, sizeof(k), &vlen, NULL);
	ok = ok && p && vlen == sizeof(*p) && p->key == k &&
	     p->check == ctx_check(k, p->gen);
	rcu_read_unlock();
	atomic64_inc(&ctx_reads[ctx]);
	if (!ok)
		atomic64_inc(&ctx_bad[ctx]);
}

/* Writes from @ctx: upsert a stable key, insert or delete a churn key. */
static void ctx_write_one(int ctx, kvs_gfp_t gfp, u32 gen)
{
	u32 k = get_random_u32() % CTX_KEYS;
	u32 c = CTX_KEYS + get_random_u32() % CTX_CHURN;
	struct ctx_val v = { .key = k, .gen = gen, .check = ctx_check(k, gen) };
	int ret;

	ret = kvs_put(ctx_table, &k, sizeof(k), &v, sizeof(v), KVS_PUT_UPSERT,
		      0, NULL, gfp);
	/* A full atomic pool may refuse GFP_ATOMIC; nothing else may fail. */
	if (ret && !(ret == -ENOMEM && gfp == KVS_GFP_ATOMIC))
		atomic64_inc(&ctx_write_errs[ctx]);
	v.key = c;
	v.check = ctx_check(c, gen);
	ret = kvs_put(ctx_table, &c, sizeof(c), &v, sizeof(v), KVS_PUT_INSERT,
		      0, NULL, gfp);
	if (ret == -EEXIST)
		ret = kvs_delete(ctx_table, &c, sizeof(c), KVS_DEL_ANY, 0, gfp);
	if (ret && ret != -ENOENT && !(ret == -ENOMEM && gfp == KVS_GFP_ATOMIC))
		atomic64_inc(&ctx_write_errs[ctx]);
	atomic64_inc(&ctx_writes[ctx]);
}

struct ctx_move {
	u32 from, to;
	s64 amount;
	u32 seq;
};

/* The body of a transfer: read both balances, refuse an overdraft. */
static int ctx_move_fn(struct kvs_txn *tx, void *arg)
{
	struct ctx_move *m = arg;
	s64 a, b;
	u32 vlen;
	int ret;

	ret = kvs_txn_get(tx, ctx_bank, &m->from, sizeof(m->from), &a,
			  sizeof(a), &vlen, NULL);
	if (!ret)
		ret = kvs_txn_get(tx, ctx_bank, &m->to, sizeof(m->to), &b,
				  sizeof(b), &vlen, NULL);
	if (ret)
		return ret;
	if (a < m->amount)
		return 0;	/* commits nothing */
	a -= m->amount;
	b += m->amount;
	ret = kvs_txn_put(tx, ctx_bank, &m->from, sizeof(m->from), &a,
			  sizeof(a), KVS_PUT_REPLACE, 0);
	if (!ret)
		ret = kvs_txn_put(tx, ctx_bank, &m->to, sizeof(m->to), &b,
				  sizeof(b), KVS_PUT_REPLACE, 0);
	return ret;
}

/* Hash of a counter (see ctx_read_one() for why not get_random_u32()). */
static u32 ctx_pick(u32 seq, u32 salt)
{
	return ((seq ^ salt) * 2654435761u) >> 8;
}

static void ctx_move(int ctx, kvs_gfp_t gfp)
{
	struct ctx_move m;
	int ret;

	m.seq = (u32)atomic_inc_return(&ctx_seq);
	m.from = ctx_pick(m.seq, 0) % CTX_ACCOUNTS;
	m.to = (m.from + 1 + ctx_pick(m.seq, 0x5bd1e995) % (CTX_ACCOUNTS - 1)) %
	       CTX_ACCOUNTS;
	m.amount = ctx_pick(m.seq, 0x27d4eb2f) % 300;
	ret = kvs_txn_run(kvs_store(), 0, gfp, 0, ctx_move_fn, &m);
	/* Conflicts past the retries, or GFP_ATOMIC pools: not errors. */
	if (ret && ret != -EAGAIN && !(ret == -ENOMEM && gfp == KVS_GFP_ATOMIC))
		atomic64_inc(&ctx_move_errs[ctx]);
	else if (!ret)
		atomic64_inc(&ctx_moves[ctx]);
}

static int ctx_sum_fn(void *arg, const void *key, u32 klen, const void *val,
		      u32 vlen, u64 version)
{
	s64 b;

	if (vlen != sizeof(b))
		return -EINVAL;
	memcpy(&b, val, sizeof(b));
	*(s64 *)arg += b;
	return 0;
}

/* The total by an ordered scan (softirq) or a read-only transaction. */
static void ctx_check_total(int ctx, kvs_gfp_t gfp)
{
	struct kvs_range all = { 0 };
	struct kvs_txn *tx;
	s64 sum = 0, b;
	u32 k, vlen;
	int ret;

	if (ctx == CTX_SOFTIRQ) {
		ret = kvs_scan(ctx_bank, &all, ctx_sum_fn, &sum, gfp);
	} else {
		ret = kvs_txn_begin(kvs_store(), KVS_TXN_RDONLY, gfp, &tx);
		if (ret)
			return;
		for (k = 0; !ret && k < CTX_ACCOUNTS; k++) {
			ret = kvs_txn_get(tx, ctx_bank, &k, sizeof(k), &b,
					  sizeof(b), &vlen, NULL);
			sum += ret ? 0 : b;
		}
		if (ret)
			kvs_txn_abort(tx);
		else
			ret = kvs_txn_commit(tx, NULL);
	}
	if (ret == -ENOMEM && gfp == KVS_GFP_ATOMIC)
		return;
	atomic64_inc(&ctx_sums[ctx]);
	if (ret || sum != (s64)CTX_ACCOUNTS * CTX_BALANCE)
		atomic64_inc(&ctx_bad_sums[ctx]);
}

static void ctx_timer_fn(struct timer_list *t)
{
	int i;

	for (i = 0; i < 8; i++)
		ctx_read_one(CTX_SOFTIRQ);
	ctx_write_one(CTX_SOFTIRQ, KVS_GFP_ATOMIC, 0x80000000u | get_random_u32());
	ctx_move(CTX_SOFTIRQ, KVS_GFP_ATOMIC);
	ctx_check_total(CTX_SOFTIRQ, KVS_GFP_ATOMIC);
	if (!atomic_read(&ctx_stop))
		mod_timer(&ctx_timer, jiffies + 1);
}

static enum hrtimer_restart ctx_hrtimer_fn(struct hrtimer *t)
{
	ctx_read_one(CTX_HARDIRQ);
	if (atomic_read(&ctx_stop))
		return HRTIMER_NORESTART;
	hrtimer_forward_now(t, ns_to_ktime(2 * NSEC_PER_MSEC));
	return HRTIMER_RESTART;
}

static int ctx_writer(void *arg)
{
	u32 gen = 0;

	while (!kthread_should_stop()) {
		ctx_write_one(CTX_PROCESS, KVS_GFP_KERNEL, ++gen);
		ctx_move(CTX_PROCESS, KVS_GFP_KERNEL);
		if (!(gen % 8))
			ctx_check_total(CTX_PROCESS, KVS_GFP_KERNEL);
		cond_resched();
	}
	return 0;
}

static void ctx_report(int n, bool ok, const char *what)
{
	pr_info("%sok %d %s\n", ok ? "" : "not ", n, what);
}

static int __init kvs_ctxtest_init(void)
{
	struct kvs_table_params p = {
		.max_key_size = 16, .max_value_size = 64, .flags = KVS_TABLE_ORDERED,
		.mode = 0600,
	};
	struct task_struct *w[2];
	struct kvs_table_stats st;
	int i, ret;
	u32 k;

	pr_info("KTAP version 1\n");
	pr_info("1..8\n");
	ret = kvs_table_create(kvs_store(), "kvs_ctxtest", &p, &ctx_table);
	ctx_report(1, !ret, "create a table through the exported API");
	if (ret)
		return 0;
	for (k = 0; k < CTX_KEYS; k++) {
		struct ctx_val v = { .key = k, .check = ctx_check(k, 0) };

		kvs_put(ctx_table, &k, sizeof(k), &v, sizeof(v), KVS_PUT_UPSERT, 0,
			NULL, KVS_GFP_KERNEL);
	}
	ret = kvs_table_create(kvs_store(), "kvs_ctxtest_bank", &p, &ctx_bank);
	for (k = 0; !ret && k < CTX_ACCOUNTS; k++) {
		s64 b = CTX_BALANCE;

		ret = kvs_put(ctx_bank, &k, sizeof(k), &b, sizeof(b),
			      KVS_PUT_INSERT, 0, NULL, KVS_GFP_KERNEL);
	}
	if (ret) {
		pr_info("# bank table: %d\n", ret);
		kvs_table_put(ctx_table);
		if (ctx_bank)
			kvs_table_put(ctx_bank);
		return 0;
	}

	timer_setup(&ctx_timer, ctx_timer_fn, 0);
	hrtimer_init(&ctx_hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	ctx_hrtimer.function = ctx_hrtimer_fn;
	for (i = 0; i < 2; i++)
		w[i] = kthread_run(ctx_writer, NULL, "kvs_ctx_w%d", i);
	mod_timer(&ctx_timer, jiffies + 1);
	hrtimer_start(&ctx_hrtimer, ns_to_ktime(2 * NSEC_PER_MSEC),
		      HRTIMER_MODE_REL_HARD);
	msleep(run_ms);
	atomic_set(&ctx_stop, 1);
	for (i = 0; i < 2; i++)
		if (!IS_ERR(w[i]))
			kthread_stop(w[i]);
	del_timer_sync(&ctx_timer);
	hrtimer_cancel(&ctx_hrtimer);

	pr_info("# softirq: %lld reads, %lld writes; hardirq: %lld reads; process: %lld writes\n",
		atomic64_read(&ctx_reads[CTX_SOFTIRQ]),
		atomic64_read(&ctx_writes[CTX_SOFTIRQ]),
		atomic64_read(&ctx_reads[CTX_HARDIRQ]),
		atomic64_read(&ctx_writes[CTX_PROCESS]));
	ctx_report(2, atomic64_read(&ctx_reads[CTX_SOFTIRQ]) > 0 &&
		   !atomic64_read(&ctx_bad[CTX_SOFTIRQ]),
		   "softirq reads never miss nor tear a present key");
	ctx_report(3, atomic64_read(&ctx_reads[CTX_HARDIRQ]) > 0 &&
		   !atomic64_read(&ctx_bad[CTX_HARDIRQ]),
		   "hardirq reads never miss nor tear a present key");
	ctx_report(4, atomic64_read(&ctx_writes[CTX_SOFTIRQ]) > 0 &&
		   !atomic64_read(&ctx_write_errs[CTX_SOFTIRQ]),
		   "softirq writes with KVS_GFP_ATOMIC");
	ctx_report(5, !IS_ERR(w[0]) && !IS_ERR(w[1]) &&
		   atomic64_read(&ctx_writes[CTX_PROCESS]) > 0 &&
		   !atomic64_read(&ctx_write_errs[CTX_PROCESS]),
		   "process-context writes meanwhile");
	kvs_table_get_stats(ctx_table, &st);
	kvs_table_put(ctx_table);
	ret = kvs_table_drop(kvs_store(), "kvs_ctxtest");
	ctx_report(6, !ret && st.entries >= CTX_KEYS, "drop the table");

	pr_info("# bank: %lld softirq and %lld process transfers, %lld scans and %lld read-only txns checked the total\n",
		atomic64_read(&ctx_moves[CTX_SOFTIRQ]),
		atomic64_read(&ctx_moves[CTX_PROCESS]),
		atomic64_read(&ctx_sums[CTX_SOFTIRQ]),
		atomic64_read(&ctx_sums[CTX_PROCESS]));
	ctx_report(7, atomic64_read(&ctx_moves[CTX_SOFTIRQ]) > 0 &&
		   atomic64_read(&ctx_moves[CTX_PROCESS]) > 0 &&
		   !atomic64_read(&ctx_move_errs[CTX_SOFTIRQ]) &&
		   !atomic64_read(&ctx_move_errs[CTX_PROCESS]),
		   "transactions from softirq and process context");
	ctx_check_total(CTX_PROCESS, KVS_GFP_KERNEL);
	ctx_report(8, atomic64_read(&ctx_sums[CTX_SOFTIRQ]) > 0 &&
		   !atomic64_read(&ctx_bad_sums[CTX_SOFTIRQ]) &&
		   !atomic64_read(&ctx_bad_sums[CTX_PROCESS]),
		   "scans and read-only transactions always see the exact total");
	kvs_table_put(ctx_bank);
	kvs_table_drop(kvs_store(), "kvs_ctxtest_bank");
	return 0;
}

static void __exit kvs_ctxtest_exit(void)
{
}

module_init(kvs_ctxtest_init);
module_exit(kvs_ctxtest_exit);

MODULE_DESCRIPTION("kvstore test: the exported API from hardirq, softirq and process context");
MODULE_LICENSE("GPL");

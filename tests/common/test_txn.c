// SPDX-License-Identifier: GPL-2.0
/*
 * test_txn.c - transactions: semantics, conflicts, phantoms, limits, allocation failures.
 */
#include "kvs_tests.h"
#include "kvs_store.h"

static const struct kvs_table_params txn_test_params = {
	.max_key_size = 64,
	.max_value_size = 1024,
	.mode = 0600,
};

static struct kvs_store *txn_store_new(void)
{
	struct kvs_store *s = kvs_zalloc(sizeof(*s), KVS_GFP_KERNEL);

	KVS_TEST_NOT_NULL(s);
	KVS_TEST_EQ(kvs_store_init(s, 0, 512, 65536), 0);
	return s;
}

static void txn_store_free(struct kvs_store *s)
{
	kvs_store_destroy(s);
	kvs_free(s);
}

static struct kvs_table *txn_table_new(struct kvs_store *s, const char *name,
				       u32 flags)
{
	struct kvs_table_params p = txn_test_params;
	struct kvs_table *t;

	p.flags = flags;
	KVS_TEST_EQ(kvs_table_create(s, name, &p, &t), 0);
	return t;
}

/* ---- string keys and values ------------------------------------------- */

/* A plain (non-transactional) put of a string value. */
static int txn_put_str(struct kvs_table *t, const char *key, const char *val,
		       unsigned int mode, u64 expect, u64 *ver)
{
	return kvs_put(t, key, strlen(key), val, strlen(val), mode, expect,
		       ver, KVS_GFP_KERNEL);
}

static int txn_del_str(struct kvs_table *t, const char *key)
{
	return kvs_delete(t, key, strlen(key), KVS_DEL_ANY, 0, KVS_GFP_KERNEL);
}

static int txn_tput(struct kvs_txn *tx, struct kvs_table *t, const char *key,
		    const char *val, unsigned int mode, u64 expect)
{
	return kvs_txn_put(tx, t, key, strlen(key), val, strlen(val), mode,
			   expect);
}

static int txn_tdel(struct kvs_txn *tx, struct kvs_table *t, const char *key,
		    unsigned int mode, u64 expect)
{
	return kvs_txn_delete(tx, t, key, strlen(key), mode, expect);
}

/* Does a get's result (@ret, @buf of @vlen bytes) say @want (NULL: absent)? */
static bool txn_result_is(int ret, const char *buf, u32 vlen,
			  const char *want)
{
	if (!want)
		return ret == -ENOENT;
	return !ret && vlen == strlen(want) && !memcmp(buf, want, vlen);
}

static void txn_log_get(const char *what, const char *key, int ret,
			const char *buf, u32 vlen, const char *want)
{
	kvs_test_log("%s \"%s\": ret %d, value \"%.*s\"; want %s%s%s", what,
		     key, ret, ret ? 0 : (int)vlen, buf, want ? "\"" : "",
		     want ? want : "absent", want ? "\"" : "");
}

/*
 * Plain get: is @key's value @want (NULL: absent)? @ver (may be NULL): out,
 * its version, or U64_MAX if the get failed.
 */
static bool txn_get_match(struct kvs_table *t, const char *key,
			  const char *want, u64 *ver, bool log)
{
	char buf[64];
	u32 vlen = 0;
	u64 v = 0;
	int ret = kvs_get(t, key, strlen(key), buf, sizeof(buf), &vlen, &v);
	bool ok = txn_result_is(ret, buf, vlen, want);

	if (!ok && log)
		txn_log_get("get", key, ret, buf, vlen, want);
	if (ver)
		*ver = ret ? U64_MAX : v;
	return ok;
}

static bool txn_get_is(struct kvs_table *t, const char *key, const char *want,
		       u64 *ver)
{
	return txn_get_match(t, key, want, ver, true);
}

/* As txn_get_is(), in @tx. */
static bool txn_tget_is(struct kvs_txn *tx, struct kvs_table *t,
			const char *key, const char *want, u64 *ver)
{
	char buf[64];
	u32 vlen = 0;
	u64 v = 0;
	int ret = kvs_txn_get(tx, t, key, strlen(key), buf, sizeof(buf), &vlen,
			      &v);
	bool ok = txn_result_is(ret, buf, vlen, want);

	if (!ok)
		txn_log_get("txn get", key, ret, buf, vlen, want);
	if (ver)
		*ver = ret ? U64_MAX : v;
	return ok;
}

/*
 * What the table's records and versions should be charged, recounted from
 * the structures (keys of txn_fn_keys only), and how many allocations they
 * are: a record's own size covers a first version embedded in it.
 */
static u64 txn_recount(struct kvs_table *t, const char *const *keys,
		       unsigned int nkeys, long *allocs)
{
	struct kvs_version *v;
	struct kvs_record *r;
	unsigned int i;
	u64 bytes = 0;

	*allocs = 0;
	kvs_rcu_read_lock();
	for (i = 0; i < nkeys; i++) {
		r = kvs_record_find(t, keys[i], strlen(keys[i]));
		if (!r)
			continue;
		bytes += r->size;
		++*allocs;
		for (v = kvs_rcu_dereference(r->newest); v;
		     v = kvs_rcu_dereference(v->older)) {
			if (v->embedded)
				continue;
			bytes += sizeof(*v) + v->vlen;
			++*allocs;
		}
	}
	kvs_rcu_read_unlock();
	return bytes;
}

/* ---- scans -------------------------------------------------------------- */

/* What a scan visited, as "key=value key=value ..." in visiting order. */
struct txn_acc {
	const char *stop;	/* stop the scan at this key */
	int stop_ret;		/* and return this there */
	unsigned int n;		/* keys visited */
	unsigned int own;	/* of which with version 0 */
	u64 maxver;		/* highest version seen */
	bool overflow;		/* @buf was too small */
	u32 len;
	char buf[160];
};

/* Runs under RCU: no assertions here. */
static int txn_acc_fn(void *arg, const void *key, u32 klen, const void *val,
		      u32 vlen, u64 version)
{
	struct txn_acc *a = arg;

	a->n++;
	if (!version)
		a->own++;
	if (version > a->maxver)
		a->maxver = version;
	if (a->len + klen + vlen + 3 > sizeof(a->buf)) {
		a->overflow = true;
	} else {
		if (a->len)
			a->buf[a->len++] = ' ';
		memcpy(a->buf + a->len, key, klen);
		a->len += klen;
		a->buf[a->len++] = '=';
		if (vlen)
			memcpy(a->buf + a->len, val, vlen);
		a->len += vlen;
		a->buf[a->len] = '\0';
	}
	if (a->stop && klen == strlen(a->stop) && !memcmp(key, a->stop, klen))
		return a->stop_ret;
	return 0;
}

static bool txn_acc_is(const struct txn_acc *a, const char *want)
{
	bool ok = !a->overflow && !strcmp(a->buf, want);

	if (!ok)
		kvs_test_log("scan: got \"%s\"%s; want \"%s\"", a->buf,
			     a->overflow ? " (overflow)" : "", want);
	return ok;
}

static void txn_range_set(struct kvs_range *r, const char *lo, const char *hi,
			  const char *prefix, u32 flags)
{
	memset(r, 0, sizeof(*r));
	r->lo = lo;
	r->lo_len = lo ? strlen(lo) : 0;
	r->hi = hi;
	r->hi_len = hi ? strlen(hi) : 0;
	r->prefix = prefix;
	r->prefix_len = prefix ? strlen(prefix) : 0;
	r->flags = flags;
}

/*
 * Scan @r of @t in @tx, or outside any transaction if @tx is NULL, into
 * @a; the callback returns @stop_ret at key @stop (if not NULL).
 */
static int txn_scan_acc(struct kvs_txn *tx, struct kvs_table *t,
			const struct kvs_range *r, const char *stop,
			int stop_ret, struct txn_acc *a)
{
	memset(a, 0, sizeof(*a));
	a->stop = stop;
	a->stop_ret = stop_ret;
	if (tx)
		return kvs_txn_scan(tx, t, r, txn_acc_fn, a);
	return kvs_scan(t, r, txn_acc_fn, a, KVS_GFP_KERNEL);
}

/* Scan all of @t (outside a transaction): is it exactly @want? */
static bool txn_table_is(struct kvs_table *t, const char *want)
{
	struct kvs_range all;
	struct txn_acc acc;
	int ret;

	txn_range_set(&all, NULL, NULL, NULL, 0);
	ret = txn_scan_acc(NULL, t, &all, NULL, 0, &acc);
	if (ret) {
		kvs_test_log("kvs_scan: %d", ret);
		return false;
	}
	return txn_acc_is(&acc, want);
}

/* ---- txn_basic ---------------------------------------------------------- */

/*
 * Read-your-writes, snapshot isolation, abort, an atomic commit over an
 * ordered and an unordered table at one version, and transactions that
 * wrote nothing committing at their snapshot.
 */
KVS_TEST(txn_basic)
{
	struct kvs_store *s = txn_store_new();
	struct kvs_table *o = txn_table_new(s, "ord", KVS_TABLE_ORDERED);
	struct kvs_table *h = txn_table_new(s, "hash", 0);
	u64 va, va2, vb, vc, vx, snap, cv, v;
	struct kvs_table_stats st0, st1;
	struct kvs_range all, rev;
	struct txn_acc acc;
	struct kvs_txn *tx;

	txn_range_set(&all, NULL, NULL, NULL, 0);
	txn_range_set(&rev, NULL, NULL, NULL, KVS_SCAN_REVERSE);
	KVS_TEST_EQ(txn_put_str(o, "a", "1", KVS_PUT_INSERT, 0, &va), 0);
	KVS_TEST_EQ(txn_put_str(o, "b", "2", KVS_PUT_INSERT, 0, &vb), 0);
	KVS_TEST_EQ(txn_put_str(h, "x", "10", KVS_PUT_INSERT, 0, &vx), 0);

	/* Snapshot isolation: what commits after begin is not seen. */
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	KVS_TEST_NOT_NULL(tx);
	snap = kvs_txn_snapshot(tx);
	KVS_TEST_GE(snap, vx);
	KVS_TEST_EQ(txn_put_str(o, "a", "1x", KVS_PUT_REPLACE, 0, &va2), 0);
	KVS_TEST_EQ(txn_put_str(o, "c", "3", KVS_PUT_INSERT, 0, &vc), 0);
	KVS_TEST_GT(va2, snap);
	KVS_TEST_ASSERT(txn_tget_is(tx, o, "a", "1", &v));
	KVS_TEST_EQ(v, va);
	KVS_TEST_ASSERT(txn_tget_is(tx, o, "c", NULL, NULL));
	KVS_TEST_EQ(txn_scan_acc(tx, o, &all, NULL, 0, &acc), 0);
	KVS_TEST_ASSERT(txn_acc_is(&acc, "a=1 b=2"));
	KVS_TEST_EQ(acc.own, 0);
	KVS_TEST_EQ(acc.maxver, vb);

	/* Read-your-writes in gets and scans; nobody else sees the writes. */
	KVS_TEST_EQ(txn_tput(tx, o, "a", "A", KVS_PUT_UPSERT, 0), 0);
	KVS_TEST_EQ(txn_tput(tx, o, "d", "4", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(txn_tdel(tx, o, "b", KVS_DEL_ANY, 0), 0);
	KVS_TEST_EQ(txn_tput(tx, h, "y", "20", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_ASSERT(txn_tget_is(tx, o, "a", "A", &v));
	KVS_TEST_EQ(v, 0);
	KVS_TEST_ASSERT(txn_tget_is(tx, o, "d", "4", &v));
	KVS_TEST_EQ(v, 0);
	KVS_TEST_ASSERT(txn_tget_is(tx, o, "b", NULL, NULL));
	KVS_TEST_ASSERT(txn_tget_is(tx, h, "y", "20", &v));
	KVS_TEST_EQ(v, 0);
	KVS_TEST_ASSERT(txn_tget_is(tx, h, "x", "10", &v));
	KVS_TEST_EQ(v, vx);
	KVS_TEST_EQ(txn_scan_acc(tx, o, &all, NULL, 0, &acc), 0);
	KVS_TEST_ASSERT(txn_acc_is(&acc, "a=A d=4"));
	KVS_TEST_EQ(acc.own, 2);
	KVS_TEST_EQ(txn_scan_acc(tx, o, &rev, NULL, 0, &acc), 0);
	KVS_TEST_ASSERT(txn_acc_is(&acc, "d=4 a=A"));
	KVS_TEST_EQ(txn_scan_acc(tx, h, &all, NULL, 0, &acc), -EOPNOTSUPP);
	KVS_TEST_ASSERT(txn_get_is(o, "a", "1x", NULL));
	KVS_TEST_ASSERT(txn_get_is(o, "d", NULL, NULL));
	KVS_TEST_ASSERT(txn_get_is(h, "y", NULL, NULL));
	KVS_TEST_ASSERT(txn_table_is(o, "a=1x b=2 c=3"));

	/* Abort applies nothing... */
	kvs_txn_abort(tx);
	KVS_TEST_ASSERT(txn_table_is(o, "a=1x b=2 c=3"));
	KVS_TEST_ASSERT(txn_get_is(h, "y", NULL, NULL));
	KVS_TEST_ASSERT(txn_get_is(h, "x", "10", NULL));
	kvs_table_get_stats(o, &st1);
	KVS_TEST_EQ(st1.entries, 3);
	kvs_table_get_stats(h, &st1);
	KVS_TEST_EQ(st1.entries, 1);

	/* ...and gives back what its writes were charged (nothing to reclaim here). */
	kvs_store_gc_sync(s);
	kvs_table_get_stats(o, &st0);
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	KVS_TEST_EQ(txn_tput(tx, o, "a", "A", KVS_PUT_UPSERT, 0), 0);
	KVS_TEST_EQ(txn_tput(tx, o, "d", "4", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(txn_tdel(tx, o, "b", KVS_DEL_ANY, 0), 0);
	kvs_table_get_stats(o, &st1);
	KVS_TEST_GT(st1.bytes, st0.bytes);
	kvs_txn_abort(tx);
	kvs_store_gc_sync(s);
	kvs_table_get_stats(o, &st1);
	KVS_TEST_EQ(st1.bytes, st0.bytes);
	KVS_TEST_EQ(st1.records, st0.records);

	/*
	 * A new transaction sees what committed before it began; its commit
	 * applies every write, in both tables, at one version.
	 */
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	snap = kvs_txn_snapshot(tx);
	KVS_TEST_GE(snap, vc);
	KVS_TEST_ASSERT(txn_tget_is(tx, o, "a", "1x", &v));
	KVS_TEST_EQ(v, va2);
	KVS_TEST_ASSERT(txn_tget_is(tx, o, "c", "3", &v));
	KVS_TEST_EQ(v, vc);
	KVS_TEST_EQ(txn_tput(tx, o, "a", "A2", KVS_PUT_REPLACE, 0), 0);
	KVS_TEST_EQ(txn_tput(tx, o, "e", "5", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(txn_tdel(tx, o, "c", KVS_DEL_CAS, vc), 0);
	KVS_TEST_EQ(txn_tput(tx, h, "x", "11", KVS_PUT_CAS, vx), 0);
	KVS_TEST_EQ(txn_tput(tx, h, "y", "20", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(txn_tput(tx, h, "z", "30", KVS_PUT_UPSERT, 0), 0);
	KVS_TEST_ASSERT(txn_table_is(o, "a=1x b=2 c=3"));
	KVS_TEST_ASSERT(txn_get_is(h, "x", "10", NULL));
	cv = 0;
	KVS_TEST_EQ(kvs_txn_commit(tx, &cv), 0);
	KVS_TEST_GT(cv, snap);
	KVS_TEST_ASSERT(txn_get_is(o, "a", "A2", &v));
	KVS_TEST_EQ(v, cv);
	KVS_TEST_ASSERT(txn_get_is(o, "e", "5", &v));
	KVS_TEST_EQ(v, cv);
	KVS_TEST_ASSERT(txn_get_is(o, "c", NULL, NULL));
	KVS_TEST_ASSERT(txn_get_is(o, "b", "2", &v));
	KVS_TEST_EQ(v, vb);
	KVS_TEST_ASSERT(txn_get_is(h, "x", "11", &v));
	KVS_TEST_EQ(v, cv);
	KVS_TEST_ASSERT(txn_get_is(h, "y", "20", &v));
	KVS_TEST_EQ(v, cv);
	KVS_TEST_ASSERT(txn_get_is(h, "z", "30", &v));
	KVS_TEST_EQ(v, cv);
	KVS_TEST_EQ(txn_scan_acc(NULL, o, &all, NULL, 0, &acc), 0);
	KVS_TEST_ASSERT(txn_acc_is(&acc, "a=A2 b=2 e=5"));
	KVS_TEST_EQ(acc.maxver, cv);
	kvs_table_get_stats(o, &st1);
	KVS_TEST_EQ(st1.entries, 3);
	kvs_table_get_stats(h, &st1);
	KVS_TEST_EQ(st1.entries, 3);

	/* All or nothing: a conflict in one table applies nothing in either. */
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	KVS_TEST_ASSERT(txn_tget_is(tx, h, "x", "11", NULL));
	KVS_TEST_EQ(txn_tput(tx, o, "f", "6", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(txn_tput(tx, o, "a", "A3", KVS_PUT_REPLACE, 0), 0);
	KVS_TEST_EQ(txn_tput(tx, h, "x", "12", KVS_PUT_REPLACE, 0), 0);
	KVS_TEST_EQ(txn_put_str(h, "x", "13", KVS_PUT_UPSERT, 0, NULL), 0);
	KVS_TEST_EQ(kvs_txn_commit(tx, &v), -EAGAIN);
	KVS_TEST_ASSERT(txn_table_is(o, "a=A2 b=2 e=5"));
	KVS_TEST_ASSERT(txn_get_is(o, "a", "A2", &v));
	KVS_TEST_EQ(v, cv);
	KVS_TEST_ASSERT(txn_get_is(h, "x", "13", NULL));
	kvs_table_get_stats(o, &st1);
	KVS_TEST_EQ(st1.entries, 3);

	/*
	 * No writes (a refused put is none): commits at its snapshot, even
	 * though what it read changed meanwhile.
	 */
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	snap = kvs_txn_snapshot(tx);
	KVS_TEST_ASSERT(txn_tget_is(tx, o, "a", "A2", NULL));
	KVS_TEST_EQ(txn_scan_acc(tx, o, &all, NULL, 0, &acc), 0);
	KVS_TEST_EQ(txn_tput(tx, o, "a", "Z", KVS_PUT_INSERT, 0), -EEXIST);
	KVS_TEST_EQ(txn_put_str(o, "a", "A4", KVS_PUT_UPSERT, 0, NULL), 0);
	KVS_TEST_EQ(txn_put_str(o, "g", "7", KVS_PUT_UPSERT, 0, NULL), 0);
	v = 0;
	KVS_TEST_EQ(kvs_txn_commit(tx, &v), 0);
	KVS_TEST_EQ(v, snap);
	KVS_TEST_ASSERT(txn_get_is(o, "a", "A4", NULL));

	KVS_TEST_EQ(kvs_txn_begin(s, KVS_TXN_RDONLY, KVS_GFP_KERNEL, &tx), 0);
	snap = kvs_txn_snapshot(tx);
	KVS_TEST_ASSERT(txn_tget_is(tx, o, "a", "A4", NULL));
	KVS_TEST_EQ(txn_put_str(o, "a", "A5", KVS_PUT_UPSERT, 0, NULL), 0);
	v = 0;
	KVS_TEST_EQ(kvs_txn_commit(tx, &v), 0);
	KVS_TEST_EQ(v, snap);

	kvs_table_put(o);
	kvs_table_put(h);
	txn_store_free(s);
}

/* ---- txn_modes ---------------------------------------------------------- */

/* Oversized keys and values; test bodies never run concurrently. */
static u8 txn_big[1100];

/* Is @tx's view of "s" still "u" (its own write) and "s2" still "i"? */
static void txn_modes_view_intact(struct kvs_txn *tx, struct kvs_table *t)
{
	u64 v;

	KVS_TEST_ASSERT(txn_tget_is(tx, t, "s", "u", &v));
	KVS_TEST_EQ(v, 0);
	KVS_TEST_ASSERT(txn_tget_is(tx, t, "s2", "i", &v));
	KVS_TEST_EQ(v, 0);
	KVS_TEST_ASSERT(txn_tget_is(tx, t, "n", NULL, NULL));
}

static void txn_modes_in(u32 flags)
{
	struct kvs_store *s = txn_store_new();
	struct kvs_table *t = txn_table_new(s, "t", flags);
	bool ordered = flags & KVS_TABLE_ORDERED;
	struct kvs_table_stats st;
	struct kvs_range all;
	struct txn_acc acc;
	struct kvs_txn *tx;
	u64 vs, vs2, v, cv;
	u32 vlen;

	txn_range_set(&all, NULL, NULL, NULL, 0);
	memset(txn_big, 'B', sizeof(txn_big));
	KVS_TEST_EQ(txn_put_str(t, "s", "1", KVS_PUT_INSERT, 0, &vs), 0);
	KVS_TEST_EQ(txn_put_str(t, "s2", "2", KVS_PUT_INSERT, 0, &vs2), 0);
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);

	/* Against snapshot keys: failed conditions leave the view alone. */
	KVS_TEST_EQ(txn_tput(tx, t, "s", "x", KVS_PUT_INSERT, 0), -EEXIST);
	KVS_TEST_EQ(txn_tput(tx, t, "s", "x", KVS_PUT_CAS, 0), -EEXIST);
	KVS_TEST_EQ(txn_tput(tx, t, "s", "x", KVS_PUT_CAS, vs + 1), -EAGAIN);
	KVS_TEST_EQ(txn_tdel(tx, t, "s", KVS_DEL_CAS, vs + 1), -EAGAIN);
	KVS_TEST_EQ(txn_tput(tx, t, "n", "x", KVS_PUT_REPLACE, 0), -ENOENT);
	KVS_TEST_EQ(txn_tput(tx, t, "n", "x", KVS_PUT_CAS, 5), -ENOENT);
	KVS_TEST_EQ(txn_tdel(tx, t, "n", KVS_DEL_ANY, 0), -ENOENT);
	KVS_TEST_EQ(txn_tdel(tx, t, "n", KVS_DEL_CAS, vs), -ENOENT);
	KVS_TEST_ASSERT(txn_tget_is(tx, t, "s", "1", &v));
	KVS_TEST_EQ(v, vs);
	KVS_TEST_ASSERT(txn_tget_is(tx, t, "s2", "2", &v));
	KVS_TEST_EQ(v, vs2);
	KVS_TEST_ASSERT(txn_tget_is(tx, t, "n", NULL, NULL));
	if (ordered) {
		KVS_TEST_EQ(txn_scan_acc(tx, t, &all, NULL, 0, &acc), 0);
		KVS_TEST_ASSERT(txn_acc_is(&acc, "s=1 s2=2"));
		KVS_TEST_EQ(acc.own, 0);
	}

	/* A snapshot key written in the txn is its own: version 0. */
	KVS_TEST_EQ(txn_tput(tx, t, "s", "c", KVS_PUT_CAS, vs), 0);
	KVS_TEST_ASSERT(txn_tget_is(tx, t, "s", "c", &v));
	KVS_TEST_EQ(v, 0);
	KVS_TEST_EQ(txn_tput(tx, t, "s", "x", KVS_PUT_CAS, vs), -EAGAIN);
	KVS_TEST_EQ(txn_tput(tx, t, "s", "x", KVS_PUT_CAS, 0), -EEXIST);
	KVS_TEST_EQ(txn_tput(tx, t, "s", "x", KVS_PUT_INSERT, 0), -EEXIST);
	KVS_TEST_EQ(txn_tdel(tx, t, "s", KVS_DEL_CAS, vs), -EAGAIN);
	KVS_TEST_ASSERT(txn_tget_is(tx, t, "s", "c", &v));
	KVS_TEST_EQ(v, 0);
	KVS_TEST_EQ(txn_tput(tx, t, "s", "r", KVS_PUT_REPLACE, 0), 0);
	KVS_TEST_ASSERT(txn_tget_is(tx, t, "s", "r", &v));
	KVS_TEST_EQ(txn_tput(tx, t, "s", "u", KVS_PUT_UPSERT, 0), 0);
	KVS_TEST_ASSERT(txn_tget_is(tx, t, "s", "u", &v));
	KVS_TEST_EQ(v, 0);
	KVS_TEST_ASSERT(txn_get_is(t, "s", "1", &v));
	KVS_TEST_EQ(v, vs);

	/* An own insert, deleted again: absent, and never visible outside. */
	KVS_TEST_EQ(txn_tput(tx, t, "n", "n1", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_ASSERT(txn_tget_is(tx, t, "n", "n1", &v));
	KVS_TEST_EQ(v, 0);
	KVS_TEST_ASSERT(txn_get_is(t, "n", NULL, NULL));
	KVS_TEST_EQ(txn_tput(tx, t, "n", "x", KVS_PUT_INSERT, 0), -EEXIST);
	KVS_TEST_EQ(txn_tput(tx, t, "n", "x", KVS_PUT_CAS, 0), -EEXIST);
	KVS_TEST_EQ(txn_tput(tx, t, "n", "x", KVS_PUT_CAS, vs), -EAGAIN);
	KVS_TEST_EQ(txn_tdel(tx, t, "n", KVS_DEL_CAS, vs), -EAGAIN);
	KVS_TEST_ASSERT(txn_tget_is(tx, t, "n", "n1", NULL));
	KVS_TEST_EQ(txn_tdel(tx, t, "n", KVS_DEL_CAS, 0), 0);
	KVS_TEST_ASSERT(txn_tget_is(tx, t, "n", NULL, NULL));
	KVS_TEST_EQ(txn_tdel(tx, t, "n", KVS_DEL_ANY, 0), -ENOENT);
	KVS_TEST_EQ(txn_tput(tx, t, "n", "x", KVS_PUT_REPLACE, 0), -ENOENT);
	KVS_TEST_EQ(txn_tput(tx, t, "n", "x", KVS_PUT_CAS, 7), -ENOENT);
	KVS_TEST_EQ(txn_tput(tx, t, "n", "n2", KVS_PUT_CAS, 0), 0);
	KVS_TEST_ASSERT(txn_tget_is(tx, t, "n", "n2", NULL));
	KVS_TEST_EQ(txn_tdel(tx, t, "n", KVS_DEL_ANY, 0), 0);
	KVS_TEST_ASSERT(txn_tget_is(tx, t, "n", NULL, NULL));
	KVS_TEST_ASSERT(txn_get_is(t, "n", NULL, NULL));

	/* A snapshot key deleted, then inserted again. */
	KVS_TEST_EQ(txn_tdel(tx, t, "s2", KVS_DEL_CAS, vs2), 0);
	KVS_TEST_ASSERT(txn_tget_is(tx, t, "s2", NULL, NULL));
	KVS_TEST_EQ(txn_tdel(tx, t, "s2", KVS_DEL_ANY, 0), -ENOENT);
	KVS_TEST_EQ(txn_tput(tx, t, "s2", "x", KVS_PUT_REPLACE, 0), -ENOENT);
	KVS_TEST_EQ(txn_tput(tx, t, "s2", "i", KVS_PUT_INSERT, 0), 0);
	txn_modes_view_intact(tx, t);
	if (ordered) {
		KVS_TEST_EQ(txn_scan_acc(tx, t, &all, NULL, 0, &acc), 0);
		KVS_TEST_ASSERT(txn_acc_is(&acc, "s=u s2=i"));
		KVS_TEST_EQ(acc.own, 2);
	}

	/* Bad arguments change nothing either. */
	KVS_TEST_EQ(kvs_txn_put(tx, t, NULL, 1, "v", 1, 0, 0), -EINVAL);
	KVS_TEST_EQ(kvs_txn_put(tx, t, "s", 0, "v", 1, 0, 0), -EINVAL);
	KVS_TEST_EQ(kvs_txn_put(tx, t, "s", 1, "v", 1, KVS_PUT_MODES, 0), -EINVAL);
	KVS_TEST_EQ(kvs_txn_put(tx, t, "s", 1, "v", 1, 99, 0), -EINVAL);
	KVS_TEST_EQ(kvs_txn_put(tx, t, "s", 1, NULL, 1, 0, 0), -EINVAL);
	KVS_TEST_EQ(kvs_txn_put(tx, t, txn_big, 65, "v", 1, 0, 0), -E2BIG);
	KVS_TEST_EQ(kvs_txn_put(tx, t, "s", 1, txn_big, 1025, 0, 0), -E2BIG);
	KVS_TEST_EQ(kvs_txn_put(tx, t, "s2", 2, txn_big, 1025, KVS_PUT_REPLACE, 0), -E2BIG);
	KVS_TEST_EQ(kvs_txn_delete(tx, t, NULL, 1, 0, 0), -EINVAL);
	KVS_TEST_EQ(kvs_txn_delete(tx, t, "s", 0, 0, 0), -EINVAL);
	KVS_TEST_EQ(kvs_txn_delete(tx, t, "s", 1, 2, 0), -EINVAL);
	KVS_TEST_EQ(kvs_txn_delete(tx, t, txn_big, 65, 0, 0), -E2BIG);
	KVS_TEST_EQ(kvs_txn_get(tx, t, NULL, 1, NULL, 0, &vlen, NULL), -EINVAL);
	KVS_TEST_EQ(kvs_txn_get(tx, t, "s", 0, NULL, 0, &vlen, NULL), -EINVAL);
	KVS_TEST_EQ(kvs_txn_get(tx, t, txn_big, 65, NULL, 0, &vlen, NULL), -E2BIG);
	txn_modes_view_intact(tx, t);

	/* Limits themselves, an empty value, a value longer than the buffer. */
	KVS_TEST_EQ(kvs_txn_put(tx, t, txn_big, 64, txn_big, 1024, KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(kvs_txn_put(tx, t, "e", 1, NULL, 0, KVS_PUT_INSERT, 0), 0);
	KVS_TEST_ASSERT(txn_tget_is(tx, t, "e", "", &v));
	KVS_TEST_EQ(v, 0);
	vlen = 0;
	KVS_TEST_EQ(kvs_txn_get(tx, t, txn_big, 64, NULL, 0, &vlen, NULL), -ENOBUFS);
	KVS_TEST_EQ(vlen, 1024);
	KVS_TEST_ASSERT(txn_get_is(t, "e", NULL, NULL));

	cv = 0;
	KVS_TEST_EQ(kvs_txn_commit(tx, &cv), 0);
	KVS_TEST_ASSERT(txn_get_is(t, "s", "u", &v));
	KVS_TEST_EQ(v, cv);
	KVS_TEST_ASSERT(txn_get_is(t, "s2", "i", &v));
	KVS_TEST_EQ(v, cv);
	KVS_TEST_ASSERT(txn_get_is(t, "e", "", &v));
	KVS_TEST_EQ(v, cv);
	KVS_TEST_ASSERT(txn_get_is(t, "n", NULL, NULL));
	KVS_TEST_EQ(kvs_get(t, txn_big, 64, NULL, 0, &vlen, &v), -ENOBUFS);
	KVS_TEST_EQ(vlen, 1024);
	if (ordered)
		KVS_TEST_EQ(txn_scan_acc(NULL, t, &all, NULL, 0, &acc), 0);
	kvs_store_gc_sync(s);
	kvs_table_get_stats(t, &st);
	KVS_TEST_EQ(st.entries, 4);
	KVS_TEST_EQ(st.records, 4);

	/* Read-only: every write refused, reads fine, nothing changes. */
	KVS_TEST_EQ(kvs_txn_begin(s, KVS_TXN_RDONLY, KVS_GFP_KERNEL, &tx), 0);
	KVS_TEST_EQ(txn_tput(tx, t, "s", "w", KVS_PUT_UPSERT, 0), -EROFS);
	KVS_TEST_EQ(txn_tput(tx, t, "w", "w", KVS_PUT_INSERT, 0), -EROFS);
	KVS_TEST_EQ(txn_tdel(tx, t, "s", KVS_DEL_ANY, 0), -EROFS);
	KVS_TEST_EQ(txn_tdel(tx, t, "s2", KVS_DEL_CAS, cv), -EROFS);
	KVS_TEST_ASSERT(txn_tget_is(tx, t, "s", "u", &v));
	KVS_TEST_EQ(v, cv);
	KVS_TEST_ASSERT(txn_tget_is(tx, t, "w", NULL, NULL));
	KVS_TEST_EQ(kvs_txn_commit(tx, NULL), 0);
	KVS_TEST_ASSERT(txn_get_is(t, "s", "u", NULL));
	KVS_TEST_ASSERT(txn_get_is(t, "s2", "i", NULL));
	KVS_TEST_ASSERT(txn_get_is(t, "w", NULL, NULL));

	kvs_table_put(t);
	txn_store_free(s);
}

KVS_TEST(txn_modes)
{
	txn_modes_in(0);
	txn_modes_in(KVS_TABLE_ORDERED);
}

/* ---- txn_write_skew ----------------------------------------------------- */

struct txn_run_arg {
	struct kvs_table *t;
	unsigned int calls;
	unsigned int disturb;	/* commit a change to "ctr" in this many calls */
	int ret;		/* the body returns this */
};

static u32 txn_ctr_read(struct kvs_table *t)
{
	u32 n = 0, vlen = 0;

	KVS_TEST_EQ(kvs_get(t, "ctr", 3, &n, sizeof(n), &vlen, NULL), 0);
	KVS_TEST_EQ(vlen, sizeof(n));
	return n;
}

/* Increment "ctr"; a concurrent committer is played by a plain put. */
static int txn_run_incr(struct kvs_txn *tx, void *p)
{
	struct txn_run_arg *a = p;
	u32 n = 0, vlen, other;
	int ret;

	a->calls++;
	ret = kvs_txn_get(tx, a->t, "ctr", 3, &n, sizeof(n), &vlen, NULL);
	if (ret)
		return ret;
	if (a->calls <= a->disturb) {
		other = n + 100;
		KVS_TEST_EQ(kvs_put(a->t, "ctr", 3, &other, sizeof(other),
				    KVS_PUT_UPSERT, 0, NULL, KVS_GFP_KERNEL), 0);
	}
	n++;
	ret = kvs_txn_put(tx, a->t, "ctr", 3, &n, sizeof(n), KVS_PUT_UPSERT, 0);
	return ret ? ret : a->ret;
}

/*
 * Serializability against the classic anomalies: write skew, lost update,
 * racing inserts, reads of absent and deleted keys; no false conflicts for
 * disjoint or blind writes; kvs_txn_run() retrying conflicts.
 */
KVS_TEST(txn_write_skew)
{
	struct kvs_store *s = txn_store_new();
	struct kvs_table *t = txn_table_new(s, "t", 0);
	struct txn_run_arg ra = { .t = t };
	struct kvs_txn *t1, *t2;
	u64 vy, v1, v2, v;
	u32 n;

	KVS_TEST_EQ(txn_put_str(t, "x", "1", KVS_PUT_INSERT, 0, NULL), 0);
	KVS_TEST_EQ(txn_put_str(t, "y", "1", KVS_PUT_INSERT, 0, &vy), 0);

	/* Write skew: each reads both and writes the other's key. */
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &t1), 0);
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &t2), 0);
	KVS_TEST_ASSERT(txn_tget_is(t1, t, "x", "1", NULL));
	KVS_TEST_ASSERT(txn_tget_is(t1, t, "y", "1", NULL));
	KVS_TEST_ASSERT(txn_tget_is(t2, t, "x", "1", NULL));
	KVS_TEST_ASSERT(txn_tget_is(t2, t, "y", "1", NULL));
	KVS_TEST_EQ(txn_tput(t1, t, "x", "0", KVS_PUT_UPSERT, 0), 0);
	KVS_TEST_EQ(txn_tput(t2, t, "y", "0", KVS_PUT_UPSERT, 0), 0);
	KVS_TEST_EQ(kvs_txn_commit(t1, &v1), 0);
	KVS_TEST_EQ(kvs_txn_commit(t2, &v2), -EAGAIN);
	KVS_TEST_ASSERT(txn_get_is(t, "x", "0", &v));
	KVS_TEST_EQ(v, v1);
	KVS_TEST_ASSERT(txn_get_is(t, "y", "1", &v));
	KVS_TEST_EQ(v, vy);

	/* Lost update: both read 5 and write 6; the second commit fails. */
	KVS_TEST_EQ(txn_put_str(t, "c", "5", KVS_PUT_INSERT, 0, NULL), 0);
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &t1), 0);
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &t2), 0);
	KVS_TEST_ASSERT(txn_tget_is(t1, t, "c", "5", NULL));
	KVS_TEST_ASSERT(txn_tget_is(t2, t, "c", "5", NULL));
	KVS_TEST_EQ(txn_tput(t1, t, "c", "6", KVS_PUT_UPSERT, 0), 0);
	KVS_TEST_EQ(txn_tput(t2, t, "c", "6", KVS_PUT_UPSERT, 0), 0);
	KVS_TEST_EQ(kvs_txn_commit(t2, &v2), 0);
	KVS_TEST_EQ(kvs_txn_commit(t1, &v1), -EAGAIN);
	KVS_TEST_ASSERT(txn_get_is(t, "c", "6", &v));
	KVS_TEST_EQ(v, v2);

	/* Racing inserts: INSERT's absence check is a read. */
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &t1), 0);
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &t2), 0);
	KVS_TEST_EQ(txn_tput(t1, t, "w", "1", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(txn_tput(t2, t, "w", "2", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(kvs_txn_commit(t1, NULL), 0);
	KVS_TEST_EQ(kvs_txn_commit(t2, NULL), -EAGAIN);
	KVS_TEST_ASSERT(txn_get_is(t, "w", "1", NULL));

	/* A key read as absent, then inserted by another commit. */
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &t1), 0);
	KVS_TEST_ASSERT(txn_tget_is(t1, t, "q", NULL, NULL));
	KVS_TEST_EQ(txn_tput(t1, t, "r", "1", KVS_PUT_UPSERT, 0), 0);
	KVS_TEST_EQ(txn_put_str(t, "q", "1", KVS_PUT_INSERT, 0, NULL), 0);
	KVS_TEST_EQ(kvs_txn_commit(t1, NULL), -EAGAIN);
	KVS_TEST_ASSERT(txn_get_is(t, "r", NULL, NULL));

	/* A key read, then deleted by another commit. */
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &t1), 0);
	KVS_TEST_ASSERT(txn_tget_is(t1, t, "q", "1", NULL));
	KVS_TEST_EQ(txn_tput(t1, t, "r", "1", KVS_PUT_UPSERT, 0), 0);
	KVS_TEST_EQ(txn_del_str(t, "q"), 0);
	KVS_TEST_EQ(kvs_txn_commit(t1, NULL), -EAGAIN);
	KVS_TEST_ASSERT(txn_get_is(t, "r", NULL, NULL));

	/* A refused put or delete read the key too: its outcome can change. */
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &t1), 0);
	KVS_TEST_EQ(txn_tput(t1, t, "x", "9", KVS_PUT_INSERT, 0), -EEXIST);
	KVS_TEST_EQ(txn_tput(t1, t, "r", "1", KVS_PUT_UPSERT, 0), 0);
	KVS_TEST_EQ(txn_del_str(t, "x"), 0);
	KVS_TEST_EQ(kvs_txn_commit(t1, NULL), -EAGAIN);
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &t1), 0);
	KVS_TEST_EQ(txn_tdel(t1, t, "x", KVS_DEL_ANY, 0), -ENOENT);
	KVS_TEST_EQ(txn_tput(t1, t, "r", "1", KVS_PUT_UPSERT, 0), 0);
	KVS_TEST_EQ(txn_put_str(t, "x", "0", KVS_PUT_INSERT, 0, NULL), 0);
	KVS_TEST_EQ(kvs_txn_commit(t1, NULL), -EAGAIN);
	KVS_TEST_ASSERT(txn_get_is(t, "r", NULL, NULL));

	/* No false conflicts: disjoint keys, unread keys changing. */
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &t1), 0);
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &t2), 0);
	KVS_TEST_ASSERT(txn_tget_is(t1, t, "x", "0", NULL));
	KVS_TEST_EQ(txn_tput(t1, t, "a", "1", KVS_PUT_UPSERT, 0), 0);
	KVS_TEST_EQ(txn_tput(t2, t, "b", "2", KVS_PUT_UPSERT, 0), 0);
	KVS_TEST_EQ(txn_put_str(t, "y", "7", KVS_PUT_UPSERT, 0, NULL), 0);
	KVS_TEST_EQ(kvs_txn_commit(t2, NULL), 0);
	KVS_TEST_EQ(kvs_txn_commit(t1, NULL), 0);
	KVS_TEST_ASSERT(txn_get_is(t, "a", "1", NULL));
	KVS_TEST_ASSERT(txn_get_is(t, "b", "2", NULL));

	/* Blind upserts of one key both commit; the later commit wins. */
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &t1), 0);
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &t2), 0);
	KVS_TEST_EQ(txn_tput(t1, t, "z", "1", KVS_PUT_UPSERT, 0), 0);
	KVS_TEST_EQ(txn_tput(t2, t, "z", "2", KVS_PUT_UPSERT, 0), 0);
	KVS_TEST_EQ(kvs_txn_commit(t1, &v1), 0);
	KVS_TEST_EQ(kvs_txn_commit(t2, &v2), 0);
	KVS_TEST_GT(v2, v1);
	KVS_TEST_ASSERT(txn_get_is(t, "z", "2", &v));
	KVS_TEST_EQ(v, v2);
	/* ...also over a change committed after the snapshot. */
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &t1), 0);
	KVS_TEST_EQ(txn_put_str(t, "z", "3", KVS_PUT_UPSERT, 0, NULL), 0);
	KVS_TEST_EQ(txn_tput(t1, t, "z", "4", KVS_PUT_UPSERT, 0), 0);
	KVS_TEST_EQ(kvs_txn_commit(t1, NULL), 0);
	KVS_TEST_ASSERT(txn_get_is(t, "z", "4", NULL));

	/* kvs_txn_run(): conflicts retried at a new snapshot... */
	n = 1;
	KVS_TEST_EQ(kvs_put(t, "ctr", 3, &n, sizeof(n), KVS_PUT_INSERT, 0, NULL,
			    KVS_GFP_KERNEL), 0);
	ra.disturb = 2;
	KVS_TEST_EQ(kvs_txn_run(s, 0, KVS_GFP_KERNEL, 0, txn_run_incr, &ra), 0);
	KVS_TEST_EQ(ra.calls, 3);
	KVS_TEST_EQ(txn_ctr_read(t), 1 + 100 + 100 + 1);
	/* ...up to max_tries... */
	ra.calls = 0;
	ra.disturb = 100;
	KVS_TEST_EQ(kvs_txn_run(s, 0, KVS_GFP_KERNEL, 3, txn_run_incr, &ra), -EAGAIN);
	KVS_TEST_EQ(ra.calls, 3);
	KVS_TEST_EQ(txn_ctr_read(t), 202 + 300);
	/* ...and the body's own error ends it, applying nothing. */
	ra.calls = 0;
	ra.disturb = 0;
	ra.ret = -EIO;
	KVS_TEST_EQ(kvs_txn_run(s, 0, KVS_GFP_KERNEL, 0, txn_run_incr, &ra), -EIO);
	KVS_TEST_EQ(ra.calls, 1);
	KVS_TEST_EQ(txn_ctr_read(t), 502);

	kvs_table_put(t);
	txn_store_free(s);
}

/* ---- txn_gc_lock_no_conflict ---------------------------------------------- */

/*
 * A commit's validation takes a record that the gc holds for no conflict
 * (the gc changes nothing a reader sees; it used to abort commits that
 * read or scanned a record it was pruning), and one that another writer
 * holds for a conflict. The holders are faked in the lock word: another
 * task's token, with and without the gc's bit. The gc has nothing queued
 * for the record (one version), so it never waits on the fake.
 */
KVS_TEST(txn_gc_lock_no_conflict)
{
	struct kvs_store *s = txn_store_new();
	struct kvs_table *t = txn_table_new(s, "t", KVS_TABLE_ORDERED);
	s64 other = kvs_owner_token() + 2;
	struct kvs_record *r;
	struct kvs_txn *tx;
	int pass, ret[2];

	KVS_TEST_EQ(txn_put_str(t, "k", "1", KVS_PUT_INSERT, 0, NULL), 0);
	for (pass = 0; pass < 2; pass++) {
		KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
		KVS_TEST_ASSERT(txn_tget_is(tx, t, "k", "1", NULL));
		KVS_TEST_EQ(txn_tput(tx, t, pass ? "w1" : "w0", "x",
				     KVS_PUT_UPSERT, 0), 0);
		kvs_rcu_read_lock();
		r = kvs_record_find(t, "k", 1);
		kvs_rcu_read_unlock();
		KVS_TEST_NOT_NULL(r);	/* present: not freed meanwhile */
		kvs_atomic64_set_release(&r->lock, pass ? other :
					 other | KVS_RECORD_LOCK_GC);
		ret[pass] = kvs_txn_commit(tx, NULL);
		kvs_atomic64_set_release(&r->lock, 0);
	}
	KVS_TEST_EQ(ret[0], 0);
	KVS_TEST_EQ(ret[1], -EAGAIN);
	KVS_TEST_ASSERT(txn_get_is(t, "w0", "x", NULL));
	KVS_TEST_ASSERT(txn_get_is(t, "w1", NULL, NULL));
	kvs_table_put(t);
	txn_store_free(s);
}

/* ---- txn_phantom -------------------------------------------------------- */

enum { TXN_INS, TXN_DEL, TXN_UPD };

static unsigned int txn_phantom_round;

/*
 * In a transaction: scan @r of @t, the callback returning @stop_ret at key
 * @stop, check the scan visited @seen, and write "zz" (outside every range
 * scanned here). Then, outside the transaction, insert, delete or update
 * @key (@op), and commit. Afterwards put @key back as it was.
 * Return: the commit's result.
 */
static int txn_phantom_try(struct kvs_store *s, struct kvs_table *t,
			   const struct kvs_range *r, const char *stop,
			   int stop_ret, const char *seen, int op,
			   const char *key)
{
	struct txn_acc acc;
	struct kvs_txn *tx;
	char val[16];
	int ret;

	snprintf(val, sizeof(val), "w%u", ++txn_phantom_round);
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	KVS_TEST_EQ(txn_scan_acc(tx, t, r, stop, stop_ret, &acc),
		    stop_ret < 0 ? stop_ret : 0);
	KVS_TEST_ASSERT(txn_acc_is(&acc, seen));
	KVS_TEST_EQ(txn_tput(tx, t, "zz", val, KVS_PUT_UPSERT, 0), 0);
	if (op == TXN_INS)
		KVS_TEST_EQ(txn_put_str(t, key, "new", KVS_PUT_INSERT, 0, NULL), 0);
	else if (op == TXN_DEL)
		KVS_TEST_EQ(txn_del_str(t, key), 0);
	else
		KVS_TEST_EQ(txn_put_str(t, key, "upd", KVS_PUT_REPLACE, 0, NULL), 0);
	ret = kvs_txn_commit(tx, NULL);
	/* All or nothing: "zz" has this round's value iff it committed. */
	KVS_TEST_EQ(txn_get_match(t, "zz", val, NULL, false), !ret);
	if (op == TXN_INS)
		KVS_TEST_EQ(txn_del_str(t, key), 0);
	else
		KVS_TEST_EQ(txn_put_str(t, key, "v", KVS_PUT_UPSERT, 0, NULL), 0);
	return ret;
}

#define TXN_K10_18	"k10=v k12=v k14=v k16=v k18=v"

/*
 * A scanned range is validated at commit up to where the callback stopped
 * the scan, in either direction: inserts, deletes and updates inside it
 * abort the transaction, changes outside it do not.
 */
KVS_TEST(txn_phantom)
{
	static const char *const keys[] = {
		"a", "k10", "k12", "k14", "k16", "k18", "k20", "p",
	};
	struct kvs_store *s = txn_store_new();
	struct kvs_table *t = txn_table_new(s, "t", KVS_TABLE_ORDERED);
	struct kvs_range r;
	struct txn_acc acc;
	struct kvs_txn *tx;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		KVS_TEST_EQ(txn_put_str(t, keys[i], "v", KVS_PUT_INSERT, 0, NULL), 0);
	txn_phantom_round = 0;

	/* [k10, k20) */
	txn_range_set(&r, "k10", "k20", NULL, 0);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, NULL, 0, TXN_K10_18, TXN_INS, "k15"), -EAGAIN);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, NULL, 0, TXN_K10_18, TXN_INS, "k2"), -EAGAIN);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, NULL, 0, TXN_K10_18, TXN_DEL, "k14"), -EAGAIN);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, NULL, 0, TXN_K10_18, TXN_UPD, "k16"), -EAGAIN);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, NULL, 0, TXN_K10_18, TXN_UPD, "k10"), -EAGAIN);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, NULL, 0, TXN_K10_18, TXN_INS, "k1"), 0);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, NULL, 0, TXN_K10_18, TXN_INS, "k05"), 0);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, NULL, 0, TXN_K10_18, TXN_INS, "k21"), 0);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, NULL, 0, TXN_K10_18, TXN_UPD, "k20"), 0);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, NULL, 0, TXN_K10_18, TXN_DEL, "a"), 0);

	/* (k10, k20]: the bounds' flags move the validated range too */
	txn_range_set(&r, "k10", "k20", NULL, KVS_SCAN_LO_EXCL | KVS_SCAN_HI_INCL);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, NULL, 0, "k12=v k14=v k16=v k18=v k20=v",
				    TXN_UPD, "k10"), 0);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, NULL, 0, "k12=v k14=v k16=v k18=v k20=v",
				    TXN_UPD, "k20"), -EAGAIN);

	/* Forward, stopped at k12: only [k10, k12] was read */
	KVS_TEST_EQ(txn_del_str(t, "k18"), 0);
	txn_range_set(&r, "k10", "k20", NULL, 0);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, "k12", 1, "k10=v k12=v", TXN_INS, "k18"), 0);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, "k12", 1, "k10=v k12=v", TXN_INS, "k13"), 0);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, "k12", 1, "k10=v k12=v", TXN_DEL, "k14"), 0);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, "k12", 1, "k10=v k12=v", TXN_INS, "k11"), -EAGAIN);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, "k12", 1, "k10=v k12=v", TXN_UPD, "k12"), -EAGAIN);
	/* ...also when the callback stopped it with an error */
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, "k12", -EINTR, "k10=v k12=v", TXN_INS, "k18"), 0);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, "k12", -EINTR, "k10=v k12=v", TXN_INS, "k11"),
		    -EAGAIN);
	KVS_TEST_EQ(txn_put_str(t, "k18", "v", KVS_PUT_INSERT, 0, NULL), 0);

	/* Reverse, stopped at k18: only [k18, k20) was read */
	txn_range_set(&r, "k10", "k20", NULL, KVS_SCAN_REVERSE);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, "k18", 1, "k18=v", TXN_INS, "k11"), 0);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, "k18", 1, "k18=v", TXN_UPD, "k16"), 0);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, "k18", 1, "k18=v", TXN_INS, "k17"), 0);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, "k18", 1, "k18=v", TXN_UPD, "k20"), 0);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, "k18", 1, "k18=v", TXN_INS, "k19"), -EAGAIN);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, "k18", 1, "k18=v", TXN_UPD, "k18"), -EAGAIN);

	/* Prefix "k1": [k1, k2) */
	txn_range_set(&r, NULL, NULL, "k1", 0);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, NULL, 0, TXN_K10_18, TXN_INS, "k2"), 0);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, NULL, 0, TXN_K10_18, TXN_INS, "k"), 0);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, NULL, 0, TXN_K10_18, TXN_UPD, "k20"), 0);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, NULL, 0, TXN_K10_18, TXN_INS, "k19x"), -EAGAIN);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, NULL, 0, TXN_K10_18, TXN_INS, "k1"), -EAGAIN);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, NULL, 0, TXN_K10_18, TXN_DEL, "k12"), -EAGAIN);

	/* An empty range: an insert into it is a phantom */
	txn_range_set(&r, "m0", "m9", NULL, 0);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, NULL, 0, "", TXN_INS, "m5"), -EAGAIN);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, NULL, 0, "", TXN_INS, "m9"), 0);
	KVS_TEST_EQ(txn_phantom_try(s, t, &r, NULL, 0, "", TXN_DEL, "p"), 0);

	/* The transaction's own writes inside its scanned range are no conflict. */
	KVS_TEST_EQ(txn_del_str(t, "zz"), 0);
	txn_range_set(&r, "k10", "k20", NULL, 0);
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	KVS_TEST_EQ(txn_scan_acc(tx, t, &r, NULL, 0, &acc), 0);
	KVS_TEST_ASSERT(txn_acc_is(&acc, TXN_K10_18));
	KVS_TEST_EQ(txn_tput(tx, t, "k13", "t", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(txn_tput(tx, t, "k14", "t", KVS_PUT_REPLACE, 0), 0);
	KVS_TEST_EQ(txn_tdel(tx, t, "k16", KVS_DEL_ANY, 0), 0);
	KVS_TEST_EQ(txn_scan_acc(tx, t, &r, NULL, 0, &acc), 0);
	KVS_TEST_ASSERT(txn_acc_is(&acc, "k10=v k12=v k13=t k14=t k18=v"));
	KVS_TEST_EQ(acc.own, 2);
	KVS_TEST_EQ(kvs_txn_commit(tx, NULL), 0);
	KVS_TEST_ASSERT(txn_table_is(t, "a=v k10=v k12=v k13=t k14=t k18=v k20=v p=v"));

	kvs_table_put(t);
	txn_store_free(s);
}

/* ---- txn_readonly_never_aborts ------------------------------------------ */

/*
 * A read-only transaction keeps reading its snapshot while others commit
 * and reclamation runs, and commits; what it pinned is reclaimed after it.
 */
KVS_TEST(txn_readonly_never_aborts)
{
	static const char *const keys[] = { "a", "b", "c", "d", "e" };
	struct kvs_store *s = txn_store_new();
	struct kvs_table *t = txn_table_new(s, "t", KVS_TABLE_ORDERED);
	struct kvs_range all, rev;
	struct kvs_table_stats st;
	struct kvs_txn *ro, *tx;
	struct txn_acc acc;
	u64 va, snap, v;
	unsigned int i;

	txn_range_set(&all, NULL, NULL, NULL, 0);
	txn_range_set(&rev, NULL, NULL, NULL, KVS_SCAN_REVERSE);
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		KVS_TEST_EQ(txn_put_str(t, keys[i], "1", KVS_PUT_INSERT, 0, NULL), 0);
	KVS_TEST_ASSERT(txn_get_is(t, "a", "1", &va));

	KVS_TEST_EQ(kvs_txn_begin(s, KVS_TXN_RDONLY, KVS_GFP_KERNEL, &ro), 0);
	snap = kvs_txn_snapshot(ro);
	KVS_TEST_ASSERT(txn_tget_is(ro, t, "a", "1", &v));
	KVS_TEST_EQ(v, va);
	KVS_TEST_EQ(txn_scan_acc(ro, t, &all, NULL, 0, &acc), 0);
	KVS_TEST_ASSERT(txn_acc_is(&acc, "a=1 b=1 c=1 d=1 e=1"));

	/* Others commit: plain writes and a transaction. */
	KVS_TEST_EQ(txn_put_str(t, "a", "2", KVS_PUT_REPLACE, 0, NULL), 0);
	KVS_TEST_EQ(txn_put_str(t, "a", "3", KVS_PUT_REPLACE, 0, NULL), 0);
	KVS_TEST_EQ(txn_put_str(t, "a", "4", KVS_PUT_REPLACE, 0, NULL), 0);
	KVS_TEST_EQ(txn_del_str(t, "b"), 0);
	KVS_TEST_EQ(txn_put_str(t, "f", "1", KVS_PUT_INSERT, 0, NULL), 0);
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	KVS_TEST_ASSERT(txn_tget_is(tx, t, "c", "1", NULL));
	KVS_TEST_EQ(txn_tput(tx, t, "c", "2", KVS_PUT_REPLACE, 0), 0);
	KVS_TEST_EQ(txn_tdel(tx, t, "d", KVS_DEL_ANY, 0), 0);
	KVS_TEST_EQ(kvs_txn_commit(tx, NULL), 0);
	KVS_TEST_ASSERT(txn_table_is(t, "a=4 c=2 e=1 f=1"));

	/* Reclamation keeps exactly what the reader sees: one old version of a, b, c, d. */
	kvs_store_gc_sync(s);
	kvs_table_get_stats(t, &st);
	KVS_TEST_EQ(st.retained_versions, 4);
	KVS_TEST_ASSERT(txn_tget_is(ro, t, "a", "1", &v));
	KVS_TEST_EQ(v, va);
	KVS_TEST_ASSERT(txn_tget_is(ro, t, "b", "1", NULL));
	KVS_TEST_ASSERT(txn_tget_is(ro, t, "c", "1", NULL));
	KVS_TEST_ASSERT(txn_tget_is(ro, t, "d", "1", NULL));
	KVS_TEST_ASSERT(txn_tget_is(ro, t, "f", NULL, NULL));
	KVS_TEST_EQ(txn_scan_acc(ro, t, &all, NULL, 0, &acc), 0);
	KVS_TEST_ASSERT(txn_acc_is(&acc, "a=1 b=1 c=1 d=1 e=1"));
	KVS_TEST_LE(acc.maxver, snap);
	KVS_TEST_EQ(txn_scan_acc(ro, t, &rev, "c", 1, &acc), 0);
	KVS_TEST_ASSERT(txn_acc_is(&acc, "e=1 d=1 c=1"));

	/* More churn and reclamation: still the same view. */
	KVS_TEST_EQ(txn_put_str(t, "a", "5", KVS_PUT_REPLACE, 0, NULL), 0);
	KVS_TEST_EQ(txn_del_str(t, "f"), 0);
	KVS_TEST_EQ(txn_put_str(t, "b", "9", KVS_PUT_INSERT, 0, NULL), 0);
	kvs_store_gc_sync(s);
	kvs_table_get_stats(t, &st);
	KVS_TEST_EQ(st.retained_versions, 4);
	KVS_TEST_EQ(txn_scan_acc(ro, t, &all, NULL, 0, &acc), 0);
	KVS_TEST_ASSERT(txn_acc_is(&acc, "a=1 b=1 c=1 d=1 e=1"));
	KVS_TEST_ASSERT(txn_tget_is(ro, t, "a", "1", &v));
	KVS_TEST_EQ(v, va);

	v = 0;
	KVS_TEST_EQ(kvs_txn_commit(ro, &v), 0);
	KVS_TEST_EQ(v, snap);

	/* Ended: its versions (and the deleted records) go. */
	kvs_store_gc_sync(s);
	kvs_table_get_stats(t, &st);
	KVS_TEST_EQ(st.retained_versions, 0);
	KVS_TEST_EQ(st.entries, 4);
	KVS_TEST_EQ(st.records, 4);
	KVS_TEST_ASSERT(txn_table_is(t, "a=5 b=9 c=2 e=1"));

	kvs_table_put(t);
	txn_store_free(s);
}

/* ---- txn_full_table ----------------------------------------------------- */

/*
 * In a new table of max_entries 4 holding @keys keys ("a", "b", ...),
 * commit a transaction deleting "a" and inserting @ins keys ("n1", ...),
 * which leaves 4 entries: it must commit (@after), else apply nothing
 * (@before).
 */
static void txn_full_net(struct kvs_store *s, unsigned int keys,
			 unsigned int ins, const char *before,
			 const char *after)
{
	struct kvs_table_params p = txn_test_params;
	struct kvs_table_stats st;
	struct kvs_table *t;
	struct kvs_txn *tx;
	unsigned int i;
	char key[16];
	int ret;

	p.flags = KVS_TABLE_ORDERED;
	p.max_entries = 4;
	KVS_TEST_EQ(kvs_table_create(s, keys == 4 ? "net4" : "net3", &p, &t), 0);
	for (i = 0; i < keys; i++) {
		snprintf(key, sizeof(key), "%c", 'a' + i);
		KVS_TEST_EQ(txn_put_str(t, key, "v", KVS_PUT_INSERT, 0, NULL), 0);
	}
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	KVS_TEST_EQ(txn_tdel(tx, t, "a", KVS_DEL_ANY, 0), 0);
	for (i = 0; i < ins; i++) {
		snprintf(key, sizeof(key), "n%u", i + 1);
		KVS_TEST_EQ(txn_tput(tx, t, key, "v", KVS_PUT_INSERT, 0), 0);
	}
	ret = kvs_txn_commit(tx, NULL);
	if (ret)
		kvs_test_log("max_entries 4, %u keys: delete 1 and insert %u: commit returned %d",
			     keys, ins, ret);
	KVS_TEST_EXPECT(ret == 0);
	KVS_TEST_EXPECT(txn_table_is(t, ret ? before : after));
	kvs_table_get_stats(t, &st);
	KVS_TEST_EXPECT(st.entries == (ret ? keys : 4));
	kvs_table_put(t);
}

/* A new ordered table of max_entries @max holding "k0", "k1", ... (@keys). */
static struct kvs_table *txn_full_table_new(struct kvs_store *s,
					    const char *name, u64 max,
					    unsigned int keys)
{
	struct kvs_table_params p = txn_test_params;
	struct kvs_table *t;
	unsigned int i;
	char key[16];

	p.flags = KVS_TABLE_ORDERED;
	p.max_entries = max;
	KVS_TEST_EQ(kvs_table_create(s, name, &p, &t), 0);
	for (i = 0; i < keys; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		KVS_TEST_EQ(txn_put_str(t, key, "v", KVS_PUT_INSERT, 0, NULL), 0);
	}
	return t;
}

static u64 txn_entries(struct kvs_table *t)
{
	struct kvs_table_stats st;

	kvs_table_get_stats(t, &st);
	return st.entries;
}

/*
 * Entry limits of several tables in one transaction: each table's net
 * change counts; one table over its limit refuses the whole commit and
 * leaves every table's count as it was; so does a conflict.
 */
static void txn_full_multi(struct kvs_store *s)
{
	struct kvs_table *ta = txn_full_table_new(s, "ma", 2, 1);
	struct kvs_table *tb = txn_full_table_new(s, "mb", 2, 2);
	struct kvs_txn *tx;

	/* ma (locked and charged first) fits, mb does not. */
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	KVS_TEST_EQ(txn_tput(tx, ta, "x", "v", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(txn_tput(tx, tb, "y", "v", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(kvs_txn_commit(tx, NULL), -ENOSPC);
	KVS_TEST_EQ(txn_entries(ta), 1);
	KVS_TEST_EQ(txn_entries(tb), 2);
	KVS_TEST_ASSERT(txn_table_is(ta, "k0=v"));
	KVS_TEST_ASSERT(txn_table_is(tb, "k0=v k1=v"));

	/* mb's delete makes room for its insert; ma grows. */
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	KVS_TEST_EQ(txn_tput(tx, ta, "x", "v", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(txn_tput(tx, tb, "y", "v", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(txn_tdel(tx, tb, "k0", KVS_DEL_ANY, 0), 0);
	KVS_TEST_EQ(kvs_txn_commit(tx, NULL), 0);
	KVS_TEST_EQ(txn_entries(ta), 2);
	KVS_TEST_EQ(txn_entries(tb), 2);
	KVS_TEST_ASSERT(txn_table_is(ta, "k0=v x=v"));
	KVS_TEST_ASSERT(txn_table_is(tb, "k1=v y=v"));

	/* Now ma (first) is over, mb fits. */
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	KVS_TEST_EQ(txn_tput(tx, ta, "z", "v", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(txn_tdel(tx, tb, "y", KVS_DEL_ANY, 0), 0);
	KVS_TEST_EQ(txn_tput(tx, tb, "z", "v", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(kvs_txn_commit(tx, NULL), -ENOSPC);
	KVS_TEST_EQ(txn_entries(ta), 2);
	KVS_TEST_EQ(txn_entries(tb), 2);
	KVS_TEST_ASSERT(txn_table_is(tb, "k1=v y=v"));

	/* A net shrink: two deleted, one inserted. */
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	KVS_TEST_EQ(txn_tdel(tx, ta, "k0", KVS_DEL_ANY, 0), 0);
	KVS_TEST_EQ(txn_tdel(tx, ta, "x", KVS_DEL_ANY, 0), 0);
	KVS_TEST_EQ(txn_tput(tx, ta, "w", "v", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(kvs_txn_commit(tx, NULL), 0);
	KVS_TEST_EQ(txn_entries(ta), 1);
	KVS_TEST_ASSERT(txn_table_is(ta, "w=v"));
	KVS_TEST_EQ(txn_put_str(ta, "x", "v", KVS_PUT_INSERT, 0, NULL), 0);
	KVS_TEST_EQ(txn_put_str(ta, "y", "v", KVS_PUT_INSERT, 0, NULL), -ENOSPC);

	/* A conflict gives back the growth charged before validation. */
	KVS_TEST_EQ(txn_del_str(tb, "y"), 0);
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	KVS_TEST_ASSERT(txn_tget_is(tx, tb, "k1", "v", NULL));
	KVS_TEST_EQ(txn_tput(tx, tb, "q", "v", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(txn_put_str(tb, "k1", "w", KVS_PUT_REPLACE, 0, NULL), 0);
	KVS_TEST_EQ(kvs_txn_commit(tx, NULL), -EAGAIN);
	KVS_TEST_EQ(txn_entries(tb), 1);
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	KVS_TEST_EQ(txn_tput(tx, tb, "q", "v", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(kvs_txn_commit(tx, NULL), 0);
	KVS_TEST_EQ(txn_entries(tb), 2);
	KVS_TEST_ASSERT(txn_table_is(tb, "k1=w q=v"));

	kvs_table_put(ta);
	kvs_table_put(tb);
}

/*
 * Entry limits are checked at commit, all or nothing, on the table's count
 * after the commit; byte limits at put time, leaving the transaction usable.
 */
KVS_TEST(txn_full_table)
{
	struct kvs_table_params p = txn_test_params;
	struct kvs_store *s = txn_store_new();
	struct kvs_table_stats st0, st1;
	struct kvs_table *t, *tb;
	struct kvs_txn *tx;

	p.flags = KVS_TABLE_ORDERED;
	p.max_entries = 4;
	KVS_TEST_EQ(kvs_table_create(s, "small", &p, &t), 0);
	KVS_TEST_EQ(txn_put_str(t, "a", "v", KVS_PUT_INSERT, 0, NULL), 0);
	KVS_TEST_EQ(txn_put_str(t, "b", "v", KVS_PUT_INSERT, 0, NULL), 0);
	KVS_TEST_EQ(txn_put_str(t, "c", "v", KVS_PUT_INSERT, 0, NULL), 0);
	kvs_store_gc_sync(s);
	kvs_table_get_stats(t, &st0);
	KVS_TEST_EQ(st0.entries, 3);

	/* Two new keys would make 5: -ENOSPC, and nothing applied. */
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	KVS_TEST_EQ(txn_tput(tx, t, "d", "v", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(txn_tput(tx, t, "e", "v", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(txn_tput(tx, t, "a", "w", KVS_PUT_REPLACE, 0), 0);
	KVS_TEST_EQ(kvs_txn_commit(tx, NULL), -ENOSPC);
	KVS_TEST_ASSERT(txn_table_is(t, "a=v b=v c=v"));
	kvs_table_get_stats(t, &st1);
	KVS_TEST_EQ(st1.entries, 3);
	kvs_store_gc_sync(s);
	kvs_table_get_stats(t, &st1);
	KVS_TEST_EQ(st1.entries, st0.entries);
	KVS_TEST_EQ(st1.records, st0.records);
	KVS_TEST_EQ(st1.bytes, st0.bytes);
	KVS_TEST_EQ(st1.retained_versions, 0);

	/* One deleted and one inserted: commits. */
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	KVS_TEST_EQ(txn_tdel(tx, t, "a", KVS_DEL_ANY, 0), 0);
	KVS_TEST_EQ(txn_tput(tx, t, "d", "v", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(kvs_txn_commit(tx, NULL), 0);
	KVS_TEST_ASSERT(txn_table_is(t, "b=v c=v d=v"));
	kvs_table_get_stats(t, &st1);
	KVS_TEST_EQ(st1.entries, 3);

	/* Full: one more is refused; updates of present keys are not. */
	KVS_TEST_EQ(txn_put_str(t, "e", "v", KVS_PUT_INSERT, 0, NULL), 0);
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	KVS_TEST_EQ(txn_tput(tx, t, "g", "v", KVS_PUT_UPSERT, 0), 0);
	KVS_TEST_EQ(kvs_txn_commit(tx, NULL), -ENOSPC);
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	KVS_TEST_EQ(txn_tput(tx, t, "b", "w", KVS_PUT_UPSERT, 0), 0);
	KVS_TEST_EQ(txn_tdel(tx, t, "d", KVS_DEL_ANY, 0), 0);
	KVS_TEST_EQ(txn_tput(tx, t, "d", "w", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(kvs_txn_commit(tx, NULL), 0);
	KVS_TEST_ASSERT(txn_table_is(t, "b=w c=v d=w e=v"));
	kvs_table_get_stats(t, &st1);
	KVS_TEST_EQ(st1.entries, 4);

	/* Bytes: a put that does not fit fails at once; the txn goes on. */
	p = txn_test_params;
	p.max_bytes = 1024;
	KVS_TEST_EQ(kvs_table_create(s, "tiny", &p, &tb), 0);
	memset(txn_big, 'B', sizeof(txn_big));
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	KVS_TEST_EQ(txn_tput(tx, tb, "s", "v", KVS_PUT_INSERT, 0), 0);
	kvs_table_get_stats(tb, &st0);
	KVS_TEST_EQ(kvs_txn_put(tx, tb, "big", 3, txn_big, 1000, KVS_PUT_UPSERT, 0), -ENOSPC);
	KVS_TEST_EQ(kvs_txn_put(tx, tb, "s", 1, txn_big, 1000, KVS_PUT_UPSERT, 0), -ENOSPC);
	kvs_table_get_stats(tb, &st1);
	KVS_TEST_EQ(st1.bytes, st0.bytes);
	KVS_TEST_ASSERT(txn_tget_is(tx, tb, "big", NULL, NULL));
	KVS_TEST_ASSERT(txn_tget_is(tx, tb, "s", "v", NULL));
	KVS_TEST_EQ(txn_tput(tx, tb, "big", "small", KVS_PUT_INSERT, 0), 0);
	KVS_TEST_EQ(kvs_txn_commit(tx, NULL), 0);
	KVS_TEST_ASSERT(txn_get_is(tb, "s", "v", NULL));
	KVS_TEST_ASSERT(txn_get_is(tb, "big", "small", NULL));
	kvs_table_get_stats(tb, &st1);
	KVS_TEST_EQ(st1.entries, 2);
	KVS_TEST_LE(st1.bytes, 1024);
	kvs_table_put(tb);
	kvs_table_put(t);

	/*
	 * The limit is on the count after the commit: a full table takes a
	 * transaction that deletes one key and inserts another, as it takes
	 * the same delete and insert made one after the other; with 3 keys,
	 * one deleted and two inserted make 4. Checked without ending the
	 * test, so that a failure here leaves nothing behind.
	 */
	txn_full_net(s, 4, 1, "a=v b=v c=v d=v", "b=v c=v d=v n1=v");
	txn_full_net(s, 3, 2, "a=v b=v c=v", "b=v c=v n1=v n2=v");
	txn_full_multi(s);
	txn_store_free(s);
}

/* ---- txn_limits --------------------------------------------------------- */

/*
 * KVS_TXN_MAX_OPS writes, reads and scans per transaction, each; the one
 * past it gets -E2BIG and changes nothing; abort frees it all.
 */
KVS_TEST(txn_limits)
{
	struct kvs_store *s = txn_store_new();
	struct kvs_table *t = txn_table_new(s, "t", 0);
	struct kvs_table *o = txn_table_new(s, "o", KVS_TABLE_ORDERED);
	struct kvs_table_stats st0, st1;
	struct kvs_range r;
	struct txn_acc acc;
	struct kvs_txn *tx;
	u64 t0, mem0, v;
	long live0;
	u32 i, vlen;
	int ret = 0;
	char c;

	/* Neither the gc work nor deferred frees may move the counts. */
	kvs_store_gc_sync(s);
	kvs_rcu_barrier();
	kvs_table_get_stats(t, &st0);
	mem0 = kvs_mem_used(&s->mem);
	live0 = kvs_alloc_live();

	/* Writes */
	t0 = kvs_ktime_ns();
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	for (i = 0; i < KVS_TXN_MAX_OPS && !ret; i++) {
		ret = kvs_txn_put(tx, t, &i, sizeof(i), "v", 1, KVS_PUT_UPSERT, 0);
		if (!(i & 1023))
			kvs_cond_resched();
	}
	KVS_TEST_EQ(ret, 0);
	i = KVS_TXN_MAX_OPS;
	KVS_TEST_EQ(kvs_txn_put(tx, t, &i, sizeof(i), "v", 1, KVS_PUT_UPSERT, 0), -E2BIG);
	KVS_TEST_EQ(kvs_txn_get(tx, t, &i, sizeof(i), NULL, 0, &vlen, NULL), -ENOENT);
	i = 0;
	v = 1;
	KVS_TEST_EQ(kvs_txn_get(tx, t, &i, sizeof(i), &c, 1, &vlen, &v), 0);
	KVS_TEST_EQ(v, 0);
	KVS_TEST_EQ(c, 'v');
	i = KVS_TXN_MAX_OPS - 1;
	KVS_TEST_EQ(kvs_txn_get(tx, t, &i, sizeof(i), &c, 1, &vlen, &v), 0);
	KVS_TEST_EQ(v, 0);
	kvs_test_log("limits: %u writes in %llu ns", KVS_TXN_MAX_OPS,
		     (unsigned long long)(kvs_ktime_ns() - t0));
	kvs_txn_abort(tx);
	kvs_store_gc_sync(s);
	kvs_rcu_barrier();
	kvs_table_get_stats(t, &st1);
	KVS_TEST_EQ(st1.bytes, st0.bytes);
	KVS_TEST_EQ(st1.entries, 0);
	KVS_TEST_EQ(kvs_mem_used(&s->mem), mem0);
	KVS_TEST_EQ(kvs_alloc_live(), live0);

	/* Reads: distinct keys count, a key read again does not. */
	t0 = kvs_ktime_ns();
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	for (i = 0, ret = -ENOENT; i < KVS_TXN_MAX_OPS && ret == -ENOENT; i++) {
		ret = kvs_txn_get(tx, t, &i, sizeof(i), NULL, 0, &vlen, NULL);
		if (!(i & 1023))
			kvs_cond_resched();
	}
	KVS_TEST_EQ(ret, -ENOENT);
	i = KVS_TXN_MAX_OPS;
	KVS_TEST_EQ(kvs_txn_get(tx, t, &i, sizeof(i), NULL, 0, &vlen, NULL), -E2BIG);
	/* INSERT's check would be a new read; a blind upsert reads nothing. */
	KVS_TEST_EQ(kvs_txn_put(tx, t, &i, sizeof(i), "v", 1, KVS_PUT_INSERT, 0), -E2BIG);
	i = 5;
	KVS_TEST_EQ(kvs_txn_get(tx, t, &i, sizeof(i), NULL, 0, &vlen, NULL), -ENOENT);
	i = KVS_TXN_MAX_OPS;
	KVS_TEST_EQ(kvs_txn_put(tx, t, &i, sizeof(i), "v", 1, KVS_PUT_UPSERT, 0), 0);
	KVS_TEST_EQ(kvs_txn_commit(tx, NULL), 0);
	kvs_test_log("limits: %u reads and a commit in %llu ns", KVS_TXN_MAX_OPS,
		     (unsigned long long)(kvs_ktime_ns() - t0));
	KVS_TEST_EQ(kvs_get(t, &i, sizeof(i), NULL, 0, &vlen, NULL), -ENOBUFS);

	/* A read-only transaction records nothing: no limit on its reads. */
	KVS_TEST_EQ(kvs_txn_begin(s, KVS_TXN_RDONLY, KVS_GFP_KERNEL, &tx), 0);
	for (i = 0, ret = -ENOENT; i < KVS_TXN_MAX_OPS && ret == -ENOENT; i++) {
		ret = kvs_txn_get(tx, t, &i, sizeof(i), NULL, 0, &vlen, NULL);
		if (!(i & 1023))
			kvs_cond_resched();
	}
	KVS_TEST_EQ(ret, -ENOENT);
	i = KVS_TXN_MAX_OPS + 1;
	KVS_TEST_EQ(kvs_txn_get(tx, t, &i, sizeof(i), NULL, 0, &vlen, NULL), -ENOENT);
	i = KVS_TXN_MAX_OPS;
	KVS_TEST_EQ(kvs_txn_get(tx, t, &i, sizeof(i), NULL, 0, &vlen, NULL), -ENOBUFS);
	KVS_TEST_EQ(kvs_txn_commit(tx, NULL), 0);

	/* Scans */
	t0 = kvs_ktime_ns();
	kvs_store_gc_sync(s);
	kvs_rcu_barrier();
	mem0 = kvs_mem_used(&s->mem);
	live0 = kvs_alloc_live();
	txn_range_set(&r, "a", "b", NULL, 0);
	memset(&acc, 0, sizeof(acc));
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	for (i = 0, ret = 0; i < KVS_TXN_MAX_OPS && !ret; i++) {
		ret = kvs_txn_scan(tx, o, &r, txn_acc_fn, &acc);
		if (!(i & 1023))
			kvs_cond_resched();
	}
	KVS_TEST_EQ(ret, 0);
	KVS_TEST_EQ(kvs_txn_scan(tx, o, &r, txn_acc_fn, &acc), -E2BIG);
	KVS_TEST_EQ(acc.n, 0);
	kvs_test_log("limits: %u scans in %llu ns", KVS_TXN_MAX_OPS,
		     (unsigned long long)(kvs_ktime_ns() - t0));
	kvs_txn_abort(tx);
	kvs_store_gc_sync(s);
	kvs_rcu_barrier();
	KVS_TEST_EQ(kvs_mem_used(&s->mem), mem0);
	KVS_TEST_EQ(kvs_alloc_live(), live0);

	kvs_table_put(t);
	kvs_table_put(o);
	txn_store_free(s);
}

/* ---- txn_fail_nth ------------------------------------------------------- */

#define TXN_FN_NKEYS	9

static const char *const txn_fn_keys[TXN_FN_NKEYS] = {
	"dd", "dd2", "new1", "new2", "p1", "p2", "s1", "s2", "zz",
};

static const char *const txn_fn_before[TXN_FN_NKEYS] = {
	"x", "y", NULL, NULL, "a", "b", "1", "2", NULL,
};

static const char *const txn_fn_after[TXN_FN_NKEYS] = {
	NULL, NULL, "N", "M", "a", "B", "1", "2", NULL,
};

#define TXN_FN_BEFORE_SCAN	"dd=x dd2=y p1=a p2=b s1=1 s2=2"
#define TXN_FN_AFTER_SCAN	"new1=N new2=M p1=a p2=B s1=1 s2=2"

#define TXN_FN_STEPS	9

static const int txn_fn_want[TXN_FN_STEPS] = {
	0, -ENOENT, 0, 0, 0, 0, 0, 0, 0,
};

/* Is @t exactly in the state @vals, @scan? Quiet: either may be expected. */
static bool txn_fn_state_is(struct kvs_table *t, const char *const *vals,
			    const char *scan)
{
	struct kvs_range all;
	struct txn_acc acc;
	unsigned int i;

	for (i = 0; i < TXN_FN_NKEYS; i++)
		if (!txn_get_match(t, txn_fn_keys[i], vals[i], NULL, false))
			return false;
	txn_range_set(&all, NULL, NULL, NULL, 0);
	return !txn_scan_acc(NULL, t, &all, NULL, 0, &acc) && !acc.overflow &&
	       !strcmp(acc.buf, scan);
}

/*
 * Step @step of the transaction under test (@dd2_ver: the version of
 * "dd2"). Return: its result.
 */
static int txn_fn_op(struct kvs_txn *tx, struct kvs_table *t,
		     unsigned int step, u64 dd2_ver)
{
	struct kvs_range r;
	struct txn_acc acc;
	char buf[8];
	u32 vlen;
	u64 v;
	int ret;

	switch (step) {
	case 0:		/* a present key */
		ret = kvs_txn_get(tx, t, "p1", 2, buf, sizeof(buf), &vlen, &v);
		if (!ret)
			KVS_TEST_ASSERT(vlen == 1 && buf[0] == 'a' && v);
		return ret;
	case 1:		/* an absent key */
		return kvs_txn_get(tx, t, "zz", 2, buf, sizeof(buf), &vlen, &v);
	case 2:		/* a new key, checked */
		return txn_tput(tx, t, "new1", "N", KVS_PUT_INSERT, 0);
	case 3:		/* a new key, blind */
		return txn_tput(tx, t, "new2", "M", KVS_PUT_UPSERT, 0);
	case 4:		/* an existing key */
		return txn_tput(tx, t, "p2", "B", KVS_PUT_REPLACE, 0);
	case 5:
		return txn_tdel(tx, t, "dd", KVS_DEL_ANY, 0);
	case 6:
		return txn_tdel(tx, t, "dd2", KVS_DEL_CAS, dd2_ver);
	case 7:
		txn_range_set(&r, NULL, NULL, "s", 0);
		ret = txn_scan_acc(tx, t, &r, NULL, 0, &acc);
		if (!ret)
			KVS_TEST_ASSERT(txn_acc_is(&acc, "s1=1 s2=2"));
		return ret;
	default:	/* everything, own writes merged */
		txn_range_set(&r, NULL, NULL, NULL, 0);
		ret = txn_scan_acc(tx, t, &r, NULL, 0, &acc);
		if (!ret) {
			KVS_TEST_ASSERT(txn_acc_is(&acc, TXN_FN_AFTER_SCAN));
			KVS_TEST_EQ(acc.own, 3);
		}
		return ret;
	}
}

enum { TXN_FN_BEFORE, TXN_FN_AFTER };

/*
 * Run the transaction with the @n-th allocation of this thread failing.
 * After a -ENOMEM, odd @n abort; even @n repeat the call (the failure fires
 * once) and go on to commit. *@nomem: how many calls returned -ENOMEM.
 * Return: the state the table must be in, TXN_FN_BEFORE or TXN_FN_AFTER.
 */
static int txn_fn_attempt(struct kvs_store *s, struct kvs_table *t,
			  unsigned int n, unsigned int *nomem)
{
	u64 dd2_ver;
	struct kvs_txn *tx;
	unsigned int step;
	int ret;

	*nomem = 0;
	KVS_TEST_ASSERT(txn_get_is(t, "dd2", "y", &dd2_ver));
	kvs_fault_fail_nth_mine(n);
	ret = kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx);
	if (ret) {
		KVS_TEST_EQ(ret, -ENOMEM);
		(*nomem)++;
		return TXN_FN_BEFORE;
	}
	for (step = 0; step < TXN_FN_STEPS; step++) {
		ret = txn_fn_op(tx, t, step, dd2_ver);
		if (ret == -ENOMEM) {
			(*nomem)++;
			if (n & 1) {
				kvs_txn_abort(tx);
				return TXN_FN_BEFORE;
			}
			ret = txn_fn_op(tx, t, step, dd2_ver);
		}
		if (ret != txn_fn_want[step])
			kvs_test_log("fail_nth %u: step %u returned %d", n, step, ret);
		KVS_TEST_EQ(ret, txn_fn_want[step]);
	}
	ret = kvs_txn_commit(tx, NULL);
	if (ret == -ENOMEM) {
		(*nomem)++;
		return TXN_FN_BEFORE;
	}
	KVS_TEST_EQ(ret, 0);
	return TXN_FN_AFTER;
}

/*
 * Reclaim (this also waits for the gc work that writes and the ends of
 * snapshots kick), and wait for deferred frees: the counters are exact.
 */
static void txn_fn_settle(struct kvs_store *s)
{
	kvs_store_gc_sync(s);
	kvs_rcu_barrier();
}

/*
 * Fail the 1st, 2nd, ... allocation of a transaction (begin, gets, puts, a
 * delete, scans, commit): every failure is -ENOMEM, and the table ends
 * exactly as before or exactly as after, with its counters, its bytes and
 * the allocations matching.
 */
KVS_TEST(txn_fail_nth)
{
	struct kvs_store *s = txn_store_new();
	struct kvs_table *t = txn_table_new(s, "t", KVS_TABLE_ORDERED);
	unsigned int i, n, nomem, failed = 0;
	struct kvs_table_stats st0, st1;
	u64 mem0, other0, recount0, recount1, base0;
	long allocs0, allocs1;
	struct kvs_txn *tx;
	bool injected;
	long live0;
	int state;

	for (i = 0; i < TXN_FN_NKEYS; i++)
		if (txn_fn_before[i])
			KVS_TEST_EQ(txn_put_str(t, txn_fn_keys[i], txn_fn_before[i],
						KVS_PUT_INSERT, 0, NULL), 0);

	/* kvs_txn_begin()'s own allocation */
	txn_fn_settle(s);
	/* What the table is charged beyond its records: its index. */
	kvs_table_get_stats(t, &st0);
	base0 = st0.bytes - txn_recount(t, txn_fn_keys, TXN_FN_NKEYS, &allocs0);
	live0 = kvs_alloc_live();
	mem0 = kvs_mem_used(&s->mem);
	for (i = 0; i < 2; i++) {
		kvs_fault_fail_nth_mine(1);
		KVS_TEST_EQ(kvs_txn_begin(s, i ? KVS_TXN_RDONLY : 0,
					  KVS_GFP_KERNEL, &tx), -ENOMEM);
		KVS_TEST_ASSERT(!kvs_fault_armed());
		KVS_TEST_EQ(kvs_alloc_live(), live0);
		KVS_TEST_EQ(kvs_mem_used(&s->mem), mem0);
	}

	for (n = 1; n < 500; n++) {
		/*
		 * Check first, then settle: a scan's end kicks the gc work,
		 * whose own allocations must not be counted in a baseline.
		 */
		KVS_TEST_ASSERT(txn_fn_state_is(t, txn_fn_before, TXN_FN_BEFORE_SCAN));
		txn_fn_settle(s);
		kvs_table_get_stats(t, &st0);
		live0 = kvs_alloc_live();
		other0 = kvs_mem_used(&s->mem) - st0.bytes;
		/* Recounted: the structures hold exactly what is charged. */
		recount0 = txn_recount(t, txn_fn_keys, TXN_FN_NKEYS, &allocs0);
		KVS_TEST_EQ(st0.bytes - recount0, base0);

		state = txn_fn_attempt(s, t, n, &nomem);
		injected = !kvs_fault_armed();
		kvs_fault_fail_nth(0);
		if (nomem != (injected ? 1 : 0))
			kvs_test_log("fail_nth %u: injected %d, %u calls returned -ENOMEM",
				     n, injected, nomem);
		KVS_TEST_EQ(nomem, injected ? 1 : 0);

		/* Exactly before or exactly after, at once... */
		if (state == TXN_FN_AFTER)
			KVS_TEST_ASSERT(txn_fn_state_is(t, txn_fn_after, TXN_FN_AFTER_SCAN));
		else
			KVS_TEST_ASSERT(txn_fn_state_is(t, txn_fn_before, TXN_FN_BEFORE_SCAN));
		kvs_table_get_stats(t, &st1);
		KVS_TEST_EQ(st1.entries, st0.entries);

		/* ...and once reclaimed, to the byte and the allocation. */
		txn_fn_settle(s);
		kvs_table_get_stats(t, &st1);
		KVS_TEST_EQ(st1.entries, st0.entries);
		KVS_TEST_EQ(st1.records, st0.records);
		KVS_TEST_EQ(st1.retained_versions, 0);
		recount1 = txn_recount(t, txn_fn_keys, TXN_FN_NKEYS, &allocs1);
		KVS_TEST_EQ(st1.bytes - recount1, base0);
		if (state != TXN_FN_AFTER)
			KVS_TEST_EQ(st1.bytes, st0.bytes);
		KVS_TEST_EQ(kvs_mem_used(&s->mem) - st1.bytes, other0);
		KVS_TEST_EQ(kvs_alloc_live(), live0 + allocs1 - allocs0);

		if (state == TXN_FN_AFTER) {
			KVS_TEST_EQ(txn_del_str(t, "new1"), 0);
			KVS_TEST_EQ(txn_del_str(t, "new2"), 0);
			KVS_TEST_EQ(txn_put_str(t, "p2", "b", KVS_PUT_REPLACE, 0, NULL), 0);
			KVS_TEST_EQ(txn_put_str(t, "dd", "x", KVS_PUT_INSERT, 0, NULL), 0);
			KVS_TEST_EQ(txn_put_str(t, "dd2", "y", KVS_PUT_INSERT, 0, NULL), 0);
		}
		if (!injected)
			break;
		failed++;
	}
	kvs_test_log("fail_nth: a failure at each of %u allocations", failed);
	KVS_TEST_LT(n, 500);
	KVS_TEST_EQ(state, TXN_FN_AFTER);
	KVS_TEST_GE(failed, 8);

	kvs_table_put(t);
	txn_store_free(s);
}

/*
 * A table dropped, and its caller's reference put, while a transaction has
 * read, written and scanned it: the transaction keeps the table alive, its
 * commit and its abort work, and everything is freed once it ends.
 */
KVS_TEST(txn_table_dropped)
{
	struct kvs_store *s = txn_store_new();
	struct kvs_range all = { 0 };
	struct kvs_txn *tx, *tx2;
	struct txn_acc acc;
	struct kvs_table *t;
	int i;

	for (i = 0; i < 2; i++) {
		t = txn_table_new(s, "d", KVS_TABLE_ORDERED);
		KVS_TEST_EQ(txn_put_str(t, "a", "1", KVS_PUT_INSERT, 0, NULL), 0);
		KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
		KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx2), 0);
		KVS_TEST_ASSERT(txn_tget_is(tx, t, "a", "1", NULL));
		KVS_TEST_EQ(txn_tput(tx, t, "b", "2", KVS_PUT_INSERT, 0), 0);
		memset(&acc, 0, sizeof(acc));
		KVS_TEST_EQ(kvs_txn_scan(tx2, t, &all, txn_acc_fn, &acc), 0);
		KVS_TEST_EQ(acc.n, 1);
		/* Dropped and no longer referenced by its caller. */
		KVS_TEST_EQ(kvs_table_drop(s, "d"), 0);
		kvs_table_put(t);
		kvs_store_gc_sync(s);
		if (i)
			kvs_txn_abort(tx);
		else
			KVS_TEST_EQ(kvs_txn_commit(tx, NULL), 0);
		/* tx2 wrote nothing: it commits at its snapshot. */
		KVS_TEST_EQ(kvs_txn_commit(tx2, NULL), 0);
		kvs_store_gc_sync(s);
	}
	txn_store_free(s);
}

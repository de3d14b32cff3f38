// SPDX-License-Identifier: GPL-2.0
/*
 * test_txn_mt.c - ordered scans and concurrent transactions.
 *
 *  - scan_order_bounds: kvs_scan() and kvs_txn_scan() against a sorted
 *    model of ~200 binary keys (NUL and 0xff bytes, 1-byte keys, keys that
 *    are prefixes of each other): every combination of lo, hi and prefix,
 *    present or absent, of KVS_SCAN_LO_EXCL, KVS_SCAN_HI_INCL and
 *    KVS_SCAN_REVERSE, with bounds among the keys and between them; the
 *    exact sequence of keys, values and versions, whole and resumed in
 *    pages; callbacks that stop the scan; bad ranges; a transaction's own
 *    writes merged in (version 0, deletes hidden), and committed.
 *  - scan_snapshot_consistent: writers move amounts between 32 keys in
 *    transactions while readers sum them with scans (forward, reverse,
 *    paged or split inside one read-only transaction): every sum is exact.
 *  - txn_bank: transfers between 64 accounts in two tables (ordered and
 *    hash-only) refuse overdrafts; auditors read every account (point reads,
 *    or a scan of one table and point reads of the other) in read-only
 *    transactions: the total is exact every time, and at the end; old
 *    versions are all reclaimed afterwards.
 *  - txn_concurrent_counters: read-modify-write increments lose no update
 *    (the final value equals the increments that committed); blind upserts
 *    never conflict; increments of four counters in two tables stay equal.
 *
 * Threaded tests bound their work by iteration counts and reschedule in
 * every loop, so they stay short in a slow, non-preemptible VM.
 */
#include "kvs_tests.h"
#include "kvs_store.h"

/* 0: a new seed for scan_order_bounds on each run (logged on failure). */
#define MT_SCAN_SEED		0

#define MT_PARAM_KMAX		64

static const struct kvs_table_params mt_params = {
	.max_key_size = MT_PARAM_KMAX,
	.max_value_size = 256,
	.mode = 0600,
};

static struct kvs_store *mt_store_new(void)
{
	struct kvs_store *s = kvs_zalloc(sizeof(*s), KVS_GFP_KERNEL);

	KVS_TEST_NOT_NULL(s);
	KVS_TEST_EQ(kvs_store_init(s, 0, 512, 65536), 0);
	return s;
}

static void mt_store_free(struct kvs_store *s)
{
	kvs_store_destroy(s);
	kvs_free(s);
}

static struct kvs_table *mt_table_new(struct kvs_store *s, const char *name,
				      u32 flags)
{
	struct kvs_table_params p = mt_params;
	struct kvs_table *t;

	p.flags = flags;
	KVS_TEST_EQ(kvs_table_create(s, name, &p, &t), 0);
	return t;
}

static u32 mt_rand(u32 *state)
{
	u32 x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/* The documented key order, written again here: the model's own. */
static int mt_key_cmp(const void *a, u32 alen, const void *b, u32 blen)
{
	int r = memcmp(a, b, min(alen, blen));

	if (r)
		return r;
	return alen == blen ? 0 : alen < blen ? -1 : 1;
}

/* A u64 value in a transaction; a value of another size is -EPROTO. */
static int mt_get_u64(struct kvs_txn *tx, struct kvs_table *t,
		      const void *key, u32 klen, u64 *val)
{
	u32 vlen;
	int ret;

	ret = kvs_txn_get(tx, t, key, klen, val, sizeof(*val), &vlen, NULL);
	if (!ret && vlen != sizeof(*val))
		ret = -EPROTO;
	return ret;
}

static int mt_put_u64(struct kvs_txn *tx, struct kvs_table *t,
		      const void *key, u32 klen, u64 val)
{
	return kvs_txn_put(tx, t, key, klen, &val, sizeof(val),
			   KVS_PUT_REPLACE, 0);
}

/* The same outside a transaction. */
static u64 mt_read_u64(struct kvs_table *t, const void *key, u32 klen)
{
	u32 vlen;
	u64 val;

	KVS_TEST_EQ(kvs_get(t, key, klen, &val, sizeof(val), &vlen, NULL), 0);
	KVS_TEST_EQ(vlen, sizeof(val));
	return val;
}

static void mt_write_u64(struct kvs_table *t, const void *key, u32 klen,
			 u64 val)
{
	KVS_TEST_EQ(kvs_put(t, key, klen, &val, sizeof(val), KVS_PUT_UPSERT, 0,
			    NULL, KVS_GFP_KERNEL), 0);
}

static int mt_do_scan(struct kvs_table *t, struct kvs_txn *tx,
		      const struct kvs_range *r, kvs_scan_fn fn, void *arg)
{
	if (tx)
		return kvs_txn_scan(tx, t, r, fn, arg);
	return kvs_scan(t, r, fn, arg, KVS_GFP_KERNEL);
}

/* ---- scan_order_bounds: the model ---------------------------------------- */

#define MT_KMAX		12	/* longest model key */
#define MT_BMAX		16	/* longest bound: a key and a few more bytes */
#define MT_VMAX		24
#define MT_SLOTS	240	/* candidate keys, sorted */
#define MT_PRESENT	200	/* of which this many are in the table */

struct mt_ent {
	u8 key[MT_KMAX];
	u32 klen;
	u8 val[MT_VMAX];
	u32 vlen;
	u64 ver;		/* what kvs_get() returns; 0: an own write */
	bool present;
};

struct mt_model {
	struct mt_ent ent[MT_SLOTS];
	u32 n;
	u32 seed;		/* the run's seed, for the log */
	u32 exp[MT_SLOTS];	/* the keys a range should visit, in order */
	u32 nexp;
};

static const u8 mt_alphabet[] = { 0x00, 0x01, 'a', 'b', 0x7f, 0x80, 0xfe, 0xff };

static const struct {
	const char *key;
	u32 len;
} mt_fixed_keys[] = {
	{ "\x00", 1 }, { "\x00\x00", 2 }, { "\x00\x00\x00", 3 },
	{ "\x00\xff", 2 }, { "\x01", 1 }, { "a", 1 }, { "a\x00", 2 },
	{ "a\x00\x00", 3 }, { "ab", 2 }, { "ab\x00", 3 }, { "ab\xff", 3 },
	{ "abc", 3 }, { "b", 1 }, { "\x7f", 1 }, { "\x80", 1 }, { "\xfe", 1 },
	{ "\xfe\xff", 2 }, { "\xff", 1 }, { "\xff\x00", 2 }, { "\xff\xff", 2 },
	{ "\xff\xff\x00", 3 }, { "\xff\xff\xff", 3 }, { "\xff\xff\xff\xff", 4 },
};

/* Mostly bytes of the alphabet, sometimes any byte. */
static u8 mt_byte(u32 *seed)
{
	if (mt_rand(seed) % 8)
		return mt_alphabet[mt_rand(seed) % ARRAY_SIZE(mt_alphabet)];
	return mt_rand(seed);
}

/* Add @key to the sorted model unless it is there. */
static void mt_model_add(struct mt_model *m, const u8 *key, u32 klen)
{
	u32 lo = 0, hi = m->n;
	struct mt_ent *e;
	int c;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		c = mt_key_cmp(m->ent[mid].key, m->ent[mid].klen, key, klen);
		if (!c)
			return;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (m->n == MT_SLOTS)
		return;
	memmove(&m->ent[lo + 1], &m->ent[lo], (m->n - lo) * sizeof(m->ent[0]));
	e = &m->ent[lo];
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, klen);
	e->klen = klen;
	m->n++;
}

static void mt_new_value(struct mt_ent *e, u32 *seed)
{
	u32 i;

	e->vlen = mt_rand(seed) % (MT_VMAX + 1);
	for (i = 0; i < e->vlen; i++)
		e->val[i] = mt_rand(seed);
}

/*
 * MT_SLOTS keys: the fixed ones, extensions and prefixes of keys already
 * chosen, and new ones, mostly short; all but MT_PRESENT of those longer
 * than one byte are left out of the table, to serve as bounds between keys.
 */
static void mt_model_build(struct mt_model *m, u32 *seed)
{
	const struct mt_ent *e;
	u8 key[MT_KMAX];
	u32 i, len, absent = 0;

	for (i = 0; i < ARRAY_SIZE(mt_fixed_keys); i++)
		mt_model_add(m, (const u8 *)mt_fixed_keys[i].key,
			     mt_fixed_keys[i].len);
	while (m->n < MT_SLOTS) {
		e = &m->ent[mt_rand(seed) % m->n];
		switch (mt_rand(seed) % 4) {
		case 0:
			if (e->klen == MT_KMAX)
				continue;
			memcpy(key, e->key, e->klen);
			len = e->klen;
			key[len++] = mt_byte(seed);
			break;
		case 1:
			if (e->klen < 2)
				continue;
			len = 1 + mt_rand(seed) % (e->klen - 1);
			memcpy(key, e->key, len);
			break;
		default:
			len = mt_rand(seed) % 2 ? 4 : MT_KMAX;
			len = 1 + mt_rand(seed) % len;
			for (i = 0; i < len; i++)
				key[i] = mt_byte(seed);
		}
		mt_model_add(m, key, len);
	}
	for (i = 0; i < m->n; i++)
		m->ent[i].present = true;
	while (absent < MT_SLOTS - MT_PRESENT) {
		struct mt_ent *x = &m->ent[mt_rand(seed) % m->n];

		if (x->present && x->klen > 1) {
			x->present = false;
			absent++;
		}
	}
	for (i = 0; i < m->n; i++)
		if (m->ent[i].present)
			mt_new_value(&m->ent[i], seed);
}

/* Fill @t from the model, then take each key's version from kvs_get(). */
static void mt_model_load(struct kvs_table *t, struct mt_model *m, u32 *seed)
{
	u8 buf[MT_VMAX];
	struct mt_ent *e;
	u32 i, vlen;
	u64 ver;
	int ret;

	/* Out of order (7 is prime to MT_SLOTS); then rewrite a third. */
	for (i = 0; i < m->n; i++) {
		e = &m->ent[(i * 7) % m->n];
		if (e->present)
			KVS_TEST_EQ(kvs_put(t, e->key, e->klen, e->val, e->vlen,
					    KVS_PUT_INSERT, 0, &e->ver,
					    KVS_GFP_KERNEL), 0);
	}
	for (i = 0; i < m->n; i++) {
		e = &m->ent[i];
		if (!e->present || mt_rand(seed) % 3)
			continue;
		mt_new_value(e, seed);
		KVS_TEST_EQ(kvs_put(t, e->key, e->klen, e->val, e->vlen,
				    KVS_PUT_REPLACE, 0, &e->ver,
				    KVS_GFP_KERNEL), 0);
	}
	for (i = 0; i < m->n; i++) {
		e = &m->ent[i];
		ret = kvs_get(t, e->key, e->klen, buf, sizeof(buf), &vlen, &ver);
		if (!e->present) {
			KVS_TEST_EQ(ret, -ENOENT);
			continue;
		}
		KVS_TEST_EQ(ret, 0);
		KVS_TEST_EQ(vlen, e->vlen);
		KVS_TEST_ASSERT(!memcmp(buf, e->val, vlen));
		KVS_TEST_EQ(ver, e->ver);
		KVS_TEST_GT(ver, 0);
	}
}

static bool mt_in_range(const struct kvs_range *r, const u8 *key, u32 klen)
{
	int c;

	if (r->lo) {
		c = mt_key_cmp(key, klen, r->lo, r->lo_len);
		if (c < 0 || (!c && (r->flags & KVS_SCAN_LO_EXCL)))
			return false;
	}
	if (r->hi) {
		c = mt_key_cmp(key, klen, r->hi, r->hi_len);
		if (c > 0 || (!c && !(r->flags & KVS_SCAN_HI_INCL)))
			return false;
	}
	if (r->prefix && (klen < r->prefix_len ||
			  memcmp(key, r->prefix, r->prefix_len)))
		return false;
	return true;
}

/* What a scan of @r should visit: m->exp[0..nexp), in scan order. */
static void mt_expect(struct mt_model *m, const struct kvs_range *r)
{
	bool rev = r->flags & KVS_SCAN_REVERSE;
	const struct mt_ent *e;
	u32 i;

	m->nexp = 0;
	for (i = 0; i < m->n; i++) {
		e = &m->ent[rev ? m->n - 1 - i : i];
		if (e->present && mt_in_range(r, e->key, e->klen))
			m->exp[m->nexp++] = e - m->ent;
	}
}

/* A scan's progress against the model (callbacks run under RCU). */
struct mt_visit {
	const struct mt_model *m;
	u32 pos;		/* keys visited */
	u32 bad;		/* of which differed from the model */
	u32 first_bad;
	u32 page;		/* return 1 after this many keys; 0: never */
	u32 in_page;
	u32 stop_at;		/* return stop_ret at this key (1-based) */
	int stop_ret;
	u8 last[MT_BMAX];
	u32 last_len;
};

static int mt_visit_cb(void *arg, const void *key, u32 klen, const void *val,
		       u32 vlen, u64 version)
{
	struct mt_visit *v = arg;
	const struct mt_ent *e = NULL;

	if (v->pos < v->m->nexp)
		e = &v->m->ent[v->m->exp[v->pos]];
	if (!e || e->klen != klen || memcmp(e->key, key, klen) ||
	    e->vlen != vlen || (vlen && memcmp(e->val, val, vlen)) ||
	    e->ver != version) {
		if (!v->bad++)
			v->first_bad = v->pos;
	}
	v->pos++;
	v->last_len = min_t(u32, klen, MT_BMAX);
	memcpy(v->last, key, v->last_len);
	if (v->stop_at && v->pos == v->stop_at)
		return v->stop_ret;
	if (v->page && ++v->in_page == v->page)
		return 1;
	return 0;
}

static void mt_hex(char *out, const void *p, u32 len)
{
	static const char digits[] = "0123456789abcdef";
	const u8 *b = p;
	u32 i;

	if (!p) {
		out[0] = '-';
		out[1] = '\0';
		return;
	}
	for (i = 0; i < len && i < MT_BMAX; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * i] = '\0';
}

static void mt_log_range(const struct mt_model *m, const struct kvs_range *r,
			 const struct mt_visit *v, bool tx, u32 page, int ret)
{
	char lo[2 * MT_BMAX + 1], hi[2 * MT_BMAX + 1], pre[2 * MT_BMAX + 1];

	mt_hex(lo, r->lo, r->lo_len);
	mt_hex(hi, r->hi, r->hi_len);
	mt_hex(pre, r->prefix, r->prefix_len);
	kvs_test_log("seed %#x %s lo %s hi %s prefix %s flags %#x page %u",
		     m->seed, tx ? "kvs_txn_scan" : "kvs_scan", lo, hi, pre,
		     r->flags, page);
	kvs_test_log("ret %d, visited %u of %u, %u wrong from #%u", ret,
		     v->pos, m->nexp, v->bad, v->first_bad);
}

/*
 * Scan @r (in @tx if not NULL) and compare with mt_expect()'s answer; with
 * @page, in pages of that many keys, each resumed after the last key seen.
 */
static void mt_scan_check(struct kvs_table *t, struct kvs_txn *tx,
			  struct mt_model *m, const struct kvs_range *r,
			  u32 page)
{
	struct mt_visit v = { .m = m, .page = page };
	struct kvs_range pr = *r;
	u8 from[MT_BMAX];
	u32 calls = 0;
	int ret;

	mt_expect(m, r);
	for (;;) {
		v.in_page = 0;
		ret = mt_do_scan(t, tx, &pr, mt_visit_cb, &v);
		calls++;
		if (ret || !page || v.in_page < page ||
		    calls > m->nexp / page + 1)
			break;
		memcpy(from, v.last, v.last_len);
		if (pr.flags & KVS_SCAN_REVERSE) {
			pr.hi = from;
			pr.hi_len = v.last_len;
			pr.flags &= ~KVS_SCAN_HI_INCL;
		} else {
			pr.lo = from;
			pr.lo_len = v.last_len;
			pr.flags |= KVS_SCAN_LO_EXCL;
		}
	}
	if (ret || v.bad || v.pos != m->nexp ||
	    (page && calls != m->nexp / page + 1))
		mt_log_range(m, r, &v, !!tx, page, ret);
	KVS_TEST_EQ(ret, 0);
	KVS_TEST_EQ(v.bad, 0);
	KVS_TEST_EQ(v.pos, m->nexp);
	if (page)
		KVS_TEST_EQ(calls, m->nexp / page + 1);
}

/* A bound: a model key, just above or below one, or a short new key. */
static u32 mt_pick_bound(const struct mt_model *m, u32 *seed, u8 *buf,
			 const u8 *near, u32 near_len)
{
	const struct mt_ent *e = &m->ent[mt_rand(seed) % m->n];
	u32 len = e->klen, n;

	if (near && mt_rand(seed) % 2) {
		/* Around the prefix: inside, at it, or a prefix of it. */
		memcpy(buf, near, near_len);
		len = near_len;
		for (n = mt_rand(seed) % 3; n; n--)
			buf[len++] = mt_byte(seed);
		if (len > 1 && !(mt_rand(seed) % 4))
			len--;
		return len;
	}
	memcpy(buf, e->key, len);
	switch (mt_rand(seed) % 5) {
	case 0:
	case 1:
		break;
	case 2:
		buf[len++] = mt_byte(seed);
		break;
	case 3:
		if (len > 1)
			len = 1 + mt_rand(seed) % (len - 1);
		break;
	default:
		len = 1 + mt_rand(seed) % 3;
		for (n = 0; n < len; n++)
			buf[n] = mt_byte(seed);
	}
	return len;
}

static u32 mt_pick_prefix(const struct mt_model *m, u32 *seed, u8 *buf)
{
	const struct mt_ent *e = &m->ent[mt_rand(seed) % m->n];
	u32 len, i;

	switch (mt_rand(seed) % 4) {
	case 0:
		len = 1 + mt_rand(seed) % 3;
		memset(buf, 0xff, len);
		break;
	case 1:
		len = 1 + mt_rand(seed) % 2;
		for (i = 0; i < len; i++)
			buf[i] = mt_byte(seed);
		break;
	default:
		len = 1 + mt_rand(seed) % e->klen;
		memcpy(buf, e->key, len);
	}
	return len;
}

/*
 * @per_combo random ranges for each of the 64 combinations of lo, hi and
 * prefix present or not and of the three flags; every other one paged too.
 */
static void mt_random_ranges(struct kvs_table *t, struct kvs_txn *tx,
			     struct mt_model *m, u32 *seed, u32 per_combo)
{
	u8 lo[MT_BMAX], hi[MT_BMAX], pre[MT_BMAX];
	u32 combo, i, nonempty = 0, total = 0;

	for (combo = 0; combo < 64; combo++) {
		for (i = 0; i < per_combo; i++) {
			struct kvs_range r = { .flags = combo >> 3 };

			if (combo & 4) {
				r.prefix_len = mt_pick_prefix(m, seed, pre);
				r.prefix = pre;
			}
			if (combo & 1) {
				r.lo_len = mt_pick_bound(m, seed, lo, r.prefix,
							 r.prefix_len);
				r.lo = lo;
			}
			if (combo & 2) {
				r.hi_len = mt_pick_bound(m, seed, hi, r.prefix,
							 r.prefix_len);
				r.hi = hi;
			}
			mt_scan_check(t, tx, m, &r, 0);
			nonempty += m->nexp > 0;
			total++;
			if (!(i % 2))
				mt_scan_check(t, tx, m, &r,
					      1 + mt_rand(seed) % 4);
		}
		kvs_cond_resched();
	}
	/* Not vacuous: many ranges hold keys. */
	KVS_TEST_GT(nonempty * 3, total);
}

/* The whole table, both ways, whole and in pages of 3. */
static void mt_scan_all(struct kvs_table *t, struct kvs_txn *tx,
			struct mt_model *m)
{
	struct kvs_range r = { };
	u32 i, n = 0;

	for (i = 0; i < m->n; i++)
		n += m->ent[i].present;
	for (i = 0; i < 2; i++) {
		r.flags = i ? KVS_SCAN_REVERSE : 0;
		mt_scan_check(t, tx, m, &r, 0);
		KVS_TEST_EQ(m->nexp, n);
		mt_scan_check(t, tx, m, &r, 3);
	}
}

/* The callback stops a whole-table scan at key @at (0: the last) with @stop_ret. */
static void mt_scan_stop(struct kvs_table *t, struct kvs_txn *tx,
			 struct mt_model *m, u32 flags, u32 at, int stop_ret)
{
	struct kvs_range r = { .flags = flags };
	struct mt_visit v = { .m = m, .stop_ret = stop_ret };
	int ret;

	mt_expect(m, &r);
	if (!at)
		at = m->nexp;
	KVS_TEST_LE(at, m->nexp);
	v.stop_at = at;
	ret = mt_do_scan(t, tx, &r, mt_visit_cb, &v);
	KVS_TEST_EQ(ret, stop_ret < 0 ? stop_ret : 0);
	KVS_TEST_EQ(v.pos, at);
	KVS_TEST_EQ(v.bad, 0);
}

static void mt_scan_edges(struct kvs_table *t, struct kvs_txn *tx,
			  struct mt_model *m)
{
	static const u8 ff[3] = { 0xff, 0xff, 0xff };
	struct kvs_range r;
	u32 dir, len;

	for (dir = 0; dir < 2; dir++) {
		u32 rev = dir ? KVS_SCAN_REVERSE : 0;

		/* Callbacks: < 0 is returned, > 0 stops after the key. */
		mt_scan_stop(t, tx, m, rev, 1, -EIO);
		mt_scan_stop(t, tx, m, rev, 5, -EIO);
		mt_scan_stop(t, tx, m, rev, 1, 1);
		mt_scan_stop(t, tx, m, rev, 5, 7);
		mt_scan_stop(t, tx, m, rev, 0, 1);

		/* Prefixes of 0xff bytes have no successor: no high end. */
		for (len = 1; len <= 3; len++) {
			r = (struct kvs_range){ .prefix = ff, .prefix_len = len,
						.flags = rev };
			mt_scan_check(t, tx, m, &r, 0);
			if (len == 1 && !tx)
				KVS_TEST_GT(m->nexp, 3);
			mt_scan_check(t, tx, m, &r, 3);
			r.lo = ff;
			r.lo_len = 2;
			r.flags |= KVS_SCAN_LO_EXCL;
			mt_scan_check(t, tx, m, &r, 0);
			r.hi = ff;
			r.hi_len = 3;
			r.flags |= KVS_SCAN_HI_INCL;
			mt_scan_check(t, tx, m, &r, 0);
		}

		/* lo above hi: nothing. */
		r = (struct kvs_range){ .lo = "b", .lo_len = 1, .hi = "a",
					.hi_len = 1,
					.flags = rev | KVS_SCAN_HI_INCL };
		mt_scan_check(t, tx, m, &r, 0);
		KVS_TEST_EQ(m->nexp, 0);
		r.lo = "\x00\x01";
		r.lo_len = 2;
		r.hi = "\x00";
		mt_scan_check(t, tx, m, &r, 0);
		KVS_TEST_EQ(m->nexp, 0);
		/* lo == hi: the key only if both ends include it. */
		r = (struct kvs_range){ .lo = "a", .lo_len = 1, .hi = "a",
					.hi_len = 1, .flags = rev };
		mt_scan_check(t, tx, m, &r, 0);
		KVS_TEST_EQ(m->nexp, 0);
		r.flags = rev | KVS_SCAN_LO_EXCL | KVS_SCAN_HI_INCL;
		mt_scan_check(t, tx, m, &r, 0);
		KVS_TEST_EQ(m->nexp, 0);
		r.flags = rev | KVS_SCAN_HI_INCL;
		mt_scan_check(t, tx, m, &r, 0);
		KVS_TEST_LE(m->nexp, 1);
		/* A prefix outside [lo, hi). */
		r = (struct kvs_range){ .lo = "b", .lo_len = 1, .prefix = "a",
					.prefix_len = 1, .flags = rev };
		mt_scan_check(t, tx, m, &r, 0);
		KVS_TEST_EQ(m->nexp, 0);
	}
}

static int mt_count_cb(void *arg, const void *key, u32 klen, const void *val,
		       u32 vlen, u64 version)
{
	u32 *calls = arg;

	(*calls)++;
	/* Any version: 0 is a transaction's own write. */
	return key && klen && (val || !vlen) && version != U64_MAX ? 0 : -EPROTO;
}

/* Ranges and tables a scan refuses, without calling back. */
static void mt_scan_errors(struct kvs_table *t, struct kvs_table *h,
			   struct kvs_txn *tx)
{
	static const u32 bad_flags[] = { 0x8, 0x10, 0x8 | KVS_SCAN_REVERSE,
					 0x80000000u };
	static u8 big[MT_PARAM_KMAX + 1];
	struct kvs_range r = { };
	u32 calls = 0, i;

	KVS_TEST_EQ(mt_do_scan(h, tx, &r, mt_count_cb, &calls), -EOPNOTSUPP);
	r.flags = KVS_SCAN_REVERSE;
	KVS_TEST_EQ(mt_do_scan(h, tx, &r, mt_count_cb, &calls), -EOPNOTSUPP);
	for (i = 0; i < ARRAY_SIZE(bad_flags); i++) {
		r.flags = bad_flags[i];
		KVS_TEST_EQ(mt_do_scan(t, tx, &r, mt_count_cb, &calls), -EINVAL);
	}
	r = (struct kvs_range){ .lo = "a", .lo_len = 0 };
	KVS_TEST_EQ(mt_do_scan(t, tx, &r, mt_count_cb, &calls), -EINVAL);
	r = (struct kvs_range){ .hi = "a", .hi_len = 0 };
	KVS_TEST_EQ(mt_do_scan(t, tx, &r, mt_count_cb, &calls), -EINVAL);
	r = (struct kvs_range){ .lo = "a", .lo_len = 1, .hi = "b", .hi_len = 0 };
	KVS_TEST_EQ(mt_do_scan(t, tx, &r, mt_count_cb, &calls), -EINVAL);
	r = (struct kvs_range){ .prefix = NULL, .prefix_len = 2 };
	KVS_TEST_EQ(mt_do_scan(t, tx, &r, mt_count_cb, &calls), -EINVAL);
	r = (struct kvs_range){ .lo = big, .lo_len = sizeof(big) };
	KVS_TEST_EQ(mt_do_scan(t, tx, &r, mt_count_cb, &calls), -E2BIG);
	r = (struct kvs_range){ .hi = big, .hi_len = sizeof(big) };
	KVS_TEST_EQ(mt_do_scan(t, tx, &r, mt_count_cb, &calls), -E2BIG);
	r = (struct kvs_range){ .prefix = big, .prefix_len = sizeof(big) };
	KVS_TEST_EQ(mt_do_scan(t, tx, &r, mt_count_cb, &calls), -E2BIG);
	r = (struct kvs_range){ };
	KVS_TEST_EQ(mt_do_scan(t, tx, &r, NULL, &calls), -EINVAL);
	KVS_TEST_EQ(mt_do_scan(t, tx, NULL, mt_count_cb, &calls), -EINVAL);
	if (!tx)
		KVS_TEST_EQ(kvs_scan(t, &r, mt_count_cb, &calls,
				     (__force kvs_gfp_t)0), -EINVAL);
	KVS_TEST_EQ(calls, 0);
	/* The same range, valid, does call back. */
	KVS_TEST_EQ(mt_do_scan(t, tx, &r, mt_count_cb, &calls), 0);
	KVS_TEST_GT(calls, 0);
}

/*
 * Random own writes in @tx, mirrored in @m: upserts (version 0) of present
 * and absent keys, deletes of present ones; a new key put then deleted, a
 * present key deleted then put again, and a delete of an absent key.
 */
static void mt_txn_writes(struct kvs_txn *tx, struct kvs_table *t,
			  struct mt_model *m, u32 *seed)
{
	struct mt_ent *e;
	u32 i;

	for (i = 0; i < 64; i++) {
		e = &m->ent[mt_rand(seed) % m->n];
		if (e->present && !(mt_rand(seed) % 3)) {
			KVS_TEST_EQ(kvs_txn_delete(tx, t, e->key, e->klen,
						   KVS_DEL_ANY, 0), 0);
			e->present = false;
			continue;
		}
		mt_new_value(e, seed);
		KVS_TEST_EQ(kvs_txn_put(tx, t, e->key, e->klen, e->val, e->vlen,
					KVS_PUT_UPSERT, 0), 0);
		e->present = true;
		e->ver = 0;
	}
	for (i = 0; i < m->n && m->ent[i].present; i++)
		;
	if (i < m->n) {
		e = &m->ent[i];
		KVS_TEST_EQ(kvs_txn_delete(tx, t, e->key, e->klen, KVS_DEL_ANY,
					   0), -ENOENT);
		KVS_TEST_EQ(kvs_txn_put(tx, t, e->key, e->klen, "x", 1,
					KVS_PUT_INSERT, 0), 0);
		KVS_TEST_EQ(kvs_txn_delete(tx, t, e->key, e->klen, KVS_DEL_ANY,
					   0), 0);
	}
	for (i = m->n; i-- > 0 && !(m->ent[i].present && m->ent[i].ver);)
		;
	if (i < m->n) {
		e = &m->ent[i];
		KVS_TEST_EQ(kvs_txn_delete(tx, t, e->key, e->klen, KVS_DEL_CAS,
					   e->ver), 0);
		mt_new_value(e, seed);
		KVS_TEST_EQ(kvs_txn_put(tx, t, e->key, e->klen, e->val, e->vlen,
					KVS_PUT_INSERT, 0), 0);
		e->ver = 0;
	}
}

KVS_TEST(scan_order_bounds)
{
	struct kvs_store *s = mt_store_new();
	struct kvs_table *t = mt_table_new(s, "ordered", KVS_TABLE_ORDERED);
	struct kvs_table *h = mt_table_new(s, "hashed", 0);
	struct mt_model *m, *mx;
	struct kvs_txn *tx;
	u8 buf[MT_VMAX];
	u32 seed, i, vlen;
	u64 cts, ver;
	int ret;

	m = kvs_zalloc(sizeof(*m), KVS_GFP_KERNEL);
	mx = kvs_zalloc(sizeof(*mx), KVS_GFP_KERNEL);
	KVS_TEST_NOT_NULL(m);
	KVS_TEST_NOT_NULL(mx);
	m->seed = MT_SCAN_SEED ? MT_SCAN_SEED : kvs_random_u32() | 1;
	seed = m->seed;
	mt_model_build(m, &seed);
	mt_model_load(t, m, &seed);

	mt_scan_all(t, NULL, m);
	mt_random_ranges(t, NULL, m, &seed, 16);
	mt_scan_edges(t, NULL, m);
	mt_scan_errors(t, h, NULL);

	/* In a transaction: its own writes merged in, private until commit. */
	memcpy(mx, m, sizeof(*m));
	KVS_TEST_EQ(kvs_txn_begin(s, 0, KVS_GFP_KERNEL, &tx), 0);
	mt_txn_writes(tx, t, mx, &seed);
	mt_scan_all(t, NULL, m);
	mt_scan_all(t, tx, mx);
	mt_random_ranges(t, tx, mx, &seed, 4);
	mt_scan_edges(t, tx, mx);
	mt_scan_errors(t, h, tx);
	mt_scan_all(t, NULL, m);
	KVS_TEST_EQ(kvs_txn_commit(tx, &cts), 0);

	/* Committed: own writes now carry the commit's version. */
	for (i = 0; i < mx->n; i++)
		if (mx->ent[i].present && !mx->ent[i].ver)
			mx->ent[i].ver = cts;
	for (i = 0; i < mx->n; i++) {
		ret = kvs_get(t, mx->ent[i].key, mx->ent[i].klen, buf,
			      sizeof(buf), &vlen, &ver);
		KVS_TEST_EQ(ret, mx->ent[i].present ? 0 : -ENOENT);
		if (!ret)
			KVS_TEST_EQ(ver, mx->ent[i].ver);
	}
	mt_scan_all(t, NULL, mx);
	mt_random_ranges(t, NULL, mx, &seed, 2);

	kvs_free(mx);
	kvs_free(m);
	kvs_table_put(h);
	kvs_table_put(t);
	mt_store_free(s);
}

/* ---- sums of scans --------------------------------------------------------- */

/* Sums u64 values; counts values of another size and keys out of order. */
struct mt_sum {
	u64 sum;
	u64 max;
	u32 count;
	u32 bad;
	bool reverse;
	u32 page;		/* return 1 after this many keys; 0: never */
	u32 in_page;
	u8 last[MT_BMAX];
	u32 last_len;
};

static int mt_sum_cb(void *arg, const void *key, u32 klen, const void *val,
		     u32 vlen, u64 version)
{
	struct mt_sum *c = arg;
	u64 x;
	int cmp;

	if (vlen != sizeof(x) || klen > MT_BMAX || !version) {
		c->bad++;
		return -EPROTO;
	}
	if (c->last_len) {
		cmp = mt_key_cmp(key, klen, c->last, c->last_len);
		if (c->reverse ? cmp >= 0 : cmp <= 0)
			c->bad++;
	}
	memcpy(&x, val, sizeof(x));
	c->sum += x;
	c->max = max(c->max, x);
	c->count++;
	memcpy(c->last, key, klen);
	c->last_len = klen;
	if (c->page && ++c->in_page == c->page)
		return 1;
	return 0;
}

/* Scan @r in pages of c->page keys (all at once if 0), resuming each. */
static int mt_sum_paged(struct kvs_table *t, struct kvs_txn *tx,
			const struct kvs_range *r, struct mt_sum *c)
{
	struct kvs_range pr = *r;
	u8 from[MT_BMAX];
	u32 calls;
	int ret;

	c->reverse = r->flags & KVS_SCAN_REVERSE;
	for (calls = 0; calls < 1000; calls++) {
		c->in_page = 0;
		ret = mt_do_scan(t, tx, &pr, mt_sum_cb, c);
		if (ret || !c->page || c->in_page < c->page)
			return ret;
		memcpy(from, c->last, c->last_len);
		if (c->reverse) {
			pr.hi = from;
			pr.hi_len = c->last_len;
			pr.flags &= ~KVS_SCAN_HI_INCL;
		} else {
			pr.lo = from;
			pr.lo_len = c->last_len;
			pr.flags |= KVS_SCAN_LO_EXCL;
		}
		/* Let writers commit between pages. */
		kvs_cond_resched();
	}
	return -ELOOP;
}

/* ---- scan_snapshot_consistent ---------------------------------------------- */

#define MT_SNAP_KEYS		32
#define MT_SNAP_INIT		1000ull
#define MT_SNAP_TOTAL		(MT_SNAP_KEYS * MT_SNAP_INIT)
#define MT_SNAP_WRITERS		3
#define MT_SNAP_READERS		2
#define MT_SNAP_MOVES		2400	/* per writer */
#define MT_SNAP_MIN_SCANS	40	/* per reader, even if the writers are done */
#define MT_SNAP_MAX_SCANS	20000

struct mt_snap {
	struct kvs_store *s;
	struct kvs_table *t;
	kvs_atomic_t writers_left;
	kvs_atomic_t commits;
	kvs_atomic_t gaveup;
	kvs_atomic_t retries;
	kvs_atomic_t scans;
	kvs_atomic_t overlapped;	/* scans while writers ran */
};

/* Keys "k" + a byte; "j...", "l..." around them must never be summed. */
static void mt_snap_key(u8 *key, u32 i)
{
	key[0] = 'k';
	key[1] = i;
}

struct mt_move {
	struct kvs_table *t;
	u8 from[2];
	u8 to[2];
	u64 amount;
	u32 tries;
};

static int mt_move_fn(struct kvs_txn *tx, void *arg)
{
	struct mt_move *mv = arg;
	u64 a, b, amt;
	int ret;

	mv->tries++;
	ret = mt_get_u64(tx, mv->t, mv->from, 2, &a);
	if (!ret)
		ret = mt_get_u64(tx, mv->t, mv->to, 2, &b);
	if (ret)
		return ret;
	amt = min(mv->amount, a);
	/* Widen the window for other writers. */
	kvs_cond_resched();
	ret = mt_put_u64(tx, mv->t, mv->from, 2, a - amt);
	if (!ret)
		ret = mt_put_u64(tx, mv->t, mv->to, 2, b + amt);
	return ret;
}

static int mt_snap_writer(void *p)
{
	struct mt_snap *a = p;
	struct mt_move mv = { .t = a->t };
	u32 i, from, to;
	int ret;

	for (i = 0; i < MT_SNAP_MOVES; i++) {
		from = kvs_random_u32() % MT_SNAP_KEYS;
		to = (from + 1 + kvs_random_u32() % (MT_SNAP_KEYS - 1)) %
		     MT_SNAP_KEYS;
		mt_snap_key(mv.from, from);
		mt_snap_key(mv.to, to);
		mv.amount = kvs_random_u32() % 300;
		mv.tries = 0;
		ret = kvs_txn_run(a->s, 0, KVS_GFP_KERNEL, 0, mt_move_fn, &mv);
		kvs_atomic_add(mv.tries - 1, &a->retries);
		if (ret == -EAGAIN) {
			kvs_atomic_inc(&a->gaveup);
		} else {
			KVS_TEST_EQ(ret, 0);
			kvs_atomic_inc(&a->commits);
		}
		kvs_cond_resched();
	}
	kvs_atomic_dec(&a->writers_left);
	return 0;
}

struct mt_snap_read {
	struct kvs_table *t;
	bool split;		/* two ranges; else one, paged */
	bool reverse;
	u32 page;
	u32 calls;
	struct mt_sum c;
};

/* In one read-only transaction: a paged scan, or two adjacent ranges. */
static int mt_snap_read_fn(struct kvs_txn *tx, void *arg)
{
	struct mt_snap_read *rd = arg;
	struct kvs_range r = { .prefix = "k", .prefix_len = 1 };
	u8 mid[2];
	struct mt_sum c2 = { };
	int ret;

	rd->calls++;
	memset(&rd->c, 0, sizeof(rd->c));
	if (!rd->split) {
		r.flags = rd->reverse ? KVS_SCAN_REVERSE : 0;
		rd->c.page = rd->page;
		return mt_sum_paged(rd->t, tx, &r, &rd->c);
	}
	/* [k, k\x10) forward, then [k\x10, l) backward. */
	mt_snap_key(mid, MT_SNAP_KEYS / 2);
	r = (struct kvs_range){ .lo = "k", .lo_len = 1, .hi = mid,
				.hi_len = 2 };
	rd->c.page = rd->page;
	ret = mt_sum_paged(rd->t, tx, &r, &rd->c);
	if (ret)
		return ret;
	kvs_cond_resched();
	c2.page = rd->page;
	r = (struct kvs_range){ .lo = mid, .lo_len = 2, .hi = "l",
				.hi_len = 1, .flags = KVS_SCAN_REVERSE };
	ret = mt_sum_paged(rd->t, tx, &r, &c2);
	rd->c.sum += c2.sum;
	rd->c.count += c2.count;
	rd->c.bad += c2.bad;
	return ret;
}

static int mt_snap_reader(void *p)
{
	struct mt_snap *a = p;
	struct mt_snap_read rd = { .t = a->t };
	struct kvs_range r;
	u32 i;
	int ret;

	for (i = 0; i < MT_SNAP_MAX_SCANS &&
	     (i < MT_SNAP_MIN_SCANS || kvs_atomic_read(&a->writers_left)); i++) {
		if (kvs_atomic_read(&a->writers_left))
			kvs_atomic_inc(&a->overlapped);
		memset(&rd.c, 0, sizeof(rd.c));
		rd.calls = 0;
		switch (i % 4) {
		case 0:
			r = (struct kvs_range){ .lo = "k", .lo_len = 1,
						.hi = "l", .hi_len = 1 };
			ret = mt_sum_paged(a->t, NULL, &r, &rd.c);
			rd.calls = 1;
			break;
		case 1:
			r = (struct kvs_range){ .prefix = "k", .prefix_len = 1,
						.flags = KVS_SCAN_REVERSE };
			ret = mt_sum_paged(a->t, NULL, &r, &rd.c);
			rd.calls = 1;
			break;
		default:
			rd.split = i % 4 == 3;
			rd.reverse = kvs_random_u32() % 2;
			rd.page = 1 + kvs_random_u32() % 7;
			ret = kvs_txn_run(a->s, KVS_TXN_RDONLY, KVS_GFP_KERNEL,
					  0, mt_snap_read_fn, &rd);
		}
		KVS_TEST_EQ(ret, 0);
		KVS_TEST_EQ(rd.calls, 1);
		KVS_TEST_EQ(rd.c.bad, 0);
		KVS_TEST_EQ(rd.c.count, MT_SNAP_KEYS);
		KVS_TEST_EQ(rd.c.sum, MT_SNAP_TOTAL);
		kvs_atomic_inc(&a->scans);
		kvs_cond_resched();
	}
	return 0;
}

KVS_TEST(scan_snapshot_consistent)
{
	static const char * const sentinels[] = { "j", "j\xff", "l", "l\x00" };
	struct kvs_store *s = mt_store_new();
	struct mt_snap a = { .s = s,
			     .t = mt_table_new(s, "t", KVS_TABLE_ORDERED) };
	struct kvs_test_thread *th[MT_SNAP_WRITERS + MT_SNAP_READERS];
	u64 sum = 0;
	u8 key[2];
	u32 i;

	for (i = 0; i < MT_SNAP_KEYS; i++) {
		mt_snap_key(key, i);
		mt_write_u64(a.t, key, 2, MT_SNAP_INIT);
	}
	for (i = 0; i < ARRAY_SIZE(sentinels); i++)
		mt_write_u64(a.t, sentinels[i], 2 - (i % 2 == 0), 1ull << 40);
	kvs_atomic_set(&a.writers_left, MT_SNAP_WRITERS);
	for (i = 0; i < ARRAY_SIZE(th); i++)
		th[i] = kvs_test_thread_run(i < MT_SNAP_WRITERS ? mt_snap_writer :
					    mt_snap_reader, &a, 0);
	for (i = 0; i < ARRAY_SIZE(th); i++)
		KVS_TEST_EXPECT(th[i] && kvs_test_thread_join(th[i]) == 0);

	for (i = 0; i < MT_SNAP_KEYS; i++) {
		mt_snap_key(key, i);
		sum += mt_read_u64(a.t, key, 2);
	}
	kvs_test_log("snapshot: %d moves, %d gave up, %d retries; %d scans, %d during writes",
		     kvs_atomic_read(&a.commits), kvs_atomic_read(&a.gaveup),
		     kvs_atomic_read(&a.retries), kvs_atomic_read(&a.scans),
		     kvs_atomic_read(&a.overlapped));
	KVS_TEST_EQ(sum, MT_SNAP_TOTAL);
	KVS_TEST_EQ(kvs_atomic_read(&a.commits) + kvs_atomic_read(&a.gaveup),
		    MT_SNAP_WRITERS * MT_SNAP_MOVES);
	KVS_TEST_GT(kvs_atomic_read(&a.commits),
		    MT_SNAP_WRITERS * MT_SNAP_MOVES / 2);
	KVS_TEST_GE(kvs_atomic_read(&a.scans),
		    MT_SNAP_READERS * MT_SNAP_MIN_SCANS);
	kvs_table_put(a.t);
	mt_store_free(s);
}

/* ---- txn_bank -------------------------------------------------------------- */

#define MT_BANK_N		64
#define MT_BANK_INIT		1000ull
#define MT_BANK_TOTAL		(MT_BANK_N * MT_BANK_INIT)
#define MT_BANK_KLEN		5
#define MT_BANK_MOVERS		4
#define MT_BANK_XFERS		2000	/* per mover */
#define MT_BANK_AUDITORS	3	/* the last one scans */
#define MT_BANK_MIN_AUDITS	20	/* per auditor, even if movers are done */
#define MT_BANK_MAX_AUDITS	5000

struct mt_bank {
	struct kvs_store *s;
	struct kvs_table *even;		/* ordered: even ids */
	struct kvs_table *odd;		/* hash only: odd ids */
	kvs_atomic_t movers_left;
	kvs_atomic_t auditor_seq;
	kvs_atomic_t commits;
	kvs_atomic_t refused;
	kvs_atomic_t gaveup;
	kvs_atomic_t retries;
	kvs_atomic_t audits;
};

static struct kvs_table *mt_bank_table(struct mt_bank *b, u32 id)
{
	return id & 1 ? b->odd : b->even;
}

static void mt_bank_key(u8 *key, u32 id)
{
	memcpy(key, "acct", 4);
	key[4] = id;
}

struct mt_xfer {
	struct mt_bank *b;
	u32 from;
	u32 to;
	u64 amount;
	bool refused;
	u32 tries;
};

static int mt_xfer_fn(struct kvs_txn *tx, void *arg)
{
	struct mt_xfer *x = arg;
	u8 kf[MT_BANK_KLEN], kt[MT_BANK_KLEN];
	struct kvs_table *tf = mt_bank_table(x->b, x->from);
	struct kvs_table *tt = mt_bank_table(x->b, x->to);
	u64 bf, bt;
	int ret;

	x->tries++;
	x->refused = false;
	mt_bank_key(kf, x->from);
	mt_bank_key(kt, x->to);
	ret = mt_get_u64(tx, tf, kf, MT_BANK_KLEN, &bf);
	if (!ret)
		ret = mt_get_u64(tx, tt, kt, MT_BANK_KLEN, &bt);
	if (ret)
		return ret;
	if (bf < x->amount) {
		/* No overdraft: commit nothing. */
		x->refused = true;
		return 0;
	}
	kvs_cond_resched();
	ret = mt_put_u64(tx, tf, kf, MT_BANK_KLEN, bf - x->amount);
	if (!ret)
		ret = mt_put_u64(tx, tt, kt, MT_BANK_KLEN, bt + x->amount);
	return ret;
}

static int mt_bank_mover(void *p)
{
	struct mt_bank *b = p;
	struct mt_xfer x = { .b = b };
	u32 i;
	int ret;

	for (i = 0; i < MT_BANK_XFERS; i++) {
		x.from = kvs_random_u32() % MT_BANK_N;
		x.to = (x.from + 1 + kvs_random_u32() % (MT_BANK_N - 1)) %
		       MT_BANK_N;
		/* Sometimes more than an account ever holds at the start. */
		x.amount = 1 + kvs_random_u32() % (MT_BANK_INIT * 3 / 2);
		x.tries = 0;
		ret = kvs_txn_run(b->s, 0, KVS_GFP_KERNEL, 0, mt_xfer_fn, &x);
		kvs_atomic_add(x.tries - 1, &b->retries);
		if (ret == -EAGAIN) {
			kvs_atomic_inc(&b->gaveup);
		} else {
			KVS_TEST_EQ(ret, 0);
			kvs_atomic_inc(x.refused ? &b->refused : &b->commits);
		}
		kvs_cond_resched();
	}
	kvs_atomic_dec(&b->movers_left);
	return 0;
}

struct mt_audit {
	struct mt_bank *b;
	bool scan;		/* scan the even table, get the odd ids */
	bool reverse;
	u32 page;
	u32 calls;
	struct mt_sum c;
};

static int mt_audit_fn(struct kvs_txn *tx, void *arg)
{
	struct mt_audit *au = arg;
	u8 key[MT_BANK_KLEN];
	u32 id, step = 1;
	u64 bal;
	int ret;

	au->calls++;
	memset(&au->c, 0, sizeof(au->c));
	if (au->scan) {
		struct kvs_range r = { .prefix = "acct", .prefix_len = 4,
				       .flags = au->reverse ? KVS_SCAN_REVERSE : 0 };

		au->c.page = au->page;
		ret = mt_sum_paged(au->b->even, tx, &r, &au->c);
		if (ret)
			return ret;
		step = 2;
	}
	for (id = step - 1; id < MT_BANK_N; id += step) {
		mt_bank_key(key, id);
		ret = mt_get_u64(tx, mt_bank_table(au->b, id), key,
				 MT_BANK_KLEN, &bal);
		if (ret)
			return ret;
		au->c.sum += bal;
		au->c.max = max(au->c.max, bal);
		au->c.count++;
	}
	return 0;
}

static int mt_bank_auditor(void *p)
{
	struct mt_bank *b = p;
	struct mt_audit au = { .b = b };
	u32 i;
	int ret;

	au.scan = kvs_atomic_inc_return(&b->auditor_seq) == MT_BANK_AUDITORS;
	for (i = 0; i < MT_BANK_MAX_AUDITS &&
	     (i < MT_BANK_MIN_AUDITS || kvs_atomic_read(&b->movers_left)); i++) {
		au.calls = 0;
		au.reverse = i % 2;
		au.page = i % 5 * 3;	/* 0: all at once */
		ret = kvs_txn_run(b->s, KVS_TXN_RDONLY, KVS_GFP_KERNEL, 0,
				  mt_audit_fn, &au);
		KVS_TEST_EQ(ret, 0);
		KVS_TEST_EQ(au.calls, 1);
		KVS_TEST_EQ(au.c.bad, 0);
		KVS_TEST_EQ(au.c.count, MT_BANK_N);
		KVS_TEST_EQ(au.c.sum, MT_BANK_TOTAL);
		KVS_TEST_LE(au.c.max, MT_BANK_TOTAL);
		kvs_atomic_inc(&b->audits);
		kvs_cond_resched();
	}
	return 0;
}

KVS_TEST(txn_bank)
{
	struct kvs_store *s = mt_store_new();
	struct mt_bank b = { .s = s,
			     .even = mt_table_new(s, "even", KVS_TABLE_ORDERED),
			     .odd = mt_table_new(s, "odd", 0) };
	struct kvs_test_thread *th[MT_BANK_MOVERS + MT_BANK_AUDITORS];
	struct kvs_table_stats se, so;
	u8 key[MT_BANK_KLEN];
	u64 sum = 0, bal;
	u32 i;

	for (i = 0; i < MT_BANK_N; i++) {
		mt_bank_key(key, i);
		mt_write_u64(mt_bank_table(&b, i), key, MT_BANK_KLEN,
			     MT_BANK_INIT);
	}
	kvs_atomic_set(&b.movers_left, MT_BANK_MOVERS);
	for (i = 0; i < ARRAY_SIZE(th); i++)
		th[i] = kvs_test_thread_run(i < MT_BANK_MOVERS ? mt_bank_mover :
					    mt_bank_auditor, &b, 0);
	for (i = 0; i < ARRAY_SIZE(th); i++)
		KVS_TEST_EXPECT(th[i] && kvs_test_thread_join(th[i]) == 0);

	for (i = 0; i < MT_BANK_N; i++) {
		mt_bank_key(key, i);
		bal = mt_read_u64(mt_bank_table(&b, i), key, MT_BANK_KLEN);
		KVS_TEST_LE(bal, MT_BANK_TOTAL);
		sum += bal;
	}
	kvs_test_log("bank: %d transfers, %d refused, %d gave up, %d retries; %d audits",
		     kvs_atomic_read(&b.commits), kvs_atomic_read(&b.refused),
		     kvs_atomic_read(&b.gaveup), kvs_atomic_read(&b.retries),
		     kvs_atomic_read(&b.audits));
	KVS_TEST_EQ(sum, MT_BANK_TOTAL);
	KVS_TEST_EQ(kvs_atomic_read(&b.commits) + kvs_atomic_read(&b.refused) +
		    kvs_atomic_read(&b.gaveup), MT_BANK_MOVERS * MT_BANK_XFERS);
	KVS_TEST_GT(kvs_atomic_read(&b.commits), MT_BANK_MOVERS * MT_BANK_XFERS / 4);
	KVS_TEST_GT(kvs_atomic_read(&b.refused), 0);
	KVS_TEST_GE(kvs_atomic_read(&b.audits),
		    MT_BANK_AUDITORS * MT_BANK_MIN_AUDITS);

	/* Nobody reads old versions any more: all of them go. */
	kvs_store_gc_sync(s);
	kvs_table_get_stats(b.even, &se);
	kvs_table_get_stats(b.odd, &so);
	KVS_TEST_EQ(se.retained_versions, 0);
	KVS_TEST_EQ(so.retained_versions, 0);
	KVS_TEST_EQ(se.entries, MT_BANK_N / 2);
	KVS_TEST_EQ(so.entries, MT_BANK_N / 2);
	KVS_TEST_EQ(se.records + so.records, MT_BANK_N);
	kvs_table_put(b.odd);
	kvs_table_put(b.even);
	mt_store_free(s);
}

/* ---- txn_concurrent_counters ----------------------------------------------- */

#define MT_CTR_THREADS		3
#define MT_CTR_INCS		2000	/* per thread, one counter */
#define MT_CTR_BLIND		2	/* threads of blind upserts */
#define MT_CTR_BLIND_PUTS	500	/* per blind thread */
#define MT_CTR_MULTI_INCS	1200	/* per thread, four counters */
#define MT_CTR_MIN_READS	20
#define MT_CTR_MAX_READS	5000

struct mt_ctr {
	struct kvs_store *s;
	struct kvs_table *ta;		/* ordered */
	struct kvs_table *tb;		/* hash only */
	kvs_atomic_t seq;		/* numbers the blind threads */
	kvs_atomic_t left;		/* incrementers still running */
	kvs_atomic_t ok;
	kvs_atomic_t gaveup;
	kvs_atomic_t retries;
	kvs_atomic_t blind_ok;
	kvs_atomic_t reads;
};

/* The multi-key counters: two in each table. */
static const char * const mt_ctr_keys[4] = { "m0", "m1", "m2", "m3" };

static struct kvs_table *mt_ctr_table(struct mt_ctr *c, u32 i)
{
	return i < 2 ? c->ta : c->tb;
}

struct mt_inc {
	struct mt_ctr *c;
	u32 tries;
	u32 first;		/* multi: the counter to access first */
	u64 blind;		/* blind: the value */
};

static int mt_inc_fn(struct kvs_txn *tx, void *arg)
{
	struct mt_inc *op = arg;
	u64 n;
	int ret;

	op->tries++;
	ret = mt_get_u64(tx, op->c->ta, "ctr", 3, &n);
	if (ret)
		return ret;
	/* Widen the window between the read and the commit. */
	kvs_cond_resched();
	return mt_put_u64(tx, op->c->ta, "ctr", 3, n + 1);
}

/* Read all four, then write all four, starting at a random one. */
static int mt_inc4_fn(struct kvs_txn *tx, void *arg)
{
	struct mt_inc *op = arg;
	u64 n[4];
	u32 i, k;
	int ret;

	op->tries++;
	for (i = 0; i < 4; i++) {
		k = (op->first + i) % 4;
		ret = mt_get_u64(tx, mt_ctr_table(op->c, k), mt_ctr_keys[k], 2,
				 &n[k]);
		if (ret)
			return ret;
	}
	kvs_cond_resched();
	for (i = 0; i < 4; i++) {
		k = (op->first + 3 - i) % 4;
		ret = mt_put_u64(tx, mt_ctr_table(op->c, k), mt_ctr_keys[k], 2,
				 n[k] + 1);
		if (ret)
			return ret;
	}
	return 0;
}

/* Upserts of one key in each table, reading nothing. */
static int mt_blind_fn(struct kvs_txn *tx, void *arg)
{
	struct mt_inc *op = arg;
	int ret;

	op->tries++;
	ret = kvs_txn_put(tx, op->c->ta, "blind", 5, &op->blind,
			  sizeof(op->blind), KVS_PUT_UPSERT, 0);
	if (!ret)
		ret = kvs_txn_put(tx, op->c->tb, "blind", 5, &op->blind,
				  sizeof(op->blind), KVS_PUT_UPSERT, 0);
	return ret;
}

static void mt_ctr_count(struct mt_ctr *c, struct mt_inc *op, int ret)
{
	kvs_atomic_add(op->tries - 1, &c->retries);
	if (ret == -EAGAIN) {
		kvs_atomic_inc(&c->gaveup);
	} else {
		KVS_TEST_EQ(ret, 0);
		kvs_atomic_inc(&c->ok);
	}
}

static int mt_ctr_incrementer(void *p)
{
	struct mt_ctr *c = p;
	struct mt_inc op = { .c = c };
	u32 i;

	for (i = 0; i < MT_CTR_INCS; i++) {
		op.tries = 0;
		mt_ctr_count(c, &op, kvs_txn_run(c->s, 0, KVS_GFP_KERNEL, 0,
						 mt_inc_fn, &op));
		kvs_cond_resched();
	}
	kvs_atomic_dec(&c->left);
	return 0;
}

static int mt_ctr_blind_writer(void *p)
{
	struct mt_ctr *c = p;
	struct mt_inc op = { .c = c };
	u64 me = kvs_atomic_inc_return(&c->seq);
	u32 i;

	for (i = 0; i < MT_CTR_BLIND_PUTS; i++) {
		op.blind = me << 32 | i;
		op.tries = 0;
		/* One try: a conflict would be -EAGAIN. */
		KVS_TEST_EQ(kvs_txn_run(c->s, 0, KVS_GFP_KERNEL, 1, mt_blind_fn,
					&op), 0);
		KVS_TEST_EQ(op.tries, 1);
		kvs_atomic_inc(&c->blind_ok);
		kvs_cond_resched();
	}
	return 0;
}

static int mt_ctr_multi(void *p)
{
	struct mt_ctr *c = p;
	struct mt_inc op = { .c = c };
	u32 i;

	for (i = 0; i < MT_CTR_MULTI_INCS; i++) {
		op.tries = 0;
		op.first = kvs_random_u32() % 4;
		mt_ctr_count(c, &op, kvs_txn_run(c->s, 0, KVS_GFP_KERNEL, 0,
						 mt_inc4_fn, &op));
		kvs_cond_resched();
	}
	kvs_atomic_dec(&c->left);
	return 0;
}

struct mt_ctr_read {
	struct mt_ctr *c;
	u64 n[4];
	u32 calls;
};

static int mt_ctr_read_fn(struct kvs_txn *tx, void *arg)
{
	struct mt_ctr_read *rd = arg;
	u32 k;
	int ret;

	rd->calls++;
	for (k = 0; k < 4; k++) {
		ret = mt_get_u64(tx, mt_ctr_table(rd->c, k), mt_ctr_keys[k], 2,
				 &rd->n[k]);
		if (ret)
			return ret;
		/* Let increments commit between the reads. */
		if (k == 1)
			kvs_cond_resched();
	}
	return 0;
}

/* The four counters, in one snapshot, are always equal. */
static int mt_ctr_reader(void *p)
{
	struct mt_ctr *c = p;
	struct mt_ctr_read rd = { .c = c };
	u32 i;

	for (i = 0; i < MT_CTR_MAX_READS &&
	     (i < MT_CTR_MIN_READS || kvs_atomic_read(&c->left)); i++) {
		rd.calls = 0;
		KVS_TEST_EQ(kvs_txn_run(c->s, KVS_TXN_RDONLY, KVS_GFP_KERNEL, 0,
					mt_ctr_read_fn, &rd), 0);
		KVS_TEST_EQ(rd.calls, 1);
		KVS_TEST_EQ(rd.n[1], rd.n[0]);
		KVS_TEST_EQ(rd.n[2], rd.n[0]);
		KVS_TEST_EQ(rd.n[3], rd.n[0]);
		kvs_atomic_inc(&c->reads);
		kvs_cond_resched();
	}
	return 0;
}

static void mt_ctr_join(struct kvs_test_thread **th, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		KVS_TEST_EXPECT(th[i] && kvs_test_thread_join(th[i]) == 0);
}

KVS_TEST(txn_concurrent_counters)
{
	struct kvs_store *s = mt_store_new();
	struct mt_ctr c = { .s = s,
			    .ta = mt_table_new(s, "a", KVS_TABLE_ORDERED),
			    .tb = mt_table_new(s, "b", 0) };
	struct kvs_test_thread *th[MT_CTR_THREADS + MT_CTR_BLIND];
	u64 n, va, vb, vera, verb;
	u32 i, vlen;
	int ok;

	/* One counter, read-modify-write; blind upserts beside. */
	mt_write_u64(c.ta, "ctr", 3, 0);
	kvs_atomic_set(&c.left, MT_CTR_THREADS);
	for (i = 0; i < ARRAY_SIZE(th); i++)
		th[i] = kvs_test_thread_run(i < MT_CTR_THREADS ?
					    mt_ctr_incrementer :
					    mt_ctr_blind_writer, &c, 0);
	mt_ctr_join(th, ARRAY_SIZE(th));
	n = mt_read_u64(c.ta, "ctr", 3);
	ok = kvs_atomic_read(&c.ok);
	kvs_test_log("counter: %llu, %d committed, %d gave up, %d retries; %d blind",
		     n, ok, kvs_atomic_read(&c.gaveup),
		     kvs_atomic_read(&c.retries), kvs_atomic_read(&c.blind_ok));
	KVS_TEST_EQ(n, ok);
	KVS_TEST_EQ(ok + kvs_atomic_read(&c.gaveup),
		    MT_CTR_THREADS * MT_CTR_INCS);
	KVS_TEST_GT(ok, MT_CTR_THREADS * MT_CTR_INCS * 3 / 4);
	KVS_TEST_EQ(kvs_atomic_read(&c.blind_ok),
		    MT_CTR_BLIND * MT_CTR_BLIND_PUTS);
	/* Each blind transaction wrote both keys: the last one wins both. */
	KVS_TEST_EQ(kvs_get(c.ta, "blind", 5, &va, sizeof(va), &vlen, &vera), 0);
	KVS_TEST_EQ(kvs_get(c.tb, "blind", 5, &vb, sizeof(vb), &vlen, &verb), 0);
	KVS_TEST_EQ(va, vb);
	KVS_TEST_EQ(vera, verb);
	KVS_TEST_LE(va >> 32, MT_CTR_BLIND);
	KVS_TEST_GE(va >> 32, 1);
	KVS_TEST_LT((u32)va, MT_CTR_BLIND_PUTS);

	/* Four counters in two tables, incremented together. */
	for (i = 0; i < 4; i++)
		mt_write_u64(mt_ctr_table(&c, i), mt_ctr_keys[i], 2, 0);
	kvs_atomic_set(&c.ok, 0);
	kvs_atomic_set(&c.gaveup, 0);
	kvs_atomic_set(&c.retries, 0);
	kvs_atomic_set(&c.left, MT_CTR_THREADS);
	for (i = 0; i < MT_CTR_THREADS + 1; i++)
		th[i] = kvs_test_thread_run(i < MT_CTR_THREADS ? mt_ctr_multi :
					    mt_ctr_reader, &c, 0);
	mt_ctr_join(th, MT_CTR_THREADS + 1);
	ok = kvs_atomic_read(&c.ok);
	n = mt_read_u64(c.ta, mt_ctr_keys[0], 2);
	kvs_test_log("4 counters: %llu, %d committed, %d gave up, %d retries; %d reads",
		     n, ok, kvs_atomic_read(&c.gaveup),
		     kvs_atomic_read(&c.retries), kvs_atomic_read(&c.reads));
	for (i = 1; i < 4; i++)
		KVS_TEST_EQ(mt_read_u64(mt_ctr_table(&c, i), mt_ctr_keys[i], 2),
			    n);
	KVS_TEST_EQ(n, ok);
	KVS_TEST_EQ(ok + kvs_atomic_read(&c.gaveup),
		    MT_CTR_THREADS * MT_CTR_MULTI_INCS);
	KVS_TEST_GT(ok, MT_CTR_THREADS * MT_CTR_MULTI_INCS * 3 / 4);
	KVS_TEST_GE(kvs_atomic_read(&c.reads), MT_CTR_MIN_READS);

	kvs_table_put(c.tb);
	kvs_table_put(c.ta);
	mt_store_free(s);
}

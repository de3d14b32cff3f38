// SPDX-License-Identifier: GPL-2.0
/*
 * kvs_txn.c - serializable multi-key, multi-table transactions and ordered
 * scans at a snapshot.
 *
 * DOC: Transactions
 *
 * A transaction reads at the snapshot it registered at begin (S, the
 * visible watermark then), sees its own writes first, and keeps its writes
 * private until commit. A read-write transaction records what it read:
 * each key it got or whose presence a put or delete mode checked, and each
 * range it scanned, up to where the scan stopped. Commit (Silo's, on
 * MVCC snapshots):
 *
 *  1. outside any lock, allocate a record for each written key that has
 *     none (allocation may sleep);
 *  2. in a kvs_lockwin_enter() window, lock the written records in (table
 *     id, key) order, publishing new ones locked;
 *  3. charge new keys to their tables' entry limits (-ENOSPC);
 *  4. in a no-sleep window: take the commit timestamp ts, then validate -
 *     every key read and every record in a scanned range has no version
 *     newer than S and is not locked by another writer - then link the new
 *     versions at ts, and end the commit window;
 *  5. unlock, and wait until ts is visible.
 *
 * Taking ts before validating makes the check sufficient: a writer that
 * locks a record after we looked at it takes its timestamp after ours (the
 * lock and the clock are both fully ordered), so it is serialized after us;
 * one that locked it before shows as a lock or as a newer version. Any
 * failure is -EAGAIN and applies nothing. A transaction that wrote nothing
 * serializes at S and needs no validation, so read-only transactions never
 * abort.
 *
 * Validation runs inside the commit window, so its cost (the keys read and
 * the records in scanned ranges) delays the visible watermark, and writers
 * waiting for it, by that long; scans in read-write transactions should be
 * bounded.
 */
#include "kvs_store.h"

/* Scans drop the RCU read lock (and may reschedule) every this many keys. */
#define KVS_SCAN_BATCH		64

/* Past this many tries kvs_txn_run() backs off no further. */
/* Small transactions need no allocation but their own: room inside. */
#define KVS_TXN_INLINE		8	/* reads, writes */
#define KVS_TXN_ARENA_INLINE	512	/* bytes of keys */

#define KVS_TXN_BACKOFF_MAX	10
#define KVS_TXN_DEFAULT_TRIES	16

/**
 * struct kvs_txn_key - a key a transaction read or wrote
 * @t: its table
 * @key: the key bytes, in the transaction's arena
 * @klen: their number
 * @rhash: the key's hash in @t's index
 * @hash: of (@t, @key), for the transaction's own index
 * @next: next entry in the same index bucket, as index + 1; 0 ends
 */
struct kvs_txn_key {
	struct kvs_table *t;
	const u8 *key;
	u32 klen;
	u32 rhash;
	u32 hash;
	u32 next;
};

/**
 * struct kvs_txn_write - a write a transaction will commit
 * @k: the key; must be first (a struct kvs_txn_set entry)
 * @v: the new version, a value or a tombstone, charged to @k.t
 * @rec: at commit: the record, locked
 * @fresh: at commit: a record allocated in case the key has none
 * @net: at commit, in the first write of each table (lock order): keys
 *	 it adds to the table minus keys it deletes
 */
struct kvs_txn_write {
	struct kvs_txn_key k;
	struct kvs_version *v;
	struct kvs_record *rec;
	struct kvs_record *fresh;
	s32 net;
};

/**
 * struct kvs_txn_bound - one end of a key range
 * @key: the bound, or NULL for none
 * @len: its length
 * @incl: the bound itself is in the range
 */
struct kvs_txn_bound {
	const u8 *key;
	u32 len;
	bool incl;
};

/**
 * struct kvs_txn_range - a range a transaction scanned
 * @t: the table
 * @lo: low end
 * @hi: high end
 */
struct kvs_txn_range {
	struct kvs_table *t;
	struct kvs_txn_bound lo;
	struct kvs_txn_bound hi;
};

/**
 * struct kvs_txn_set - a growable array of entries with a hash index
 * @ent: the entries (the first member of each is a struct kvs_txn_key)
 * @n: entries used
 * @cap: entries allocated
 * @size: bytes per entry
 * @buckets: index heads, as entry index + 1; NULL until first used
 * @nbuckets: a power of two
 */
struct kvs_txn_set {
	void *ent;
	u32 n;
	u32 cap;
	u32 size;
	u32 *buckets;
	u32 nbuckets;
};

/**
 * struct kvs_txn_chunk - a block of the transaction's key arena
 * @next: the previous block
 * @size: bytes in @data
 * @used: bytes handed out
 * @data: the keys
 */
struct kvs_txn_chunk {
	struct kvs_txn_chunk *next;
	u32 size;
	u32 used;
	u8 data[];
};

/**
 * struct kvs_txn - a transaction
 * @s: the store
 * @snap: its registered snapshot
 * @flags: KVS_TXN_*
 * @gfp: how it allocates
 * @reads: keys read (struct kvs_txn_key), indexed
 * @writes: writes (struct kvs_txn_write), indexed
 * @ranges: ranges scanned (struct kvs_txn_range)
 * @nranges: how many
 * @ranges_cap: room for
 * @arena: key copies
 * @charged: bytes charged to the store for all this bookkeeping, beyond
 *	     the transaction itself
 * @tabs: the tables the transaction holds a reference to
 * @ntabs: how many
 * @tabs_cap: room in @tabs
 * @tabs_inl: room for the first ones
 * @reads_inl: the first reads
 * @writes_inl: the first writes
 * @rbuckets_inl: the first index of reads
 * @wbuckets_inl: the first index of writes
 * @arena_inl: the first block of the arena (a struct kvs_txn_chunk)
 */
struct kvs_txn {
	struct kvs_store *s;
	struct kvs_snapshot snap;
	unsigned int flags;
	kvs_gfp_t gfp;
	struct kvs_txn_set reads;
	struct kvs_txn_set writes;
	struct kvs_txn_range *ranges;
	u32 nranges;
	u32 ranges_cap;
	struct kvs_txn_chunk *arena;
	u64 charged;
	struct kvs_table **tabs;
	u32 ntabs;
	u32 tabs_cap;
	struct kvs_table *tabs_inl[4];
	struct kvs_txn_key reads_inl[KVS_TXN_INLINE];
	struct kvs_txn_write writes_inl[KVS_TXN_INLINE];
	u32 rbuckets_inl[2 * KVS_TXN_INLINE];
	u32 wbuckets_inl[2 * KVS_TXN_INLINE];
	u64 arena_inl[(sizeof(struct kvs_txn_chunk) +
		       KVS_TXN_ARENA_INLINE) / sizeof(u64)];
};

/* ------------------------------------------------------------------------ */
/* Keys and ranges                                                          */
/* ------------------------------------------------------------------------ */

/* Key order: memcmp() of the common prefix, then the shorter key first. */
static int kvs_key_cmp(const void *a, u32 alen, const void *b, u32 blen)
{
	int r = memcmp(a, b, min(alen, blen));

	if (r)
		return r;
	return alen < blen ? -1 : alen > blen;
}

/*
 * Is @key on the inner side of bound @b (no bound: yes)? @side is 1 for a
 * low bound (the key must be above it), -1 for a high bound.
 */
static bool kvs_inside(const struct kvs_txn_bound *b, int side,
		       const void *key, u32 klen)
{
	int c;

	if (!b->key)
		return true;
	c = side * kvs_key_cmp(key, klen, b->key, b->len);
	return c > 0 || (!c && b->incl);
}

static bool kvs_above_lo(const struct kvs_txn_bound *lo, const void *key,
			 u32 klen)
{
	return kvs_inside(lo, 1, key, klen);
}

static bool kvs_below_hi(const struct kvs_txn_bound *hi, const void *key,
			 u32 klen)
{
	return kvs_inside(hi, -1, key, klen);
}

/*
 * Turn a caller's range into two bounds: keys that start with prefix P are
 * exactly those in [P, succ(P)), succ(P) being P without its trailing 0xff
 * bytes and with its last byte incremented (none if P is all 0xff). @buf
 * has room for @r->prefix_len bytes, for succ(P).
 */
static void kvs_range_bounds(const struct kvs_range *r, u8 *buf,
			     struct kvs_txn_bound *lo,
			     struct kvs_txn_bound *hi)
{
	u32 n;

	lo->key = r->lo;
	lo->len = r->lo_len;
	lo->incl = !(r->flags & KVS_SCAN_LO_EXCL);
	hi->key = r->hi;
	hi->len = r->hi_len;
	hi->incl = r->flags & KVS_SCAN_HI_INCL;
	if (!r->prefix)
		return;

	if (!lo->key || kvs_key_cmp(r->prefix, r->prefix_len, lo->key,
				    lo->len) > 0) {
		lo->key = r->prefix;
		lo->len = r->prefix_len;
		lo->incl = true;
	}
	memcpy(buf, r->prefix, r->prefix_len);
	for (n = r->prefix_len; n && buf[n - 1] == 0xff; n--)
		;
	if (!n)
		return;		/* no successor: the prefix sets no high end */
	buf[n - 1]++;
	if (!hi->key || kvs_key_cmp(buf, n, hi->key, hi->len) <= 0) {
		hi->key = buf;
		hi->len = n;
		hi->incl = false;
	}
}

static int kvs_check_range(const struct kvs_table *t,
			   const struct kvs_range *r)
{
	if (!r || r->flags & ~(KVS_SCAN_REVERSE | KVS_SCAN_LO_EXCL |
			       KVS_SCAN_HI_INCL))
		return -EINVAL;
	if (!r->lo != !r->lo_len || !r->hi != !r->hi_len ||
	    !r->prefix != !r->prefix_len)
		return -EINVAL;
	if (r->lo_len > t->params.max_key_size ||
	    r->hi_len > t->params.max_key_size ||
	    r->prefix_len > t->params.max_key_size)
		return -E2BIG;
	if (!kvs_table_ordered(t))
		return -EOPNOTSUPP;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The transaction's memory                                                 */
/* ------------------------------------------------------------------------ */

/* Past this, bookkeeping may come from vmalloc (process context only). */
#define KVS_TXN_BIG_ALLOC	4096

/* Allocate @size bytes charged to the store. */
static void *kvs_txn_alloc(struct kvs_txn *tx, size_t size)
{
	void *p;

	if (kvs_mem_charge(&tx->s->mem, size))
		return NULL;
	p = size > KVS_TXN_BIG_ALLOC ? kvs_kvzalloc(size, tx->gfp) :
				       kvs_alloc(size, tx->gfp);
	if (!p) {
		kvs_mem_uncharge(&tx->s->mem, size);
		return NULL;
	}
	tx->charged += size;
	return p;
}

static void kvs_txn_free(struct kvs_txn *tx, void *p, size_t size)
{
	/* Nothing to do for the room inside the transaction. */
	if (!p || ((u8 *)p >= (u8 *)tx && (u8 *)p < (u8 *)(tx + 1)))
		return;
	if (size > KVS_TXN_BIG_ALLOC)
		kvs_kvfree(p);
	else
		kvs_free(p);
	kvs_mem_uncharge(&tx->s->mem, size);
	tx->charged -= size;
}

/* Make sure the arena's current block has @len bytes free. */
static int kvs_txn_arena_reserve(struct kvs_txn *tx, u32 len)
{
	struct kvs_txn_chunk *c = tx->arena;
	u32 size;

	if (c && c->size - c->used >= len)
		return 0;
	size = max_t(u32, 4096 - sizeof(*c), len);
	c = kvs_txn_alloc(tx, sizeof(*c) + size);
	if (!c)
		return -ENOMEM;
	c->size = size;
	c->used = 0;
	c->next = tx->arena;
	tx->arena = c;
	return 0;
}

/* Copy @len bytes into the arena. Return: the copy, or NULL. */
static const u8 *kvs_txn_copy(struct kvs_txn *tx, const void *key, u32 len)
{
	u8 *p;

	if (kvs_txn_arena_reserve(tx, len))
		return NULL;
	p = tx->arena->data + tx->arena->used;
	tx->arena->used += len;
	memcpy(p, key, len);
	return p;
}

/* Give back the last @len bytes copied (an operation that failed after). */
static void kvs_txn_uncopy(struct kvs_txn *tx, u32 len)
{
	if (tx->arena && tx->arena->used >= len)
		tx->arena->used -= len;
}

static struct kvs_txn_key *kvs_set_at(const struct kvs_txn_set *set, u32 i)
{
	return (struct kvs_txn_key *)((u8 *)set->ent + (size_t)i * set->size);
}

/* The transaction's index hash of a key whose hash in @t is @rhash. */
static u32 kvs_txn_hash(const struct kvs_table *t, u32 rhash)
{
	return rhash ^ (u32)(t->id * 0x9e3779b97f4a7c15ull >> 32);
}

static struct kvs_txn_key *kvs_set_find(const struct kvs_txn_set *set,
					struct kvs_table *t, const void *key,
					u32 klen, u32 hash)
{
	struct kvs_txn_key *k;
	u32 i;

	if (!set->buckets)
		return NULL;
	for (i = set->buckets[hash & (set->nbuckets - 1)]; i; i = k->next) {
		k = kvs_set_at(set, i - 1);
		if (k->hash == hash && k->t == t && k->klen == klen &&
		    !memcmp(k->key, key, klen))
			return k;
	}
	return NULL;
}

static void kvs_set_link(struct kvs_txn_set *set, u32 i)
{
	struct kvs_txn_key *k = kvs_set_at(set, i);
	u32 *head = &set->buckets[k->hash & (set->nbuckets - 1)];

	k->next = *head;
	*head = i + 1;
}

/*
 * Make room for one more entry in @set (and its index). Return: 0,
 * -E2BIG past KVS_TXN_MAX_OPS, or -ENOMEM.
 */
static int kvs_set_reserve(struct kvs_txn *tx, struct kvs_txn_set *set)
{
	u32 cap, nb, i;
	void *ent;
	u32 *b;

	if (set->n >= KVS_TXN_MAX_OPS)
		return -E2BIG;
	if (set->n < set->cap)
		return 0;
	cap = set->cap ? set->cap * 2 : 8;
	nb = cap * 2;
	ent = kvs_txn_alloc(tx, (size_t)cap * set->size);
	if (!ent)
		return -ENOMEM;
	b = kvs_txn_alloc(tx, nb * sizeof(*b));
	if (!b) {
		kvs_txn_free(tx, ent, (size_t)cap * set->size);
		return -ENOMEM;
	}
	memset(b, 0, nb * sizeof(*b));
	if (set->n)
		memcpy(ent, set->ent, (size_t)set->n * set->size);
	kvs_txn_free(tx, set->ent, (size_t)set->cap * set->size);
	kvs_txn_free(tx, set->buckets, set->nbuckets * sizeof(*b));
	set->ent = ent;
	set->cap = cap;
	set->buckets = b;
	set->nbuckets = nb;
	for (i = 0; i < set->n; i++)
		kvs_set_link(set, i);
	return 0;
}

/*
 * Append the key to @set (room reserved). Return: the entry, or NULL if
 * the key cannot be copied.
 */
static struct kvs_txn_key *kvs_set_add(struct kvs_txn *tx,
				       struct kvs_txn_set *set,
				       struct kvs_table *t, const void *key,
				       u32 klen, u32 rhash)
{
	struct kvs_txn_key *k = kvs_set_at(set, set->n);

	memset(k, 0, set->size);
	k->key = kvs_txn_copy(tx, key, klen);
	if (!k->key)
		return NULL;
	k->t = t;
	k->klen = klen;
	k->rhash = rhash;
	k->hash = kvs_txn_hash(t, rhash);
	kvs_set_link(set, set->n++);
	return k;
}

static void kvs_set_release(struct kvs_txn *tx, struct kvs_txn_set *set)
{
	kvs_txn_free(tx, set->ent, (size_t)set->cap * set->size);
	kvs_txn_free(tx, set->buckets, set->nbuckets * sizeof(u32));
	set->ent = NULL;
	set->buckets = NULL;
	set->n = 0;
	set->cap = 0;
	set->nbuckets = 0;
}

/*
 * Remember that the transaction read @key (read-write transactions only).
 * Return: 0, -E2BIG or -ENOMEM. The read is known to be new (not a key
 * the transaction wrote); a key read before is not added twice.
 */
/*
 * Take a reference to @t for as long as the transaction keeps anything of
 * it (reads, writes and their charges, scanned ranges): a table dropped
 * meanwhile stays until the transaction ends. The caller holds one now.
 * Return: 0 or -ENOMEM.
 */
static int kvs_txn_hold(struct kvs_txn *tx, struct kvs_table *t)
{
	struct kvs_table **tabs;
	u32 i, cap;

	for (i = 0; i < tx->ntabs; i++)
		if (tx->tabs[i] == t)
			return 0;
	if (tx->ntabs == tx->tabs_cap) {
		cap = tx->tabs_cap * 2;
		tabs = kvs_txn_alloc(tx, cap * sizeof(*tabs));
		if (!tabs)
			return -ENOMEM;
		memcpy(tabs, tx->tabs, tx->ntabs * sizeof(*tabs));
		kvs_txn_free(tx, tx->tabs, tx->tabs_cap * sizeof(*tabs));
		tx->tabs = tabs;
		tx->tabs_cap = cap;
	}
	kvs_atomic_inc(&t->refs);
	tx->tabs[tx->ntabs++] = t;
	return 0;
}

static int kvs_txn_note_read(struct kvs_txn *tx, struct kvs_table *t,
			     const void *key, u32 klen, u32 rhash)
{
	int ret;

	if (tx->flags & KVS_TXN_RDONLY ||
	    kvs_set_find(&tx->reads, t, key, klen, kvs_txn_hash(t, rhash)))
		return 0;
	ret = kvs_set_reserve(tx, &tx->reads);
	if (!ret)
		ret = kvs_txn_hold(tx, t);
	if (ret)
		return ret;
	return kvs_set_add(tx, &tx->reads, t, key, klen, rhash) ? 0 : -ENOMEM;
}

static struct kvs_txn_write *kvs_txn_find_write(struct kvs_txn *tx,
						struct kvs_table *t,
						const void *key, u32 klen,
						u32 rhash)
{
	return (struct kvs_txn_write *)kvs_set_find(&tx->writes, t, key, klen,
						    kvs_txn_hash(t, rhash));
}

static struct kvs_txn_write *kvs_txn_write_at(struct kvs_txn *tx, u32 i)
{
	return (struct kvs_txn_write *)kvs_set_at(&tx->writes, i);
}

/* ------------------------------------------------------------------------ */
/* Begin, get, put, delete                                                  */
/* ------------------------------------------------------------------------ */

/**
 * kvs_txn_begin() - start a transaction
 * @s: the store
 * @flags: 0, or KVS_TXN_RDONLY for a transaction that only reads (never
 *	   aborts, records nothing)
 * @gfp: KVS_GFP_KERNEL in process context, KVS_GFP_ATOMIC in softirq; every
 *	 call on the transaction is then made in that kind of context
 * @txp: out: the transaction, until kvs_txn_commit() or kvs_txn_abort()
 *
 * The transaction reads at a snapshot: every commit that finished before
 * this call, and nothing later. Reclamation keeps what it can see until it
 * ends, so a long transaction holds at most one old version per key it can
 * see (counted in &kvs_table_stats.retained_versions). The caller holds a
 * reference to a table during each call that names it; the transaction
 * takes its own to every table it read, wrote or scanned, until it ends,
 * so a table dropped meanwhile stays usable by it. The caller makes the
 * transaction's calls one at a time.
 *
 * Context: process context (may sleep with KVS_GFP_KERNEL) or softirq with
 * KVS_GFP_ATOMIC. Takes the store's snapshot lock (_bh).
 * Return: 0; -EINVAL for unknown flags or gfp; -ENOSPC if the store's
 * memory is full; -ENOMEM.
 */
int kvs_txn_begin(struct kvs_store *s, unsigned int flags, kvs_gfp_t gfp,
		  struct kvs_txn **txp)
{
	struct kvs_txn *tx;

	*txp = NULL;
	if (flags & ~KVS_TXN_RDONLY || kvs_check_gfp(gfp))
		return -EINVAL;
	if (kvs_mem_charge(&s->mem, sizeof(*tx)))
		return -ENOSPC;
	tx = kvs_zalloc(sizeof(*tx), gfp);
	if (!tx) {
		kvs_mem_uncharge(&s->mem, sizeof(*tx));
		return -ENOMEM;
	}
	tx->s = s;
	tx->flags = flags;
	tx->gfp = gfp;
	tx->reads.size = sizeof(struct kvs_txn_key);
	tx->reads.ent = tx->reads_inl;
	tx->reads.cap = KVS_TXN_INLINE;
	tx->reads.buckets = tx->rbuckets_inl;
	tx->reads.nbuckets = ARRAY_SIZE(tx->rbuckets_inl);
	tx->writes.size = sizeof(struct kvs_txn_write);
	tx->writes.ent = tx->writes_inl;
	tx->writes.cap = KVS_TXN_INLINE;
	tx->writes.buckets = tx->wbuckets_inl;
	tx->writes.nbuckets = ARRAY_SIZE(tx->wbuckets_inl);
	tx->tabs = tx->tabs_inl;
	tx->tabs_cap = ARRAY_SIZE(tx->tabs_inl);
	tx->arena = (struct kvs_txn_chunk *)tx->arena_inl;
	tx->arena->size = KVS_TXN_ARENA_INLINE;
	kvs_snapshot_begin(s, &tx->snap);
	*txp = tx;
	return 0;
}
EXPORT_SYMBOL_GPL(kvs_txn_begin);

/**
 * kvs_txn_snapshot() - the timestamp a transaction reads at
 * @tx: the transaction
 *
 * Context: any.
 * Return: the snapshot's timestamp: versions up to it are visible.
 */
u64 kvs_txn_snapshot(const struct kvs_txn *tx)
{
	return tx->snap.ts;
}
EXPORT_SYMBOL_GPL(kvs_txn_snapshot);

/* End @tx: free what it holds, unregister its snapshot. */
static void kvs_txn_end(struct kvs_txn *tx)
{
	struct kvs_store *s = tx->s;
	struct kvs_txn_chunk *c;
	u32 i;

	for (i = 0; i < tx->writes.n; i++) {
		struct kvs_txn_write *w = kvs_txn_write_at(tx, i);

		if (w->v)
			kvs_version_free_now(w->k.t, w->v);
		if (w->fresh)
			kvs_record_free(w->k.t, w->fresh, false);
	}
	kvs_set_release(tx, &tx->writes);
	kvs_set_release(tx, &tx->reads);
	kvs_txn_free(tx, tx->ranges, tx->ranges_cap * sizeof(*tx->ranges));
	while ((c = tx->arena)) {
		tx->arena = c->next;
		kvs_txn_free(tx, c, sizeof(*c) + c->size);
	}
	/* Last: the frees above give back charges to these tables. */
	for (i = 0; i < tx->ntabs; i++)
		kvs_table_put(tx->tabs[i]);
	kvs_txn_free(tx, tx->tabs, tx->tabs_cap * sizeof(*tx->tabs));
	KVS_WARN_ON_ONCE(tx->charged);
	kvs_snapshot_end(s, &tx->snap);
	kvs_free(tx);
	kvs_mem_uncharge(&s->mem, sizeof(*tx));
}

/**
 * kvs_txn_abort() - end a transaction, applying nothing
 * @tx: the transaction; freed
 *
 * Context: the transaction's context (see kvs_txn_begin()).
 */
void kvs_txn_abort(struct kvs_txn *tx)
{
	kvs_txn_end(tx);
}
EXPORT_SYMBOL_GPL(kvs_txn_abort);

/* A key of a table of the transaction's store. */
static int kvs_txn_check_key(const struct kvs_txn *tx,
			     const struct kvs_table *t, const void *key,
			     u32 klen)
{
	return t->store == tx->s ? kvs_check_key(t, key, klen) : -EINVAL;
}

/*
 * The value of @key in @tx's view: its own write, else the snapshot.
 * Called under RCU. Return: the version (tombstones included) or NULL;
 * *@own says whether it is the transaction's own write.
 */
static struct kvs_version *kvs_txn_view(struct kvs_txn *tx,
					struct kvs_table *t, const void *key,
					u32 klen, u32 hash, bool *own)
{
	struct kvs_txn_write *w = kvs_txn_find_write(tx, t, key, klen, hash);
	struct kvs_record *r;

	*own = w;
	if (w)
		return w->v;
	r = kvs_record_find_hashed(t, key, klen, hash);
	return r ? kvs_version_at(r, tx->snap.ts) : NULL;
}

/**
 * kvs_txn_get() - read a key in a transaction
 * @tx: the transaction
 * @t: the table
 * @key: the key
 * @klen: its length
 * @buf: where to copy the value; may be NULL if @buflen is 0
 * @buflen: room in @buf
 * @vlen: out: the value's length (also when @buf is too small)
 * @version: out, may be NULL: the value's version; 0 for a value this
 *	     transaction wrote
 *
 * Reads the transaction's own write of the key if any, else the value at
 * its snapshot; a read-write transaction then fails to commit if the key
 * changes before it commits.
 *
 * Context: the transaction's context. Never sleeps in the lookup; may
 * allocate (its gfp) to remember the read.
 * Return: 0; -ENOENT if absent; -ENOBUFS if the value is longer than
 * @buflen (*@vlen says how long); -EINVAL or -E2BIG for a bad key; -E2BIG
 * past KVS_TXN_MAX_OPS reads; -ENOSPC or -ENOMEM (the read did not happen).
 */
int kvs_txn_get(struct kvs_txn *tx, struct kvs_table *t, const void *key,
		u32 klen, void *buf, u32 buflen, u32 *vlen, u64 *version)
{
	struct kvs_version *v;
	bool own;
	u32 hash;
	int ret;

	ret = kvs_txn_check_key(tx, t, key, klen);
	if (ret)
		return ret;
	hash = kvs_hash_keyhash(&t->hash, key, klen);
	if (!kvs_txn_find_write(tx, t, key, klen, hash)) {
		ret = kvs_txn_note_read(tx, t, key, klen, hash);
		if (ret)
			return ret;
	}
	kvs_rcu_read_lock();
	v = kvs_txn_view(tx, t, key, klen, hash, &own);
	if (!v || v->tombstone) {
		ret = -ENOENT;
	} else {
		*vlen = v->vlen;
		if (version)
			*version = own ? 0 : v->ts;
		if (v->vlen > buflen)
			ret = -ENOBUFS;
		else if (v->vlen)
			memcpy(buf, v->value, v->vlen);
	}
	kvs_rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_GPL(kvs_txn_get);

/*
 * Add @v (a value or a tombstone) to @tx's writes if @mode's condition
 * holds in the transaction's view. Consumes @v.
 */
static int kvs_txn_write(struct kvs_txn *tx, struct kvs_table *t,
			 const void *key, u32 klen, struct kvs_version *v,
			 unsigned int mode, u64 expect)
{
	u32 hash = kvs_hash_keyhash(&t->hash, key, klen);
	bool conditional = v->tombstone || mode != KVS_PUT_UPSERT;
	struct kvs_txn_write *w;
	struct kvs_version *cur;
	bool own, noted = false;
	u32 nreads = tx->reads.n;
	int ret;

	w = kvs_txn_find_write(tx, t, key, klen, hash);
	if (!w) {
		ret = kvs_set_reserve(tx, &tx->writes);
		if (!ret)
			ret = kvs_txn_hold(tx, t);
		if (!ret && conditional) {
			ret = kvs_txn_note_read(tx, t, key, klen, hash);
			noted = !ret && tx->reads.n != nreads;
		}
		if (ret)
			goto fail;
	}
	if (conditional) {
		kvs_rcu_read_lock();
		cur = kvs_txn_view(tx, t, key, klen, hash, &own);
		ret = kvs_write_check(v->tombstone, mode, expect,
				      cur && !cur->tombstone,
				      cur && !cur->tombstone && !own ? cur->ts : 0);
		kvs_rcu_read_unlock();
		if (ret) {
			/* The check's read stays: its outcome was observed. */
			noted = false;
			goto fail;
		}
	}
	if (w) {
		kvs_version_free_now(t, w->v);
		w->v = v;
		return 0;
	}
	w = (struct kvs_txn_write *)kvs_set_add(tx, &tx->writes, t, key, klen,
						hash);
	if (!w) {
		ret = -ENOMEM;
		goto fail;
	}
	w->v = v;
	return 0;

fail:
	if (noted) {
		/* Forget the read this failed call added (the last entry). */
		struct kvs_txn_key *k = kvs_set_at(&tx->reads, --tx->reads.n);

		tx->reads.buckets[k->hash & (tx->reads.nbuckets - 1)] = k->next;
		kvs_txn_uncopy(tx, k->klen);
	}
	kvs_version_free_now(t, v);
	return ret;
}

/**
 * kvs_txn_put() - write a key in a transaction
 * @tx: the transaction
 * @t: the table
 * @key: the key, 1..max_key_size bytes
 * @klen: its length
 * @val: the value; may be NULL if @vlen is 0
 * @vlen: its length, 0..max_value_size
 * @mode: KVS_PUT_UPSERT, _INSERT, _REPLACE or _CAS, as for kvs_put(),
 *	  checked now against the transaction's view (a key it wrote has
 *	  version 0); the check is a read, validated at commit
 * @expect: for KVS_PUT_CAS
 *
 * Nobody else sees the write until the transaction commits.
 *
 * Context: the transaction's context; allocates with its gfp.
 * Return: 0; -EEXIST, -ENOENT or -EAGAIN when @mode's condition fails;
 * -EROFS in a read-only transaction; -EINVAL or -E2BIG for bad arguments;
 * -E2BIG past KVS_TXN_MAX_OPS writes; -ENOSPC if the table or store memory
 * is full; -ENOMEM. On error the transaction is as before the call.
 */
int kvs_txn_put(struct kvs_txn *tx, struct kvs_table *t, const void *key,
		u32 klen, const void *val, u32 vlen, unsigned int mode,
		u64 expect)
{
	struct kvs_version *v;
	int ret;

	ret = kvs_txn_check_key(tx, t, key, klen);
	if (ret)
		return ret;
	if (mode >= KVS_PUT_MODES || (!val && vlen))
		return -EINVAL;
	if (vlen > t->params.max_value_size)
		return -E2BIG;
	if (tx->flags & KVS_TXN_RDONLY)
		return -EROFS;
	v = kvs_version_alloc(t, val, vlen, false, tx->gfp, &ret);
	if (!v)
		return ret;
	return kvs_txn_write(tx, t, key, klen, v, mode, expect);
}
EXPORT_SYMBOL_GPL(kvs_txn_put);

/**
 * kvs_txn_delete() - delete a key in a transaction
 * @tx: the transaction
 * @t: the table
 * @key: the key
 * @klen: its length
 * @mode: KVS_DEL_ANY, or KVS_DEL_CAS: only if the key's version in the
 *	  transaction's view is @expect
 * @expect: for KVS_DEL_CAS
 *
 * Context: as kvs_txn_put().
 * Return: 0; -ENOENT if the key is absent in the transaction's view;
 * -EAGAIN on a version mismatch; otherwise as kvs_txn_put().
 */
int kvs_txn_delete(struct kvs_txn *tx, struct kvs_table *t, const void *key,
		   u32 klen, unsigned int mode, u64 expect)
{
	struct kvs_version *v;
	int ret;

	ret = kvs_txn_check_key(tx, t, key, klen);
	if (ret)
		return ret;
	if (mode != KVS_DEL_ANY && mode != KVS_DEL_CAS)
		return -EINVAL;
	if (tx->flags & KVS_TXN_RDONLY)
		return -EROFS;
	v = kvs_version_alloc(t, NULL, 0, true, tx->gfp, &ret);
	if (!v)
		return ret;
	return kvs_txn_write(tx, t, key, klen, v, mode, expect);
}
EXPORT_SYMBOL_GPL(kvs_txn_delete);

/* ------------------------------------------------------------------------ */
/* Scans                                                                    */
/* ------------------------------------------------------------------------ */

typedef int (*kvs_idx_cmp_fn)(const void *ctx, u32 a, u32 b);

/* Sift @idx[@root] down the heap of the first @n entries. */
static void kvs_sift_down(u32 *idx, u32 root, u32 n, kvs_idx_cmp_fn cmp,
			  const void *ctx)
{
	u32 child, tmp;

	for (; (child = 2 * root + 1) < n; root = child) {
		if (child + 1 < n && cmp(ctx, idx[child], idx[child + 1]) < 0)
			child++;
		if (cmp(ctx, idx[root], idx[child]) >= 0)
			break;
		tmp = idx[root];
		idx[root] = idx[child];
		idx[child] = tmp;
	}
}

/* Heap sort of @n u32 @idx by @cmp (no recursion, no allocation). */
static void kvs_sort_idx(u32 *idx, u32 n, kvs_idx_cmp_fn cmp, const void *ctx)
{
	u32 i, tmp;

	for (i = n / 2; i-- > 0;)
		kvs_sift_down(idx, i, n, cmp, ctx);
	for (i = n; i-- > 1;) {
		tmp = idx[0];
		idx[0] = idx[i];
		idx[i] = tmp;
		kvs_sift_down(idx, 0, i, cmp, ctx);
	}
}

/* Writes by key (within one table). */
static int kvs_write_key_cmp(const void *ctx, u32 a, u32 b)
{
	struct kvs_txn *tx = (struct kvs_txn *)ctx;
	struct kvs_txn_write *wa = kvs_txn_write_at(tx, a);
	struct kvs_txn_write *wb = kvs_txn_write_at(tx, b);

	return kvs_key_cmp(wa->k.key, wa->k.klen, wb->k.key, wb->k.klen);
}

/**
 * struct kvs_scan_state - a scan in progress
 * @t: the table
 * @ts: the snapshot it reads at
 * @lo: low end of the range
 * @hi: high end
 * @reverse: from @hi down to @lo
 * @tx: the transaction whose writes merge in, or NULL
 * @own: indices of @tx's writes to @t in the range, in scan order
 * @nown: how many
 * @cur: next of @own to merge
 * @last: the last key visited, to resume from (room for max_key_size)
 * @last_len: its length; 0 before the first
 * @fn: the caller's callback
 * @arg: its argument
 */
struct kvs_scan_state {
	struct kvs_table *t;
	u64 ts;
	struct kvs_txn_bound lo;
	struct kvs_txn_bound hi;
	bool reverse;
	struct kvs_txn *tx;
	u32 *own;
	u32 nown;
	u32 cur;
	u8 *last;
	u32 last_len;
	kvs_scan_fn fn;
	void *arg;
};

/* Is @key past the end the scan walks towards? */
static bool kvs_scan_past(const struct kvs_scan_state *st, const void *key,
			  u32 klen)
{
	return st->reverse ? !kvs_above_lo(&st->lo, key, klen) :
			     !kvs_below_hi(&st->hi, key, klen);
}

/* The first node to visit from the start or, once begun, after @last. */
static struct kvs_snode *kvs_scan_seek(const struct kvs_scan_state *st)
{
	const struct kvs_skl *sl = &st->t->skl;

	if (st->last_len)
		return kvs_skl_seek(sl, st->last, st->last_len,
				    st->reverse ? KVS_SKL_LT : KVS_SKL_GT);
	if (st->reverse)
		return st->hi.key ? kvs_skl_seek(sl, st->hi.key, st->hi.len,
						 st->hi.incl ? KVS_SKL_LE :
						 KVS_SKL_LT) :
				    kvs_skl_last(sl);
	return st->lo.key ? kvs_skl_seek(sl, st->lo.key, st->lo.len,
					 st->lo.incl ? KVS_SKL_GE : KVS_SKL_GT) :
			    kvs_skl_first(sl);
}

/* Order of @a vs @b in the scan's direction. */
static int kvs_scan_cmp(const struct kvs_scan_state *st, const u8 *a,
			u32 alen, const u8 *b, u32 blen)
{
	int c = kvs_key_cmp(a, alen, b, blen);

	return st->reverse ? -c : c;
}

/* Is @r's key one the transaction wrote (its write is visited instead)? */
static bool kvs_scan_own(const struct kvs_scan_state *st,
			 const struct kvs_record *r)
{
	return kvs_txn_find_write(st->tx, st->t, kvs_record_key(r), r->klen,
				  r->hnode.hash);
}

/* Remember @key as the place to resume from. */
static void kvs_scan_mark(struct kvs_scan_state *st, const u8 *key, u32 klen)
{
	memcpy(st->last, key, klen);
	st->last_len = klen;
}

/*
 * Visit the range. Return: 0 when done, 1 when the callback stopped the
 * scan, or the callback's error (< 0). @st->last is the last key visited.
 * Each RCU read section visits at most KVS_SCAN_BATCH keys and walks past
 * at most KVS_SCAN_BATCH * 4 records the snapshot does not see.
 */
static int kvs_scan_walk(struct kvs_scan_state *st, bool may_sleep)
{
	const struct kvs_skl *sl = &st->t->skl;
	unsigned int emitted, walked;
	struct kvs_version *v = NULL;
	struct kvs_record *r = NULL;
	struct kvs_txn_write *w;
	struct kvs_snode *n;
	bool pause = false;
	int ret = 0, c;

	for (;;) {
		kvs_rcu_read_lock();
		n = kvs_scan_seek(st);
		for (emitted = 0, walked = 0; !ret && !pause;) {
			/* Skip what the snapshot does not see, and own writes. */
			for (; n; n = st->reverse ? kvs_skl_prev(sl, n) :
						    kvs_skl_next(sl, n)) {
				r = container_of(n, struct kvs_record, snode);
				if (kvs_scan_past(st, kvs_record_key(r),
						  r->klen)) {
					n = NULL;
					break;
				}
				v = kvs_version_at(r, st->ts);
				if (v && !v->tombstone &&
				    !(st->nown && kvs_scan_own(st, r)))
					break;
				if (++walked >= KVS_SCAN_BATCH * 4) {
					kvs_scan_mark(st, kvs_record_key(r),
						      r->klen);
					pause = true;
					break;
				}
			}
			if (pause)
				break;
			w = st->cur < st->nown ?
			    kvs_txn_write_at(st->tx, st->own[st->cur]) : NULL;
			if (!n && !w)
				break;
			c = !w ? -1 : !n ? 1 :
			    kvs_scan_cmp(st, kvs_record_key(r), r->klen,
					 w->k.key, w->k.klen);
			if (c >= 0) {
				/* The transaction's own write comes first. */
				st->cur++;
				if (w->v->tombstone)
					continue;
				ret = st->fn(st->arg, w->k.key, w->k.klen,
					     w->v->value, w->v->vlen, 0);
				kvs_scan_mark(st, w->k.key, w->k.klen);
			} else {
				ret = st->fn(st->arg, kvs_record_key(r), r->klen,
					     v->value, v->vlen, v->ts);
				kvs_scan_mark(st, kvs_record_key(r), r->klen);
				n = st->reverse ? kvs_skl_prev(sl, n) :
						  kvs_skl_next(sl, n);
			}
			pause = ++emitted >= KVS_SCAN_BATCH;
		}
		kvs_rcu_read_unlock();
		if (ret)
			return ret < 0 ? ret : 1;
		if (!pause)
			return 0;
		pause = false;
		if (may_sleep)
			kvs_cond_resched();
	}
}

/*
 * Scan @t's range @rg at @ts, merging @tx's writes if @tx. If @seen, set
 * it to the range visited: up to the last key visited if the scan stopped
 * early. Its bounds are copied into @tx's arena, which has room reserved.
 */
static int kvs_scan_run(struct kvs_table *t, const struct kvs_range *rg,
			u64 ts, struct kvs_txn *tx, kvs_scan_fn fn, void *arg,
			kvs_gfp_t gfp, struct kvs_txn_range *seen)
{
	struct kvs_scan_state st = {
		.t = t, .ts = ts, .tx = tx, .fn = fn, .arg = arg,
		.reverse = rg->flags & KVS_SCAN_REVERSE,
	};
	u32 keymax = t->params.max_key_size, i, n = 0;
	size_t nown = tx ? tx->writes.n : 0;
	struct kvs_txn_bound *end;
	u8 *buf;
	int ret;

	/* The writes' indices first (u32-aligned), then the key buffers. */
	buf = kvs_alloc(nown * sizeof(u32) + keymax + rg->prefix_len, gfp);
	if (!buf)
		return -ENOMEM;
	st.last = buf + nown * sizeof(u32);
	kvs_range_bounds(rg, st.last + keymax, &st.lo, &st.hi);

	if (nown) {
		st.own = (u32 *)buf;
		for (i = 0; i < tx->writes.n; i++) {
			struct kvs_txn_write *w = kvs_txn_write_at(tx, i);

			if (w->k.t == t &&
			    kvs_above_lo(&st.lo, w->k.key, w->k.klen) &&
			    kvs_below_hi(&st.hi, w->k.key, w->k.klen))
				st.own[n++] = i;
		}
		kvs_sort_idx(st.own, n, kvs_write_key_cmp, tx);
		for (i = 0; st.reverse && i < n / 2; i++) {
			u32 x = st.own[i];

			st.own[i] = st.own[n - 1 - i];
			st.own[n - 1 - i] = x;
		}
		st.nown = n;
	}

	ret = kvs_scan_walk(&st, gfp == KVS_GFP_KERNEL);
	if (seen) {
		seen->t = t;
		seen->lo = st.lo;
		seen->hi = st.hi;
		if (ret && st.last_len) {
			end = st.reverse ? &seen->lo : &seen->hi;
			end->key = st.last;
			end->len = st.last_len;
			end->incl = true;
		}
		if (seen->lo.key)
			seen->lo.key = kvs_txn_copy(tx, seen->lo.key,
						    seen->lo.len);
		if (seen->hi.key)
			seen->hi.key = kvs_txn_copy(tx, seen->hi.key,
						    seen->hi.len);
	}
	kvs_free(buf);
	return ret < 0 ? ret : 0;
}

/**
 * kvs_txn_scan() - visit a range of keys in order, in a transaction
 * @tx: the transaction
 * @t: the table; it must have an ordered index (KVS_TABLE_ORDERED)
 * @range: which keys, in which direction (struct kvs_range)
 * @fn: called for each key (under RCU: it must not sleep)
 * @arg: for @fn
 *
 * Visits the keys at the transaction's snapshot, merged with its own
 * writes (version 0; its deletes hide keys). In a read-write transaction
 * the range visited - all of it, or up to the key where @fn stopped the
 * scan - is validated at commit: a key another transaction inserted into
 * it, deleted from it or changed in it since the snapshot makes the commit
 * fail (no phantoms). The scan drops the RCU read lock between batches of
 * keys, so it never holds off reclamation or, in process context, the
 * scheduler for long; writers are never blocked by it.
 *
 * Context: the transaction's context; allocates a key buffer with its gfp.
 * Return: 0 when the range is done or @fn returned > 0; @fn's error if it
 * returned < 0; -EOPNOTSUPP for a table without an ordered index; -EINVAL
 * or -E2BIG for a bad range; -E2BIG past KVS_TXN_MAX_OPS scans; -ENOSPC or
 * -ENOMEM (@fn was not called).
 */
int kvs_txn_scan(struct kvs_txn *tx, struct kvs_table *t,
		 const struct kvs_range *range, kvs_scan_fn fn, void *arg)
{
	struct kvs_txn_range *seen = NULL;
	u32 cap;
	int ret;

	ret = kvs_check_range(t, range);
	if (ret)
		return ret;
	if (!fn || t->store != tx->s)
		return -EINVAL;
	if (!(tx->flags & KVS_TXN_RDONLY)) {
		if (tx->nranges >= KVS_TXN_MAX_OPS)
			return -E2BIG;
		ret = kvs_txn_hold(tx, t);
		if (ret)
			return ret;
		if (tx->nranges == tx->ranges_cap) {
			cap = tx->ranges_cap ? tx->ranges_cap * 2 : 4;
			seen = kvs_txn_alloc(tx, cap * sizeof(*seen));
			if (!seen)
				return -ENOMEM;
			if (tx->nranges)
				memcpy(seen, tx->ranges,
				       tx->nranges * sizeof(*seen));
			kvs_txn_free(tx, tx->ranges,
				     tx->ranges_cap * sizeof(*seen));
			tx->ranges = seen;
			tx->ranges_cap = cap;
		}
		/* Room for both bounds: copying them then cannot fail. */
		ret = kvs_txn_arena_reserve(tx, 2 * t->params.max_key_size);
		if (ret)
			return ret;
		seen = &tx->ranges[tx->nranges];
	}
	if (seen)
		seen->t = NULL;
	ret = kvs_scan_run(t, range, tx->snap.ts, tx, fn, arg, tx->gfp, seen);
	/* Once the walk began, what it saw is validated, error or not. */
	if (seen && seen->t)
		tx->nranges++;
	return ret;
}
EXPORT_SYMBOL_GPL(kvs_txn_scan);

/**
 * kvs_scan() - visit a range of keys in order, outside a transaction
 * @t: the table; it must have an ordered index (KVS_TABLE_ORDERED)
 * @range: which keys, in which direction (struct kvs_range)
 * @fn: called for each key (under RCU: it must not sleep)
 * @arg: for @fn
 * @gfp: KVS_GFP_KERNEL in process context, KVS_GFP_ATOMIC in softirq
 *
 * The whole scan reads one snapshot, registered for its duration: what
 * was committed before the call, and nothing committed during it.
 *
 * Context: process context (reschedules between batches of keys with
 * KVS_GFP_KERNEL) or softirq with KVS_GFP_ATOMIC. Takes the store's
 * snapshot lock (_bh).
 * Return: as kvs_txn_scan().
 */
int kvs_scan(struct kvs_table *t, const struct kvs_range *range,
	     kvs_scan_fn fn, void *arg, kvs_gfp_t gfp)
{
	struct kvs_snapshot snap;
	int ret;

	ret = kvs_check_range(t, range);
	if (!ret && (!fn || kvs_check_gfp(gfp)))
		ret = -EINVAL;
	if (ret)
		return ret;
	kvs_snapshot_begin(t->store, &snap);
	ret = kvs_scan_run(t, range, snap.ts, NULL, fn, arg, gfp, NULL);
	kvs_snapshot_end(t->store, &snap);
	return ret;
}
EXPORT_SYMBOL_GPL(kvs_scan);

/* ------------------------------------------------------------------------ */
/* Commit                                                                   */
/* ------------------------------------------------------------------------ */

/* Writes in lock order: table id, then key. */
static int kvs_write_lock_cmp(const void *ctx, u32 a, u32 b)
{
	struct kvs_txn *tx = (struct kvs_txn *)ctx;
	struct kvs_txn_write *wa = kvs_txn_write_at(tx, a);
	struct kvs_txn_write *wb = kvs_txn_write_at(tx, b);

	if (wa->k.t->id != wb->k.t->id)
		return wa->k.t->id < wb->k.t->id ? -1 : 1;
	return kvs_key_cmp(wa->k.key, wa->k.klen, wb->k.key, wb->k.klen);
}

/*
 * Allocate a record for each write whose key has none now. Return: 0,
 * -ENOSPC or -ENOMEM.
 */
static int kvs_txn_prepare(struct kvs_txn *tx)
{
	struct kvs_txn_write *w;
	struct kvs_record *r;
	int ret = 0;
	u32 i;

	for (i = 0; i < tx->writes.n; i++) {
		w = kvs_txn_write_at(tx, i);
		if (w->fresh)
			continue;
		kvs_rcu_read_lock();
		r = kvs_record_find_hashed(w->k.t, w->k.key, w->k.klen,
					   w->k.rhash);
		kvs_rcu_read_unlock();
		if (r)
			continue;
		w->fresh = kvs_record_alloc(w->k.t, w->k.key, w->k.klen, NULL,
					    tx->gfp, &ret);
		if (!w->fresh)
			return ret;
	}
	return 0;
}

/*
 * Tidy and unlock the first @n records of @order (see
 * kvs_record_tidy_locked()). Return: true if one was left without any
 * version (made for this commit, which failed): the gc must run.
 */
static bool kvs_txn_unlock_all(struct kvs_txn *tx, const u32 *order, u32 n)
{
	struct kvs_txn_write *w;
	bool empty = false;

	while (n--) {
		w = kvs_txn_write_at(tx, order[n]);
		kvs_record_tidy_locked(w->k.t, w->rec);
		empty |= !kvs_rcu_access_pointer(w->rec->newest);
		kvs_record_unlock(w->rec);
		w->rec = NULL;
	}
	return empty;
}

/*
 * Lock the records of the writes in @order, publishing fresh ones. Return:
 * 0 with all locked; 1 with none locked if a key lost its record and has
 * no fresh one (prepare again).
 */
static int kvs_txn_lock_all(struct kvs_txn *tx, const u32 *order)
	__must_hold(RCU)
{
	struct kvs_txn_write *w;
	struct kvs_record *r;
	u32 i;

	for (i = 0; i < tx->writes.n; i++) {
		w = kvs_txn_write_at(tx, order[i]);
		for (;;) {
			r = kvs_record_find_hashed(w->k.t, w->k.key,
						   w->k.klen, w->k.rhash);
			if (!r) {
				if (!w->fresh) {
					if (kvs_txn_unlock_all(tx, order, i))
						kvs_work_queue(&tx->s->gc_work);
					return 1;
				}
				kvs_record_lock(w->fresh);
				r = kvs_record_publish_locked(w->k.t, w->fresh);
				if (r == w->fresh) {
					w->fresh = NULL;
					break;
				}
				kvs_record_unlock(w->fresh);
			}
			kvs_record_lock(r);
			if (!r->unlinked)
				break;
			/* Being reclaimed: its key is leaving the index. */
			kvs_record_unlock(r);
			kvs_cpu_relax();
		}
		w->rec = r;
	}
	return 0;
}

/*
 * The tables' entry counts: each table's writes are together in @order.
 * The first write of each table holds the table's net change in keys.
 */

/*
 * After the commit: return the growth charged (@done false: it failed),
 * or the net shrinkage (@done: it is applied), for @order[0 .. @end - 1].
 */
static void kvs_txn_entries_settle(struct kvs_txn *tx, const u32 *order,
				   u32 end, bool done)
{
	struct kvs_txn_write *w, *first = NULL;
	u32 i;

	for (i = 0; i < end; i++) {
		w = kvs_txn_write_at(tx, order[i]);
		if (first && first->k.t == w->k.t)
			continue;
		first = w;
		if (!done && w->net > 0)
			kvs_mem_uncharge(&w->k.t->entries, w->net);
		else if (done && w->net < 0)
			kvs_mem_uncharge(&w->k.t->entries, -w->net);
	}
}

/* Charge each table's net growth in keys; all or nothing (-ENOSPC). */
static int kvs_txn_entries_charge(struct kvs_txn *tx, const u32 *order)
{
	struct kvs_txn_write *w, *first = NULL;
	bool present;
	u32 i;

	for (i = 0; i < tx->writes.n; i++) {
		w = kvs_txn_write_at(tx, order[i]);
		if (!first || first->k.t != w->k.t) {
			first = w;
			w->net = 0;
		}
		present = kvs_record_present_locked(w->rec);
		if (!w->v->tombstone && !present)
			first->net++;
		else if (w->v->tombstone && present)
			first->net--;
		/* At the table's last write, charge its growth. */
		if (i + 1 < tx->writes.n &&
		    kvs_txn_write_at(tx, order[i + 1])->k.t == w->k.t)
			continue;
		if (first->net > 0 &&
		    kvs_mem_charge(&first->k.t->entries, first->net)) {
			first->net = 0;
			kvs_txn_entries_settle(tx, order, i, false);
			return -ENOSPC;
		}
	}
	return 0;
}

/*
 * Has @r changed since @tx's snapshot, or is another writer at it? (The
 * gc at it is no conflict: it changes nothing a reader sees.)
 */
static bool kvs_txn_record_conflicts(struct kvs_txn *tx, struct kvs_record *r)
{
	struct kvs_version *v = kvs_rcu_dereference(r->newest);

	return (v && v->ts > tx->snap.ts) || kvs_record_locked_by_writer(r);
}

/* Validation (see DOC: Transactions). Return: true if it holds. */
static bool kvs_txn_validate(struct kvs_txn *tx)
	__must_hold(RCU)
{
	struct kvs_txn_range *rg;
	struct kvs_txn_key *k;
	struct kvs_record *r;
	struct kvs_snode *n;
	u32 i;

	for (i = 0; i < tx->reads.n; i++) {
		k = kvs_set_at(&tx->reads, i);
		r = kvs_record_find_hashed(k->t, k->key, k->klen, k->rhash);
		if (r && kvs_txn_record_conflicts(tx, r))
			return false;
	}
	for (i = 0; i < tx->nranges; i++) {
		rg = &tx->ranges[i];
		n = rg->lo.key ? kvs_skl_seek(&rg->t->skl, rg->lo.key,
					      rg->lo.len, rg->lo.incl ?
					      KVS_SKL_GE : KVS_SKL_GT) :
				 kvs_skl_first(&rg->t->skl);
		for (; n; n = kvs_skl_next(&rg->t->skl, n)) {
			r = container_of(n, struct kvs_record, snode);
			if (!kvs_below_hi(&rg->hi, kvs_record_key(r), r->klen))
				break;
			if (kvs_txn_record_conflicts(tx, r))
				return false;
		}
	}
	return true;
}

/**
 * kvs_txn_commit() - apply a transaction's writes, all or nothing
 * @tx: the transaction; always ended and freed
 * @version: out, may be NULL: the commit's timestamp (the version of every
 *	     key it wrote); for a transaction that wrote nothing, its snapshot
 *
 * When it returns 0, every reader sees all the writes (or later ones).
 *
 * Context: the transaction's context. Spins on record locks with bottom
 * halves (and, without PREEMPT_RT, preemption) disabled; see DOC:
 * Transactions.
 * Return: 0; -EAGAIN if something the transaction read changed since its
 * snapshot (retry it: kvs_txn_run()); -ENOSPC if a table's entry limit or
 * memory is full; -ENOMEM. On error nothing was applied.
 */
int kvs_txn_commit(struct kvs_txn *tx, u64 *version)
{
	struct kvs_store *s = tx->s;
	u32 i, n = tx->writes.n;
	struct kvs_txn_write *w;
	bool gc = false;
	u64 ts = 0;
	u32 *order;
	int ret;

	if (!n) {
		if (version)
			*version = tx->snap.ts;
		kvs_txn_end(tx);
		return 0;
	}
	order = kvs_txn_alloc(tx, n * sizeof(*order));
	if (!order) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		order[i] = i;
	kvs_sort_idx(order, n, kvs_write_lock_cmp, tx);

	for (;;) {
		ret = kvs_txn_prepare(tx);
		if (ret)
			goto out_order;
		kvs_rcu_read_lock();
		kvs_lockwin_enter();
		if (!kvs_txn_lock_all(tx, order))
			break;
		kvs_lockwin_exit();
		kvs_rcu_read_unlock();
	}

	ret = kvs_txn_entries_charge(tx, order);
	if (!ret) {
		kvs_nosleep_enter();
		ts = kvs_clock_begin(&s->clock);
		if (kvs_txn_validate(tx)) {
			for (i = 0; i < n; i++) {
				w = kvs_txn_write_at(tx, i);
				kvs_record_link_locked(w->k.t, w->rec, w->v, ts);
				gc |= w->v->tombstone;
				w->v = NULL;
			}
		} else {
			ret = -EAGAIN;
		}
		kvs_clock_end(&s->clock, ts);
		kvs_nosleep_exit();
		kvs_txn_entries_settle(tx, order, n, !ret);
	}
	gc |= kvs_txn_unlock_all(tx, order, n);
	kvs_lockwin_exit();
	kvs_rcu_read_unlock();
	if (gc)
		kvs_work_queue(&s->gc_work);
	if (!ret) {
		kvs_clock_wait_visible(&s->clock, ts);
		if (version)
			*version = ts;
	}
out_order:
	kvs_txn_free(tx, order, n * sizeof(*order));
out:
	kvs_txn_end(tx);
	return ret;
}
EXPORT_SYMBOL_GPL(kvs_txn_commit);

/* Wait a little longer after each conflict, with jitter. */
static void kvs_txn_backoff(unsigned int attempt, kvs_gfp_t gfp)
{
	u32 spins = kvs_random_u32() %
		    (16u << min_t(unsigned int, attempt, KVS_TXN_BACKOFF_MAX));

	if (gfp == KVS_GFP_KERNEL)
		kvs_cond_resched();
	while (spins--)
		kvs_cpu_relax();
}

/**
 * kvs_txn_run() - run a transaction, retrying it on conflicts
 * @s: the store
 * @flags: for kvs_txn_begin()
 * @gfp: for kvs_txn_begin()
 * @max_tries: attempts at most; 0 for a default (16)
 * @fn: the transaction's body: reads and writes through @tx; returns 0 to
 *	commit, -EAGAIN to retry, or another error to abort
 * @arg: for @fn
 *
 * Each attempt is a new transaction at a new snapshot; between attempts
 * it backs off for a random, growing number of pauses.
 *
 * Context: as kvs_txn_begin(). @fn runs in the caller's context.
 * Return: 0 once an attempt committed; -EAGAIN if every attempt
 * conflicted; otherwise @fn's error or kvs_txn_begin()'s or
 * kvs_txn_commit()'s.
 */
int kvs_txn_run(struct kvs_store *s, unsigned int flags, kvs_gfp_t gfp,
		unsigned int max_tries,
		int (*fn)(struct kvs_txn *tx, void *arg), void *arg)
{
	struct kvs_txn *tx;
	unsigned int attempt;
	int ret = -EAGAIN;

	if (!fn)
		return -EINVAL;
	if (!max_tries)
		max_tries = KVS_TXN_DEFAULT_TRIES;
	for (attempt = 0; attempt < max_tries; attempt++) {
		if (attempt)
			kvs_txn_backoff(attempt, gfp);
		ret = kvs_txn_begin(s, flags, gfp, &tx);
		if (ret)
			return ret;
		ret = fn(tx, arg);
		if (ret) {
			kvs_txn_abort(tx);
			if (ret != -EAGAIN)
				return ret;
			continue;
		}
		ret = kvs_txn_commit(tx, NULL);
		if (ret != -EAGAIN)
			return ret;
	}
	return ret;
}
EXPORT_SYMBOL_GPL(kvs_txn_run);

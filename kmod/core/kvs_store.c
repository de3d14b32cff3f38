// SPDX-License-Identifier: GPL-2.0
/*
 * kvs_store.c - tables, records and versions, point reads and writes,
 * reclamation.
 *
 * DOC: Locking
 *
 * Lock order, outermost first:
 *
 *   store->ddl_mutex  >  record locks (several: in table id, then key
 *   order)  >  index-internal locks (hash stripes, skiplist nodes),
 *   table->gc_lock, store->snap_lock, the snapshot stripes' locks
 *
 * A record lock is a word in the record (0, or the holder's
 * kvs_owner_token(), with bit 0 set when the holder is the gc, so that a
 * commit's validation does not take it for a writer's), taken only inside
 * a kvs_lockwin_enter() window:
 * bottom halves off and, without PREEMPT_RT, preemption off, so whoever
 * spins on it waits only for another CPU's short window (on PREEMPT_RT a
 * waiter on the holder's CPU blocks on that CPU's bottom-half lock
 * first). It is not a lockdep-tracked spinlock because a transaction's
 * commit holds an unbounded number of them (kvs_txn.c). A record lock
 * covers the record's version chain, its gc and unlinked flags, and its
 * removal from the indexes. Writers run in process or softirq context,
 * never hardirq. Readers take no lock: kvs_rcu_read_lock() and the visible
 * watermark are enough.
 *
 * DOC: Reclamation
 *
 * A version may be unlinked once it is older than the newest version that
 * the horizon H = min(registered snapshots, visible) sees. Point readers do
 * not register; instead H is read, then a grace period passes, and only then
 * is H used (store->safe_horizon): every reader still running started after
 * H was read, so it reads at a timestamp >= H and never needs what is cut.
 * Writers prune a record's chain inline with the safe horizon when they add
 * a version; records left with old versions or a tombstone go on their
 * table's gc list, which the gc work drains (unlinking dead records from
 * both indexes). The work runs again whenever a write queues a record or a
 * snapshot ends, so a record pinned by a long snapshot is retried then.
 */
#include "kvs_store.h"

/* ------------------------------------------------------------------------ */
/* Versions                                                                 */
/* ------------------------------------------------------------------------ */

static size_t kvs_version_size(u32 vlen)
{
	return sizeof(struct kvs_version) + vlen;
}

/*
 * Charge @size bytes to @t (and so to its store), then allocate them.
 * Return: the memory, or NULL with *@err -ENOSPC (over a limit, nothing
 * charged) or -ENOMEM.
 */
static void *kvs_table_alloc(struct kvs_table *t, size_t size, bool zero,
			     kvs_gfp_t gfp, int *err)
{
	void *p;

	if (kvs_mem_charge(&t->mem, size)) {
		*err = -ENOSPC;
		return NULL;
	}
	p = zero ? kvs_zalloc(size, gfp) : kvs_alloc(size, gfp);
	if (!p) {
		kvs_mem_uncharge(&t->mem, size);
		*err = -ENOMEM;
	}
	return p;
}

struct kvs_version *kvs_version_alloc(struct kvs_table *t, const void *val,
				      u32 vlen, bool tombstone, kvs_gfp_t gfp,
				      int *err)
{
	struct kvs_version *v;

	v = kvs_table_alloc(t, kvs_version_size(vlen), false, gfp, err);
	if (!v)
		return NULL;
	KVS_RCU_INIT_POINTER(v->older, NULL);
	v->ts = 0;
	v->vlen = vlen;
	v->tombstone = tombstone;
	v->embedded = false;
	if (vlen)
		memcpy(v->value, val, vlen);
	return v;
}

/*
 * Free a version nobody can reach any more (no grace period needed). An
 * embedded version goes with its record.
 */
void kvs_version_free_now(struct kvs_table *t, struct kvs_version *v)
{
	if (v->embedded)
		return;
	kvs_mem_uncharge(&t->mem, kvs_version_size(v->vlen));
	kvs_free(v);
}

/*
 * Free an unlinked version after a grace period. The charge is returned now,
 * at unlink, so that RCU callbacks never touch the table (which may be gone
 * by then); only the memory waits.
 */
static void kvs_version_free_rcu(struct kvs_table *t, struct kvs_version *v)
{
	if (v->embedded)
		return;
	kvs_mem_uncharge(&t->mem, kvs_version_size(v->vlen));
	kvs_free_rcu(v, &v->rcu);
}

/* ------------------------------------------------------------------------ */
/* Records                                                                  */
/* ------------------------------------------------------------------------ */

static const void *kvs_record_skey(const struct kvs_snode *n, u32 *len)
{
	const struct kvs_record *r = container_of(n, struct kvs_record, snode);

	*len = r->klen;
	return kvs_record_key(r);
}

/* Where a record's embedded first version starts, from the record's start. */
static size_t kvs_record_first_off(size_t koff, u32 klen)
{
	return (koff + klen + 7) & ~(size_t)7;
}

/**
 * kvs_record_alloc() - allocate and charge a record of a key, not linked
 * @t: the table
 * @key: the key
 * @klen: its length
 * @first: NULL, or a version whose copy the record embeds (see
 *	   kvs_record_first()), to be linked as its first version
 * @gfp: allocation context
 * @err: out: -ENOSPC or -ENOMEM on failure
 *
 * Context: process context with KVS_GFP_KERNEL (may sleep), any but
 * hardirq with KVS_GFP_ATOMIC.
 * Return: the record, zeroed but for its key, or NULL.
 */
struct kvs_record *kvs_record_alloc(struct kvs_table *t, const void *key,
				    u32 klen, const struct kvs_version *first,
				    kvs_gfp_t gfp, int *err)
{
	unsigned int height = 0;
	struct kvs_version *v;
	struct kvs_record *r;
	size_t base, size;

	/* Past the tallest skiplist node, the key is within @koff's reach. */
	BUILD_BUG_ON(offsetof(struct kvs_record, snode) +
		     sizeof(struct kvs_snode) +
		     KVS_SKL_MAX_HEIGHT * sizeof(struct kvs_snode *) > 0xffff);
	if (kvs_table_ordered(t)) {
		height = kvs_skl_random_height(&t->skl);
		base = KVS_SKL_OBJ_SIZE(struct kvs_record, snode, height);
	} else {
		/* No ordered index: no skiplist node, the key follows. */
		base = offsetof(struct kvs_record, snode);
	}
	size = base + klen;
	if (first)
		size = kvs_record_first_off(base, klen) +
		       kvs_version_size(first->vlen);
	r = kvs_table_alloc(t, size, true, gfp, err);
	if (!r)
		return NULL;
	r->klen = klen;
	r->koff = (u16)base;
	r->size = size;
	memcpy((u8 *)r + base, key, klen);
	if (first) {
		v = kvs_record_first(r);
		memcpy(v, first, kvs_version_size(first->vlen));
		KVS_RCU_INIT_POINTER(v->older, NULL);
		v->embedded = true;
	}
	if (height)
		kvs_skl_node_init(&r->snode, height);
	kvs_atomic64_inc(&t->records);
	return r;
}

/**
 * kvs_record_first() - the version a record embeds
 * @r: a record allocated with a first version
 *
 * Context: any.
 * Return: the embedded version, which no free of a version frees.
 */
struct kvs_version *kvs_record_first(struct kvs_record *r)
{
	return (struct kvs_version *)((u8 *)r +
				      kvs_record_first_off(r->koff, r->klen));
}

/*
 * Free a record and its chain: at once if nobody can reach them any more,
 * else (@deferred: unlinked, readers may still walk them) after a grace
 * period. The charges are returned now either way.
 */
void kvs_record_free(struct kvs_table *t, struct kvs_record *r, bool deferred)
{
	struct kvs_version *v, *older;

	for (v = kvs_rcu_dereference_protected(r->newest, true); v; v = older) {
		older = kvs_rcu_dereference_protected(v->older, true);
		if (v != kvs_rcu_access_pointer(r->newest))
			kvs_atomic64_dec(&t->retained);
		if (deferred)
			kvs_version_free_rcu(t, v);
		else
			kvs_version_free_now(t, v);
	}
	kvs_atomic64_dec(&t->records);
	kvs_mem_uncharge(&t->mem, r->size);
	/* Off the gc list (@gc_next, @size are dead): @rcu may take their room. */
	if (deferred)
		kvs_free_rcu(r, &r->rcu);
	else
		kvs_free(r);
}

/**
 * struct kvs_gc_view - what readers may still read, as far as pruning knows
 * @present: unregistered readers (point reads) read at this timestamp or
 *	     later; read at least one grace period ago
 * @snaps: registered snapshots older than @present, newest first
 * @nsnaps: how many
 */
struct kvs_gc_view {
	u64 present;
	const u64 *snaps;
	unsigned int nsnaps;
};

/*
 * Cut the versions no reader can need: keep every version newer than
 * @view->present and the newest one at or below it, and below that only
 * the newest version each registered snapshot sees, so a long-lived snapshot
 * holds at most one old version per key. A reader standing on a cut version
 * still walks on through its @older pointer, which is left intact; the
 * memory waits for a grace period.
 *
 * Return: true if the record must stay on the gc list (old versions or a
 * tombstone remain).
 */
static bool kvs_record_prune_locked(struct kvs_table *t, struct kvs_record *r,
				    const struct kvs_gc_view *view)
{
	struct kvs_version *newest, *v, *keep, *older;
	unsigned int i = 0;
	u64 newer_ts;

	KVS_WARN_ON_ONCE(!kvs_record_held(r));
	newest = kvs_rcu_dereference_protected(r->newest,
					       kvs_record_held(r));
	for (v = newest; v && v->ts > view->present;)
		v = kvs_rcu_dereference_protected(v->older, true);
	if (v) {
		keep = v;
		newer_ts = v->ts;
		v = kvs_rcu_dereference_protected(v->older, true);
		for (; v; v = older) {
			older = kvs_rcu_dereference_protected(v->older, true);
			/* Does a snapshot T see v: v->ts <= T < newer_ts? */
			while (i < view->nsnaps && view->snaps[i] >= newer_ts)
				i++;
			newer_ts = v->ts;
			if (i < view->nsnaps && view->snaps[i] >= v->ts) {
				keep = v;
				continue;
			}
			kvs_rcu_assign_pointer(keep->older, older);
			kvs_atomic64_dec(&t->retained);
			kvs_version_free_rcu(t, v);
		}
	}
	return newest && (newest->tombstone ||
			  kvs_rcu_access_pointer(newest->older));
}

/*
 * Put @r on its table's gc list unless it is there already. Return: true
 * if it was not: a writer then kicks the gc work (kvs_record_queue_gc_kick)
 * so that garbage never waits for an unrelated event; the gc work itself
 * requeues what must wait without kicking itself again.
 */
bool kvs_record_queue_gc_locked(struct kvs_table *t, struct kvs_record *r)
{
	KVS_WARN_ON_ONCE(!kvs_record_held(r));
	if (r->queued)
		return false;
	r->queued = true;
	kvs_spin_lock_bh(&t->gc_lock);
	r->gc_next = t->gc_head;
	t->gc_head = r;
	kvs_spin_unlock_bh(&t->gc_lock);
	return true;
}

/* A writer's kvs_record_queue_gc_locked(): start the gc work if needed. */
static void kvs_record_queue_gc_kick(struct kvs_table *t, struct kvs_record *r)
{
	if (kvs_record_queue_gc_locked(t, r))
		kvs_work_queue(&t->store->gc_work);
}

/* Unlink a dead record from both indexes; free it after a grace period. */
static void kvs_record_unlink_locked(struct kvs_table *t, struct kvs_record *r)
{
	KVS_WARN_ON_ONCE(!kvs_record_held(r));
	r->unlinked = true;
	/* Skiplist first: a new record of this key goes into the hash first. */
	if (kvs_table_ordered(t))
		KVS_WARN_ON_ONCE(kvs_skl_remove(&t->skl, &r->snode));
	KVS_WARN_ON_ONCE(kvs_hash_remove(&t->hash, &r->hnode));
}

/*
 * What a point read of a @klen-byte key touches after the record's index
 * node, as an offset from that node: without an ordered index, the record
 * of the key, if it embeds its version, has it at a fixed place (0: no
 * hint).
 */
static __always_inline size_t kvs_record_hint(const struct kvs_table *t,
					      u32 klen)
{
	if (kvs_table_ordered(t))
		return 0;
	return kvs_record_first_off(offsetof(struct kvs_record, snode), klen) -
	       offsetof(struct kvs_record, hnode) +
	       offsetof(struct kvs_version, ts);
}

/* The record of a key of hash @hash (kvs_hash_keyhash()); under RCU. */
static __always_inline struct kvs_record *
__kvs_record_find_hashed(struct kvs_table *t, const void *key, u32 klen,
			 u32 hash)
{
	struct kvs_hnode *n;

	n = kvs_hash_lookup_inline(&t->hash, key, klen, hash,
				   kvs_record_hint(t, klen), kvs_record_hkey);
	return n ? container_of(n, struct kvs_record, hnode) : NULL;
}

/* kvs_record_find(), inline for the point reads; under RCU. */
static __always_inline struct kvs_record *
__kvs_record_find(struct kvs_table *t, const void *key, u32 klen)
{
	return __kvs_record_find_hashed(t, key, klen,
					kvs_hash_keyhash_inline(&t->hash, key,
								klen));
}

struct kvs_record *kvs_record_find(struct kvs_table *t, const void *key,
				   u32 klen)
{
	return __kvs_record_find(t, key, klen);
}

/**
 * kvs_record_publish_locked() - put a new record into the table's indexes
 * @t: the table
 * @fresh: a new, empty record, locked by the caller (in a lockwin window)
 *
 * Locked while it enters both indexes, so that whoever finds it in one
 * (and must lock it to act) finds it in both.
 *
 * Context: kvs_rcu_read_lock() held, inside kvs_lockwin_enter().
 * Return: @fresh, now in the indexes; or the record of the same key that
 * was there first (not locked), and @fresh is left out.
 */
struct kvs_record *kvs_record_publish_locked(struct kvs_table *t,
					     struct kvs_record *fresh)
{
	struct kvs_hnode *old;

	if (kvs_hash_insert(&t->hash, &fresh->hnode, &old))
		return container_of(old, struct kvs_record, hnode);
	if (kvs_table_ordered(t))
		KVS_WARN_ON_ONCE(kvs_skl_insert(&t->skl, &fresh->snode, NULL));
	return fresh;
}

/* ------------------------------------------------------------------------ */
/* Point reads                                                              */
/* ------------------------------------------------------------------------ */

int kvs_check_key(const struct kvs_table *t, const void *key, u32 klen)
{
	if (!key || !klen)
		return -EINVAL;
	if (klen > t->params.max_key_size)
		return -E2BIG;
	return 0;
}

/* The value of record @r (may be NULL) that a point read sees now. */
static __always_inline const void *
__kvs_record_value(struct kvs_table *t, struct kvs_record *r, u32 *vlen,
		   u64 *version)
{
	struct kvs_version *v;

	if (!r)
		return NULL;
	v = kvs_version_at(r, kvs_clock_visible(&t->store->clock));
	if (!v || v->tombstone)
		return NULL;
	*vlen = v->vlen;
	if (version)
		*version = v->ts;
	return v->value;
}

/* kvs_lookup_rcu() for a key already checked (kvs_check_key()). */
const void *__kvs_lookup_rcu(struct kvs_table *t, const void *key, u32 klen,
			     u32 *vlen, u64 *version)
{
	return __kvs_record_value(t, __kvs_record_find(t, key, klen), vlen,
				  version);
}

/**
 * __kvs_lookup_batch_rcu() - __kvs_lookup_rcu() of several keys at once
 * @t: the table
 * @keys: @n keys, each already checked (kvs_check_key())
 * @klens: their lengths
 * @n: their number, at most %KVS_LOOKUP_BATCH
 * @vals: out: each key's value (valid until the RCU read section ends), or
 *	  NULL if the key is absent
 * @vlens: out: the values' lengths (0 where absent)
 * @versions: out, may be NULL: their versions (0 where absent)
 *
 * The same lookups as @n calls of __kvs_lookup_rcu(), in three passes so
 * that their cache misses overlap instead of following one another: every
 * key is hashed and its bucket prefetched; then every bucket's first node
 * is prefetched, with what the read touches after it; then the lookups
 * run, on lines that are arriving or there. In a table much larger than
 * the caches, a single read waits for a miss at each of those steps.
 *
 * Context: kvs_rcu_read_lock() held; any context. Takes no lock.
 */
void __kvs_lookup_batch_rcu(struct kvs_table *t, const u8 *const *keys,
			    const u32 *klens, unsigned int n,
			    const void **vals, u32 *vlens, u64 *versions)
{
	u32 hash[KVS_LOOKUP_BATCH];
	unsigned int i;

	if (KVS_WARN_ON_ONCE(n > KVS_LOOKUP_BATCH))
		n = KVS_LOOKUP_BATCH;
	for (i = 0; i < n; i++) {
		hash[i] = kvs_hash_keyhash_inline(&t->hash, keys[i], klens[i]);
		kvs_hash_prefetch_bucket(&t->hash, hash[i]);
	}
	for (i = 0; i < n; i++)
		kvs_hash_prefetch_first(&t->hash, hash[i],
					kvs_record_hint(t, klens[i]));
	for (i = 0; i < n; i++) {
		vlens[i] = 0;
		if (versions)
			versions[i] = 0;
		vals[i] = __kvs_record_value(t,
					     __kvs_record_find_hashed(t, keys[i],
								      klens[i],
								      hash[i]),
					     &vlens[i],
					     versions ? &versions[i] : NULL);
	}
}

/**
 * kvs_lookup_rcu() - find the current value of a key, without copying
 * @t: the table
 * @key: the key
 * @klen: its length
 * @vlen: out: the value's length
 * @version: out, may be NULL: the value's version (for compare-and-swap)
 *
 * The value is the newest one committed and visible to everyone.
 *
 * Context: any context, hardirq included; the caller holds
 * kvs_rcu_read_lock(). Takes no lock, never sleeps.
 * Return: the value, valid until the caller's RCU read section ends; NULL
 * if the key is absent (or the key is invalid).
 */
const void *kvs_lookup_rcu(struct kvs_table *t, const void *key, u32 klen,
			   u32 *vlen, u64 *version)
{
	if (kvs_check_key(t, key, klen))
		return NULL;
	return __kvs_lookup_rcu(t, key, klen, vlen, version);
}
EXPORT_SYMBOL_GPL(kvs_lookup_rcu);

/**
 * kvs_get() - copy out the current value of a key
 * @t: the table
 * @key: the key
 * @klen: its length
 * @buf: where to copy the value; may be NULL if @buflen is 0
 * @buflen: room in @buf
 * @vlen: out: the value's length (also when @buf is too small)
 * @version: out, may be NULL: the value's version
 *
 * Context: any context, hardirq included. Lock-free, never sleeps.
 * Return: 0; -ENOENT if the key is absent; -ENOBUFS if the value is longer
 * than @buflen (nothing copied, *@vlen says how long); -EINVAL for an empty
 * or NULL key; -E2BIG for a key longer than the table allows.
 */
int kvs_get(struct kvs_table *t, const void *key, u32 klen, void *buf,
	    u32 buflen, u32 *vlen, u64 *version)
{
	const void *val;
	int ret;

	ret = kvs_check_key(t, key, klen);
	if (ret)
		return ret;
	kvs_rcu_read_lock();
	val = __kvs_lookup_rcu(t, key, klen, vlen, version);
	if (!val)
		ret = -ENOENT;
	else if (*vlen > buflen)
		ret = -ENOBUFS;
	else if (*vlen)
		memcpy(buf, val, *vlen);
	kvs_rcu_read_unlock();
	return ret;
}
EXPORT_SYMBOL_GPL(kvs_get);

/* ------------------------------------------------------------------------ */
/* Point writes                                                             */
/* ------------------------------------------------------------------------ */

/*
 * Make @v, committed at @ts, the newest version of locked @r. The caller
 * holds the commit window of @ts open (kvs_clock_begin() .. _end()).
 */
void kvs_record_link_locked(struct kvs_table *t, struct kvs_record *r,
			    struct kvs_version *v, u64 ts)
{
	struct kvs_version *old;

	old = kvs_rcu_dereference_protected(r->newest, kvs_record_held(r));
	KVS_RCU_INIT_POINTER(v->older, old);
	v->ts = ts;
	kvs_rcu_assign_pointer(r->newest, v);
	if (old)
		kvs_atomic64_inc(&t->retained);
}

/*
 * After a commit to locked @r: prune what no reader needs, and hand what
 * must wait (old versions, a tombstone, or no version at all: a record
 * created for a commit that failed) to the gc work.
 */
void kvs_record_tidy_locked(struct kvs_table *t, struct kvs_record *r)
{
	struct kvs_gc_view view = { 0 };

	/* Inline, conservatively: safe_horizon is below every snapshot. */
	view.present = (u64)kvs_atomic64_read(&t->store->safe_horizon);
	if (kvs_record_prune_locked(t, r, &view) ||
	    !kvs_rcu_access_pointer(r->newest))
		kvs_record_queue_gc_kick(t, r);
}

/*
 * Install @v as the newest version of locked @r under a new commit
 * timestamp. Return: the timestamp.
 */
static u64 kvs_record_install_locked(struct kvs_table *t, struct kvs_record *r,
				     struct kvs_version *v)
{
	struct kvs_store *s = t->store;
	u64 ts;

	kvs_nosleep_enter();
	ts = kvs_clock_begin(&s->clock);
	kvs_record_link_locked(t, r, v, ts);
	kvs_clock_end(&s->clock, ts);
	kvs_nosleep_exit();
	kvs_record_tidy_locked(t, r);
	return ts;
}

/* Is the key present: newest committed version exists and is a value. */
bool kvs_record_present_locked(struct kvs_record *r)
{
	struct kvs_version *v;

	v = kvs_rcu_dereference_protected(r->newest, kvs_record_held(r));
	return v && !v->tombstone;
}

static u64 kvs_record_version_locked(struct kvs_record *r)
{
	struct kvs_version *v;

	v = kvs_rcu_dereference_protected(r->newest, kvs_record_held(r));
	return v && !v->tombstone ? v->ts : 0;
}

int kvs_check_gfp(kvs_gfp_t gfp)
{
	return gfp == KVS_GFP_KERNEL || gfp == KVS_GFP_ATOMIC ? 0 : -EINVAL;
}

/**
 * struct kvs_write - one write of one key, outside a transaction
 * @v: the new version: a value, or a tombstone for a delete
 * @mode: KVS_PUT_* for a value, KVS_DEL_* for a tombstone
 * @expect: the version compare-and-swap expects
 * @ts: out: the commit timestamp
 */
struct kvs_write {
	struct kvs_version *v;
	unsigned int mode;
	u64 expect;
	u64 ts;
};

/**
 * kvs_write_check() - does a write's condition hold
 * @tombstone: the write is a delete (@mode is KVS_DEL_*), else a put
 * @mode: KVS_PUT_* or KVS_DEL_*
 * @expect: the version compare-and-swap expects
 * @present: the key has a value
 * @cur: its version (0 if absent)
 *
 * Context: any.
 * Return: 0, or the write's error: -ENOENT, -EEXIST or -EAGAIN.
 */
int kvs_write_check(bool tombstone, unsigned int mode, u64 expect,
		    bool present, u64 cur)
{
	if (tombstone) {
		if (!present)
			return -ENOENT;
		if (mode == KVS_DEL_CAS && cur != expect)
			return -EAGAIN;
		return 0;
	}
	if ((mode == KVS_PUT_INSERT && present) ||
	    (mode == KVS_PUT_CAS && !expect && present))
		return -EEXIST;
	if (mode == KVS_PUT_REPLACE && !present)
		return -ENOENT;
	if (mode == KVS_PUT_CAS && expect && cur != expect)
		return present ? -EAGAIN : -ENOENT;
	return 0;
}

/* Check @w's condition against locked @r and install @w->v. */
static int kvs_write_locked(struct kvs_table *t, struct kvs_record *r,
			    struct kvs_write *w)
{
	bool present = kvs_record_present_locked(r);
	int ret;

	ret = kvs_write_check(w->v->tombstone, w->mode, w->expect, present,
			      kvs_record_version_locked(r));
	if (!ret && !w->v->tombstone && !present &&
	    kvs_mem_charge(&t->entries, 1))
		ret = -ENOSPC;
	if (ret) {
		/* A record this write created stays empty: gc removes it. */
		if (!kvs_rcu_access_pointer(r->newest))
			kvs_record_queue_gc_kick(t, r);
		return ret;
	}
	w->ts = kvs_record_install_locked(t, r, w->v);
	if (w->v->tombstone)
		kvs_mem_uncharge(&t->entries, 1);
	return 0;
}

/*
 * Find the record of @key (creating it if @create), lock it and apply @w.
 * The caller is in an RCU read section, which this may leave and re-enter
 * to allocate a record.
 */
static int kvs_write_one(struct kvs_table *t, const void *key, u32 klen,
			 bool create, struct kvs_write *w, kvs_gfp_t gfp)
	__must_hold(RCU)
{
	struct kvs_record *r, *fresh = NULL;
	int ret = 0;

	for (;;) {
		r = kvs_record_find(t, key, klen);
		if (!r && fresh) {
			/*
			 * Locked while it enters both indexes, so that whoever
			 * finds it in one (and must lock it to act) finds it
			 * in both.
			 */
			kvs_lockwin_enter();
			kvs_record_lock(fresh);
			r = kvs_record_publish_locked(t, fresh);
			if (r == fresh && fresh->size > fresh->koff + klen) {
				/* Its embedded copy becomes the version. */
				kvs_version_free_now(t, w->v);
				w->v = kvs_record_first(fresh);
			}
			if (r == fresh) {
				ret = kvs_write_locked(t, fresh, w);
				kvs_record_unlock(fresh);
				kvs_lockwin_exit();
				return ret;
			}
			kvs_record_unlock(fresh);
			kvs_lockwin_exit();
		}
		if (!r && !create) {
			ret = -ENOENT;
			break;
		}
		if (!r) {
			/* Allocate outside the read section: it may sleep. */
			kvs_rcu_read_unlock();
			fresh = kvs_record_alloc(t, key, klen, w->v, gfp, &ret);
			/* Near a limit, the plain record may still fit. */
			if (!fresh && ret == -ENOSPC)
				fresh = kvs_record_alloc(t, key, klen, NULL,
							 gfp, &ret);
			kvs_rcu_read_lock();
			if (!fresh)
				break;
			continue;
		}
		kvs_lockwin_enter();
		kvs_record_lock(r);
		if (!r->unlinked) {
			ret = kvs_write_locked(t, r, w);
			kvs_record_unlock(r);
			kvs_lockwin_exit();
			break;
		}
		/* Reclaimed under us: its key is being removed; look again. */
		kvs_record_unlock(r);
		kvs_lockwin_exit();
		kvs_cpu_relax();
	}
	if (fresh)
		kvs_record_free(t, fresh, false);
	return ret;
}

/* Run @w on @key; on success wait until everyone sees it. */
static int kvs_write(struct kvs_table *t, const void *key, u32 klen,
		     bool create, struct kvs_write *w, kvs_gfp_t gfp)
{
	int ret;

	kvs_rcu_read_lock();
	ret = kvs_write_one(t, key, klen, create, w, gfp);
	kvs_rcu_read_unlock();
	if (ret) {
		kvs_version_free_now(t, w->v);
		/* Refused writes may have left an empty record behind. */
		if (ret != -ENOMEM)
			kvs_work_queue(&t->store->gc_work);
		return ret;
	}
	if (w->v->tombstone)
		kvs_work_queue(&t->store->gc_work);
	kvs_clock_wait_visible(&t->store->clock, w->ts);
	return 0;
}

/**
 * kvs_put() - write one key, outside a transaction
 * @t: the table
 * @key: the key, 1..max_key_size bytes
 * @klen: its length
 * @val: the value; may be NULL if @vlen is 0
 * @vlen: its length, 0..max_value_size
 * @mode: KVS_PUT_UPSERT, _INSERT (only if absent), _REPLACE (only if
 *	  present) or _CAS (only if the key's version is @expect; 0 means
 *	  "only if absent")
 * @expect: for KVS_PUT_CAS
 * @version: out, may be NULL: the new version
 * @gfp: KVS_GFP_KERNEL in process context, KVS_GFP_ATOMIC in softirq
 *
 * When it returns, every reader sees the new value (or a later one).
 *
 * Context: process context (may sleep with KVS_GFP_KERNEL) or softirq
 * context with KVS_GFP_ATOMIC; not hardirq. Takes the record's lock (_bh).
 * Return: 0; -EEXIST, -ENOENT or -EAGAIN (version mismatch) when @mode's
 * condition fails; -ENOSPC if the table or the store is full; -ENOMEM;
 * -EINVAL for an empty or NULL key, a NULL value with a length, an unknown
 * mode or gfp; -E2BIG for a key or value longer than the table allows.
 * On any error nothing changed.
 */
int kvs_put(struct kvs_table *t, const void *key, u32 klen, const void *val,
	    u32 vlen, unsigned int mode, u64 expect, u64 *version,
	    kvs_gfp_t gfp)
{
	struct kvs_write w = { .mode = mode, .expect = expect };
	int ret;

	ret = kvs_check_key(t, key, klen);
	if (ret)
		return ret;
	if (mode >= KVS_PUT_MODES || (!val && vlen) || kvs_check_gfp(gfp))
		return -EINVAL;
	if (vlen > t->params.max_value_size)
		return -E2BIG;

	w.v = kvs_version_alloc(t, val, vlen, false, gfp, &ret);
	if (!w.v)
		return ret;
	ret = kvs_write(t, key, klen, mode != KVS_PUT_REPLACE &&
			!(mode == KVS_PUT_CAS && expect), &w, gfp);
	if (!ret && version)
		*version = w.ts;
	return ret;
}
EXPORT_SYMBOL_GPL(kvs_put);

/**
 * kvs_delete() - delete one key, outside a transaction
 * @t: the table
 * @key: the key
 * @klen: its length
 * @mode: KVS_DEL_ANY, or KVS_DEL_CAS: only if the key's version is @expect
 * @expect: for KVS_DEL_CAS
 * @gfp: KVS_GFP_KERNEL in process context, KVS_GFP_ATOMIC in softirq
 *
 * The key's memory is reclaimed once no snapshot can see it.
 *
 * Context: as kvs_put().
 * Return: 0; -ENOENT if the key is absent; -EAGAIN on a version mismatch;
 * -ENOSPC or -ENOMEM if the deletion marker cannot be allocated; -EINVAL or
 * -E2BIG for a bad key, mode or gfp. On any error nothing changed.
 */
int kvs_delete(struct kvs_table *t, const void *key, u32 klen,
	       unsigned int mode, u64 expect, kvs_gfp_t gfp)
{
	struct kvs_write w = { .mode = mode, .expect = expect };
	int ret;

	ret = kvs_check_key(t, key, klen);
	if (ret)
		return ret;
	if ((mode != KVS_DEL_ANY && mode != KVS_DEL_CAS) || kvs_check_gfp(gfp))
		return -EINVAL;

	w.v = kvs_version_alloc(t, NULL, 0, true, gfp, &ret);
	if (!w.v)
		return ret;
	return kvs_write(t, key, klen, false, &w, gfp);
}
EXPORT_SYMBOL_GPL(kvs_delete);

/* ------------------------------------------------------------------------ */
/* Snapshots and reclamation                                                */
/* ------------------------------------------------------------------------ */

/**
 * kvs_snapshot_begin() - take and register a snapshot
 * @s: the store
 * @snap: caller-provided, registered until kvs_snapshot_end()
 *
 * Reclamation keeps every version the snapshot can see until it ends.
 *
 * Context: process or softirq context; takes a lock of the store's
 * snapshot stripes (_bh), chosen by CPU.
 * Return: the snapshot's timestamp.
 */
u64 kvs_snapshot_begin(struct kvs_store *s, struct kvs_snapshot *snap)
{
	struct kvs_snap_stripe *st;

	snap->stripe = kvs_cpu_hint() % KVS_SNAP_STRIPES;
	st = &s->snap_stripes[snap->stripe];
	kvs_spin_lock_bh(&st->lock);
	/* Read under the lock: see kvs_store_read_view(). */
	snap->ts = kvs_clock_visible(&s->clock);
	snap->next = st->head;
	if (snap->next)
		snap->next->prev = &snap->next;
	snap->prev = &st->head;
	st->head = snap;
	kvs_spin_unlock_bh(&st->lock);
	return snap->ts;
}
EXPORT_SYMBOL_GPL(kvs_snapshot_begin);

/**
 * kvs_snapshot_end() - unregister a snapshot
 * @s: the store
 * @snap: a snapshot from kvs_snapshot_begin()
 *
 * Context: process or softirq context; takes the lock of the snapshot's
 * stripe (_bh).
 */
void kvs_snapshot_end(struct kvs_store *s, struct kvs_snapshot *snap)
{
	struct kvs_snap_stripe *st = &s->snap_stripes[snap->stripe];

	kvs_spin_lock_bh(&st->lock);
	*snap->prev = snap->next;
	if (snap->next)
		snap->next->prev = snap->prev;
	kvs_spin_unlock_bh(&st->lock);
	kvs_work_queue(&s->gc_work);
}
EXPORT_SYMBOL_GPL(kvs_snapshot_end);

/*
 * Read what readers may read: the visible watermark, then the registered
 * snapshots stripe by stripe, newest first. A snapshot registered in a
 * stripe after this visited it read the watermark after this read it
 * (under that stripe's lock, which orders the two), so it is at or above
 * @view->present. @buf has room for @cap snapshots. Return: 0, or the
 * number of snapshots if they do not fit.
 */
static unsigned int kvs_store_read_view(struct kvs_store *s,
					struct kvs_gc_view *view, u64 *buf,
					unsigned int cap)
{
	struct kvs_snap_stripe *st;
	struct kvs_snapshot *snap;
	unsigned int n = 0, i, j;

	view->present = kvs_clock_visible(&s->clock);
	for (i = 0; i < KVS_SNAP_STRIPES; i++) {
		st = &s->snap_stripes[i];
		kvs_spin_lock_bh(&st->lock);
		for (snap = st->head; snap; snap = snap->next) {
			if (n < cap)
				buf[n] = snap->ts;
			n++;
		}
		kvs_spin_unlock_bh(&st->lock);
	}
	if (n > cap)
		return n;

	/* Newest first (insertion sort: the list is mostly in that order). */
	for (i = 1; i < n; i++) {
		u64 x = buf[i];

		for (j = i; j && buf[j - 1] < x; j--)
			buf[j] = buf[j - 1];
		buf[j] = x;
	}
	view->snaps = buf;
	view->nsnaps = n;
	return 0;
}

/* Drain one table's gc list; requeue what must wait. */
/*
 * Drain one table's gc list; requeue what must wait. Return: true if a
 * record waits for commits newer than @view->present, which a later run
 * can reclaim (what only snapshots hold waits for them to end instead).
 */
static bool kvs_table_gc(struct kvs_table *t, const struct kvs_gc_view *view)
{
	struct kvs_record *list, *r, *next;
	struct kvs_version *newest;
	bool later = false;

	kvs_spin_lock_bh(&t->gc_lock);
	list = t->gc_head;
	t->gc_head = NULL;
	kvs_spin_unlock_bh(&t->gc_lock);

	for (r = list; r; r = next) {
		next = r->gc_next;
		kvs_lockwin_enter();
		kvs_record_lock_gc(r);
		r->queued = false;
		kvs_record_prune_locked(t, r, view);
		newest = kvs_rcu_dereference_protected(r->newest, true);
		/* Empty (a failed create), or deleted and seen so by all. */
		if (!newest || (newest->tombstone && newest->ts <= view->present &&
				!kvs_rcu_access_pointer(newest->older))) {
			kvs_record_unlink_locked(t, r);
			kvs_record_unlock(r);
			kvs_lockwin_exit();
			kvs_record_free(t, r, true);
			continue;
		}
		if (newest->tombstone || kvs_rcu_access_pointer(newest->older)) {
			kvs_record_queue_gc_locked(t, r);
			later |= newest->ts > view->present;
		}
		kvs_record_unlock(r);
		kvs_lockwin_exit();
		kvs_cond_resched();
	}
	return later;
}

/* Free tables whose last reference is gone; see kvs_table_put(). */
static void kvs_store_free_dead_tables(struct kvs_store *s,
				       struct kvs_table *list);

static void __kvs_store_gc(struct kvs_store *s)
{
	struct kvs_table *dead, *t, **tabs = NULL;
	bool later = false;
	unsigned int n = 0, i, cap = 16;
	struct kvs_gc_view view;
	u64 *snaps, h;

	kvs_spin_lock_bh(&s->snap_lock);
	dead = s->dead_tables;
	s->dead_tables = NULL;
	kvs_spin_unlock_bh(&s->snap_lock);

	for (;;) {
		snaps = kvs_alloc(sizeof(*snaps) * cap, KVS_GFP_KERNEL);
		n = snaps ? kvs_store_read_view(s, &view, snaps, cap) : 0;
		if (!n)
			break;
		kvs_free(snaps);
		cap = n + 16;
	}
	/*
	 * Readers that might read below the view finish first (DOC:
	 * Reclamation), and so do lookups that found a dead table by name.
	 */
	kvs_synchronize_rcu();
	kvs_store_free_dead_tables(s, dead);
	if (!snaps)
		return;		/* no memory: the lists wait for the next run */
	h = view.nsnaps ? min(view.present, view.snaps[view.nsnaps - 1]) :
			  view.present;
	if ((u64)kvs_atomic64_read(&s->safe_horizon) < h)
		kvs_atomic64_set(&s->safe_horizon, (s64)h);

	/* Tables are few and DDL is rare: take references, then work. */
	kvs_mutex_lock(&s->ddl_mutex);
	if (s->ntables)
		tabs = kvs_alloc(sizeof(*tabs) * s->ntables, KVS_GFP_KERNEL);
	for (t = s->tables; tabs && t; t = t->next_table) {
		kvs_atomic_inc(&t->refs);
		tabs[n++] = t;
	}
	kvs_mutex_unlock(&s->ddl_mutex);
	for (i = 0; i < n; i++) {
		later |= kvs_table_gc(tabs[i], &view);
		kvs_table_put(tabs[i]);
	}
	kvs_free(tabs);
	kvs_free(snaps);
	/* Writers went on while this ran: another run reclaims it. */
	if (later && !kvs_atomic_read(&s->dying))
		kvs_work_queue(&s->gc_work);
}

static void kvs_store_gc_fn(struct kvs_work *w)
{
	struct kvs_store *s = container_of(w, struct kvs_store, gc_work);

	/* kvs_store_destroy() does the last runs itself. */
	if (!kvs_atomic_read(&s->dying))
		__kvs_store_gc(s);
}

/**
 * kvs_store_gc_sync() - run reclamation now and wait for it
 * @s: the store
 *
 * For tests and for teardown: afterwards every version older than what the
 * oldest snapshot (or the present) sees is unlinked.
 *
 * Context: process context; may sleep. Not from the gc work itself.
 */
void kvs_store_gc_sync(struct kvs_store *s)
{
	kvs_work_flush(&s->gc_work);
	/* Twice: the first run's horizon becomes the safe one for the second. */
	__kvs_store_gc(s);
	__kvs_store_gc(s);
}
EXPORT_SYMBOL_GPL(kvs_store_gc_sync);

/* ------------------------------------------------------------------------ */
/* Tables                                                                   */
/* ------------------------------------------------------------------------ */

static const void *kvs_table_hkey(const struct kvs_hnode *n, u32 *len)
{
	const struct kvs_table *t = container_of(n, struct kvs_table, hnode);

	*len = t->name_len;
	return t->name;
}

static void kvs_record_hfree(struct kvs_hnode *n, void *arg)
{
	kvs_record_free(arg, container_of(n, struct kvs_record, hnode), false);
}

static void kvs_table_free(struct kvs_store *s, struct kvs_table *t)
{
	/* Records are in both indexes: they are freed through the hash. */
	if (kvs_table_ordered(t))
		kvs_skl_destroy(&t->skl, NULL, NULL);
	kvs_hash_destroy(&t->hash, kvs_record_hfree, t);
	KVS_WARN_ON_ONCE(kvs_atomic64_read(&t->records));
	KVS_WARN_ON_ONCE(kvs_mem_used(&t->mem));
	kvs_mem_uncharge(&s->mem, sizeof(*t));
	kvs_free(t);
}

static void kvs_store_free_dead_tables(struct kvs_store *s,
				       struct kvs_table *list)
{
	struct kvs_table *t;

	while (list) {
		t = list;
		list = t->next_table;
		kvs_table_free(s, t);
	}
}

/**
 * kvs_table_name_check() - is @name a valid table name?
 * @name: NUL-terminated, or at least KVS_NAME_MAX + 1 readable bytes
 * @lenp: out: its length
 *
 * A name is 1..KVS_NAME_MAX characters of [A-Za-z0-9_.-], not starting
 * with a dot.
 *
 * Context: any.
 * Return: 0; -EINVAL (empty, a character outside the set); -ENAMETOOLONG.
 */
int kvs_table_name_check(const char *name, u32 *lenp)
{
	u32 len;

	if (!name)
		return -EINVAL;
	for (len = 0; len <= KVS_NAME_MAX && name[len]; len++) {
		char c = name[len];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      (c == '.' && len)))
			return -EINVAL;
	}
	if (!len)
		return -EINVAL;
	if (len > KVS_NAME_MAX)
		return -ENAMETOOLONG;
	*lenp = len;
	return 0;
}

static int kvs_check_params(const struct kvs_store *s,
			    const struct kvs_table_params *p)
{
	if (p->max_key_size < 1 || p->max_key_size > s->max_key_size ||
	    p->max_value_size > s->max_value_size)
		return -EINVAL;
	if (p->flags & ~KVS_TABLE_FLAGS)
		return -EINVAL;
	if (p->durability > KVS_DUR_SYNC || p->mode & ~0777u)
		return -EINVAL;
	return 0;
}

/**
 * kvs_table_create() - create a named table
 * @s: the store
 * @name: 1..KVS_NAME_MAX characters of [A-Za-z0-9_.-], not starting with '.'
 * @p: its parameters, checked against the store's limits
 * @tp: out, may be NULL: a reference to the new table, for kvs_table_put()
 *
 * Context: process context; may sleep. Takes the store's DDL mutex.
 * Return: 0; -EEXIST if a table of that name exists; -EINVAL for a bad name
 * or parameter; -ENAMETOOLONG; -ENOSPC if the store's memory is full;
 * -ENOMEM.
 */
int kvs_table_create(struct kvs_store *s, const char *name,
		     const struct kvs_table_params *p, struct kvs_table **tp)
{
	struct kvs_hash_params hp = { .key = kvs_record_hkey };
	struct kvs_skl_params sp = {
		.node_offset = offsetof(struct kvs_record, snode),
		.key = kvs_record_skey,
	};
	struct kvs_hnode *old;
	struct kvs_table *t;
	u32 len;
	int ret;

	kvs_might_sleep();
	ret = kvs_table_name_check(name, &len);
	if (!ret)
		ret = kvs_check_params(s, p);
	if (ret)
		return ret;
	if (kvs_mem_charge(&s->mem, sizeof(*t)))
		return -ENOSPC;
	t = kvs_zalloc(sizeof(*t), KVS_GFP_KERNEL);
	if (!t) {
		ret = -ENOMEM;
		goto out_uncharge;
	}
	memcpy(t->name, name, len);
	t->name_len = len;
	t->params = *p;
	t->store = s;
	kvs_atomic_set(&t->refs, 1);	/* the store's */
	kvs_mem_account_init(&t->mem, p->max_bytes, &s->mem);
	kvs_mem_account_init(&t->entries, p->max_entries, NULL);
	kvs_spin_lock_init(&t->gc_lock);
	ret = kvs_hash_init(&t->hash, &hp, KVS_GFP_KERNEL);
	if (ret)
		goto out_free;
	if (p->flags & KVS_TABLE_ORDERED) {
		ret = kvs_skl_init(&t->skl, &sp, KVS_GFP_KERNEL);
		if (ret)
			goto out_hash;
	}

	kvs_mutex_lock(&s->ddl_mutex);
	t->id = ++s->next_table_id;
	kvs_rcu_read_lock();
	ret = kvs_hash_insert(&s->names, &t->hnode, &old);
	kvs_rcu_read_unlock();
	if (ret) {
		kvs_mutex_unlock(&s->ddl_mutex);
		goto out_skl;
	}
	t->next_table = s->tables;
	s->tables = t;
	s->ntables++;
	if (tp) {
		kvs_atomic_inc(&t->refs);
		*tp = t;
	}
	kvs_mutex_unlock(&s->ddl_mutex);
	return 0;

out_skl:
	if (p->flags & KVS_TABLE_ORDERED)
		kvs_skl_destroy(&t->skl, NULL, NULL);
out_hash:
	kvs_hash_destroy(&t->hash, NULL, NULL);
out_free:
	kvs_free(t);
out_uncharge:
	kvs_mem_uncharge(&s->mem, sizeof(*t));
	return ret;
}
EXPORT_SYMBOL_GPL(kvs_table_create);

/* Unlink @t from the store's name index and list; put the store's ref. */
static void kvs_table_unlink_locked(struct kvs_store *s, struct kvs_table *t)
{
	struct kvs_table **pp;

	kvs_mutex_assert_held(&s->ddl_mutex);
	kvs_atomic_set(&t->dropped, 1);
	KVS_WARN_ON_ONCE(kvs_hash_remove(&s->names, &t->hnode));
	for (pp = &s->tables; *pp; pp = &(*pp)->next_table) {
		if (*pp == t) {
			*pp = t->next_table;
			break;
		}
	}
	s->ntables--;
	kvs_table_put(t);
}

/**
 * kvs_table_drop() - remove a table and, once unused, free it and its data
 * @s: the store
 * @name: the table's name
 *
 * Lookups by name fail at once; holders of a reference keep a working
 * table until they put it; then its memory is reclaimed in the background.
 *
 * Context: process context; may sleep. Takes the store's DDL mutex.
 * Return: 0; -ENOENT if there is no such table; -EINVAL for a bad name.
 */
int kvs_table_drop(struct kvs_store *s, const char *name)
{
	struct kvs_hnode *n;
	struct kvs_table *t;
	int ret = -ENOENT;
	u32 len;

	kvs_might_sleep();
	if (kvs_table_name_check(name, &len))
		return -EINVAL;
	kvs_mutex_lock(&s->ddl_mutex);
	kvs_rcu_read_lock();
	n = kvs_hash_lookup(&s->names, name, len,
			    kvs_hash_keyhash(&s->names, name, len));
	kvs_rcu_read_unlock();
	if (n) {
		t = container_of(n, struct kvs_table, hnode);
		kvs_table_unlink_locked(s, t);
		ret = 0;
	}
	kvs_mutex_unlock(&s->ddl_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(kvs_table_drop);

/**
 * kvs_table_get() - find a table by name and take a reference
 * @s: the store
 * @name: the table's name
 *
 * Context: any context, hardirq included; lock-free.
 * Return: the table, to be released with kvs_table_put(); NULL if there is
 * no such table (or the name is invalid).
 */
struct kvs_table *kvs_table_get(struct kvs_store *s, const char *name)
{
	struct kvs_hnode *n;
	struct kvs_table *t = NULL;
	u32 len;
	int refs;

	if (kvs_table_name_check(name, &len))
		return NULL;
	kvs_rcu_read_lock();
	n = kvs_hash_lookup(&s->names, name, len,
			    kvs_hash_keyhash(&s->names, name, len));
	if (n) {
		t = container_of(n, struct kvs_table, hnode);
		refs = kvs_atomic_read(&t->refs);
		do {
			if (!refs || kvs_atomic_read(&t->dropped)) {
				t = NULL;
				break;
			}
		} while (!kvs_atomic_try_cmpxchg(&t->refs, &refs, refs + 1));
	}
	kvs_rcu_read_unlock();
	return t;
}
EXPORT_SYMBOL_GPL(kvs_table_get);

/**
 * kvs_table_put() - release a reference to a table
 * @t: the table
 *
 * The last reference of a dropped table hands it to the store's gc work,
 * which frees it after a grace period.
 *
 * Context: any context except hardirq; takes store->snap_lock (_bh) on the
 * last reference.
 */
void kvs_table_put(struct kvs_table *t)
{
	struct kvs_store *s = t->store;

	if (!kvs_atomic_dec_and_test(&t->refs))
		return;
	kvs_spin_lock_bh(&s->snap_lock);
	t->next_table = s->dead_tables;
	s->dead_tables = t;
	kvs_spin_unlock_bh(&s->snap_lock);
	kvs_work_queue(&s->gc_work);
}
EXPORT_SYMBOL_GPL(kvs_table_put);

/**
 * kvs_table_get_stats() - counters of a table
 * @t: the table
 * @st: out
 *
 * Context: any.
 */
void kvs_table_get_stats(struct kvs_table *t, struct kvs_table_stats *st)
{
	st->entries = kvs_mem_used(&t->entries);
	st->bytes = kvs_mem_used(&t->mem);
	st->records = (u64)kvs_atomic64_read(&t->records);
	st->retained_versions = (u64)kvs_atomic64_read(&t->retained);
}
EXPORT_SYMBOL_GPL(kvs_table_get_stats);

/**
 * kvs_table_names() - the names of every table, at one moment
 * @s: the store
 * @namesp: out: an array of *@np names, each in KVS_NAME_SIZE bytes,
 *	    NUL-padded, in no particular order; free it with kvs_kvfree()
 * @np: out: how many
 *
 * Context: process context; may sleep. Takes the store's DDL mutex.
 * Return: 0, or -ENOMEM (*@namesp is then NULL).
 */
int kvs_table_names(struct kvs_store *s, char **namesp, u32 *np)
{
	struct kvs_table *t;
	char *names = NULL;
	u32 n, i = 0;

	kvs_might_sleep();
	*namesp = NULL;
	*np = 0;
	kvs_mutex_lock(&s->ddl_mutex);
	n = s->ntables;
	/* Zeroed: the bytes after each name's NUL reach user space. */
	if (n)
		names = kvs_kvzalloc((size_t)n * KVS_NAME_SIZE, KVS_GFP_KERNEL);
	for (t = s->tables; names && t; t = t->next_table)
		memcpy(names + (size_t)i++ * KVS_NAME_SIZE, t->name, t->name_len);
	kvs_mutex_unlock(&s->ddl_mutex);
	if (n && !names)
		return -ENOMEM;
	*namesp = names;
	*np = n;
	return 0;
}
EXPORT_SYMBOL_GPL(kvs_table_names);

/**
 * kvs_store_get_stats() - store-wide counters
 * @s: the store
 * @st: out
 *
 * Context: process or softirq context; takes the snapshot stripes' locks
 * (_bh), one at a time.
 */
void kvs_store_get_stats(struct kvs_store *s, struct kvs_store_stats *st)
{
	struct kvs_snapshot *snap;
	unsigned int i;

	memset(st, 0, sizeof(*st));
	st->tables = KVS_READ_ONCE(s->ntables);
	st->bytes = kvs_mem_used(&s->mem);
	st->max_bytes = s->mem.limit;
	for (i = 0; i < KVS_SNAP_STRIPES; i++) {
		kvs_spin_lock_bh(&s->snap_stripes[i].lock);
		for (snap = s->snap_stripes[i].head; snap; snap = snap->next)
			st->snapshots++;
		kvs_spin_unlock_bh(&s->snap_stripes[i].lock);
	}
}
EXPORT_SYMBOL_GPL(kvs_store_get_stats);

/* ------------------------------------------------------------------------ */
/* The store                                                                */
/* ------------------------------------------------------------------------ */

/**
 * kvs_store_init() - set up an empty store
 * @s: the store
 * @max_bytes: memory limit of all its tables together; 0 for none
 * @max_key_size: bound of every table's keys, 1..KVS_KEY_MAX
 * @max_value_size: bound of every table's values, ..KVS_VALUE_MAX
 *
 * Context: process context; may sleep.
 * Return: 0, -EINVAL for bad bounds, or -ENOMEM.
 */
int kvs_store_init(struct kvs_store *s, u64 max_bytes, u32 max_key_size,
		   u32 max_value_size)
{
	struct kvs_hash_params hp = { .key = kvs_table_hkey, .min_buckets = 16 };
	unsigned int i;
	int ret;

	kvs_might_sleep();
	if (!max_key_size || max_key_size > KVS_KEY_MAX ||
	    max_value_size > KVS_VALUE_MAX)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->max_key_size = max_key_size;
	s->max_value_size = max_value_size;
	kvs_mem_account_init(&s->mem, max_bytes, NULL);
	kvs_mutex_init(&s->ddl_mutex);
	kvs_spin_lock_init(&s->snap_lock);
	for (i = 0; i < KVS_SNAP_STRIPES; i++)
		kvs_spin_lock_init(&s->snap_stripes[i].lock);
	kvs_work_init(&s->gc_work, kvs_store_gc_fn);
	ret = kvs_clock_init(&s->clock, KVS_GFP_KERNEL);
	if (ret)
		goto out_mutex;
	ret = kvs_hash_init(&s->names, &hp, KVS_GFP_KERNEL);
	if (ret)
		goto out_clock;
	return 0;

out_clock:
	kvs_clock_destroy(&s->clock);
out_mutex:
	kvs_mutex_destroy(&s->ddl_mutex);
	return ret;
}

/**
 * kvs_store_destroy() - drop every table and free the store
 * @s: the store; nobody may use it any more, and every table reference
 *     taken with kvs_table_get() or kvs_table_create() must have been put
 *
 * Context: process context; may sleep.
 */
void kvs_store_destroy(struct kvs_store *s)
{
	unsigned int i;

	/*
	 * Stop the gc work: a run that started before @dying may queue one
	 * more, which sees @dying and does nothing.
	 */
	kvs_atomic_set(&s->dying, 1);
	kvs_work_cancel_sync(&s->gc_work);
	kvs_work_cancel_sync(&s->gc_work);

	kvs_mutex_lock(&s->ddl_mutex);
	while (s->tables)
		kvs_table_unlink_locked(s, s->tables);
	kvs_mutex_unlock(&s->ddl_mutex);
	__kvs_store_gc(s);
	kvs_work_cancel_sync(&s->gc_work);
	KVS_WARN_ON_ONCE(s->dead_tables);
	for (i = 0; i < KVS_SNAP_STRIPES; i++)
		KVS_WARN_ON_ONCE(s->snap_stripes[i].head);
	kvs_hash_destroy(&s->names, NULL, NULL);
	kvs_clock_destroy(&s->clock);
	kvs_mutex_destroy(&s->ddl_mutex);
	KVS_WARN_ON_ONCE(kvs_mem_used(&s->mem));
}

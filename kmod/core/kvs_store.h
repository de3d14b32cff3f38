/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvs_store.h - the engine's API: a store of named tables of byte-string
 * keys and values, versioned (MVCC) records, point reads and writes.
 * See README.md beside this file for the design; kvs_store.c's DOC
 * comments hold the locking and reclamation rules.
 */
#ifndef _KVS_STORE_H
#define _KVS_STORE_H

#include "kvs_platform.h"
/* The API other modules see: modes, flags, parameters, prototypes. */
#include "../../include/linux/kvstore.h"
#include "kvs_clock.h"
#include "kvs_hash.h"
#include "kvs_skiplist.h"

#define KVS_KEY_MAX		4096	/* no table takes longer keys */
#define KVS_VALUE_MAX		(16U << 20)

#define KVS_TABLE_FLAGS		KVS_TABLE_ORDERED
#define KVS_PUT_MODES		4

/**
 * struct kvs_version - one immutable value of a key
 * @rcu: deferred free
 * @older: the previous version (RCU), or NULL
 * @ts: commit timestamp; also the version number compare-and-swap checks
 * @vlen: bytes in @value
 * @tombstone: the key was deleted by this commit
 * @embedded: inside its record's allocation (the record's first version):
 *	      freed, and charged, with the record
 * @value: the value
 *
 * @rcu comes first so that what a reader touches, @ts to the end of
 * @value, is contiguous.
 */
struct kvs_version {
	struct kvs_rcu_head rcu;
	struct kvs_version __rcu *older;
	u64 ts;
	u32 vlen;
	bool tombstone;
	bool embedded;
	u8 value[];
};

struct kvs_table;

/**
 * struct kvs_record - a key of a table and its versions, newest first
 * @lock: serializes writers of this key: 0, or the kvs_owner_token() of
 *	  the holder, | %KVS_RECORD_LOCK_GC if it is the gc (see DOC:
 *	  Locking in kvs_store.c)
 * @rcu: deferred free
 * @gc_next: in the table's list of records to reclaim from, under its
 *	     lock; shares room with @rcu, as a record is freed only once it
 *	     is off that list
 * @size: bytes charged for this allocation; read before @rcu is used
 * @hnode: in the table's hash index
 * @newest: the version chain (RCU)
 * @klen: key length
 * @koff: where the key bytes start, from the start of the record: right
 *	  after @snode's next[], or where @snode would be without one
 * @queued: on the gc list
 * @unlinked: removed from the indexes; a writer that finds it retries
 * @snode: in the ordered index, if the table has one; must be last. A
 *	   table without one allocates records only up to this member.
 *
 * What a point read touches is contiguous: @hnode to @unlinked (32 bytes),
 * then, in a table without an ordered index, the key and, in a record
 * created by a put, its first version (embedded: at a place a lookup can
 * compute from the key's length, so it prefetches the value while it
 * walks the chain). What only writers and the gc use comes first.
 */
struct kvs_record {
	kvs_atomic64_t lock;
	union {
		struct kvs_rcu_head rcu;
		struct {
			struct kvs_record *gc_next;
			u32 size;
		};
	};
	struct kvs_hnode hnode;
	struct kvs_version __rcu *newest;
	u32 klen;
	u16 koff;
	bool queued;
	bool unlinked;
	struct kvs_snode snode;
};

/* The key bytes of @r, inside its allocation. */
static inline const u8 *kvs_record_key(const struct kvs_record *r)
{
	return (const u8 *)r + r->koff;
}

/* The table index's key function (&struct kvs_hash_params.key). */
static inline const void *kvs_record_hkey(const struct kvs_hnode *n, u32 *len)
{
	const struct kvs_record *r = container_of(n, struct kvs_record, hnode);

	*len = r->klen;
	return kvs_record_key(r);
}

/* The newest version a reader at @ts sees, tombstones included. */
static inline struct kvs_version *kvs_version_at(struct kvs_record *r, u64 ts)
{
	struct kvs_version *v = kvs_rcu_dereference(r->newest);

	while (v && v->ts > ts)
		v = kvs_rcu_dereference(v->older);
	return v;
}

#define KVS_SNAP_STRIPES	16

/**
 * struct kvs_snap_stripe - one lock and list of registered snapshots
 * @lock: protects @head
 * @head: the snapshots registered on this stripe
 * @line: keeps stripes on cache lines of their own
 */
struct kvs_snap_stripe {
	union {
		struct {
			kvs_spinlock_t lock;
			struct kvs_snapshot *head;
		};
		u8 line[128];
	};
};

/**
 * struct kvs_store - a set of tables sharing a clock and a memory limit
 * @clock: commit timestamps and the visible watermark
 * @mem: bytes used by every table (limit: the store's)
 * @ddl_mutex: serializes table create and drop
 * @names: tables by name (RCU lookups)
 * @tables: every table, linked by next_table, under @ddl_mutex
 * @ntables: how many
 * @next_table_id: ids order tables for transactions' lock order
 * @max_key_size: the bound every table's keys live within
 * @max_value_size: likewise for values
 * @snap_lock: protects @dead_tables
 * @snap_stripes: registered snapshots (struct kvs_snapshot), in stripes
 *		  chosen by CPU so that transactions on different CPUs do
 *		  not share a lock
 * @dead_tables: tables whose last reference is gone, for @gc_work to free
 * @safe_horizon: versions older than what this timestamp sees are garbage;
 *		  it was read at least one grace period ago (DOC: Reclamation)
 * @gc_work: reclamation of old versions and deleted records
 * @dying: kvs_store_destroy() has begun: @gc_work does nothing
 */
struct kvs_store {
	struct kvs_clock clock;
	struct kvs_mem_account mem;
	kvs_mutex_t ddl_mutex;
	struct kvs_hash names;
	struct kvs_table *tables;
	unsigned int ntables;
	u64 next_table_id;
	u32 max_key_size;
	u32 max_value_size;
	kvs_spinlock_t snap_lock;
	struct kvs_snap_stripe snap_stripes[KVS_SNAP_STRIPES];
	struct kvs_table *dead_tables;
	kvs_atomic64_t safe_horizon;
	struct kvs_work gc_work;
	kvs_atomic_t dying;
};

/**
 * struct kvs_snapshot - a registered snapshot that reclamation must respect
 * @ts: the snapshot's timestamp
 * @next: in its stripe's list
 * @prev: likewise
 * @stripe: which stripe of the store's
 */
struct kvs_snapshot {
	u64 ts;
	struct kvs_snapshot *next;
	struct kvs_snapshot **prev;
	unsigned int stripe;
};

/**
 * struct kvs_table - a named table
 * @hnode: in the store's name index
 * @name: NUL-terminated
 * @name_len: strlen(@name)
 * @id: unique in the store, increasing
 * @params: as created
 * @store: the store
 * @refs: references; the last put frees the table
 * @dropped: unlinked from the store: new lookups fail
 * @hash: the hash index of records
 * @skl: the ordered index, if KVS_TABLE_ORDERED
 * @mem: bytes charged (limit @params.max_bytes, parent the store's)
 * @entries: keys present (limit @params.max_entries)
 * @records: records allocated
 * @retained: old versions linked behind newer ones
 * @gc_lock: protects @gc_head
 * @gc_head: records that hold reclaimable versions or a tombstone
 * @next_table: in the store's list, then in its dead list
 */
struct kvs_table {
	struct kvs_hnode hnode;
	char name[KVS_NAME_MAX + 1];
	u32 name_len;
	u64 id;
	struct kvs_table_params params;
	struct kvs_store *store;
	kvs_atomic_t refs;
	kvs_atomic_t dropped;
	struct kvs_hash hash;
	struct kvs_skl skl;
	struct kvs_mem_account mem;
	struct kvs_mem_account entries;
	kvs_atomic64_t records;
	kvs_atomic64_t retained;
	kvs_spinlock_t gc_lock;
	struct kvs_record *gc_head;
	struct kvs_table *next_table;
};

/*
 * Record locks: taken inside a kvs_lockwin_enter() window only, so that a
 * holder is never preempted by anyone on its CPU who could spin on it;
 * several may be held at once, in (table id, key) order. They are not
 * lockdep-visible spinlocks because a transaction holds an unbounded number
 * of them (lockdep tracks at most 48 held locks per task).
 */
static inline bool __kvs_record_trylock(struct kvs_record *r, s64 token)
{
	s64 unlocked = 0;

	/* Fully ordered on success: an acquire. */
	return kvs_atomic64_try_cmpxchg(&r->lock, &unlocked, token);
}

static inline void __kvs_record_lock(struct kvs_record *r, s64 token)
{
	while (!__kvs_record_trylock(r, token)) {
		while (kvs_atomic64_read(&r->lock))
			kvs_cpu_relax();
	}
}

/*
 * Bit 0 of a lock word (owner tokens are even): the holder is the gc,
 * which prunes versions no reader needs and unlinks records every reader
 * sees deleted, and never links a version. See kvs_record_locked_by_writer().
 */
#define KVS_RECORD_LOCK_GC	1

static inline bool kvs_record_trylock(struct kvs_record *r)
{
	return __kvs_record_trylock(r, kvs_owner_token());
}

static inline void kvs_record_lock(struct kvs_record *r)
{
	__kvs_record_lock(r, kvs_owner_token());
}

/* kvs_record_lock() for the gc: the lock word says so. */
static inline void kvs_record_lock_gc(struct kvs_record *r)
{
	KVS_WARN_ON_ONCE(kvs_owner_token() & KVS_RECORD_LOCK_GC);
	__kvs_record_lock(r, kvs_owner_token() | KVS_RECORD_LOCK_GC);
}

static inline void kvs_record_unlock(struct kvs_record *r)
{
	kvs_atomic64_set_release(&r->lock, 0);
}

/* Is @r locked by the caller (as a writer or as the gc)? */
static inline bool kvs_record_held(struct kvs_record *r)
{
	return (kvs_atomic64_read(&r->lock) & ~(s64)KVS_RECORD_LOCK_GC) ==
	       kvs_owner_token();
}

/*
 * Is @r locked by another writer, one that may be about to link a version?
 * The gc's lock is not such a hold: a commit's validation that took it for
 * one would abort for nothing. The acquire orders the read of the word
 * before what the caller reads of @r next.
 */
static inline bool kvs_record_locked_by_writer(struct kvs_record *r)
{
	s64 owner = kvs_atomic64_read_acquire(&r->lock);

	return owner && !(owner & KVS_RECORD_LOCK_GC) &&
	       owner != kvs_owner_token();
}

static inline bool kvs_table_ordered(const struct kvs_table *t)
{
	return t->params.flags & KVS_TABLE_ORDERED;
}

/* The record of a key whose hash in @t's index is @hash; under RCU. */
static inline struct kvs_record *
kvs_record_find_hashed(struct kvs_table *t, const void *key, u32 klen, u32 hash)
{
	struct kvs_hnode *n = kvs_hash_lookup_inline(&t->hash, key, klen, hash,
						     0, kvs_record_hkey);

	return n ? container_of(n, struct kvs_record, hnode) : NULL;
}

/* Engine-internal, shared by kvs_store.c and kvs_txn.c */
int kvs_check_key(const struct kvs_table *t, const void *key, u32 klen);
const void *__kvs_lookup_rcu(struct kvs_table *t, const void *key, u32 klen,
			     u32 *vlen, u64 *version);
/* Keys a __kvs_lookup_batch_rcu() takes at most. */
#define KVS_LOOKUP_BATCH	16
void __kvs_lookup_batch_rcu(struct kvs_table *t, const u8 *const *keys,
			    const u32 *klens, unsigned int n,
			    const void **vals, u32 *vlens, u64 *versions);
int kvs_table_name_check(const char *name, u32 *lenp);
int kvs_check_gfp(kvs_gfp_t gfp);
int kvs_write_check(bool tombstone, unsigned int mode, u64 expect,
		    bool present, u64 cur);
struct kvs_version *kvs_version_alloc(struct kvs_table *t, const void *val,
				      u32 vlen, bool tombstone, kvs_gfp_t gfp,
				      int *err);
void kvs_version_free_now(struct kvs_table *t, struct kvs_version *v);
struct kvs_record *kvs_record_alloc(struct kvs_table *t, const void *key,
				    u32 klen, const struct kvs_version *first,
				    kvs_gfp_t gfp, int *err);
struct kvs_version *kvs_record_first(struct kvs_record *r);
void kvs_record_free(struct kvs_table *t, struct kvs_record *r,
		     bool deferred);
struct kvs_record *kvs_record_find(struct kvs_table *t, const void *key,
				   u32 klen);
struct kvs_record *kvs_record_publish_locked(struct kvs_table *t,
					     struct kvs_record *fresh);
bool kvs_record_present_locked(struct kvs_record *r);
void kvs_record_link_locked(struct kvs_table *t, struct kvs_record *r,
			    struct kvs_version *v, u64 ts);
void kvs_record_tidy_locked(struct kvs_table *t, struct kvs_record *r);
bool kvs_record_queue_gc_locked(struct kvs_table *t, struct kvs_record *r);

int __must_check kvs_store_init(struct kvs_store *s, u64 max_bytes,
				u32 max_key_size, u32 max_value_size);
void kvs_store_destroy(struct kvs_store *s);
void kvs_store_gc_sync(struct kvs_store *s);

u64 kvs_snapshot_begin(struct kvs_store *s, struct kvs_snapshot *snap);
void kvs_snapshot_end(struct kvs_store *s, struct kvs_snapshot *snap);

#endif /* _KVS_STORE_H */

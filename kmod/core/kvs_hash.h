/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvs_hash.h - the engine's hash index: an intrusive hash table of byte-
 * string keys with lock-free RCU lookups from any context, per-stripe
 * writer locks and online grow and shrink in deferred work. The design and
 * the lock order are in kvs_hash.c (DOC: Resize, DOC: Locking).
 *
 * The caller embeds a struct kvs_hnode in each of its objects and tells the
 * table, through struct kvs_hash_params, how to find a node's key. The
 * table allocates nothing per node: inserting, removing and replacing never
 * fail for lack of memory.
 */
#ifndef _KVS_HASH_H
#define _KVS_HASH_H

#include "kvs_platform.h"
#include "kvs_siphash.h"

/* Bucket count bounds; tables stay between their min and max buckets. */
#define KVS_HASH_MIN_BUCKETS		4U
#define KVS_HASH_MAX_BUCKETS		(64U << 20)	/* 2^26 */
#define KVS_HASH_DEFAULT_MIN_BUCKETS	256U
/* Writer lock stripes per table: min(min_buckets, this). */
#define KVS_HASH_STRIPES		256U

/**
 * struct kvs_hnode - a hash table node, embedded in the caller's object
 * @next: the next node of the bucket chain (RCU-protected)
 * @hash: the key's hash, set by kvs_hash_insert()
 *
 * The node belongs to the table from kvs_hash_insert() until it has been
 * removed (or replaced) and a grace period has passed: only then may the
 * object be freed, or the node be inserted again (into any table).
 */
struct kvs_hnode {
	struct kvs_hnode __rcu *next;
	u32 hash;
};

/**
 * struct kvs_hash_params - what a table needs to know about its nodes
 * @key: returns the key of @n and stores its length in *@len. The key
 *       must not change while @n is in a table or readable by RCU readers.
 *       Called by readers in any context and by writers under a stripe
 *       lock: it must not sleep nor take locks.
 * @min_buckets: the fewest buckets (rounded up to a power of two); 0 means
 *               %KVS_HASH_DEFAULT_MIN_BUCKETS. The table starts there.
 * @max_buckets: the most buckets (rounded down to a power of two); 0 means
 *               %KVS_HASH_MAX_BUCKETS. Past it chains just get longer.
 */
struct kvs_hash_params {
	const void *(*key)(const struct kvs_hnode *n, u32 *len);
	u32 min_buckets;
	u32 max_buckets;
};

/**
 * struct kvs_hash_stats - what the resize work did, for tests and stats
 * @grows: completed rehashes into a larger table
 * @shrinks: completed rehashes into a smaller table
 * @failures: rehashes abandoned because the new table could not be allocated
 */
struct kvs_hash_stats {
	u64 grows;
	u64 shrinks;
	u64 failures;
};

/* One bucket array; the rcu head first, for kvs_free_rcu(). Private. */
struct __kvs_hash_tbl {
	struct kvs_rcu_head rcu;
	struct __kvs_hash_tbl __rcu *future;	/* rehash target, or NULL */
	u32 size;				/* buckets, a power of two */
	struct kvs_hnode __rcu *buckets[];
};

struct __kvs_hash_stripe;

/**
 * struct kvs_hash - a hash table; all fields are private
 * @tbl: the oldest table readers must search; newer ones hang off ->future
 * @key: from &struct kvs_hash_params
 * @seed: this table's random SipHash key
 * @stripes: writer locks and per-stripe node counts
 * @stripe_mask: number of stripes - 1; a node's stripe is hash & stripe_mask
 * @min_buckets: the bucket count never goes below this
 * @max_buckets: nor above this
 * @resize_retry: the last resize failed; writers kick the work on every insert
 * @resize_mutex: serializes rehashes (the work, kvs_hash_resize_wait())
 * @resize_work: the deferred resize
 * @stats: counted under @resize_mutex
 */
struct kvs_hash {
	struct __kvs_hash_tbl __rcu *tbl;
	const void *(*key)(const struct kvs_hnode *n, u32 *len);
	struct kvs_siphash_key seed;
	struct __kvs_hash_stripe *stripes;
	u32 stripe_mask;
	u32 min_buckets;
	u32 max_buckets;
	bool resize_retry;
	kvs_mutex_t resize_mutex;
	struct kvs_work resize_work;
	struct kvs_hash_stats stats;
};

int __must_check kvs_hash_init(struct kvs_hash *ht,
			       const struct kvs_hash_params *params,
			       kvs_gfp_t gfp);
void kvs_hash_destroy(struct kvs_hash *ht,
		      void (*free_fn)(struct kvs_hnode *n, void *arg),
		      void *arg);
u32 kvs_hash_keyhash(const struct kvs_hash *ht, const void *key, u32 len);
struct kvs_hnode *kvs_hash_lookup(struct kvs_hash *ht, const void *key,
				  u32 len, u32 hash);
int kvs_hash_insert(struct kvs_hash *ht, struct kvs_hnode *n,
		    struct kvs_hnode **existing);
int kvs_hash_remove(struct kvs_hash *ht, struct kvs_hnode *n);
int kvs_hash_replace(struct kvs_hash *ht, struct kvs_hnode *old,
		     struct kvs_hnode *new);
u64 kvs_hash_count(const struct kvs_hash *ht);
u32 kvs_hash_buckets(struct kvs_hash *ht);
int kvs_hash_resize_wait(struct kvs_hash *ht);
void kvs_hash_get_stats(struct kvs_hash *ht, struct kvs_hash_stats *st);

/**
 * kvs_hash_keyhash_inline() - kvs_hash_keyhash(), inline
 * @ht: the table (its random SipHash key)
 * @key: the key bytes
 * @len: their number
 *
 * For the one or two lookups on a hot path: the hash is most of a short
 * key's lookup, and inline it costs no call.
 *
 * Context: any.
 * Return: as kvs_hash_keyhash().
 */
static __always_inline u32 kvs_hash_keyhash_inline(const struct kvs_hash *ht,
						   const void *key, u32 len)
{
	u64 h = kvs_siphash_cd(key, len, &ht->seed, 1, 3);

	return (u32)h ^ (u32)(h >> 32);
}

/* The lookup's parts, inline for kvs_hash_lookup_inline(). Private. */
static inline struct kvs_hnode __rcu **
__kvs_hash_bucket(struct __kvs_hash_tbl *tbl, u32 hash)
{
	return &tbl->buckets[hash & (tbl->size - 1)];
}

static __always_inline bool
__kvs_hash_key_eq_fn(const struct kvs_hnode *n, const void *key, u32 len,
		     const void *(*keyfn)(const struct kvs_hnode *n, u32 *len))
{
	u32 nlen;
	const void *nkey = keyfn(n, &nlen);

	return nlen == len && kvs_mem_eq(nkey, key, len);
}

/**
 * kvs_hash_prefetch_bucket() - start loading the bucket of a hash
 * @ht: the table
 * @hash: kvs_hash_keyhash() of a key about to be looked up
 *
 * A hint for a batch of lookups (kvs_hash_prefetch_first() next, the
 * lookups last): the bucket of the oldest array, the one a lookup reads
 * first.
 *
 * Context: inside kvs_rcu_read_lock().
 */
static inline void kvs_hash_prefetch_bucket(struct kvs_hash *ht, u32 hash)
{
	struct __kvs_hash_tbl *tbl = kvs_rcu_dereference(ht->tbl);

	kvs_prefetch(__kvs_hash_bucket(tbl, hash));
}

/**
 * kvs_hash_prefetch_first() - start loading the first node of a bucket
 * @ht: the table
 * @hash: as given to kvs_hash_prefetch_bucket() a while before
 * @hint: as for kvs_hash_lookup_inline(): what the caller reads from the
 *	  node it seeks, prefetched too (0: the node only)
 *
 * Context: inside kvs_rcu_read_lock().
 */
static inline void kvs_hash_prefetch_first(struct kvs_hash *ht, u32 hash,
					   size_t hint)
{
	struct __kvs_hash_tbl *tbl = kvs_rcu_dereference(ht->tbl);
	struct kvs_hnode *n = kvs_rcu_dereference(*__kvs_hash_bucket(tbl, hash));

	if (!n)
		return;
	kvs_prefetch(n);
	if (hint) {
		kvs_prefetch((const u8 *)n + hint);
		kvs_prefetch((const u8 *)n + hint + 64);
	}
}

/**
 * kvs_hash_lookup_inline() - kvs_hash_lookup(), inline, with a hint
 * @ht: the table
 * @key: the key bytes
 * @len: their number
 * @hash: kvs_hash_keyhash(@ht, @key, @len)
 * @hint: 0, or the offset from a node of what the caller reads next if
 *	  that node is the one sought; the lookup prefetches two cache lines
 *	  from there at each node it visits, so that those misses overlap the
 *	  walk instead of following it. A hint only: it need not be memory.
 * @keyfn: the table's key function (&struct kvs_hash_params.key)
 *
 * For a caller that knows its nodes: given the key function itself, not
 * through @ht, the compiler inlines it and the walk makes no call (an
 * indirect call is a retpoline on most kernels). Otherwise as
 * kvs_hash_lookup().
 *
 * Context: as kvs_hash_lookup().
 * Return: as kvs_hash_lookup().
 */
static __always_inline struct kvs_hnode *
kvs_hash_lookup_inline(struct kvs_hash *ht, const void *key, u32 len,
		       u32 hash, size_t hint,
		       const void *(*keyfn)(const struct kvs_hnode *n, u32 *len))
{
	struct __kvs_hash_tbl *tbl = kvs_rcu_dereference(ht->tbl);
	struct kvs_hnode *n;

	do {
		for (n = kvs_rcu_dereference(*__kvs_hash_bucket(tbl, hash)); n;
		     n = kvs_rcu_dereference(n->next)) {
			if (hint) {
				kvs_prefetch((const u8 *)n + hint);
				kvs_prefetch((const u8 *)n + hint + 64);
			}
			if (n->hash == hash &&
			    __kvs_hash_key_eq_fn(n, key, len, keyfn))
				return n;
		}
		/*
		 * Pairs with the release of the cut in the rehash: a reader
		 * that saw a node leave this array sees where it went.
		 */
		kvs_smp_rmb();
		tbl = kvs_rcu_dereference(tbl->future);
	} while (tbl);
	return NULL;
}

#endif /* _KVS_HASH_H */

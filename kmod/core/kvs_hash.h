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

struct __kvs_hash_tbl;
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
struct kvs_hnode *kvs_hash_lookup_hint(struct kvs_hash *ht, const void *key,
				       u32 len, u32 hash, size_t hint);
int kvs_hash_insert(struct kvs_hash *ht, struct kvs_hnode *n,
		    struct kvs_hnode **existing);
int kvs_hash_remove(struct kvs_hash *ht, struct kvs_hnode *n);
int kvs_hash_replace(struct kvs_hash *ht, struct kvs_hnode *old,
		     struct kvs_hnode *new);
u64 kvs_hash_count(const struct kvs_hash *ht);
u32 kvs_hash_buckets(struct kvs_hash *ht);
int kvs_hash_resize_wait(struct kvs_hash *ht);
void kvs_hash_get_stats(struct kvs_hash *ht, struct kvs_hash_stats *st);

#endif /* _KVS_HASH_H */

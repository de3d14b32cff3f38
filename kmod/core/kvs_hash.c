// SPDX-License-Identifier: GPL-2.0
/*
 * kvs_hash.c - the engine's hash index (API in kvs_hash.h).
 */
#include "kvs_hash.h"

/**
 * DOC: Resize
 *
 * A table is a power-of-two array of singly linked bucket chains ending in
 * NULL. kvs_hash.tbl points to the oldest array readers must search; while
 * a rehash runs, that array's ->future points to the new one (and a
 * reader that is still in an array replaced a grace period ago follows
 * ->future from there). Lookups search each array from ->tbl to the last,
 * so a node is found wherever it is at the moment.
 *
 * The rehash (process context, under kvs_hash.resize_mutex) allocates the
 * new array, publishes it as ->future, then empties the old array one
 * bucket at a time under that bucket's stripe lock, always moving the
 * *last* node of the chain to the head of its chain in the new array, then
 * cutting it from the old chain. A reader standing on a node that moves
 * follows it into the new array: it has already seen every node before it
 * in the old chain, and none is left after it, so it misses nothing of the
 * old chain; it then reads ->future (after kvs_smp_rmb(), pairing with the
 * release in the cut) and searches the new array, where every node that
 * left the old chain before the reader saw the cut already is. Finally
 * ->tbl is switched to the new array and the old one is freed after a
 * grace period. Readers never wait, retry or restart.
 *
 * This needs a removed node to stay out of every table until a grace period
 * has passed: a node reinserted at once at the head of another chain could
 * carry a reader past nodes it never saw.
 *
 * Writers insert into the newest array, after checking every array for the
 * key. The rehash never fails half way: the only failure is allocating the
 * new array, before anything is published; the table then stays correct
 * and just fuller, and the next insert kicks the work again.
 */

/**
 * DOC: Locking
 *
 * Lock order: kvs_hash.resize_mutex, then one stripe lock. No path holds
 * two stripe locks, nor takes any lock under a stripe lock (the key
 * callback must take none).
 *
 * Readers take no lock: kvs_rcu_read_lock() alone makes kvs_hash_lookup()
 * safe in any context, hardirq included.
 *
 * Writers lock a *stripe*: stripe i covers every node whose hash has i in
 * its low bits, in whichever array it is. There are at most min_buckets
 * stripes, so a bucket of any array, of any size between min_buckets and
 * max_buckets, holds nodes of one stripe only, and so does each chain a
 * rehash moves that bucket's nodes into: one stripe lock covers a key's
 * bucket in the old and in the new array, and a rehash and the writers of a
 * key never need two locks. Writers may run in softirq context, so every
 * stripe lock is taken with kvs_spin_lock_bh(); never from hardirq context.
 *
 * kvs_hash.resize_mutex serializes rehashes; it is taken only in process
 * context (the resize work, kvs_hash_resize_wait(), kvs_hash_destroy()).
 * Only its holder changes kvs_hash.tbl and an array's ->future.
 */

/**
 * DOC: Counting
 *
 * Each stripe counts its nodes under its own lock, which the writer holds
 * anyway: no atomic operation and no counter shared by all writers, as a
 * single atomic count (rhashtable's nelems) would be, bouncing one cache
 * line between every CPU that writes. kvs_hash_count() sums the stripes on
 * demand (exact once writers are quiescent). Writers decide when to kick
 * the resize work from their own stripe's count times the number of
 * stripes, at the moment it crosses a threshold (not at every insert above
 * it): for growth, a stripe load of 1 + 1/8 plus 3 nodes of slack for the
 * noise of small counts, so the work is kicked by a load of about 1 at the
 * latest; the work then decides on the exact sum. Shrink kicks are left to
 * tables of at least 32 nodes a stripe, where the estimate is reliable;
 * kvs_hash_resize_wait() shrinks any table.
 */

struct __kvs_hash_stripe {
	kvs_spinlock_t lock;
	unsigned long count;	/* nodes of this stripe, written under lock */
};

/* Grow when over 3/4 full; shrink when under 1/8; land at 1/4 to 1/2. */
#define KVS_HASH_GROW_NUM	3
#define KVS_HASH_GROW_DEN	4
#define KVS_HASH_SHRINK_DEN	8
/* Writers ask for a shrink only from stripes of at least this many nodes. */
#define KVS_HASH_SHRINK_HINT_MIN 32
/* Chain nodes moved per walk down an old chain (a stack array). */
#define KVS_HASH_MIGRATE_BATCH	32
/* Rehashes per run of the work before it requeues itself. */
#define KVS_HASH_WORK_STEPS	4

static u32 __kvs_hash_pow2_up(u64 x)
{
	u64 p = 1;

	while (p < x && p < KVS_HASH_MAX_BUCKETS)
		p <<= 1;
	return (u32)p;
}

static u32 __kvs_hash_pow2_down(u32 x)
{
	u32 p = 1;

	while (p <= x / 2)
		p <<= 1;
	return p;
}

static inline struct __kvs_hash_stripe *
__kvs_hash_stripe(const struct kvs_hash *ht, u32 hash)
{
	return &ht->stripes[hash & ht->stripe_mask];
}

/* Load a chain link under the stripe lock that covers it. */
static inline struct kvs_hnode *
__kvs_hash_deref_locked(struct kvs_hnode __rcu *const *pp,
			struct __kvs_hash_stripe *s)
{
	return kvs_rcu_dereference_protected(*pp, kvs_spin_is_held(&s->lock));
}

static inline struct __kvs_hash_tbl *
__kvs_hash_tbl_resizer(struct __kvs_hash_tbl __rcu *const *pp,
		       struct kvs_hash *ht)
{
	return kvs_rcu_dereference_protected(*pp,
			kvs_mutex_is_held(&ht->resize_mutex));
}

static bool __kvs_hash_key_eq(const struct kvs_hash *ht,
			      const struct kvs_hnode *n, const void *key,
			      u32 len)
{
	return __kvs_hash_key_eq_fn(n, key, len, ht->key);
}

static struct __kvs_hash_tbl *__kvs_hash_tbl_alloc(u32 size, kvs_gfp_t gfp)
{
	struct __kvs_hash_tbl *tbl;

	tbl = kvs_kvzalloc(sizeof(*tbl) + (size_t)size * sizeof(tbl->buckets[0]),
			   gfp);
	if (tbl)
		tbl->size = size;
	return tbl;
}

/**
 * kvs_hash_keyhash() - hash a key as @ht does
 * @ht: the table (its random SipHash key)
 * @key: the key bytes
 * @len: their number
 *
 * Context: any.
 * Return: the 32-bit hash to pass to kvs_hash_lookup().
 */
u32 kvs_hash_keyhash(const struct kvs_hash *ht, const void *key, u32 len)
{
	return kvs_hash_keyhash_inline(ht, key, len);
}

/**
 * kvs_hash_lookup() - find the node with a key
 * @ht: the table
 * @key: the key bytes
 * @len: their number
 * @hash: kvs_hash_keyhash(@ht, @key, @len)
 *
 * Lock-free; never waits for writers nor for a resize, and never restarts.
 * A node inserted before the lookup began and not removed before it ended
 * is found; a node never inserted is never returned.
 *
 * Context: any context, hardirq included, inside kvs_rcu_read_lock(); never
 * sleeps, takes no lock.
 * Return: the node, valid until the caller's RCU read section ends, or NULL.
 */
struct kvs_hnode *kvs_hash_lookup(struct kvs_hash *ht, const void *key,
				  u32 len, u32 hash)
{
	return kvs_hash_lookup_inline(ht, key, len, hash, 0, ht->key);
}

/*
 * Find @key in every array, and the newest array in *@last. The stripe lock
 * keeps the key's chains still; RCU keeps the arrays alive.
 */
static struct kvs_hnode *
__kvs_hash_find_locked(struct kvs_hash *ht, struct __kvs_hash_stripe *s,
		       const void *key, u32 len, u32 hash,
		       struct __kvs_hash_tbl **last)
	__must_hold(&s->lock)
{
	struct __kvs_hash_tbl *tbl = kvs_rcu_dereference(ht->tbl), *next;
	struct kvs_hnode *n;

	for (;;) {
		for (n = __kvs_hash_deref_locked(__kvs_hash_bucket(tbl, hash), s);
		     n; n = __kvs_hash_deref_locked(&n->next, s)) {
			if (n->hash == hash && __kvs_hash_key_eq(ht, n, key, len))
				return n;
		}
		next = kvs_rcu_dereference(tbl->future);
		if (!next)
			break;
		tbl = next;
	}
	*last = tbl;
	return NULL;
}

/* The link that points to @n, in whichever array it is, or NULL. */
static struct kvs_hnode __rcu **
__kvs_hash_link_locked(struct kvs_hash *ht, struct __kvs_hash_stripe *s,
		       const struct kvs_hnode *n)
	__must_hold(&s->lock)
{
	struct __kvs_hash_tbl *tbl = kvs_rcu_dereference(ht->tbl);
	struct kvs_hnode __rcu **pp;
	struct kvs_hnode *x;

	for (; tbl; tbl = kvs_rcu_dereference(tbl->future)) {
		pp = __kvs_hash_bucket(tbl, n->hash);
		while ((x = __kvs_hash_deref_locked(pp, s))) {
			if (x == n)
				return pp;
			pp = &x->next;
		}
	}
	return NULL;
}

/*
 * After a stripe's count changed to @count, in a newest array of @size
 * buckets: is it time to ask the resize work to look? See DOC: Counting.
 */
static bool __kvs_hash_want_grow(const struct kvs_hash *ht, u32 size,
				 unsigned long count)
{
	unsigned long per = size / (ht->stripe_mask + 1);

	if (size >= ht->max_buckets)
		return false;
	return count == per + per / 8 + 3 || KVS_READ_ONCE(ht->resize_retry);
}

static bool __kvs_hash_want_shrink(const struct kvs_hash *ht, u32 size,
				   unsigned long count)
{
	unsigned long per = size / (ht->stripe_mask + 1);

	return size > ht->min_buckets && per >= KVS_HASH_SHRINK_HINT_MIN &&
	       count == per / KVS_HASH_SHRINK_HINT_MIN;
}

/**
 * kvs_hash_insert() - add a node unless its key is present
 * @ht: the table
 * @n: the node; its key (from the key callback) is set and stays fixed
 * @existing: if not NULL, receives the node that has the key on -EEXIST
 *
 * Sets @n->hash. Allocates nothing; may queue the resize work. Atomic
 * with respect to other writers: of concurrent inserts of one key, exactly
 * one succeeds.
 *
 * Context: process or softirq context, not hardirq; takes a stripe lock
 * with kvs_spin_lock_bh() and the RCU read lock; never sleeps. To use
 * *@existing, call it inside kvs_rcu_read_lock(): the node is valid until
 * that section ends.
 * Return: 0 if @n was inserted; -EEXIST if a node with the same key is in
 * the table (@n is not inserted).
 */
int kvs_hash_insert(struct kvs_hash *ht, struct kvs_hnode *n,
		    struct kvs_hnode **existing)
{
	struct kvs_hnode __rcu **bucket;
	struct __kvs_hash_stripe *s;
	struct __kvs_hash_tbl *tbl;
	struct kvs_hnode *found;
	unsigned long count;
	bool kick = false;
	const void *key;
	u32 len, hash;
	int ret = 0;

	key = ht->key(n, &len);
	hash = kvs_hash_keyhash(ht, key, len);
	n->hash = hash;
	s = __kvs_hash_stripe(ht, hash);

	kvs_rcu_read_lock();
	kvs_spin_lock_bh(&s->lock);
	found = __kvs_hash_find_locked(ht, s, key, len, hash, &tbl);
	if (found) {
		if (existing)
			*existing = found;
		ret = -EEXIST;
		goto out_unlock;
	}
	bucket = __kvs_hash_bucket(tbl, hash);
	KVS_RCU_INIT_POINTER(n->next, __kvs_hash_deref_locked(bucket, s));
	kvs_rcu_assign_pointer(*bucket, n);
	count = s->count + 1;
	KVS_WRITE_ONCE(s->count, count);
	kick = __kvs_hash_want_grow(ht, tbl->size, count);
out_unlock:
	kvs_spin_unlock_bh(&s->lock);
	kvs_rcu_read_unlock();
	if (kick)
		kvs_work_queue(&ht->resize_work);
	return ret;
}

/**
 * kvs_hash_remove() - take a node out of the table
 * @ht: the table
 * @n: a node kvs_hash_insert() was given for @ht
 *
 * Readers may still be looking at @n: free it, or insert it again, only
 * after a grace period (kvs_free_rcu(), kvs_call_rcu()). May queue the
 * resize work.
 *
 * Context: process or softirq context, not hardirq; takes a stripe lock
 * with kvs_spin_lock_bh() and the RCU read lock; never sleeps.
 * Return: 0, or -ENOENT if @n is not in the table.
 */
int kvs_hash_remove(struct kvs_hash *ht, struct kvs_hnode *n)
{
	struct __kvs_hash_stripe *s = __kvs_hash_stripe(ht, n->hash);
	struct kvs_hnode __rcu **pp;
	unsigned long count;
	bool kick = false;
	int ret = 0;

	kvs_rcu_read_lock();
	kvs_spin_lock_bh(&s->lock);
	pp = __kvs_hash_link_locked(ht, s, n);
	if (!pp) {
		ret = -ENOENT;
		goto out_unlock;
	}
	/* @n keeps its ->next: a reader standing on it goes on from there. */
	kvs_rcu_assign_pointer(*pp, __kvs_hash_deref_locked(&n->next, s));
	count = s->count - 1;
	KVS_WRITE_ONCE(s->count, count);
	kick = __kvs_hash_want_shrink(ht, kvs_hash_buckets(ht), count);
out_unlock:
	kvs_spin_unlock_bh(&s->lock);
	kvs_rcu_read_unlock();
	if (kick)
		kvs_work_queue(&ht->resize_work);
	return ret;
}

/**
 * kvs_hash_replace() - put a node with the same key in another's place
 * @ht: the table
 * @old: the node in the table
 * @new: the node to take its place, not in any table; same key as @old
 *
 * Atomic for readers: a lookup of the key finds @old or @new, never
 * neither. Free @old only after a grace period, as after kvs_hash_remove().
 *
 * Context: process or softirq context, not hardirq; takes a stripe lock
 * with kvs_spin_lock_bh() and the RCU read lock; never sleeps.
 * Return: 0; -ENOENT if @old is not in the table; -EINVAL (and a warning)
 * if the keys differ.
 */
int kvs_hash_replace(struct kvs_hash *ht, struct kvs_hnode *old,
		     struct kvs_hnode *new)
{
	struct __kvs_hash_stripe *s = __kvs_hash_stripe(ht, old->hash);
	struct kvs_hnode __rcu **pp;
	const void *key;
	int ret = 0;
	u32 len;

	key = ht->key(new, &len);
	if (KVS_WARN_ON_ONCE(!__kvs_hash_key_eq(ht, old, key, len)))
		return -EINVAL;
	new->hash = old->hash;

	kvs_rcu_read_lock();
	kvs_spin_lock_bh(&s->lock);
	pp = __kvs_hash_link_locked(ht, s, old);
	if (!pp) {
		ret = -ENOENT;
		goto out_unlock;
	}
	KVS_RCU_INIT_POINTER(new->next, __kvs_hash_deref_locked(&old->next, s));
	kvs_rcu_assign_pointer(*pp, new);
out_unlock:
	kvs_spin_unlock_bh(&s->lock);
	kvs_rcu_read_unlock();
	return ret;
}

/**
 * kvs_hash_count() - the number of nodes in the table
 * @ht: the table
 *
 * Sums the per-stripe counts (see DOC: Counting): exact when no writer
 * runs, otherwise a value the count had or is passing through.
 *
 * Context: any; takes no lock.
 * Return: the number of nodes.
 */
u64 kvs_hash_count(const struct kvs_hash *ht)
{
	u64 sum = 0;
	u32 i;

	for (i = 0; i <= ht->stripe_mask; i++)
		sum += KVS_READ_ONCE(ht->stripes[i].count);
	return sum;
}

/**
 * kvs_hash_buckets() - the bucket count of the table
 * @ht: the table
 *
 * Context: any; takes the RCU read lock.
 * Return: the size of the newest bucket array (the rehash target while a
 * rehash runs).
 */
u32 kvs_hash_buckets(struct kvs_hash *ht)
{
	struct __kvs_hash_tbl *tbl, *next;
	u32 size;

	kvs_rcu_read_lock();
	tbl = kvs_rcu_dereference(ht->tbl);
	while ((next = kvs_rcu_dereference(tbl->future)))
		tbl = next;
	size = tbl->size;
	kvs_rcu_read_unlock();
	return size;
}

/**
 * kvs_hash_get_stats() - what the resize work has done so far
 * @ht: the table
 * @st: filled in
 *
 * Context: process context; takes kvs_hash.resize_mutex, may sleep.
 */
void kvs_hash_get_stats(struct kvs_hash *ht, struct kvs_hash_stats *st)
{
	kvs_mutex_lock(&ht->resize_mutex);
	*st = ht->stats;
	kvs_mutex_unlock(&ht->resize_mutex);
}

/* The size the exact count calls for (see the thresholds above). */
static u32 __kvs_hash_target_size(const struct kvs_hash *ht, u32 size)
{
	u64 n = kvs_hash_count(ht);
	u32 want;

	if (n * KVS_HASH_GROW_DEN > (u64)size * KVS_HASH_GROW_NUM)
		want = __kvs_hash_pow2_up(2 * n);
	else if (n * KVS_HASH_SHRINK_DEN < size)
		want = __kvs_hash_pow2_up(2 * n);
	else
		return size;
	return min(max(want, ht->min_buckets), ht->max_buckets);
}

/*
 * Move every node of old bucket @b to @new, last node first (DOC: Resize).
 * The stripe lock of @b covers all the new chains its nodes go to.
 *
 * Each walk down the chain remembers the links to its last
 * KVS_HASH_MIGRATE_BATCH nodes, which then move one by one from the tail:
 * those links stay valid because only nodes after them move. A chain of n
 * nodes (long only if resizes failed for a while) costs n^2 / (2 * batch)
 * steps instead of n^2 / 2.
 */
static void __kvs_hash_migrate_bucket_locked(struct __kvs_hash_stripe *s,
					     struct __kvs_hash_tbl *old,
					     struct __kvs_hash_tbl *new, u32 b)
	__must_hold(&s->lock)
{
	struct kvs_hnode __rcu **link[KVS_HASH_MIGRATE_BATCH];
	struct kvs_hnode __rcu **head = &old->buckets[b], **pp, **nb;
	struct kvs_hnode *x;
	u32 n, i;

	while (__kvs_hash_deref_locked(head, s)) {
		n = 0;
		for (pp = head; (x = __kvs_hash_deref_locked(pp, s));
		     pp = &x->next)
			link[n++ % KVS_HASH_MIGRATE_BATCH] = pp;
		for (i = 0; i < min_t(u32, n, KVS_HASH_MIGRATE_BATCH); i++) {
			/* The link to the current tail. */
			pp = link[(n - 1 - i) % KVS_HASH_MIGRATE_BATCH];
			x = __kvs_hash_deref_locked(pp, s);
			nb = __kvs_hash_bucket(new, x->hash);
			/* A reader on @x now goes on into the new chain... */
			kvs_rcu_assign_pointer(x->next,
					       __kvs_hash_deref_locked(nb, s));
			/* ...which starts with @x before @x leaves the old one. */
			kvs_rcu_assign_pointer(*nb, x);
			kvs_rcu_assign_pointer(*pp, NULL);
		}
	}
}

/* Rehash into an array of @size buckets; nothing changes on -ENOMEM. */
static int __kvs_hash_rehash_locked(struct kvs_hash *ht, u32 size)
	__must_hold(&ht->resize_mutex)
{
	struct __kvs_hash_tbl *old = __kvs_hash_tbl_resizer(&ht->tbl, ht);
	struct __kvs_hash_stripe *s;
	struct __kvs_hash_tbl *new;
	u32 b;

	/* Only this path attaches a ->future, and it completes the rehash. */
	if (KVS_WARN_ON_ONCE(__kvs_hash_tbl_resizer(&old->future, ht)))
		return -EBUSY;
	new = __kvs_hash_tbl_alloc(size, KVS_GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	/* From here writers insert into @new, readers search it too. */
	kvs_rcu_assign_pointer(old->future, new);

	for (b = 0; b < old->size; b++) {
		s = &ht->stripes[b & ht->stripe_mask];
		kvs_spin_lock_bh(&s->lock);
		__kvs_hash_migrate_bucket_locked(s, old, new, b);
		kvs_spin_unlock_bh(&s->lock);
		if (!(b & 255))
			kvs_cond_resched();
	}

	kvs_rcu_assign_pointer(ht->tbl, new);
	/* Readers still in @old follow ->future; it goes with them. */
	kvs_free_rcu(old, &old->rcu);
	if (size > old->size)
		ht->stats.grows++;
	else
		ht->stats.shrinks++;
	return 0;
}

/*
 * One resize step. Return: 1 after a rehash (call again: the count may
 * call for more), 0 if the size is right, -ENOMEM if the new array could
 * not be allocated.
 */
static int __kvs_hash_resize_locked(struct kvs_hash *ht)
	__must_hold(&ht->resize_mutex)
{
	struct __kvs_hash_tbl *tbl = __kvs_hash_tbl_resizer(&ht->tbl, ht);
	u32 size = __kvs_hash_target_size(ht, tbl->size);
	int err;

	if (size == tbl->size) {
		KVS_WRITE_ONCE(ht->resize_retry, false);
		return 0;
	}
	err = __kvs_hash_rehash_locked(ht, size);
	if (err) {
		ht->stats.failures++;
		KVS_WRITE_ONCE(ht->resize_retry, true);
		return err;
	}
	KVS_WRITE_ONCE(ht->resize_retry, false);
	return 1;
}

static void __kvs_hash_resize_work(struct kvs_work *w)
{
	struct kvs_hash *ht = container_of(w, struct kvs_hash, resize_work);
	int i, ret = 0;

	kvs_mutex_lock(&ht->resize_mutex);
	for (i = 0; i < KVS_HASH_WORK_STEPS; i++) {
		ret = __kvs_hash_resize_locked(ht);
		if (ret <= 0)
			break;
	}
	kvs_mutex_unlock(&ht->resize_mutex);
	/* Still more to do: let other work run first. */
	if (ret > 0)
		kvs_work_queue(w);
}

/**
 * kvs_hash_resize_wait() - bring the table to the size its count calls for
 * @ht: the table
 *
 * Waits for a queued resize, then grows or shrinks the table (in the
 * caller's context) until its size fits its current count: load at most
 * 3/4 and, unless at min_buckets, at least 1/8. Automatic resizes need not
 * be awaited; this is for tests and for callers that want the memory back
 * now.
 *
 * Context: process context, may sleep; takes kvs_hash.resize_mutex, then
 * stripe locks one at a time.
 * Return: 0, or -ENOMEM if a new array could not be allocated (the table
 * is unchanged and correct, and will try again).
 */
int kvs_hash_resize_wait(struct kvs_hash *ht)
{
	int i, ret = 0;

	kvs_work_flush(&ht->resize_work);
	kvs_mutex_lock(&ht->resize_mutex);
	/* Each step at least doubles or halves: bounded by the size range. */
	for (i = 0; i < 64; i++) {
		ret = __kvs_hash_resize_locked(ht);
		if (ret <= 0)
			break;
	}
	kvs_mutex_unlock(&ht->resize_mutex);
	return ret < 0 ? ret : 0;
}

/**
 * kvs_hash_init() - set up an empty table
 * @ht: the table to initialize
 * @params: how to find a node's key, and the bucket count bounds
 * @gfp: for the first bucket array and the stripes
 *
 * Draws the table's random SipHash key. The table starts with
 * @params->min_buckets buckets.
 *
 * Context: process context with %KVS_GFP_KERNEL (may sleep); any context
 * but hardirq with %KVS_GFP_ATOMIC.
 * Return: 0; -EINVAL for bad @params; -ENOMEM.
 */
int kvs_hash_init(struct kvs_hash *ht, const struct kvs_hash_params *params,
		  kvs_gfp_t gfp)
{
	u32 min = params->min_buckets ?: KVS_HASH_DEFAULT_MIN_BUCKETS;
	u32 max = params->max_buckets ?: KVS_HASH_MAX_BUCKETS;
	struct __kvs_hash_tbl *tbl;
	u32 i, nstripes;

	if (!params->key || min > KVS_HASH_MAX_BUCKETS || max < min)
		return -EINVAL;
	min = max(__kvs_hash_pow2_up(min), KVS_HASH_MIN_BUCKETS);
	max = min(__kvs_hash_pow2_down(max), KVS_HASH_MAX_BUCKETS);
	if (max < min)
		return -EINVAL;
	nstripes = min(min, KVS_HASH_STRIPES);

	memset(ht, 0, sizeof(*ht));
	ht->key = params->key;
	ht->min_buckets = min;
	ht->max_buckets = max;
	ht->stripe_mask = nstripes - 1;
	ht->stripes = kvs_kvzalloc(nstripes * sizeof(ht->stripes[0]), gfp);
	if (!ht->stripes)
		return -ENOMEM;
	tbl = __kvs_hash_tbl_alloc(min, gfp);
	if (!tbl) {
		kvs_kvfree(ht->stripes);
		return -ENOMEM;
	}
	for (i = 0; i < nstripes; i++)
		kvs_spin_lock_init(&ht->stripes[i].lock);
	kvs_get_random_bytes(&ht->seed, sizeof(ht->seed));
	kvs_mutex_init(&ht->resize_mutex);
	kvs_work_init(&ht->resize_work, __kvs_hash_resize_work);
	kvs_rcu_assign_pointer(ht->tbl, tbl);
	return 0;
}

/**
 * kvs_hash_destroy() - free a table, handing its remaining nodes back
 * @ht: the table; nobody else uses it any more, readers included
 * @free_fn: called once for each node still in the table (the table is
 *           not touched through that node afterwards), or NULL
 * @arg: passed to @free_fn
 *
 * Cancels the resize work and waits for it. Bucket arrays replaced by
 * earlier resizes may still wait for a grace period: call
 * kvs_rcu_barrier() before unloading the module.
 *
 * Context: process context, may sleep; takes kvs_hash.resize_mutex.
 */
void kvs_hash_destroy(struct kvs_hash *ht,
		      void (*free_fn)(struct kvs_hnode *n, void *arg),
		      void *arg)
{
	struct __kvs_hash_tbl *tbl;
	struct kvs_hnode *n, *next;
	u32 b;

	kvs_work_cancel_sync(&ht->resize_work);
	kvs_mutex_lock(&ht->resize_mutex);
	tbl = __kvs_hash_tbl_resizer(&ht->tbl, ht);
	KVS_WARN_ON_ONCE(kvs_rcu_access_pointer(tbl->future));
	for (b = 0; b < tbl->size; b++) {
		/* No other user: the chains cannot change. */
		n = kvs_rcu_dereference_protected(tbl->buckets[b], true);
		for (; n; n = next) {
			next = kvs_rcu_dereference_protected(n->next, true);
			if (free_fn)
				free_fn(n, arg);
		}
	}
	KVS_RCU_INIT_POINTER(ht->tbl, NULL);
	kvs_mutex_unlock(&ht->resize_mutex);
	kvs_mutex_destroy(&ht->resize_mutex);
	kvs_kvfree(tbl);
	kvs_kvfree(ht->stripes);
	ht->stripes = NULL;
}

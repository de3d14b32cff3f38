// SPDX-License-Identifier: GPL-2.0
/*
 * kvs_skiplist.c - a concurrent skiplist of byte-string keys: lock-free RCU
 * readers, per-node locks for writers.
 *
 * The writers follow the lazy optimistic skiplist (Herlihy, Lev, Luchangco
 * and Shavit, "A Simple Optimistic Skiplist Algorithm", SIROCCO 2007): find
 * the predecessors without locks, lock, validate, link bottom-up; remove by
 * marking the node first (its logical removal), then unlinking it top-down.
 * It differs in how locks are held: the paper locks all the predecessors of
 * a node at once, which needs lockdep nesting annotations for up to
 * %KVS_SKL_MAX_HEIGHT locks of one class. Here a writer holds one
 * predecessor lock at a time and validates each level on its own, and the
 * node being inserted or removed is held by its op_lock for the whole
 * operation, which keeps bottom halves off (see DOC: Locking).
 */
#include "kvs_skiplist.h"

/**
 * DOC: Locking
 *
 * Each node has two spinlocks, each its own lockdep class:
 *
 * - op_lock, taken with kvs_spin_lock_bh() by kvs_skl_insert() and
 *   kvs_skl_remove() on the node they insert or remove, for the whole call.
 *   It serializes insert and removal of that node, and it keeps bottom
 *   halves (and, without PREEMPT_RT, preemption) off for as long as the
 *   node is half linked or marked but still linked.
 * - link_lock, taken with kvs_spin_lock() inside an op_lock section, on a
 *   node whose next[] pointers are about to change: the predecessor at the
 *   level being linked or unlinked, or the node being marked. It protects
 *   next[] and @marked; marking happens under it, and nobody changes the
 *   next[] of a marked node, so they are frozen from then on.
 *
 * Lock order: op_lock, then link_lock. A writer holds at most one op_lock
 * (its own node's) and at most one link_lock at any time, so no nesting of
 * one class ever happens. Nothing waits while holding a link_lock.
 *
 * A writer may wait, by retrying with its op_lock held, for another writer
 * that holds its own op_lock: an inserter for the removal of a marked
 * predecessor or of a marked node with the same key, a remover for the
 * removal of a marked node in front of its own. The writer waited for
 * removes a node with a key no greater than the waiter's, and removers never
 * wait for inserters, so the waits cannot form a cycle. Since the writer
 * waited for keeps bottom halves off, it is not a task that the waiter
 * interrupted on the same CPU: it runs elsewhere and makes progress. (On
 * PREEMPT_RT, a bottom-half-disabled section excludes other tasks of the
 * same CPU from theirs.)
 *
 * Readers take no lock. Every next pointer leads to a greater key. A node
 * leaves a level only through its live predecessor there, so whatever a
 * linked node points at is linked too, marked or not; nodes are linked
 * bottom-up and unlinked top-down, so a node linked at a level is linked at
 * every level below. Hence every node a reader reaches was linked at some
 * moment after the reader's RCU read section began: the grace period the
 * caller waits after kvs_skl_remove() returns covers all such readers. The
 * same argument shows that a walk misses no node that stayed in the list
 * for the whole walk.
 */

/* Stripe of the node count for @n: insert and removal of @n use the same. */
static unsigned int __kvs_skl_stripe(const struct kvs_snode *n)
{
	u32 h = (u32)((unsigned long)n >> 4) * 0x9e3779b9u;

	BUILD_BUG_ON(KVS_SKL_NR_COUNTERS != 8);
	return h >> 29;
}

/* Lexicographic order of byte strings: negative, 0 or positive. */
static int __kvs_skl_cmp(const struct kvs_skl *sl, const struct kvs_snode *n,
			 const void *key, u32 len)
{
	const void *nkey;
	u32 nlen;
	int r;

	nkey = sl->params.key(n, &nlen);
	r = memcmp(nkey, key, min(nlen, len));
	if (r)
		return r;
	if (nlen == len)
		return 0;
	return nlen < len ? -1 : 1;
}

/* @n, or the first node after it at @lvl that is not marked. */
static struct kvs_snode *__kvs_skl_live(struct kvs_snode *n, unsigned int lvl)
{
	while (n && KVS_READ_ONCE(n->marked))
		n = kvs_rcu_dereference(n->next[lvl]);
	return n;
}

/**
 * struct __kvs_skl_pos - where a search stopped at each level
 * @pred: last node seen unmarked whose key is below the bound (or the head)
 * @succ: the first node seen unmarked after @pred, or NULL
 * @cmp: the comparison of @succ's key with the key sought, at the lowest level
 */
struct __kvs_skl_pos {
	struct kvs_snode *pred[KVS_SKL_MAX_HEIGHT];
	struct kvs_snode *succ[KVS_SKL_MAX_HEIGHT];
	int cmp;
};

/*
 * Search levels @top - 1 down to @bottom for (@key, @len): at each level
 * move right over nodes whose key compares below @bound (0: keys < @key, 1:
 * keys <= @key; a NULL @key is above every key), stepping over marked nodes
 * without stopping on them. Fills @pos for those levels. Caller holds the RCU
 * read lock.
 */
static void __kvs_skl_search(const struct kvs_skl *sl, const void *key,
			     u32 len, int bound, unsigned int top,
			     unsigned int bottom, struct __kvs_skl_pos *pos)
{
	struct kvs_snode *cur = sl->head, *nx, *known = NULL;
	unsigned int lvl = top;
	int cmp = 1, known_cmp = 1;

	while (lvl-- > bottom) {
		for (;;) {
			nx = __kvs_skl_live(kvs_rcu_dereference(cur->next[lvl]),
					    lvl);
			if (!nx)
				break;
			if (!key) {
				cur = nx;
				continue;
			}
			/* A node that stopped a higher level stops this one. */
			if (nx != known) {
				known = nx;
				known_cmp = __kvs_skl_cmp(sl, nx, key, len);
			}
			cmp = known_cmp;
			if (cmp >= bound)
				break;
			cur = nx;
		}
		pos->pred[lvl] = cur;
		pos->succ[lvl] = nx;
	}
	pos->cmp = cmp;
}

/* Levels a search must start from to see every level up to @need. */
static unsigned int __kvs_skl_top(const struct kvs_skl *sl, unsigned int need)
{
	unsigned int h = kvs_atomic_read(&sl->height);

	return max(h, need);
}

/**
 * kvs_skl_node_size() - bytes a node of @height occupies
 * @height: 1..%KVS_SKL_MAX_HEIGHT
 *
 * Context: any.
 * Return: the size of struct kvs_snode with @height next pointers; see
 * KVS_SKL_OBJ_SIZE() for the size of an object holding one.
 */
size_t kvs_skl_node_size(unsigned int height)
{
	return offsetof(struct kvs_snode, next) +
	       height * sizeof(struct kvs_snode *);
}

/**
 * kvs_skl_node_init() - prepare a node for kvs_skl_insert()
 * @n: the node, in memory of at least kvs_skl_node_size(@height) bytes
 * @height: 1..%KVS_SKL_MAX_HEIGHT, usually from kvs_skl_random_height()
 *
 * A removed node must be initialized again (after the grace period that
 * follows its removal) before it is inserted again.
 *
 * Context: any; @n is in no list.
 */
void kvs_skl_node_init(struct kvs_snode *n, unsigned int height)
{
	unsigned int i;

	if (KVS_WARN_ON_ONCE(!height || height > KVS_SKL_MAX_HEIGHT))
		height = 1;
	kvs_spin_lock_init(&n->op_lock);
	kvs_spin_lock_init(&n->link_lock);
	n->height = height;
	n->marked = 0;
	n->linked = 0;
	for (i = 0; i < height; i++)
		KVS_RCU_INIT_POINTER(n->next[i], NULL);
}

/**
 * kvs_skl_random_height() - a random height for a new node of @sl
 * @sl: the skiplist
 *
 * Geometric with p = 1/4, capped at &kvs_skl_params.max_height: on average
 * a node has 4/3 next pointers.
 *
 * Context: any.
 * Return: 1..%KVS_SKL_MAX_HEIGHT.
 */
unsigned int kvs_skl_random_height(const struct kvs_skl *sl)
{
	unsigned int h = 1, max_h = sl->params.max_height;
	u32 r = kvs_random_u32();

	if (!max_h || max_h > KVS_SKL_MAX_HEIGHT)
		max_h = KVS_SKL_MAX_HEIGHT;
	while (h < max_h && !(r & 3)) {
		h++;
		r >>= 2;
	}
	return h;
}

/**
 * kvs_skl_init() - initialize an empty skiplist
 * @sl: the skiplist
 * @params: how nodes hold their keys; copied
 * @gfp: allocation context for the head node
 *
 * Context: process context with %KVS_GFP_KERNEL; any with %KVS_GFP_ATOMIC.
 * Return: 0, -EINVAL if @params has no key function, or -ENOMEM.
 */
int kvs_skl_init(struct kvs_skl *sl, const struct kvs_skl_params *params,
		 kvs_gfp_t gfp)
{
	struct kvs_snode *head;
	unsigned int i;

	if (!params->key)
		return -EINVAL;
	head = kvs_alloc(kvs_skl_node_size(KVS_SKL_MAX_HEIGHT), gfp);
	if (!head)
		return -ENOMEM;
	kvs_skl_node_init(head, KVS_SKL_MAX_HEIGHT);
	sl->head = head;
	sl->params = *params;
	kvs_atomic_set(&sl->height, 1);
	for (i = 0; i < KVS_SKL_NR_COUNTERS; i++)
		kvs_atomic64_set(&sl->count[i].nodes, 0);
	return 0;
}

/**
 * kvs_skl_destroy() - hand every node to @free_fn and free the list
 * @sl: the skiplist
 * @free_fn: called once per node still linked, in key order, or NULL; it
 *	     may free the node at once unless readers may still be walking
 *	     the list (then it must defer, e.g. with kvs_free_rcu())
 * @arg: passed to @free_fn
 *
 * The head node is freed at once: readers must be done with @sl. It takes
 * time linear in the number of nodes.
 *
 * Context: whatever @free_fn allows; no other writer or reader of @sl.
 */
void kvs_skl_destroy(struct kvs_skl *sl,
		     void (*free_fn)(struct kvs_snode *n, void *arg),
		     void *arg)
{
	struct kvs_snode *n, *next;

	n = kvs_rcu_dereference_protected(sl->head->next[0], true);
	while (n) {
		next = kvs_rcu_dereference_protected(n->next[0], true);
		if (free_fn)
			free_fn(n, arg);
		n = next;
	}
	kvs_free(sl->head);
	sl->head = NULL;
}

/* What an attempt to link or unlink one level found under the lock. */
enum {
	__KVS_SKL_DONE,
	__KVS_SKL_RETRY,
	__KVS_SKL_EXISTS,
};

/*
 * Link @n at @lvl after @pred, whose successor the search saw as @succ.
 * Validates under @pred's link_lock that @pred is not marked and that its
 * successor still sorts after @key (the paper checks identity; comparing
 * keys also lets @n go in front of a marked successor). At level 0 a live
 * node with the same key ends the insert.
 */
static int __kvs_skl_link(const struct kvs_skl *sl, struct kvs_snode *n,
			  const void *key, u32 len, unsigned int lvl,
			  struct kvs_snode *pred, struct kvs_snode *succ,
			  struct kvs_snode **existing)
{
	struct kvs_snode *nx;
	int ret = __KVS_SKL_RETRY;
	int cmp = 1;

	kvs_spin_lock(&pred->link_lock);
	if (pred->marked)
		goto out;
	nx = kvs_rcu_dereference_protected(pred->next[lvl],
					   kvs_spin_is_held(&pred->link_lock));
	/* Above level 0, a successor the search compared is known greater. */
	if (nx && (nx != succ || !lvl))
		cmp = __kvs_skl_cmp(sl, nx, key, len);
	if (cmp < 0)
		goto out;	/* a node was inserted, or one being removed */
	if (!cmp) {
		if (!lvl && !KVS_READ_ONCE(nx->marked)) {
			*existing = nx;
			ret = __KVS_SKL_EXISTS;
		}
		/*
		 * A marked twin: wait until its removal unlinked it. Above
		 * level 0 no twin can exist while @n is linked below.
		 */
		KVS_WARN_ON_ONCE(lvl);
		goto out;
	}
	KVS_RCU_INIT_POINTER(n->next[lvl], nx);
	kvs_rcu_assign_pointer(pred->next[lvl], n);
	ret = __KVS_SKL_DONE;
out:
	kvs_spin_unlock(&pred->link_lock);
	return ret;
}

/**
 * kvs_skl_insert() - link a node into a skiplist
 * @sl: the skiplist
 * @n: the node, prepared with kvs_skl_node_init() and its key set
 * @existing: if the key is already in @sl, set to the node that holds it
 *	      (valid only while the caller holds kvs_rcu_read_lock()); may be
 *	      NULL
 *
 * Readers see @n from the moment it is linked at the lowest level; the call
 * then goes on to link the levels above. Never allocates. Takes @n's
 * op_lock with bottom halves off and predecessors' link_locks one at a
 * time; may spin while a concurrent removal of a neighbour completes.
 *
 * Context: process or softirq context, not hardirq, interrupts enabled.
 * Takes and releases kvs_rcu_read_lock() itself.
 * Return: 0 if @n was linked; -EEXIST if a node with the same key is in
 * @sl (@n is left unlinked and may be freed at once); -EINVAL if @n is
 * already in a list or was removed and not initialized again.
 */
int kvs_skl_insert(struct kvs_skl *sl, struct kvs_snode *n,
		   struct kvs_snode **existing)
{
	struct kvs_snode *dummy, **found = existing ? existing : &dummy;
	unsigned int lvl = 0, h = n->height;
	struct __kvs_skl_pos pos;
	const void *key;
	int cur, r, ret = 0;
	u32 len;

	*found = NULL;
	key = sl->params.key(n, &len);

	/* Let searches start high enough before @n appears anywhere. */
	cur = kvs_atomic_read(&sl->height);
	while (cur < (int)h && !kvs_atomic_try_cmpxchg(&sl->height, &cur, h))
		;

	kvs_rcu_read_lock();
	kvs_spin_lock_bh(&n->op_lock);
	if (KVS_WARN_ON_ONCE(n->linked || n->marked)) {
		ret = -EINVAL;
		goto out;
	}
	while (lvl < h) {
		__kvs_skl_search(sl, key, len, 0, __kvs_skl_top(sl, h), lvl,
				 &pos);
		for (; lvl < h; lvl++) {
			r = __kvs_skl_link(sl, n, key, len, lvl, pos.pred[lvl],
					   pos.succ[lvl], found);
			if (r == __KVS_SKL_EXISTS) {
				ret = -EEXIST;
				goto out;
			}
			if (r == __KVS_SKL_RETRY)
				break;
		}
	}
	KVS_WRITE_ONCE(n->linked, 1);
	kvs_atomic64_inc(&sl->count[__kvs_skl_stripe(n)].nodes);
out:
	kvs_spin_unlock_bh(&n->op_lock);
	kvs_rcu_read_unlock();
	return ret;
}

/*
 * Unlink the marked @n at @lvl if @pred is still its live predecessor there.
 * A live @pred followed by a greater key proves @n is not at @lvl at all,
 * which cannot happen while its remover holds it: warn and go on rather
 * than retry forever.
 */
static int __kvs_skl_unlink(const struct kvs_skl *sl, struct kvs_snode *n,
			    const void *key, u32 len, unsigned int lvl,
			    struct kvs_snode *pred)
{
	int ret = __KVS_SKL_RETRY;
	struct kvs_snode *nx;

	kvs_spin_lock(&pred->link_lock);
	if (pred->marked)
		goto out;
	nx = kvs_rcu_dereference_protected(pred->next[lvl],
					   kvs_spin_is_held(&pred->link_lock));
	if (nx == n) {
		/* Frozen: @n is marked and we hold its op_lock. */
		nx = kvs_rcu_dereference_protected(n->next[lvl],
						   kvs_spin_is_held(&n->op_lock));
		kvs_rcu_assign_pointer(pred->next[lvl], nx);
		ret = __KVS_SKL_DONE;
	} else if (KVS_WARN_ON_ONCE(!nx || __kvs_skl_cmp(sl, nx, key, len) >= 0)) {
		ret = __KVS_SKL_DONE;
	}
out:
	kvs_spin_unlock(&pred->link_lock);
	return ret;
}

/**
 * kvs_skl_remove() - unlink a node from a skiplist
 * @sl: the skiplist
 * @n: the node
 *
 * Readers stop finding @n when the call marks it, at its start; when it
 * returns 0, @n is unlinked from every level, and the caller frees it after
 * an RCU grace period (readers may still be looking at it). Takes @n's
 * op_lock with bottom halves off, waiting for an insert of @n in progress,
 * and predecessors' link_locks one at a time; may spin while a concurrent
 * removal of a neighbour completes.
 *
 * Context: process or softirq context, not hardirq, interrupts enabled.
 * Takes and releases kvs_rcu_read_lock() itself.
 * Return: 0, or -ENOENT if @n is not linked (never inserted, insert failed,
 * or already removed).
 */
int kvs_skl_remove(struct kvs_skl *sl, struct kvs_snode *n)
{
	struct __kvs_skl_pos pos;
	unsigned int lvl;
	const void *key;
	int ret = 0;
	u32 len;

	kvs_rcu_read_lock();
	kvs_spin_lock_bh(&n->op_lock);
	if (!n->linked || n->marked) {
		ret = -ENOENT;
		goto out;
	}
	kvs_spin_lock(&n->link_lock);
	KVS_WRITE_ONCE(n->marked, 1);
	kvs_spin_unlock(&n->link_lock);

	key = sl->params.key(n, &len);
	lvl = n->height;
	__kvs_skl_search(sl, key, len, 0, __kvs_skl_top(sl, lvl), 0, &pos);
	/* Top-down: while linked at a level, @n is linked at all below it. */
	while (lvl--) {
		while (__kvs_skl_unlink(sl, n, key, len, lvl, pos.pred[lvl]) ==
		       __KVS_SKL_RETRY)
			__kvs_skl_search(sl, key, len, 0,
					 __kvs_skl_top(sl, lvl + 1), lvl, &pos);
	}
	KVS_WRITE_ONCE(n->linked, 0);
	kvs_atomic64_dec(&sl->count[__kvs_skl_stripe(n)].nodes);
out:
	kvs_spin_unlock_bh(&n->op_lock);
	kvs_rcu_read_unlock();
	return ret;
}

/**
 * kvs_skl_seek() - find the node nearest a key
 * @sl: the skiplist
 * @key: the key sought; need not be in @sl
 * @len: its length in bytes
 * @mode: %KVS_SKL_GE, %KVS_SKL_GT, %KVS_SKL_LE or %KVS_SKL_LT
 *
 * Lock-free; expected O(log n). Nodes being removed are skipped.
 *
 * Context: any; the caller holds kvs_rcu_read_lock().
 * Return: the node, valid until the caller's RCU read section ends, or NULL
 * if there is none in that direction.
 */
struct kvs_snode *kvs_skl_seek(const struct kvs_skl *sl, const void *key,
			       u32 len, enum kvs_skl_seek_mode mode)
{
	int bound = mode == KVS_SKL_GT || mode == KVS_SKL_LE;
	struct __kvs_skl_pos pos;
	struct kvs_snode *n;

	__kvs_skl_search(sl, key, len, bound, __kvs_skl_top(sl, 1), 0, &pos);
	if (mode == KVS_SKL_GE || mode == KVS_SKL_GT)
		return pos.succ[0];
	n = pos.pred[0];
	return n == sl->head ? NULL : n;
}

/**
 * kvs_skl_lookup() - find the node holding a key
 * @sl: the skiplist
 * @key: the key
 * @len: its length in bytes
 *
 * Context: any; the caller holds kvs_rcu_read_lock().
 * Return: the node, valid until the caller's RCU read section ends, or NULL.
 */
struct kvs_snode *kvs_skl_lookup(const struct kvs_skl *sl, const void *key,
				 u32 len)
{
	struct __kvs_skl_pos pos;

	__kvs_skl_search(sl, key, len, 0, __kvs_skl_top(sl, 1), 0, &pos);
	return pos.succ[0] && !pos.cmp ? pos.succ[0] : NULL;
}

/**
 * kvs_skl_first() - the node with the smallest key
 * @sl: the skiplist
 *
 * Context: any; the caller holds kvs_rcu_read_lock().
 * Return: the node, valid until the caller's RCU read section ends, or NULL
 * if @sl is empty.
 */
struct kvs_snode *kvs_skl_first(const struct kvs_skl *sl)
{
	return __kvs_skl_live(kvs_rcu_dereference(sl->head->next[0]), 0);
}

/**
 * kvs_skl_last() - the node with the greatest key
 * @sl: the skiplist
 *
 * Context: any; the caller holds kvs_rcu_read_lock().
 * Return: the node, valid until the caller's RCU read section ends, or NULL
 * if @sl is empty.
 */
struct kvs_snode *kvs_skl_last(const struct kvs_skl *sl)
{
	struct __kvs_skl_pos pos;

	__kvs_skl_search(sl, NULL, 0, 0, __kvs_skl_top(sl, 1), 0, &pos);
	return pos.pred[0] == sl->head ? NULL : pos.pred[0];
}

/**
 * kvs_skl_next() - the node after @n
 * @sl: the skiplist
 * @n: a node returned by a kvs_skl_* read in the same RCU read section; it
 *     may have been removed since
 *
 * O(1) unless nodes after @n are being removed.
 *
 * Context: any; the caller holds kvs_rcu_read_lock().
 * Return: the first node whose key is greater than @n's, or NULL.
 */
struct kvs_snode *kvs_skl_next(__maybe_unused const struct kvs_skl *sl,
			       const struct kvs_snode *n)
{
	return __kvs_skl_live(kvs_rcu_dereference(n->next[0]), 0);
}

/**
 * kvs_skl_prev() - the node before @n
 * @sl: the skiplist
 * @n: a node returned by a kvs_skl_* read in the same RCU read section; it
 *     may have been removed since
 *
 * A search from the top, as kvs_skl_seek(%KVS_SKL_LT) of @n's key:
 * expected O(log n).
 *
 * Context: any; the caller holds kvs_rcu_read_lock().
 * Return: the last node whose key is less than @n's, or NULL.
 */
struct kvs_snode *kvs_skl_prev(const struct kvs_skl *sl,
			       const struct kvs_snode *n)
{
	const void *key;
	u32 len;

	key = sl->params.key(n, &len);
	return kvs_skl_seek(sl, key, len, KVS_SKL_LT);
}

/**
 * kvs_skl_count() - the number of nodes in a skiplist
 * @sl: the skiplist
 *
 * The count is kept in %KVS_SKL_NR_COUNTERS stripes on separate cache lines,
 * chosen by a hash of the node's address, so that writers on different
 * nodes rarely share a counter line (the kernel's percpu_counter would need
 * an allocation per CPU and a platform hook; this is enough to keep one hot
 * atomic off every insert). The sum is exact when no insert or removal is
 * in progress, and otherwise off by at most the number in progress.
 *
 * Context: any.
 * Return: the number of linked nodes.
 */
u64 kvs_skl_count(const struct kvs_skl *sl)
{
	s64 sum = 0;
	unsigned int i;

	for (i = 0; i < KVS_SKL_NR_COUNTERS; i++)
		sum += kvs_atomic64_read(&sl->count[i].nodes);
	return sum > 0 ? (u64)sum : 0;
}

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvs_skiplist.h - the engine's ordered index: a concurrent skiplist of
 * byte-string keys with lock-free RCU readers and per-node locks for writers.
 *
 * The index is intrusive: the caller embeds a struct kvs_snode as the last
 * member of its object, allocates the object with room for the node's
 * height (KVS_SKL_OBJ_SIZE()), and tells the list where the key is through
 * struct kvs_skl_params. The list never allocates after kvs_skl_init() and
 * never frees a node: kvs_skl_remove() unlinks it, and the caller frees it
 * after an RCU grace period (kvs_free_rcu() or kvs_call_rcu()).
 *
 * Readers hold kvs_rcu_read_lock() and never block or sleep, in any
 * context. Each read returns a node that was in the list (linked and not
 * being removed) at some moment during the call. A scan that must survive
 * the end of its RCU read section resumes from the last key it saw (seek
 * %KVS_SKL_GT), never from a node pointer.
 */
#ifndef _KVS_SKIPLIST_H
#define _KVS_SKIPLIST_H

#include "kvs_platform.h"

/*
 * With p = 1/4 a node has height h with probability 3/4 * (1/4)^(h-1); 16
 * levels keep searches logarithmic up to 4^16 (4 billion) keys.
 */
#define KVS_SKL_MAX_HEIGHT	16

/**
 * struct kvs_snode - a node of a skiplist, embedded in the caller's object
 * @op_lock: held by the insert or the removal of this node for its whole
 *	     duration (see DOC: Locking in kvs_skiplist.c)
 * @link_lock: protects @next[] and @marked while the node is linked
 * @height: number of levels (@next[] entries), 1..%KVS_SKL_MAX_HEIGHT
 * @marked: set once the node's removal has begun; readers skip marked nodes
 *	    and writers never link after them
 * @linked: set when the insert has linked every level, cleared by removal
 * @next: the successor at each level; the flexible array must end the
 *	  caller's object
 */
struct kvs_snode {
	kvs_spinlock_t op_lock;
	kvs_spinlock_t link_lock;
	u8 height;
	u8 marked;
	u8 linked;
	struct kvs_snode __rcu *next[];
};

/**
 * struct kvs_skl_params - how a skiplist finds the key of a node
 * @node_offset: offsetof() the struct kvs_snode in the caller's object, for
 *		 kvs_skl_obj()
 * @max_height: tallest node kvs_skl_random_height() returns; 0 means
 *		%KVS_SKL_MAX_HEIGHT (1 makes a sorted linked list, for tests)
 * @key: returns the key of @n and its length (at least 1 byte) in *@len;
 *	 called by readers under RCU, so it must not sleep, and the key must
 *	 not change while the node is in the list
 *
 * Keys are byte strings ordered lexicographically: memcmp() of the common
 * prefix, then the shorter key first. They are unique within a list.
 */
struct kvs_skl_params {
	size_t node_offset;
	unsigned int max_height;
	const void *(*key)(const struct kvs_snode *n, u32 *len);
};

#define KVS_SKL_NR_COUNTERS	8

/**
 * struct kvs_skl_counter - one stripe of the node count, on its own cache line
 * @nodes: nodes linked whose address hashes to this stripe
 * @pad: keeps the next stripe off this cache line
 */
struct kvs_skl_counter {
	kvs_atomic64_t nodes;
	u8 pad[64 - sizeof(kvs_atomic64_t)];
};

/**
 * struct kvs_skl - a skiplist
 * @head: the sentinel node, %KVS_SKL_MAX_HEIGHT tall, ordered before every
 *	  key; allocated by kvs_skl_init()
 * @params: a copy of the caller's parameters
 * @height: levels in use: no node is taller; only ever grows
 * @count: the number of linked nodes, striped (see kvs_skl_count())
 */
struct kvs_skl {
	struct kvs_snode *head;
	struct kvs_skl_params params;
	kvs_atomic_t height;
	struct kvs_skl_counter count[KVS_SKL_NR_COUNTERS];
};

/**
 * enum kvs_skl_seek_mode - which node kvs_skl_seek() returns
 * @KVS_SKL_GE: the first node whose key is >= the key sought
 * @KVS_SKL_GT: the first node whose key is > the key sought
 * @KVS_SKL_LE: the last node whose key is <= the key sought
 * @KVS_SKL_LT: the last node whose key is < the key sought
 */
enum kvs_skl_seek_mode {
	KVS_SKL_GE,
	KVS_SKL_GT,
	KVS_SKL_LE,
	KVS_SKL_LT,
};

/**
 * KVS_SKL_OBJ_SIZE() - bytes to allocate for an object holding a node
 * @type: the caller's object type
 * @member: its struct kvs_snode member, which must be the last one
 * @height: the node's height
 */
#define KVS_SKL_OBJ_SIZE(type, member, height)				\
	max_t(size_t, sizeof(type),					\
	      offsetof(type, member) + kvs_skl_node_size(height))

/**
 * kvs_skl_obj() - the caller's object that holds @n
 * @sl: the skiplist
 * @n: a node of @sl
 *
 * Context: any.
 * Return: the object, found with &kvs_skl_params.node_offset.
 */
static inline void *kvs_skl_obj(const struct kvs_skl *sl,
				const struct kvs_snode *n)
{
	return (char *)n - sl->params.node_offset;
}

size_t kvs_skl_node_size(unsigned int height);
void kvs_skl_node_init(struct kvs_snode *n, unsigned int height);
unsigned int kvs_skl_random_height(const struct kvs_skl *sl);

int __must_check kvs_skl_init(struct kvs_skl *sl,
			      const struct kvs_skl_params *params,
			      kvs_gfp_t gfp);
void kvs_skl_destroy(struct kvs_skl *sl,
		     void (*free_fn)(struct kvs_snode *n, void *arg),
		     void *arg);

int kvs_skl_insert(struct kvs_skl *sl, struct kvs_snode *n,
		   struct kvs_snode **existing);
int kvs_skl_remove(struct kvs_skl *sl, struct kvs_snode *n);

struct kvs_snode *kvs_skl_seek(const struct kvs_skl *sl, const void *key,
			       u32 len, enum kvs_skl_seek_mode mode);
struct kvs_snode *kvs_skl_lookup(const struct kvs_skl *sl, const void *key,
				 u32 len);
struct kvs_snode *kvs_skl_first(const struct kvs_skl *sl);
struct kvs_snode *kvs_skl_last(const struct kvs_skl *sl);
struct kvs_snode *kvs_skl_next(const struct kvs_skl *sl,
			       const struct kvs_snode *n);
struct kvs_snode *kvs_skl_prev(const struct kvs_skl *sl,
			       const struct kvs_snode *n);
u64 kvs_skl_count(const struct kvs_skl *sl);

#endif /* _KVS_SKIPLIST_H */

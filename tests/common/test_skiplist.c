// SPDX-License-Identifier: GPL-2.0
/*
 * test_skiplist.c - the ordered index (kmod/core/kvs_skiplist.c).
 *
 *  - skl_model: random inserts, removals, seeks in all four modes, lookups,
 *    forward and reverse walks against a sorted-array model, with keys of 1
 *    to 4096 bytes, binary keys full of NUL bytes and keys that are prefixes
 *    of each other; in a skiplist and in a height-1 list.
 *  - skl_concurrent_writers: threads race to insert the same keys (exactly
 *    one wins, the others get -EEXIST and the winner's node) and to remove
 *    them (exactly one wins), while each churns interleaved keys of its own
 *    and checks them against a private model; the final list equals the
 *    model.
 *  - skl_replace_race: one thread removes each key while another inserts
 *    a new node for it, retrying on -EEXIST: the insert meets removals in
 *    progress and must wait them out, never linking a second copy.
 *  - skl_softirq_writers: writers in RCU callbacks (softirq context in the
 *    kernel, so lockdep checks the locks' bottom-half safety) interleaved
 *    with a process-context writer on neighbouring keys.
 *  - skl_readers_churn: readers scan forward, backward and from random keys
 *    while writers churn: every scan is strictly ordered and misses no key
 *    of the stable set; removed nodes are poisoned when freed.
 *  - skl_resume_scan: pages resumed by the last key seen, across RCU read
 *    sections, under churn: no stable key skipped or repeated.
 *
 * Concurrent tests count errors in their threads and check them at the end;
 * the runs are bounded by time, so they stay short in a slow VM.
 */
#include "kvs_tests.h"
#include "kvs_skiplist.h"

#define SKL_T_LIVE	0x6b76735f736b6c31ULL	/* "kvs_skl1" */
#define SKL_T_DEAD	0x6465616464656164ULL
#define SKL_T_KEY_MAX	4096

struct skl_tobj {
	struct kvs_rcu_head rcu;
	u64 magic;
	u32 id;
	u32 klen;
	const u8 *key;
	u8 kbuf[8];
	struct kvs_snode node;		/* last: its next[] follows */
};

static const void *skl_t_key(const struct kvs_snode *n, u32 *len)
{
	const struct skl_tobj *o = container_of(n, struct skl_tobj, node);

	*len = o->klen;
	return o->key;
}

static struct skl_tobj *skl_t_obj(const struct kvs_snode *n)
{
	return container_of(n, struct skl_tobj, node);
}

static void skl_t_params(struct kvs_skl_params *p, unsigned int max_height)
{
	p->node_offset = offsetof(struct skl_tobj, node);
	p->max_height = max_height;
	p->key = skl_t_key;
}

static struct skl_tobj *skl_t_alloc(unsigned int height, kvs_gfp_t gfp)
{
	struct skl_tobj *o;

	o = kvs_alloc(KVS_SKL_OBJ_SIZE(struct skl_tobj, node, height), gfp);
	if (!o)
		return NULL;
	o->magic = SKL_T_LIVE;
	o->id = 0;
	o->klen = 0;
	o->key = o->kbuf;
	kvs_skl_node_init(&o->node, height);
	return o;
}

/* Poison first: a reader still holding the node would see it. */
static void skl_t_free_cb(struct kvs_rcu_head *head)
{
	struct skl_tobj *o = container_of(head, struct skl_tobj, rcu);

	KVS_WRITE_ONCE(o->magic, SKL_T_DEAD);
	kvs_free(o);
}

/* After a removal: both ways of waiting for readers get their share. */
static void skl_t_free_removed(struct skl_tobj *o, unsigned int i)
{
	if (i & 1)
		kvs_call_rcu(&o->rcu, skl_t_free_cb);
	else
		kvs_free_rcu(o, &o->rcu);
}

static void skl_t_destroy_cb(struct kvs_snode *n, void *arg)
{
	long *count = arg;

	(*count)++;
	kvs_free(skl_t_obj(n));
}

static u32 skl_t_rand(u32 *state)
{
	u32 x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

static int skl_t_cmp(const u8 *a, u32 alen, const u8 *b, u32 blen)
{
	int r = memcmp(a, b, min(alen, blen));

	if (r)
		return r;
	return alen == blen ? 0 : alen < blen ? -1 : 1;
}

/* ---- the single-threaded model check ----------------------------------- */

#define SKL_M_BASES	4
#define SKL_M_POOL	(SKL_M_BASES * 11 * 3)
#define SKL_M_MIN_OPS	2000
#define SKL_M_MAX_OPS	20000
#define SKL_M_MS	1000	/* per list, once SKL_M_MIN_OPS are done */

struct skl_model {
	struct kvs_skl sl;
	u8 *keys[SKL_M_POOL];		/* the pool, sorted, unique */
	u32 lens[SKL_M_POOL];
	struct skl_tobj *nodes[SKL_M_POOL];	/* NULL: not in the list */
	unsigned int npool;
	unsigned int present;
	u8 *probe;			/* SKL_T_KEY_MAX + 1 bytes */
	u32 seed;
	unsigned int frees;
};

static const u32 skl_m_lens[] = {
	1, 2, 3, 15, 16, 17, 511, 512, 513, 4095, SKL_T_KEY_MAX
};

static const u8 skl_m_alphabet[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };

/*
 * Keys: prefixes of a few 4 KiB bases (all NUL, all 0xff, two random over a
 * small alphabet with NULs), each also with its last byte one up and one
 * down; sorted and deduplicated.
 */
static void skl_m_build_pool(struct skl_model *m)
{
	unsigned int b, l, v, i, j;
	u8 *base, *k;
	u32 len;
	int d;

	base = kvs_alloc(SKL_T_KEY_MAX, KVS_GFP_KERNEL);
	KVS_TEST_NOT_NULL(base);
	m->npool = 0;
	for (b = 0; b < SKL_M_BASES; b++) {
		for (i = 0; i < SKL_T_KEY_MAX; i++) {
			if (b < 2)
				base[i] = b ? 0xff : 0x00;
			else
				base[i] = skl_m_alphabet[skl_t_rand(&m->seed) %
							 sizeof(skl_m_alphabet)];
		}
		for (l = 0; l < ARRAY_SIZE(skl_m_lens); l++) {
			for (v = 0; v < 3; v++) {
				len = skl_m_lens[l];
				d = v == 0 ? 0 : v == 1 ? 1 : -1;
				if ((d > 0 && base[len - 1] == 0xff) ||
				    (d < 0 && base[len - 1] == 0x00))
					continue;
				k = kvs_alloc(len, KVS_GFP_KERNEL);
				KVS_TEST_NOT_NULL(k);
				memcpy(k, base, len);
				k[len - 1] += d;
				m->keys[m->npool] = k;
				m->lens[m->npool] = len;
				m->npool++;
			}
		}
	}
	kvs_free(base);

	/* Insertion sort, then drop the duplicates. */
	for (i = 1; i < m->npool; i++) {
		k = m->keys[i];
		len = m->lens[i];
		for (j = i; j > 0; j--) {
			if (skl_t_cmp(m->keys[j - 1], m->lens[j - 1], k, len) <= 0)
				break;
			m->keys[j] = m->keys[j - 1];
			m->lens[j] = m->lens[j - 1];
		}
		m->keys[j] = k;
		m->lens[j] = len;
	}
	for (i = 0, j = 0; i < m->npool; i++) {
		if (j && !skl_t_cmp(m->keys[j - 1], m->lens[j - 1],
				    m->keys[i], m->lens[i])) {
			kvs_free(m->keys[i]);
			continue;
		}
		m->keys[j] = m->keys[i];
		m->lens[j] = m->lens[i];
		j++;
	}
	m->npool = j;
	for (i = 1; i < m->npool; i++)
		KVS_TEST_LT(skl_t_cmp(m->keys[i - 1], m->lens[i - 1],
				      m->keys[i], m->lens[i]), 0);
	KVS_TEST_GT(m->npool, SKL_M_POOL / 2);
}

/* A probe key: a pool key, or one just after or before it. */
static u32 skl_m_probe(struct skl_model *m)
{
	unsigned int i = skl_t_rand(&m->seed) % m->npool;
	u32 len = m->lens[i];

	memcpy(m->probe, m->keys[i], len);
	switch (skl_t_rand(&m->seed) % 4) {
	case 0:		/* the key plus a NUL: right after it */
		m->probe[len++] = 0;
		break;
	case 1:		/* a prefix one byte shorter: before it */
		if (len > 1)
			len--;
		break;
	case 2:		/* last byte one up: after its extensions */
		if (m->probe[len - 1] != 0xff)
			m->probe[len - 1]++;
		break;
	default:
		break;
	}
	return len;
}

/* Index of the node kvs_skl_seek() must return, or -1. */
static int skl_m_expect(struct skl_model *m, u32 len,
			enum kvs_skl_seek_mode mode)
{
	int i, c, found = -1;

	for (i = 0; i < (int)m->npool; i++) {
		if (!m->nodes[i])
			continue;
		c = skl_t_cmp(m->keys[i], m->lens[i], m->probe, len);
		switch (mode) {
		case KVS_SKL_GE:
			if (c >= 0)
				return i;
			break;
		case KVS_SKL_GT:
			if (c > 0)
				return i;
			break;
		case KVS_SKL_LE:
			if (c <= 0)
				found = i;
			break;
		case KVS_SKL_LT:
			if (c < 0)
				found = i;
			break;
		}
	}
	return found;
}

static struct kvs_snode *skl_m_node(struct skl_model *m, int i)
{
	return i < 0 ? NULL : &m->nodes[i]->node;
}

static void skl_m_insert(struct skl_model *m, unsigned int i)
{
	struct kvs_snode *existing = NULL;
	struct skl_tobj *o;
	unsigned int h;
	int ret;

	/* Mostly the list's own heights, sometimes any. */
	if (skl_t_rand(&m->seed) % 8)
		h = kvs_skl_random_height(&m->sl);
	else
		h = 1 + skl_t_rand(&m->seed) % KVS_SKL_MAX_HEIGHT;
	o = skl_t_alloc(h, KVS_GFP_KERNEL);
	KVS_TEST_NOT_NULL(o);
	o->id = i;
	o->key = m->keys[i];
	o->klen = m->lens[i];

	kvs_rcu_read_lock();
	ret = kvs_skl_insert(&m->sl, &o->node, &existing);
	if (m->nodes[i]) {
		KVS_TEST_EXPECT(ret == -EEXIST);
		KVS_TEST_EXPECT(existing == &m->nodes[i]->node);
	} else {
		KVS_TEST_EXPECT(ret == 0);
		KVS_TEST_EXPECT(!existing);
	}
	kvs_rcu_read_unlock();
	if (ret) {
		/* Never linked: not removable, and free at once. */
		KVS_TEST_EQ(kvs_skl_remove(&m->sl, &o->node), -ENOENT);
		kvs_free(o);
		return;
	}
	m->nodes[i] = o;
	m->present++;
}

static void skl_m_remove(struct skl_model *m, unsigned int i)
{
	struct skl_tobj *o = m->nodes[i];

	if (!o)
		return;
	KVS_TEST_EQ(kvs_skl_remove(&m->sl, &o->node), 0);
	KVS_TEST_EQ(kvs_skl_remove(&m->sl, &o->node), -ENOENT);
	m->nodes[i] = NULL;
	m->present--;
	skl_t_free_removed(o, m->frees++);
}

static void skl_m_seek(struct skl_model *m)
{
	enum kvs_skl_seek_mode mode;
	struct kvs_snode *n, *want;
	u32 len = skl_m_probe(m);
	int e;

	kvs_rcu_read_lock();
	for (mode = KVS_SKL_GE; mode <= KVS_SKL_LT; mode++) {
		e = skl_m_expect(m, len, mode);
		n = kvs_skl_seek(&m->sl, m->probe, len, mode);
		want = skl_m_node(m, e);
		if (n != want) {
			kvs_test_log("seek mode %d len %u: got %d, want %d",
				     mode, len, n ? (int)skl_t_obj(n)->id : -1,
				     e);
			KVS_TEST_FAIL("seek result differs from the model");
		}
	}
	/* Exact lookup: GE with an equal key. */
	e = skl_m_expect(m, len, KVS_SKL_GE);
	if (e >= 0 && skl_t_cmp(m->keys[e], m->lens[e], m->probe, len))
		e = -1;
	KVS_TEST_EXPECT(kvs_skl_lookup(&m->sl, m->probe, len) ==
			skl_m_node(m, e));
	kvs_rcu_read_unlock();
}

/* Forward and reverse walks see exactly the model, in order. */
static void skl_m_walk(struct skl_model *m)
{
	struct kvs_snode *n;
	int i;

	kvs_rcu_read_lock();
	n = kvs_skl_first(&m->sl);
	for (i = 0; i < (int)m->npool; i++) {
		if (!m->nodes[i])
			continue;
		if (!KVS_TEST_EXPECT(n == &m->nodes[i]->node))
			break;
		n = kvs_skl_next(&m->sl, n);
	}
	KVS_TEST_EXPECT(!n);

	n = kvs_skl_last(&m->sl);
	for (i = m->npool - 1; i >= 0; i--) {
		if (!m->nodes[i])
			continue;
		if (!KVS_TEST_EXPECT(n == &m->nodes[i]->node))
			break;
		n = kvs_skl_prev(&m->sl, n);
	}
	KVS_TEST_EXPECT(!n);
	kvs_rcu_read_unlock();
	KVS_TEST_EQ(kvs_skl_count(&m->sl), m->present);
}

static void skl_m_run(struct skl_model *m, unsigned int max_height)
{
	struct kvs_skl_params p;
	unsigned int op, i;
	long destroyed = 0;
	u64 end;

	skl_t_params(&p, max_height);
	KVS_TEST_EQ(kvs_skl_init(&m->sl, &p, KVS_GFP_KERNEL), 0);
	memset(m->nodes, 0, sizeof(m->nodes));
	m->present = 0;

	skl_m_walk(m);
	end = kvs_ktime_ns() + SKL_M_MS * 1000000ULL;
	for (op = 0; op < SKL_M_MAX_OPS; op++) {
		if (op >= SKL_M_MIN_OPS && kvs_ktime_ns() > end)
			break;
		i = skl_t_rand(&m->seed) % m->npool;
		switch (skl_t_rand(&m->seed) % 20) {
		case 0 ... 7:
			skl_m_insert(m, i);
			break;
		case 8 ... 13:
			skl_m_remove(m, i);
			break;
		case 14 ... 18:
			skl_m_seek(m);
			break;
		default:
			skl_m_walk(m);
			break;
		}
		if (!(op % 256))
			kvs_test_yield();
	}
	/* Empty it one way, fill it, and destroy it full. */
	for (i = 0; i < m->npool; i++)
		skl_m_remove(m, i);
	skl_m_walk(m);
	for (i = 0; i < m->npool; i++)
		skl_m_insert(m, i);
	skl_m_walk(m);
	kvs_test_log("skl model (max height %u): %u ops, pool of %u keys",
		     max_height, op, m->npool);
	kvs_rcu_barrier();
	kvs_skl_destroy(&m->sl, skl_t_destroy_cb, &destroyed);
	KVS_TEST_EQ(destroyed, m->npool);
}

KVS_TEST(skl_model)
{
	struct skl_model *m;
	unsigned int i;

	m = kvs_zalloc(sizeof(*m), KVS_GFP_KERNEL);
	KVS_TEST_NOT_NULL(m);
	m->seed = 0x2545f491;
	m->probe = kvs_alloc(SKL_T_KEY_MAX + 1, KVS_GFP_KERNEL);
	KVS_TEST_NOT_NULL(m->probe);
	skl_m_build_pool(m);

	skl_m_run(m, 0);
	skl_m_run(m, 1);

	kvs_rcu_barrier();
	for (i = 0; i < m->npool; i++)
		kvs_free(m->keys[i]);
	kvs_free(m->probe);
	kvs_free(m);
	KVS_TEST_EQ(kvs_alloc_live(), 0);
}

KVS_TEST(skl_init_and_heights)
{
	unsigned int i, h, ones = 0, hist_max = 0;
	struct kvs_skl_params p;
	struct kvs_skl sl;

	skl_t_params(&p, 0);
	kvs_fault_fail_nth(1);
	KVS_TEST_EQ(kvs_skl_init(&sl, &p, KVS_GFP_KERNEL), -ENOMEM);
	KVS_TEST_EQ(kvs_alloc_live(), 0);
	p.key = NULL;
	KVS_TEST_EQ(kvs_skl_init(&sl, &p, KVS_GFP_ATOMIC), -EINVAL);
	skl_t_params(&p, 0);
	KVS_TEST_EQ(kvs_skl_init(&sl, &p, KVS_GFP_ATOMIC), 0);
	KVS_TEST_EQ(kvs_skl_count(&sl), 0);

	/* Geometric, p = 1/4: three nodes in four are one level tall. */
	for (i = 0; i < 4000; i++) {
		h = kvs_skl_random_height(&sl);
		KVS_TEST_ASSERT(h >= 1 && h <= KVS_SKL_MAX_HEIGHT);
		ones += h == 1;
		hist_max = max(hist_max, h);
	}
	KVS_TEST_GT(ones, 2800);
	KVS_TEST_LT(ones, 3200);
	KVS_TEST_GE(hist_max, 4);
	sl.params.max_height = 2;
	for (i = 0; i < 1000; i++)
		KVS_TEST_LE(kvs_skl_random_height(&sl), 2);
	KVS_TEST_EQ(kvs_skl_node_size(3),
		    offsetof(struct kvs_snode, next) + 3 * sizeof(void *));
	kvs_skl_destroy(&sl, NULL, NULL);
	KVS_TEST_EQ(kvs_alloc_live(), 0);
}

/* ---- shared helpers of the concurrent tests ----------------------------- */

/* Integer keys: 4 big-endian bytes then 0..3 filler bytes, NULs among them. */
static u32 skl_t_encode(u8 *buf, u32 id)
{
	u32 len = 4 + id % 4, i;

	buf[0] = id >> 24;
	buf[1] = id >> 16;
	buf[2] = id >> 8;
	buf[3] = id;
	for (i = 4; i < len; i++)
		buf[i] = i & 1 ? 0x00 : 0xff;
	return len;
}

static struct skl_tobj *skl_t_alloc_id_h(unsigned int height, u32 id)
{
	struct skl_tobj *o = skl_t_alloc(height, KVS_GFP_KERNEL);

	if (o) {
		o->id = id;
		o->klen = skl_t_encode(o->kbuf, id);
	}
	return o;
}

static struct skl_tobj *skl_t_alloc_id(const struct kvs_skl *sl, u32 id)
{
	return skl_t_alloc_id_h(kvs_skl_random_height(sl), id);
}

/* Tall nodes: many levels to link and unlink, longer windows for races. */
static struct skl_tobj *skl_t_alloc_id_tall(u32 id)
{
	return skl_t_alloc_id_h(2 + kvs_random_u32() % 7, id);
}

/*
 * The id of a node a reader found, or -1 if the node looks freed or torn:
 * its magic, its id and its key bytes must agree.
 */
static long skl_t_read_id(const struct kvs_snode *n)
{
	const struct skl_tobj *o = skl_t_obj(n);
	u8 buf[8];
	u32 id, len;

	if (KVS_READ_ONCE(o->magic) != SKL_T_LIVE)
		return -1;
	id = KVS_READ_ONCE(o->id);
	len = skl_t_encode(buf, id);
	if (o->klen != len || memcmp(o->key, buf, len))
		return -1;
	return id;
}

/*
 * Wait until @count reaches @target (threads only ever add to it), unless
 * a thread found an error.
 */
static bool skl_t_barrier(kvs_atomic_t *count, int target,
			  kvs_atomic_t *errors)
{
	u64 deadline = kvs_ktime_ns() + 30000ULL * 1000000;

	kvs_atomic_inc_return(count);
	while (kvs_atomic_read(count) < target) {
		if (kvs_ktime_ns() > deadline || kvs_atomic_read(errors))
			return false;
		kvs_test_yield();
	}
	/* What the others did before arriving is visible from here on. */
	kvs_smp_mb();
	return true;
}

/* ---- concurrent writers ------------------------------------------------- */

#define SKL_W_THREADS	3
#define SKL_W_SHARED	256	/* raced for: ids 0..SKL_W_SHARED-1 */
#define SKL_W_PRIVATE	256	/* per thread, interleaved with the others' */
#define SKL_W_ROUNDS	3

struct skl_writers;

struct skl_writer {
	struct skl_writers *w;
	unsigned int t;
	u32 seed;
	struct skl_tobj *mine[SKL_W_PRIVATE];	/* private model */
	unsigned int frees;
	long eexist, enoent, ops;
};

struct skl_writers {
	struct kvs_skl sl;
	struct skl_tobj *shared[SKL_W_SHARED];	/* each round's winners */
	kvs_atomic_t ins_wins[SKL_W_SHARED];
	kvs_atomic_t rm_wins[SKL_W_SHARED];
	kvs_atomic_t sync;
	kvs_atomic_t errors;
	struct skl_writer me[SKL_W_THREADS];
};

static u32 skl_w_private_id(unsigned int t, unsigned int k)
{
	return SKL_W_SHARED + k * SKL_W_THREADS + t;
}

static void skl_w_error(struct skl_writers *w, const char *what, u32 id)
{
	if (kvs_atomic_inc_return(&w->errors) <= 10)
		kvs_test_log("skl writers: %s (id %u)", what, id);
}

/*
 * One random operation on a private key; then, since nobody else touches
 * that key, a lookup must agree with the private model at once.
 */
static void skl_w_private_op(struct skl_writer *me)
{
	struct skl_writers *w = me->w;
	unsigned int k = skl_t_rand(&me->seed) % SKL_W_PRIVATE;
	u32 id = skl_w_private_id(me->t, k);
	struct kvs_snode *n;
	struct skl_tobj *o;
	u8 buf[8];
	u32 len;

	if (kvs_atomic_read(&w->errors))
		return;		/* the list may no longer be sound */
	me->ops++;
	o = me->mine[k];
	if (!o) {
		o = me->ops & 1 ? skl_t_alloc_id_tall(id) :
				  skl_t_alloc_id(&w->sl, id);
		if (!o) {
			skl_w_error(w, "allocation failed", id);
			return;
		}
		if (kvs_skl_insert(&w->sl, &o->node, NULL)) {
			skl_w_error(w, "private insert failed", id);
			kvs_free(o);
			return;
		}
		me->mine[k] = o;
	} else if (skl_t_rand(&me->seed) & 1) {
		if (kvs_skl_remove(&w->sl, &o->node))
			skl_w_error(w, "private remove failed", id);
		me->mine[k] = NULL;
		skl_t_free_removed(o, me->frees++);
	}
	len = skl_t_encode(buf, id);
	kvs_rcu_read_lock();
	n = kvs_skl_lookup(&w->sl, buf, len);
	if (n != (me->mine[k] ? &me->mine[k]->node : NULL))
		skl_w_error(w, "private lookup differs from model", id);
	kvs_rcu_read_unlock();
}

static void skl_w_insert_shared(struct skl_writer *me, u32 id)
{
	struct skl_writers *w = me->w;
	struct kvs_snode *existing;
	struct skl_tobj *o;
	int ret;

	o = skl_t_alloc_id(&w->sl, id);
	if (!o) {
		skl_w_error(w, "allocation failed", id);
		return;
	}
	kvs_rcu_read_lock();
	ret = kvs_skl_insert(&w->sl, &o->node, &existing);
	if (!ret) {
		w->shared[id] = o;
		kvs_atomic_inc(&w->ins_wins[id]);
	} else if (ret == -EEXIST) {
		me->eexist++;
		if (!existing || skl_t_read_id(existing) != id)
			skl_w_error(w, "-EEXIST without the winner's node", id);
	} else {
		skl_w_error(w, "unexpected insert result", id);
	}
	kvs_rcu_read_unlock();
	if (ret)
		kvs_free(o);		/* never linked */
}

static int skl_w_thread(void *arg)
{
	struct skl_writer *me = arg;
	struct skl_writers *w = me->w;
	unsigned int r, k, id, stride;
	int phase = 0, ret;
	struct skl_tobj *o;

	for (r = 0; r < SKL_W_ROUNDS; r++) {
		/* Same order in even rounds (head-on races), else spread. */
		stride = r & 1 ? 2 * me->t + 1 : 1;
		if (!skl_t_barrier(&w->sync, ++phase * SKL_W_THREADS,
				   &w->errors))
			return -ETIMEDOUT;
		for (k = 0; k < SKL_W_SHARED; k++) {
			if (kvs_atomic_read(&w->errors))
				return -EIO;
			id = (k * stride + me->t * (r & 1)) % SKL_W_SHARED;
			skl_w_insert_shared(me, id);
			skl_w_private_op(me);
		}
		if (!skl_t_barrier(&w->sync, ++phase * SKL_W_THREADS,
				   &w->errors))
			return -ETIMEDOUT;
		/* Remove every shared key but the odd ones of the last round. */
		for (k = 0; k < SKL_W_SHARED; k++) {
			if (kvs_atomic_read(&w->errors))
				return -EIO;
			id = (k * stride + me->t * (r & 1)) % SKL_W_SHARED;
			if (r == SKL_W_ROUNDS - 1 && (id & 1))
				continue;
			o = w->shared[id];
			if (!o) {
				skl_w_error(w, "no winner to remove", id);
				continue;
			}
			ret = kvs_skl_remove(&w->sl, &o->node);
			if (!ret)
				kvs_atomic_inc(&w->rm_wins[id]);
			else if (ret == -ENOENT)
				me->enoent++;
			else
				skl_w_error(w, "unexpected remove result", id);
			skl_w_private_op(me);
			if (!(k % 64))
				kvs_test_yield();
		}
		if (!skl_t_barrier(&w->sync, ++phase * SKL_W_THREADS,
				   &w->errors))
			return -ETIMEDOUT;
		/* Every thread is done with the removed nodes: free them. */
		for (id = me->t; id < SKL_W_SHARED; id += SKL_W_THREADS) {
			o = w->shared[id];
			if (!o || (r == SKL_W_ROUNDS - 1 && (id & 1)))
				continue;
			kvs_free_rcu(o, &o->rcu);
			w->shared[id] = NULL;
		}
	}
	return 0;
}

KVS_TEST(skl_concurrent_writers)
{
	struct kvs_test_thread *t[SKL_W_THREADS];
	struct skl_writer *me;
	long eexist = 0, enoent = 0, ops = 0, destroyed = 0;
	unsigned int i, k, expect = 0;
	struct kvs_skl_params p;
	struct skl_writers *w;
	struct kvs_snode *n;
	long id, want;
	int started = 0;

	w = kvs_zalloc(sizeof(*w), KVS_GFP_KERNEL);
	KVS_TEST_NOT_NULL(w);
	skl_t_params(&p, 0);
	KVS_TEST_EQ(kvs_skl_init(&w->sl, &p, KVS_GFP_KERNEL), 0);
	me = w->me;
	for (i = 0; i < SKL_W_THREADS; i++) {
		me[i].w = w;
		me[i].t = i;
		me[i].seed = 0x9e3779b9u * (i + 1);
		t[i] = kvs_test_thread_run(skl_w_thread, &me[i], 0);
		if (!KVS_TEST_EXPECT(t[i]))
			break;
		started++;
	}
	for (i = 0; i < (unsigned int)started; i++)
		KVS_TEST_EXPECT(kvs_test_thread_join(t[i]) == 0);
	KVS_TEST_EQ(started, SKL_W_THREADS);

	for (i = 0; i < SKL_W_THREADS; i++) {
		eexist += me[i].eexist;
		enoent += me[i].enoent;
		ops += me[i].ops;
	}
	kvs_test_log("skl writers: %ld -EEXIST, %ld -ENOENT, %ld private ops",
		     eexist, enoent, ops);
	KVS_TEST_EQ(kvs_atomic_read(&w->errors), 0);
	/* Every race had exactly one winner. */
	for (i = 0; i < SKL_W_SHARED; i++) {
		KVS_TEST_EQ(kvs_atomic_read(&w->ins_wins[i]), SKL_W_ROUNDS);
		KVS_TEST_EQ(kvs_atomic_read(&w->rm_wins[i]),
			    SKL_W_ROUNDS - (i & 1));
	}
	KVS_TEST_EQ(eexist, SKL_W_ROUNDS * SKL_W_SHARED * (SKL_W_THREADS - 1));
	KVS_TEST_EQ(enoent, (SKL_W_ROUNDS * SKL_W_SHARED - SKL_W_SHARED / 2) *
			    (SKL_W_THREADS - 1));

	/* The list is the model: odd shared ids, then the private ones. */
	kvs_rcu_read_lock();
	n = kvs_skl_first(&w->sl);
	for (id = 0; id < SKL_W_SHARED + SKL_W_PRIVATE * SKL_W_THREADS; id++) {
		if (id < SKL_W_SHARED) {
			want = id & 1;
		} else {
			k = (id - SKL_W_SHARED) / SKL_W_THREADS;
			i = (id - SKL_W_SHARED) % SKL_W_THREADS;
			want = !!me[i].mine[k];
		}
		if (!want)
			continue;
		expect++;
		if (!KVS_TEST_EXPECT(n && skl_t_read_id(n) == id))
			break;
		n = kvs_skl_next(&w->sl, n);
	}
	KVS_TEST_EXPECT(!n);
	kvs_rcu_read_unlock();
	KVS_TEST_EQ(kvs_skl_count(&w->sl), expect);

	/* Half by removal, which finds nodes missing from a level. */
	for (id = 1; id < SKL_W_SHARED; id += 2) {
		KVS_TEST_EQ(kvs_skl_remove(&w->sl, &w->shared[id]->node), 0);
		kvs_free_rcu(w->shared[id], &w->shared[id]->rcu);
		expect--;
	}
	KVS_TEST_EQ(kvs_skl_count(&w->sl), expect);
	kvs_rcu_barrier();
	kvs_skl_destroy(&w->sl, skl_t_destroy_cb, &destroyed);
	KVS_TEST_EQ(destroyed, expect);
	kvs_free(w);
}

/* ---- removal and re-insert of the same key, racing ---------------------- */

#define SKL_X_KEYS	256
#define SKL_X_ROUNDS	8

struct skl_replace {
	struct kvs_skl sl;
	struct skl_tobj *cur[SKL_X_KEYS];	/* the node each key has now */
	kvs_atomic_t sync;
	kvs_atomic_t errors;
	long eexist;
};

struct skl_replacer {
	struct skl_replace *x;
	unsigned int t;
};

static void skl_x_error(struct skl_replace *x, const char *what, u32 id)
{
	if (kvs_atomic_inc_return(&x->errors) <= 10)
		kvs_test_log("skl replace: %s (id %u)", what, id);
}

/*
 * Remove every key's node in order; the other thread chases right behind
 * with a new node per key, retrying on -EEXIST, so it meets nodes whose
 * removal is under way (a marked twin it must wait out).
 */
static void skl_x_remover(struct skl_replace *x, struct skl_tobj **old)
{
	unsigned int id;

	for (id = 0; id < SKL_X_KEYS; id++) {
		if (kvs_skl_remove(&x->sl, &old[id]->node))
			skl_x_error(x, "remove failed", id);
		kvs_free_rcu(old[id], &old[id]->rcu);
	}
}

static void skl_x_inserter(struct skl_replace *x, struct skl_tobj **old,
			   struct skl_tobj **new)
{
	struct kvs_snode *existing;
	unsigned int id, tries;
	struct skl_tobj *o;
	int ret;

	for (id = 0; id < SKL_X_KEYS && !kvs_atomic_read(&x->errors); id++) {
		o = skl_t_alloc_id_tall(id);
		if (!o) {
			skl_x_error(x, "allocation failed", id);
			return;
		}
		for (tries = 1;; tries++) {
			kvs_rcu_read_lock();
			ret = kvs_skl_insert(&x->sl, &o->node, &existing);
			/* Until the removal is done, the old node is there. */
			if (ret == -EEXIST && existing != &old[id]->node)
				skl_x_error(x, "-EEXIST with another node", id);
			kvs_rcu_read_unlock();
			if (ret != -EEXIST)
				break;
			x->eexist++;
			if (!(tries % 64))
				kvs_test_yield();
		}
		if (ret) {
			skl_x_error(x, "insert failed", id);
			kvs_free(o);
			return;
		}
		new[id] = o;
	}
}

static int skl_x_thread(void *arg)
{
	struct skl_replacer *me = arg;
	struct skl_replace *x = me->x;
	struct skl_tobj **old, **new;
	unsigned int r;

	for (r = 0; r < SKL_X_ROUNDS; r++) {
		if (!skl_t_barrier(&x->sync, (2 * r + 1) * 2, &x->errors))
			return -ETIMEDOUT;
		/* The thread that removes takes turns. */
		old = x->cur;
		new = kvs_zalloc(sizeof(x->cur), KVS_GFP_KERNEL);
		if (r % 2 == me->t)
			skl_x_remover(x, old);
		else if (new)
			skl_x_inserter(x, old, new);
		if (!skl_t_barrier(&x->sync, (2 * r + 2) * 2, &x->errors)) {
			kvs_free(new);
			return -ETIMEDOUT;
		}
		/* The inserter hands its nodes over as the next round's. */
		if (r % 2 != me->t && new)
			memcpy(x->cur, new, sizeof(x->cur));
		kvs_free(new);
	}
	return 0;
}

KVS_TEST(skl_replace_race)
{
	struct skl_replacer me[2];
	struct kvs_test_thread *t[2];
	struct kvs_skl_params p;
	struct skl_replace *x;
	struct kvs_snode *n;
	long destroyed = 0;
	int i, started = 0;
	unsigned int id;

	x = kvs_zalloc(sizeof(*x), KVS_GFP_KERNEL);
	KVS_TEST_NOT_NULL(x);
	skl_t_params(&p, 0);
	KVS_TEST_EQ(kvs_skl_init(&x->sl, &p, KVS_GFP_KERNEL), 0);
	for (id = 0; id < SKL_X_KEYS; id++) {
		x->cur[id] = skl_t_alloc_id_tall(id);
		KVS_TEST_NOT_NULL(x->cur[id]);
		KVS_TEST_EQ(kvs_skl_insert(&x->sl, &x->cur[id]->node, NULL), 0);
	}
	for (i = 0; i < 2; i++) {
		me[i].x = x;
		me[i].t = i;
		t[i] = kvs_test_thread_run(skl_x_thread, &me[i], 0);
		if (!KVS_TEST_EXPECT(t[i]))
			break;
		started++;
	}
	for (i = 0; i < started; i++)
		KVS_TEST_EXPECT(kvs_test_thread_join(t[i]) == 0);
	kvs_test_log("skl replace: %ld -EEXIST retries", x->eexist);
	KVS_TEST_EQ(started, 2);
	KVS_TEST_EQ(kvs_atomic_read(&x->errors), 0);

	/* Every key once, held by the last round's inserter. */
	kvs_rcu_read_lock();
	n = kvs_skl_first(&x->sl);
	for (id = 0; id < SKL_X_KEYS; id++) {
		if (!KVS_TEST_EXPECT(n == &x->cur[id]->node))
			break;
		n = kvs_skl_next(&x->sl, n);
	}
	KVS_TEST_EXPECT(!n);
	kvs_rcu_read_unlock();
	KVS_TEST_EQ(kvs_skl_count(&x->sl), SKL_X_KEYS);
	kvs_rcu_barrier();
	kvs_skl_destroy(&x->sl, skl_t_destroy_cb, &destroyed);
	KVS_TEST_EQ(destroyed, SKL_X_KEYS);
	kvs_free(x);
}

/* ---- writers in RCU callbacks (softirq in the kernel) -------------------- */

#define SKL_S_CBS	32
#define SKL_S_PER_CB	8	/* keys each callback owns */
#define SKL_S_ROUNDS	16	/* grace periods each callback lives */
#define SKL_S_OPS	4	/* operations per callback run */
#define SKL_S_MAIN	(SKL_S_CBS * SKL_S_PER_CB)	/* keys the test owns */

struct skl_soft;

struct skl_soft_cb {
	struct kvs_rcu_head rcu;
	struct skl_soft *s;
	unsigned int j, rounds;
	u32 seed;
	struct skl_tobj *mine[SKL_S_PER_CB];
};

struct skl_soft {
	struct kvs_skl sl;
	struct skl_soft_cb cb[SKL_S_CBS];
	struct skl_tobj *mine[SKL_S_MAIN];
	kvs_atomic_t done;
	kvs_atomic_t errors;
};

/* Keys interleave: even ids are the test's, odd ones the callbacks'. */
static u32 skl_s_cb_id(const struct skl_soft_cb *cb, unsigned int k)
{
	return 2 * (k * SKL_S_CBS + cb->j) + 1;
}

/*
 * Insert or remove @*slot's key @id, then check a lookup agrees. Context:
 * the test thread or an RCU callback, so only atomic allocations.
 */
static void skl_s_op(struct skl_soft *s, struct skl_tobj **slot, u32 id)
{
	struct skl_tobj *o = *slot;
	struct kvs_snode *n;
	u8 buf[8];
	u32 len;

	if (o) {
		if (kvs_skl_remove(&s->sl, &o->node))
			kvs_atomic_inc(&s->errors);
		*slot = NULL;
		kvs_free_rcu(o, &o->rcu);
	} else {
		o = skl_t_alloc(kvs_skl_random_height(&s->sl), KVS_GFP_ATOMIC);
		if (!o)
			return;		/* atomic allocations may fail */
		o->id = id;
		o->klen = skl_t_encode(o->kbuf, id);
		if (kvs_skl_insert(&s->sl, &o->node, NULL)) {
			kvs_atomic_inc(&s->errors);
			kvs_free(o);
			return;
		}
		*slot = o;
	}
	len = skl_t_encode(buf, id);
	kvs_rcu_read_lock();
	n = kvs_skl_lookup(&s->sl, buf, len);
	if (n != (*slot ? &(*slot)->node : NULL))
		kvs_atomic_inc(&s->errors);
	kvs_rcu_read_unlock();
}

static void skl_s_cb_fn(struct kvs_rcu_head *head)
{
	struct skl_soft_cb *cb = container_of(head, struct skl_soft_cb, rcu);
	unsigned int i, k;

	for (i = 0; i < SKL_S_OPS; i++) {
		k = skl_t_rand(&cb->seed) % SKL_S_PER_CB;
		skl_s_op(cb->s, &cb->mine[k], skl_s_cb_id(cb, k));
	}
	if (++cb->rounds < SKL_S_ROUNDS)
		kvs_call_rcu(&cb->rcu, skl_s_cb_fn);
	else
		kvs_atomic_inc(&cb->s->done);
}

KVS_TEST(skl_softirq_writers)
{
	unsigned int i, k, expect = 0;
	struct kvs_skl_params p;
	long ops = 0, destroyed = 0;
	struct skl_soft *s;
	struct kvs_snode *n;
	u32 seed = 12345;
	u64 deadline;
	u32 id;

	s = kvs_zalloc(sizeof(*s), KVS_GFP_KERNEL);
	KVS_TEST_NOT_NULL(s);
	skl_t_params(&p, 0);
	KVS_TEST_EQ(kvs_skl_init(&s->sl, &p, KVS_GFP_KERNEL), 0);
	for (i = 0; i < SKL_S_CBS; i++) {
		s->cb[i].s = s;
		s->cb[i].j = i;
		s->cb[i].seed = 0x3c6ef372u * (i + 1);
		kvs_call_rcu(&s->cb[i].rcu, skl_s_cb_fn);
	}
	/* Meanwhile this thread writes the keys in between. */
	deadline = kvs_ktime_ns() + 60000ULL * 1000000;
	while (kvs_atomic_read(&s->done) < SKL_S_CBS) {
		if (!KVS_TEST_EXPECT(kvs_ktime_ns() < deadline))
			break;
		k = skl_t_rand(&seed) % SKL_S_MAIN;
		skl_s_op(s, &s->mine[k], 2 * k);
		if (!(++ops % 16))
			kvs_test_yield();
	}
	kvs_rcu_barrier();
	kvs_test_log("skl softirq: %ld writes by the test, %d by callbacks",
		     ops, SKL_S_CBS * SKL_S_ROUNDS * SKL_S_OPS);
	KVS_TEST_EQ(kvs_atomic_read(&s->errors), 0);

	/* The list is both models merged. */
	kvs_rcu_read_lock();
	n = kvs_skl_first(&s->sl);
	for (id = 0; id < 2 * SKL_S_MAIN; id++) {
		struct skl_tobj *o;

		if (id & 1)
			o = s->cb[(id / 2) % SKL_S_CBS].mine[id / 2 / SKL_S_CBS];
		else
			o = s->mine[id / 2];
		if (!o)
			continue;
		expect++;
		if (!KVS_TEST_EXPECT(n == &o->node))
			break;
		n = kvs_skl_next(&s->sl, n);
	}
	KVS_TEST_EXPECT(!n);
	kvs_rcu_read_unlock();
	KVS_TEST_EQ(kvs_skl_count(&s->sl), expect);
	kvs_skl_destroy(&s->sl, skl_t_destroy_cb, &destroyed);
	KVS_TEST_EQ(destroyed, expect);
	kvs_free(s);
}

/* ---- readers during churn ---------------------------------------------- */

#define SKL_R_KEYS	3000	/* stable: id % 3 == 0 */
#define SKL_R_WRITERS	2	/* writer w churns the ids with id % 3 == w + 1 */
#define SKL_R_READERS	2
#define SKL_R_MS	1000
#define SKL_R_RANGE	64

struct skl_churn;

struct skl_churn_worker {
	struct skl_churn *c;
	unsigned int w;
	u32 seed;
	long ops, full, ranges;
	/* what a range walk saw, to look at again */
	struct kvs_snode *seen[SKL_R_RANGE];
	long ids[SKL_R_RANGE];
};

struct skl_churn {
	struct kvs_skl sl;
	struct skl_tobj *nodes[SKL_R_KEYS];
	kvs_atomic_t stop;
	kvs_atomic_t errors;
	unsigned int stride;	/* stable ids: multiples of it */
	unsigned int nkeys;
	struct skl_churn_worker wk[SKL_R_WRITERS + SKL_R_READERS];
};

static void skl_c_error(struct skl_churn *c, const char *what, long a, long b)
{
	if (kvs_atomic_inc_return(&c->errors) <= 10)
		kvs_test_log("skl churn: %s (%ld, %ld)", what, a, b);
}

static bool skl_c_stable(const struct skl_churn *c, long id)
{
	return id >= 0 && id < c->nkeys && !(id % c->stride);
}

/* The first stable id > @id, or nkeys. */
static long skl_c_next_stable(const struct skl_churn *c, long id)
{
	long s = (id < 0 ? 0 : (id / c->stride + 1) * c->stride);

	return s < c->nkeys ? s : c->nkeys;
}

/* The last stable id < @id, or -1. */
static long skl_c_prev_stable(const struct skl_churn *c, long id)
{
	if (id <= 0)
		return -1;
	if (id > c->nkeys)
		id = c->nkeys;
	return ((id - 1) / c->stride) * c->stride;
}

static bool skl_c_check_own(struct skl_churn *c, u32 id)
{
	struct kvs_snode *n;
	u8 buf[8];
	u32 len;

	len = skl_t_encode(buf, id);
	kvs_rcu_read_lock();
	n = kvs_skl_lookup(&c->sl, buf, len);
	kvs_rcu_read_unlock();
	return n == (c->nodes[id] ? &c->nodes[id]->node : NULL);
}

static int skl_c_writer(void *arg)
{
	struct skl_churn_worker *me = arg;
	struct skl_churn *c = me->c;
	unsigned int frees = 0;
	struct skl_tobj *o;
	u32 id;

	while (!kvs_atomic_read(&c->stop)) {
		/* Writer w owns the non-stable ids w + 1 modulo the stride. */
		id = skl_t_rand(&me->seed) % (c->nkeys / c->stride);
		id = id * c->stride + 1 + me->w % (c->stride - 1);
		if (id >= c->nkeys)
			continue;
		if (skl_c_stable(c, id)) {
			skl_c_error(c, "writer picked a stable id", id, 0);
			break;
		}
		o = c->nodes[id];
		if (o) {
			if (kvs_skl_remove(&c->sl, &o->node))
				skl_c_error(c, "remove failed", id, 0);
			c->nodes[id] = NULL;
			skl_t_free_removed(o, frees++);
		} else {
			o = me->ops & 1 ? skl_t_alloc_id_tall(id) :
					  skl_t_alloc_id(&c->sl, id);
			if (!o || kvs_skl_insert(&c->sl, &o->node, NULL)) {
				skl_c_error(c, "insert failed", id, 0);
				kvs_free(o);
				break;
			}
			c->nodes[id] = o;
		}
		/* Only this writer changes @id: a lookup must agree at once. */
		if (!skl_c_check_own(c, id)) {
			skl_c_error(c, "lookup after a write is wrong", id, 0);
			/* Leave the list as it is: it may no longer be sound. */
			kvs_atomic_set(&c->stop, 1);
			break;
		}
		if (!(++me->ops % 64))
			kvs_test_yield();
	}
	return 0;
}

/*
 * A range walk lingers on the nodes it saw, still inside its RCU read
 * section, while writers remove and free: a grace period that ends too soon
 * shows as poison (or a KASAN/ASan report).
 */
static void skl_c_linger(struct skl_churn_worker *me, unsigned int n)
{
	unsigned int i;

	kvs_test_spin_ms(1);
	for (i = 0; i < n; i++)
		if (skl_t_read_id(me->seen[i]) != me->ids[i])
			skl_c_error(me->c, "node changed under a reader",
				    me->ids[i], skl_t_read_id(me->seen[i]));
}

/*
 * Walk from @n, @max steps (0: to the end), forward or backward, after a
 * start at @from that the walk may not have skipped a stable id past.
 */
static void skl_c_walk(struct skl_churn_worker *me, struct kvs_snode *n,
		       long from, bool fwd, unsigned int max)
{
	struct skl_churn *c = me->c;
	long id, prev = from, stable = 0;
	unsigned int steps = 0;

	for (; n; n = fwd ? kvs_skl_next(&c->sl, n) : kvs_skl_prev(&c->sl, n)) {
		id = skl_t_read_id(n);
		if (id < 0) {
			skl_c_error(c, "freed or torn node", prev, id);
			return;
		}
		if (max && steps < SKL_R_RANGE) {
			me->seen[steps] = n;
			me->ids[steps] = id;
		}
		if (fwd ? id <= prev : id >= prev) {
			skl_c_error(c, "out of order", prev, id);
			return;
		}
		/* Nothing stable strictly between the last key and this one. */
		if (fwd ? skl_c_next_stable(c, prev) < id :
			  skl_c_prev_stable(c, prev) > id) {
			skl_c_error(c, "skipped a stable key", prev, id);
			return;
		}
		stable += skl_c_stable(c, id);
		prev = id;
		if (max && ++steps == max)
			break;
	}
	if (max) {
		skl_c_linger(me, min_t(unsigned int, steps, SKL_R_RANGE));
		if (steps == max)
			return;
	}
	/* The end: nothing stable after the last key seen. */
	if (fwd ? skl_c_next_stable(c, prev) < c->nkeys :
		  skl_c_prev_stable(c, prev) >= 0)
		skl_c_error(c, "walk ended before a stable key", prev, fwd);
	if (from == (fwd ? -1 : (long)c->nkeys) &&
	    stable != (c->nkeys + c->stride - 1) / c->stride)
		skl_c_error(c, "full scan missed stable keys", stable, fwd);
}

static int skl_c_reader(void *arg)
{
	struct skl_churn_worker *me = arg;
	struct skl_churn *c = me->c;
	enum kvs_skl_seek_mode mode;
	struct kvs_snode *n;
	long from, p;
	u8 buf[8];
	u32 len;

	while (!kvs_atomic_read(&c->stop)) {
		kvs_rcu_read_lock();
		switch (skl_t_rand(&me->seed) % 4) {
		case 0:
			skl_c_walk(me, kvs_skl_first(&c->sl), -1, true, 0);
			me->full++;
			break;
		case 1:
			skl_c_walk(me, kvs_skl_last(&c->sl), c->nkeys, false, 0);
			me->full++;
			break;
		default:
			p = skl_t_rand(&me->seed) % c->nkeys;
			len = skl_t_encode(buf, p);
			mode = skl_t_rand(&me->seed) % 4;
			n = kvs_skl_seek(&c->sl, buf, len, mode);
			/* Where the walk starts from, for the skip check. */
			switch (mode) {
			case KVS_SKL_GE:
				from = p - 1;
				break;
			case KVS_SKL_GT:
				from = p;
				break;
			case KVS_SKL_LE:
				from = p + 1;
				break;
			default:
				from = p;
				break;
			}
			skl_c_walk(me, n, from,
				   mode == KVS_SKL_GE || mode == KVS_SKL_GT,
				   SKL_R_RANGE);
			me->ranges++;
			break;
		}
		kvs_rcu_read_unlock();
		kvs_test_yield();
	}
	return 0;
}

static void skl_c_setup(struct skl_churn *c, unsigned int nkeys,
			unsigned int stride)
{
	struct kvs_skl_params p;
	struct skl_tobj *o;
	unsigned int id;

	c->nkeys = nkeys;
	c->stride = stride;
	skl_t_params(&p, 0);
	KVS_TEST_EQ(kvs_skl_init(&c->sl, &p, KVS_GFP_KERNEL), 0);
	for (id = 0; id < nkeys; id++) {
		/* The stable set, and every other churned key to start. */
		if (id % stride && id & 1)
			continue;
		o = skl_t_alloc_id(&c->sl, id);
		KVS_TEST_NOT_NULL(o);
		KVS_TEST_EQ(kvs_skl_insert(&c->sl, &o->node, NULL), 0);
		c->nodes[id] = o;
	}
}

/*
 * Empty the list by removal, which finds any node missing from one of its
 * levels (it warns), then destroy it.
 */
static void skl_c_teardown(struct skl_churn *c)
{
	unsigned int id, n = 0;
	long destroyed = 0;

	for (id = 0; id < c->nkeys; id++)
		n += !!c->nodes[id];
	KVS_TEST_EQ(kvs_skl_count(&c->sl), n);
	for (id = 0; id < c->nkeys && !kvs_atomic_read(&c->errors); id++) {
		if (!c->nodes[id])
			continue;
		KVS_TEST_EQ(kvs_skl_remove(&c->sl, &c->nodes[id]->node), 0);
		skl_t_free_removed(c->nodes[id], id);
	}
	if (!kvs_atomic_read(&c->errors))
		KVS_TEST_EQ(kvs_skl_count(&c->sl), 0);
	kvs_rcu_barrier();
	kvs_skl_destroy(&c->sl, skl_t_destroy_cb, &destroyed);
}

KVS_TEST(skl_readers_churn)
{
	struct kvs_test_thread *t[SKL_R_WRITERS + SKL_R_READERS];
	long ops = 0, full = 0, ranges = 0;
	struct skl_churn_worker *wk;
	struct skl_churn *c;
	int i, started = 0;

	c = kvs_zalloc(sizeof(*c), KVS_GFP_KERNEL);
	KVS_TEST_NOT_NULL(c);
	wk = c->wk;
	skl_c_setup(c, SKL_R_KEYS, 3);
	for (i = 0; i < SKL_R_WRITERS + SKL_R_READERS; i++) {
		wk[i].c = c;
		wk[i].w = i;
		wk[i].seed = 0x6b767321u * (i + 3);
		t[i] = kvs_test_thread_run(i < SKL_R_WRITERS ? skl_c_writer :
					   skl_c_reader, &wk[i], 0);
		if (!KVS_TEST_EXPECT(t[i]))
			break;
		started++;
	}
	kvs_test_msleep(SKL_R_MS);
	kvs_atomic_set(&c->stop, 1);
	for (i = 0; i < started; i++)
		KVS_TEST_EXPECT(kvs_test_thread_join(t[i]) == 0);
	for (i = 0; i < started; i++) {
		ops += wk[i].ops;
		full += wk[i].full;
		ranges += wk[i].ranges;
	}
	kvs_test_log("skl churn: %ld writes, %ld full scans, %ld range scans",
		     ops, full, ranges);
	KVS_TEST_EQ(kvs_atomic_read(&c->errors), 0);
	KVS_TEST_EQ(started, SKL_R_WRITERS + SKL_R_READERS);
	KVS_TEST_GT(ops, 0);
	KVS_TEST_GT(full, 0);
	KVS_TEST_GT(ranges, 0);
	skl_c_teardown(c);
	kvs_free(c);
}

/* ---- scans resumed by key ----------------------------------------------- */

#define SKL_P_KEYS	2000	/* stable: id % 4 == 0 */
#define SKL_P_PAGE	7
#define SKL_P_MS	1000
#define SKL_P_MIN_SCANS	4

/*
 * One paged scan, forward (seek GT the last key) or backward (seek LT), each
 * page in its own RCU read section: only the last key crosses sections.
 */
static void skl_p_scan(struct skl_churn_worker *me, bool fwd)
{
	struct skl_churn *c = me->c;
	long id, last = fwd ? -1 : (long)c->nkeys, stable = 0;
	u8 key[8];
	u32 len = 0;
	struct kvs_snode *n;
	unsigned int i;
	bool end = false;

	while (!end) {
		kvs_rcu_read_lock();
		if (!len)
			n = fwd ? kvs_skl_first(&c->sl) : kvs_skl_last(&c->sl);
		else
			n = kvs_skl_seek(&c->sl, key, len,
					 fwd ? KVS_SKL_GT : KVS_SKL_LT);
		for (i = 0; i < SKL_P_PAGE && n; i++) {
			id = skl_t_read_id(n);
			if (id < 0 || (fwd ? id <= last : id >= last) ||
			    (fwd ? skl_c_next_stable(c, last) < id :
				   skl_c_prev_stable(c, last) > id)) {
				skl_c_error(c, "paged scan out of order or skipped",
					    last, id);
				kvs_rcu_read_unlock();
				return;
			}
			stable += skl_c_stable(c, id);
			last = id;
			/* Copy the key out: the node may be gone next page. */
			memcpy(key, skl_t_obj(n)->key, skl_t_obj(n)->klen);
			len = skl_t_obj(n)->klen;
			n = fwd ? kvs_skl_next(&c->sl, n) :
				  kvs_skl_prev(&c->sl, n);
		}
		end = !n;
		kvs_rcu_read_unlock();
		me->ranges++;
		kvs_test_yield();
	}
	if (stable != (c->nkeys + c->stride - 1) / c->stride)
		skl_c_error(c, "paged scan missed stable keys", stable, fwd);
}

KVS_TEST(skl_resume_scan)
{
	struct kvs_test_thread *t[SKL_R_WRITERS];
	struct skl_churn_worker *wk;
	struct skl_churn *c;
	int i, scans, started = 0;
	long ops = 0;
	u64 end;

	c = kvs_zalloc(sizeof(*c), KVS_GFP_KERNEL);
	KVS_TEST_NOT_NULL(c);
	skl_c_setup(c, SKL_P_KEYS, 4);
	wk = c->wk;
	for (i = 0; i <= SKL_R_WRITERS; i++) {
		wk[i].c = c;
		wk[i].w = i;
		wk[i].seed = 0x51ed270bu * (i + 5);
	}
	for (i = 0; i < SKL_R_WRITERS; i++) {
		t[i] = kvs_test_thread_run(skl_c_writer, &wk[i], 0);
		if (!KVS_TEST_EXPECT(t[i]))
			break;
		started++;
	}
	/* This thread is the reader. */
	end = kvs_ktime_ns() + SKL_P_MS * 1000000ULL;
	for (scans = 0; scans < SKL_P_MIN_SCANS || kvs_ktime_ns() < end;
	     scans++) {
		skl_p_scan(&wk[SKL_R_WRITERS], scans & 1);
		if (kvs_atomic_read(&c->errors))
			break;
	}
	kvs_atomic_set(&c->stop, 1);
	for (i = 0; i < started; i++) {
		KVS_TEST_EXPECT(kvs_test_thread_join(t[i]) == 0);
		ops += wk[i].ops;
	}
	kvs_test_log("skl resume: %d paged scans, %ld pages, %ld writes", scans,
		     wk[SKL_R_WRITERS].ranges, ops);
	KVS_TEST_EQ(kvs_atomic_read(&c->errors), 0);
	KVS_TEST_EQ(started, SKL_R_WRITERS);
	KVS_TEST_GT(ops, 0);
	skl_c_teardown(c);
	kvs_free(c);
}

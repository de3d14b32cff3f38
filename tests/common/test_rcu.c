// SPDX-License-Identifier: GPL-2.0
/*
 * test_rcu.c - RCU read sections and deferred free with observable grace
 * periods: an object replaced under a reader is neither freed nor changed
 * until the reader leaves, kvs_rcu_pending() shows it queued, and after
 * kvs_rcu_barrier() nothing is pending or live. The stress test swaps a
 * published object under concurrent readers; under ASan (KASAN in the
 * kernel) a grace period that ends too soon is a use-after-free report.
 *
 * Inside read sections the tests use KVS_TEST_EXPECT(), which does not
 * return, so a failure never leaves a section open.
 */
#include "kvs_tests.h"

#define OBJ_MAGIC	0x6b76735f6f626a31ULL	/* "kvs_obj1" */
#define OBJ_DEAD	0x6465616464656164ULL

struct obj {
	u64 magic;
	u64 gen;
	u64 check;		/* derived from gen, to spot torn contents */
	u64 pad[3];
	struct kvs_rcu_head rcu;
};

static u64 obj_check(u64 gen)
{
	return gen * 0x9e3779b97f4a7c15ULL + 1;
}

static struct obj *obj_new(u64 gen, kvs_gfp_t gfp)
{
	struct obj *o = kvs_alloc(sizeof(*o), gfp);

	if (o) {
		o->magic = OBJ_MAGIC;
		o->gen = gen;
		o->check = obj_check(gen);
	}
	return o;
}

/* Real loads each time: a reader looks again and again at its object. */
static bool obj_intact(const struct obj *o, u64 gen)
{
	return KVS_READ_ONCE(o->magic) == OBJ_MAGIC &&
	       KVS_READ_ONCE(o->gen) == gen &&
	       KVS_READ_ONCE(o->check) == obj_check(gen);
}

KVS_TEST(rcu_read_nesting)
{
	if (KVS_HELD_CHECKS_EXACT)
		KVS_TEST_ASSERT(!kvs_rcu_read_lock_held());
	kvs_rcu_read_lock();
	KVS_TEST_EXPECT(kvs_rcu_read_lock_held());
	kvs_rcu_read_lock();
	KVS_TEST_EXPECT(kvs_rcu_read_lock_held());
	kvs_rcu_read_unlock();
	KVS_TEST_EXPECT(kvs_rcu_read_lock_held());
	kvs_rcu_read_unlock();
	if (KVS_HELD_CHECKS_EXACT)
		KVS_TEST_ASSERT(!kvs_rcu_read_lock_held());
	KVS_TEST_WARNED(0);
}

/* Single thread: the writer is itself the reader that holds the old copy. */
KVS_TEST(rcu_free_waits_for_own_reader)
{
	struct obj __rcu *gp = NULL;
	struct obj *old, *new, *p;

	old = obj_new(1, KVS_GFP_KERNEL);
	KVS_TEST_NOT_NULL(old);
	kvs_rcu_assign_pointer(gp, old);
	KVS_TEST_EQ(kvs_rcu_pending(), 0);

	kvs_rcu_read_lock();
	p = kvs_rcu_dereference(gp);
	new = obj_new(2, KVS_GFP_ATOMIC);
	if (KVS_TEST_EXPECT(new)) {
		kvs_rcu_assign_pointer(gp, new);
		kvs_free_rcu(p, &p->rcu);
		KVS_TEST_EXPECT(kvs_rcu_pending() == 1);
		/* No grace period can end while this section is open. */
		kvs_test_spin_ms(50);
		KVS_TEST_EXPECT(kvs_rcu_pending() == 1);
		KVS_TEST_EXPECT(kvs_alloc_live() == 2);
		KVS_TEST_EXPECT(obj_intact(p, 1));
		KVS_TEST_EXPECT(obj_intact(kvs_rcu_dereference(gp), 2));
	}
	kvs_rcu_read_unlock();
	KVS_TEST_NOT_NULL(new);

	kvs_rcu_barrier();
	KVS_TEST_EQ(kvs_rcu_pending(), 0);
	KVS_TEST_EQ(kvs_alloc_live(), 1);
	new = kvs_rcu_dereference_protected(gp, true);
	KVS_RCU_INIT_POINTER(gp, NULL);
	kvs_free_rcu(new, &new->rcu);
	kvs_rcu_barrier();
	KVS_TEST_EQ(kvs_rcu_pending(), 0);
	KVS_TEST_EQ(kvs_alloc_live(), 0);
}

/* Steps of the reader/writer hand-off below. */
enum {
	RW_START,
	RW_READER_IN,		/* reader holds the old object */
	RW_REPLACED,		/* writer published the new one, queued the old */
	RW_READER_CHECKED,	/* reader verified the old one, still inside */
	RW_WRITER_CHECKED,	/* writer saw it still pending */
};

struct rw_handoff {
	struct obj __rcu *gp;
	kvs_atomic_t step;
	int reader_ok;
};

static int rw_reader(void *arg)
{
	struct rw_handoff *h = arg;
	struct obj *p;
	int ok = 1;

	kvs_rcu_read_lock();
	p = kvs_rcu_dereference(h->gp);
	ok &= obj_intact(p, 1);
	kvs_atomic_set(&h->step, RW_READER_IN);
	ok &= kvs_test_wait_atomic(&h->step, RW_REPLACED, 10000);
	/* Give a (wrongly) short grace period time to free the object. */
	kvs_test_spin_ms(100);
	ok &= obj_intact(p, 1);
	ok &= kvs_rcu_dereference(h->gp) != p;
	kvs_atomic_set(&h->step, RW_READER_CHECKED);
	ok &= kvs_test_wait_atomic(&h->step, RW_WRITER_CHECKED, 10000);
	ok &= obj_intact(p, 1);
	kvs_rcu_read_unlock();
	h->reader_ok = ok;
	return 0;
}

/* Two threads: a reader inside its section while the writer replaces. */
KVS_TEST(rcu_free_waits_for_reader_thread)
{
	struct rw_handoff h = { .gp = NULL, .step = KVS_ATOMIC_INIT(RW_START) };
	struct kvs_test_thread *t;
	struct obj *old, *new;

	old = obj_new(1, KVS_GFP_KERNEL);
	new = obj_new(2, KVS_GFP_KERNEL);
	KVS_TEST_ASSERT(old && new);
	kvs_rcu_assign_pointer(h.gp, old);

	t = kvs_test_thread_run(rw_reader, &h, 0);
	KVS_TEST_NOT_NULL(t);
	KVS_TEST_EXPECT(kvs_test_wait_for(&h.step, RW_READER_IN, 10000));

	kvs_rcu_assign_pointer(h.gp, new);
	kvs_free_rcu(old, &old->rcu);
	KVS_TEST_EXPECT(kvs_rcu_pending() == 1);
	kvs_atomic_set(&h.step, RW_REPLACED);
	KVS_TEST_EXPECT(kvs_test_wait_for(&h.step, RW_READER_CHECKED, 10000));
	/* The reader is still inside: the old object must still be queued. */
	kvs_test_msleep(20);
	KVS_TEST_EXPECT(kvs_rcu_pending() == 1);
	KVS_TEST_EXPECT(kvs_alloc_live() == 2);
	kvs_atomic_set(&h.step, RW_WRITER_CHECKED);

	KVS_TEST_EQ(kvs_test_thread_join(t), 0);
	KVS_TEST_EQ(h.reader_ok, 1);
	kvs_rcu_barrier();
	KVS_TEST_EQ(kvs_rcu_pending(), 0);
	KVS_TEST_EQ(kvs_alloc_live(), 1);
	kvs_free(new);
}

#define CB_OBJS		100

struct cb_obj {
	struct kvs_rcu_head rcu;
	kvs_atomic_t *sum;
	int val;
};

static void cb_obj_free(struct kvs_rcu_head *head)
{
	struct cb_obj *o = container_of(head, struct cb_obj, rcu);

	kvs_atomic_add(o->val, o->sum);
	kvs_free(o);
}

KVS_TEST(rcu_call_rcu_callbacks)
{
	struct cb_obj *objs[CB_OBJS];
	kvs_atomic_t sum = KVS_ATOMIC_INIT(0);
	unsigned char *big;
	int i, expect = 0;

	for (i = 0; i < CB_OBJS; i++) {
		objs[i] = kvs_alloc(sizeof(*objs[i]), KVS_GFP_KERNEL);
		KVS_TEST_NOT_NULL(objs[i]);
		objs[i]->sum = &sum;
		objs[i]->val = i + 1;
		expect += i + 1;
	}
	/* A kvzalloc'ed array may be freed after a grace period too. */
	big = kvs_kvzalloc(2 * KVS_ALLOC_MAX, KVS_GFP_KERNEL);
	KVS_TEST_NOT_NULL(big);

	kvs_rcu_read_lock();
	for (i = 0; i < CB_OBJS; i++)
		kvs_call_rcu(&objs[i]->rcu, cb_obj_free);
	KVS_TEST_EXPECT(kvs_rcu_pending() == CB_OBJS);
	KVS_TEST_EXPECT(kvs_atomic_read(&sum) == 0);
	kvs_rcu_read_unlock();
	/* The head at the array's start; kvs_free_rcu() finds the base. */
	kvs_free_rcu(big, &((struct cb_obj *)big)->rcu);

	kvs_rcu_barrier();
	KVS_TEST_EQ(kvs_atomic_read(&sum), expect);
	KVS_TEST_EQ(kvs_rcu_pending(), 0);
	KVS_TEST_EQ(kvs_alloc_live(), 0);
}

#define STRESS_READERS	3
#define STRESS_MS	500	/* swap for this long... */
#define STRESS_MIN_SWAPS 400	/* ...and at least this often */

struct stress {
	struct obj __rcu *gp;
	kvs_spinlock_t lock;
	kvs_atomic_t ready;
	kvs_atomic_t stop;
};

struct stress_reader {
	struct stress *s;
	long reads;
	long bad;
};

static void stress_obj_free(struct kvs_rcu_head *head)
{
	struct obj *o = container_of(head, struct obj, rcu);

	/* Scribble first: a reader still looking would see it. */
	o->magic = OBJ_DEAD;
	kvs_free(o);
}

static int stress_reader_fn(void *arg)
{
	struct stress_reader *r = arg;
	u64 last_gen = 0;
	unsigned int i, linger;
	struct obj *p;
	bool ok;
	u64 gen;

	kvs_atomic_inc(&r->s->ready);
	while (!kvs_atomic_read(&r->s->stop)) {
		/* Mostly short sections, some long ones. */
		linger = 16 << (r->reads % 11);
		kvs_rcu_read_lock();
		p = kvs_rcu_dereference(r->s->gp);
		gen = KVS_READ_ONCE(p->gen);
		ok = gen >= last_gen;
		/* Linger inside the section, looking at the object again. */
		for (i = 0; i < linger; i++)
			ok &= obj_intact(p, gen);
		if (!ok)
			r->bad++;
		kvs_rcu_read_unlock();
		last_gen = gen;
		if (!(++r->reads % 256))
			kvs_test_yield();
	}
	return 0;
}

KVS_TEST(rcu_stress_swap)
{
	struct stress_reader r[STRESS_READERS] = { };
	struct kvs_test_thread *t[STRESS_READERS];
	struct obj *old, *new;
	struct stress s;
	long reads = 0;
	int i, started = 0;
	u64 gen, end;

	s.gp = NULL;
	kvs_spin_lock_init(&s.lock);
	kvs_atomic_set(&s.ready, 0);
	kvs_atomic_set(&s.stop, 0);
	new = obj_new(1, KVS_GFP_KERNEL);
	KVS_TEST_NOT_NULL(new);
	kvs_rcu_assign_pointer(s.gp, new);

	for (i = 0; i < STRESS_READERS; i++) {
		r[i].s = &s;
		t[i] = kvs_test_thread_run(stress_reader_fn, &r[i], 0);
		if (!KVS_TEST_EXPECT(t[i]))
			break;
		started++;
	}
	KVS_TEST_EXPECT(kvs_test_wait_for(&s.ready, started, 10000));

	end = kvs_ktime_ns() + STRESS_MS * 1000000ULL;
	for (gen = 2; gen < STRESS_MIN_SWAPS || kvs_ktime_ns() < end; gen++) {
		new = obj_new(gen, KVS_GFP_KERNEL);
		if (!KVS_TEST_EXPECT(new))
			break;
		kvs_spin_lock(&s.lock);
		old = kvs_rcu_dereference_protected(s.gp,
						    kvs_spin_is_held(&s.lock));
		kvs_rcu_assign_pointer(s.gp, new);
		kvs_spin_unlock(&s.lock);

		/* Every way of waiting for readers gets its share. */
		switch (gen % 4) {
		case 0:
			kvs_synchronize_rcu();
			old->magic = OBJ_DEAD;
			kvs_free(old);
			break;
		case 1:
			kvs_call_rcu(&old->rcu, stress_obj_free);
			break;
		default:
			kvs_free_rcu(old, &old->rcu);
			break;
		}
		if (!(gen % 256))
			kvs_test_yield();
	}

	kvs_atomic_set(&s.stop, 1);
	for (i = 0; i < started; i++)
		KVS_TEST_EXPECT(kvs_test_thread_join(t[i]) == 0);
	old = kvs_rcu_dereference_protected(s.gp, true);
	KVS_RCU_INIT_POINTER(s.gp, NULL);
	kvs_free_rcu(old, &old->rcu);
	kvs_rcu_barrier();

	for (i = 0; i < started; i++) {
		KVS_TEST_EQ(r[i].bad, 0);
		reads += r[i].reads;
	}
	kvs_test_log("rcu stress: %llu swaps, %ld reads by %d readers",
		     (unsigned long long)gen - 1, reads, started);
	KVS_TEST_EQ(started, STRESS_READERS);
	KVS_TEST_GT(reads, 0);
	KVS_TEST_EQ(kvs_rcu_pending(), 0);
	KVS_TEST_EQ(kvs_alloc_live(), 0);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * test_store.c - tables and point operations of the engine: DDL, the put
 * modes and their errors, bounds, full tables, allocation failures at every
 * point, reclamation of old versions and deleted keys, compare-and-swap
 * without lost updates, readers during writes.
 */
#include "kvs_tests.h"
#include "kvs_store.h"

static const struct kvs_table_params store_test_params = {
	.max_key_size = 512,
	.max_value_size = 4096,
	.mode = 0600,
};

static struct kvs_store *store_store_new(u64 max_bytes)
{
	struct kvs_store *s = kvs_zalloc(sizeof(*s), KVS_GFP_KERNEL);

	KVS_TEST_NOT_NULL(s);
	KVS_TEST_EQ(kvs_store_init(s, max_bytes, 512, 65536), 0);
	return s;
}

static void store_free(struct kvs_store *s)
{
	kvs_store_destroy(s);
	kvs_free(s);
}

static struct kvs_table *store_table_new(struct kvs_store *s,
					 const char *name, u32 flags)
{
	struct kvs_table_params p = store_test_params;
	struct kvs_table *t;

	p.flags = flags;
	KVS_TEST_EQ(kvs_table_create(s, name, &p, &t), 0);
	return t;
}

/* get into a buffer and compare with @want */
static bool store_value_is(struct kvs_table *t, const char *key, const char *want)
{
	char buf[64];
	u32 vlen;

	if (kvs_get(t, key, strlen(key), buf, sizeof(buf), &vlen, NULL))
		return false;
	return vlen == strlen(want) && !memcmp(buf, want, vlen);
}

static int store_put_str(struct kvs_table *t, const char *key,
			 const char *val, unsigned int mode, u64 expect,
			 u64 *ver)
{
	return kvs_put(t, key, strlen(key), val, strlen(val), mode, expect,
		       ver, KVS_GFP_KERNEL);
}

KVS_TEST(store_table_ddl)
{
	struct kvs_table_params p = store_test_params;
	struct kvs_store *s = store_store_new(0);
	char longname[KVS_NAME_MAX + 2];
	struct kvs_table *t, *t2;

	KVS_TEST_EQ(kvs_table_create(s, "accounts", &p, &t), 0);
	KVS_TEST_EQ(kvs_table_create(s, "accounts", &p, NULL), -EEXIST);
	KVS_TEST_EQ(kvs_table_create(s, "", &p, NULL), -EINVAL);
	KVS_TEST_EQ(kvs_table_create(s, NULL, &p, NULL), -EINVAL);
	KVS_TEST_EQ(kvs_table_create(s, ".hidden", &p, NULL), -EINVAL);
	KVS_TEST_EQ(kvs_table_create(s, "a b", &p, NULL), -EINVAL);
	KVS_TEST_EQ(kvs_table_create(s, "a/b", &p, NULL), -EINVAL);
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	KVS_TEST_EQ(kvs_table_create(s, longname, &p, NULL), -ENAMETOOLONG);
	longname[KVS_NAME_MAX] = '\0';
	KVS_TEST_EQ(kvs_table_create(s, longname, &p, NULL), 0);

	p.max_key_size = 0;
	KVS_TEST_EQ(kvs_table_create(s, "bad", &p, NULL), -EINVAL);
	p.max_key_size = 513;
	KVS_TEST_EQ(kvs_table_create(s, "bad", &p, NULL), -EINVAL);
	p = store_test_params;
	p.max_value_size = 65537;
	KVS_TEST_EQ(kvs_table_create(s, "bad", &p, NULL), -EINVAL);
	p = store_test_params;
	p.flags = 0x80;
	KVS_TEST_EQ(kvs_table_create(s, "bad", &p, NULL), -EINVAL);
	p = store_test_params;
	p.durability = 3;
	KVS_TEST_EQ(kvs_table_create(s, "bad", &p, NULL), -EINVAL);
	p = store_test_params;
	p.mode = 01000;
	KVS_TEST_EQ(kvs_table_create(s, "bad", &p, NULL), -EINVAL);
	KVS_TEST_NULL(kvs_table_get(s, "bad"));

	t2 = kvs_table_get(s, "accounts");
	KVS_TEST_ASSERT(t2 == t);
	kvs_table_put(t2);
	KVS_TEST_EQ(store_put_str(t, "k", "v", KVS_PUT_UPSERT, 0, NULL), 0);

	/* Dropped: gone by name at once, usable by holders until put. */
	KVS_TEST_EQ(kvs_table_drop(s, "accounts"), 0);
	KVS_TEST_NULL(kvs_table_get(s, "accounts"));
	KVS_TEST_EQ(kvs_table_drop(s, "accounts"), -ENOENT);
	KVS_TEST_EQ(kvs_table_drop(s, "no such"), -EINVAL);
	KVS_TEST_ASSERT(store_value_is(t, "k", "v"));
	KVS_TEST_EQ(store_put_str(t, "k2", "v2", KVS_PUT_UPSERT, 0, NULL), 0);
	kvs_table_put(t);

	/* A new table of the old name is a new, empty table. */
	t = store_table_new(s, "accounts", KVS_TABLE_ORDERED);
	KVS_TEST_ASSERT(!store_value_is(t, "k", "v"));
	kvs_table_put(t);
	store_free(s);
}

static void store_put_modes_in(u32 flags)
{
	struct kvs_store *s = store_store_new(0);
	struct kvs_table *t = store_table_new(s, "t", flags);
	u64 v1, v2, v3;
	char buf[4];
	u32 vlen;

	KVS_TEST_EQ(store_put_str(t, "a", "1", KVS_PUT_REPLACE, 0, NULL), -ENOENT);
	KVS_TEST_EQ(store_put_str(t, "a", "1", KVS_PUT_CAS, 5, NULL), -ENOENT);
	KVS_TEST_EQ(store_put_str(t, "a", "1", KVS_PUT_INSERT, 0, &v1), 0);
	KVS_TEST_EQ(store_put_str(t, "a", "2", KVS_PUT_INSERT, 0, NULL), -EEXIST);
	KVS_TEST_EQ(store_put_str(t, "a", "2", KVS_PUT_CAS, 0, NULL), -EEXIST);
	KVS_TEST_ASSERT(store_value_is(t, "a", "1"));
	KVS_TEST_EQ(store_put_str(t, "a", "2", KVS_PUT_REPLACE, 0, &v2), 0);
	KVS_TEST_GT(v2, v1);
	KVS_TEST_EQ(store_put_str(t, "a", "3", KVS_PUT_CAS, v1, NULL), -EAGAIN);
	KVS_TEST_ASSERT(store_value_is(t, "a", "2"));
	KVS_TEST_EQ(store_put_str(t, "a", "3", KVS_PUT_CAS, v2, &v3), 0);
	KVS_TEST_ASSERT(store_value_is(t, "a", "3"));
	KVS_TEST_EQ(store_put_str(t, "a", "4", KVS_PUT_UPSERT, 0, NULL), 0);
	KVS_TEST_EQ(store_put_str(t, "b", "", KVS_PUT_CAS, 0, NULL), 0);
	KVS_TEST_ASSERT(store_value_is(t, "b", ""));

	/* A value longer than the buffer: -ENOBUFS and the length. */
	KVS_TEST_EQ(store_put_str(t, "c", "12345", KVS_PUT_UPSERT, 0, NULL), 0);
	KVS_TEST_EQ(kvs_get(t, "c", 1, buf, sizeof(buf), &vlen, NULL), -ENOBUFS);
	KVS_TEST_EQ(vlen, 5);
	KVS_TEST_EQ(kvs_get(t, "c", 1, NULL, 0, &vlen, NULL), -ENOBUFS);

	KVS_TEST_EQ(kvs_delete(t, "a", 1, KVS_DEL_CAS, v3, KVS_GFP_KERNEL), -EAGAIN);
	KVS_TEST_EQ(kvs_delete(t, "a", 1, KVS_DEL_ANY, 0, KVS_GFP_KERNEL), 0);
	KVS_TEST_ASSERT(!store_value_is(t, "a", "4"));
	KVS_TEST_EQ(kvs_get(t, "a", 1, buf, sizeof(buf), &vlen, NULL), -ENOENT);
	KVS_TEST_EQ(kvs_delete(t, "a", 1, KVS_DEL_ANY, 0, KVS_GFP_KERNEL), -ENOENT);
	KVS_TEST_EQ(store_put_str(t, "a", "5", KVS_PUT_REPLACE, 0, NULL), -ENOENT);
	KVS_TEST_EQ(store_put_str(t, "a", "5", KVS_PUT_INSERT, 0, &v1), 0);
	KVS_TEST_ASSERT(store_value_is(t, "a", "5"));
	KVS_TEST_EQ(kvs_delete(t, "a", 1, KVS_DEL_CAS, v1, KVS_GFP_KERNEL), 0);

	/* The zero-copy form, under the caller's RCU read lock. */
	kvs_rcu_read_lock();
	{
		const char *val = kvs_lookup_rcu(t, "c", 1, &vlen, &v1);

		KVS_TEST_EXPECT(val && vlen == 5 && !memcmp(val, "12345", 5));
		KVS_TEST_EXPECT(!kvs_lookup_rcu(t, "a", 1, &vlen, NULL));
	}
	kvs_rcu_read_unlock();

	kvs_table_put(t);
	store_free(s);
}

KVS_TEST(store_put_modes)
{
	store_put_modes_in(0);
}

/*
 * Updates alone (no delete, no snapshot, no explicit gc) must not pile up
 * versions: the first write that leaves garbage starts the gc work.
 */
KVS_TEST(store_gc_runs_by_itself)
{
	struct kvs_store *s = store_store_new(0);
	struct kvs_table *t = store_table_new(s, "t", 0);
	struct kvs_table_stats st;
	unsigned int i, runs;
	u64 n;

	for (i = 0; i < 1000; i++) {
		n = i;
		KVS_TEST_EQ(kvs_put(t, "k", 1, &n, sizeof(n), KVS_PUT_UPSERT, 0,
				    NULL, KVS_GFP_KERNEL), 0);
	}
	/* Each run may leave work for the next (its horizon lags one). */
	for (runs = 0; runs < 3; runs++) {
		kvs_work_flush(&s->gc_work);
		kvs_table_get_stats(t, &st);
		if (st.retained_versions <= 1)
			break;
	}
	kvs_test_log("gc: %llu retained after %u runs of the work",
		     st.retained_versions, runs + 1);
	KVS_TEST_LE(st.retained_versions, 1);
	kvs_table_put(t);
	store_free(s);
}

/* kvs_table_names() and kvs_store_get_stats(): what the proxy lists. */
KVS_TEST(store_names_and_stats)
{
	struct kvs_store *s = store_store_new(1 << 20);
	struct kvs_store_stats st;
	struct kvs_snapshot snap;
	struct kvs_table *t;
	bool seen_a = false, seen_b = false;
	char *names;
	u32 n, i, j;

	KVS_TEST_EQ(kvs_table_names(s, &names, &n), 0);
	KVS_TEST_EQ(n, 0);
	KVS_TEST_NULL(names);
	kvs_store_get_stats(s, &st);
	KVS_TEST_EQ(st.tables, 0);
	KVS_TEST_EQ(st.max_bytes, 1 << 20);
	KVS_TEST_EQ(st.snapshots, 0);

	t = store_table_new(s, "alpha", 0);
	kvs_table_put(t);
	t = store_table_new(s, "b", KVS_TABLE_ORDERED);
	KVS_TEST_EQ(store_put_str(t, "k", "v", KVS_PUT_UPSERT, 0, NULL), 0);
	KVS_TEST_EQ(kvs_table_names(s, &names, &n), 0);
	KVS_TEST_EQ(n, 2);
	for (i = 0; names && i < n; i++) {
		const char *name = names + (size_t)i * KVS_NAME_SIZE;

		seen_a |= !strcmp(name, "alpha");
		seen_b |= !strcmp(name, "b");
		/* NUL-padded: the proxy copies whole fields to user space. */
		for (j = strlen(name); j < KVS_NAME_SIZE; j++)
			KVS_TEST_EQ(name[j], 0);
	}
	KVS_TEST_ASSERT(seen_a && seen_b);
	kvs_kvfree(names);

	kvs_snapshot_begin(s, &snap);
	kvs_store_get_stats(s, &st);
	KVS_TEST_EQ(st.tables, 2);
	KVS_TEST_EQ(st.snapshots, 1);
	KVS_TEST_ASSERT(st.bytes > 0 && st.bytes <= st.max_bytes);
	kvs_snapshot_end(s, &snap);

	KVS_TEST_EQ(kvs_table_drop(s, "alpha"), 0);
	KVS_TEST_EQ(kvs_table_names(s, &names, &n), 0);
	KVS_TEST_EQ(n, 1);
	KVS_TEST_ASSERT(names && !strcmp(names, "b"));
	kvs_kvfree(names);
	kvs_table_put(t);
	store_free(s);
}

KVS_TEST(store_put_modes_ordered)
{
	store_put_modes_in(KVS_TABLE_ORDERED);
}

KVS_TEST(store_bad_input)
{
	struct kvs_store *s = store_store_new(0);
	struct kvs_table *t = store_table_new(s, "t", KVS_TABLE_ORDERED);
	static u8 big[4097];
	u32 vlen;

	KVS_TEST_EQ(kvs_put(t, NULL, 1, "v", 1, 0, 0, NULL, KVS_GFP_KERNEL), -EINVAL);
	KVS_TEST_EQ(kvs_put(t, "k", 0, "v", 1, 0, 0, NULL, KVS_GFP_KERNEL), -EINVAL);
	KVS_TEST_EQ(kvs_put(t, big, 513, "v", 1, 0, 0, NULL, KVS_GFP_KERNEL), -E2BIG);
	KVS_TEST_EQ(kvs_put(t, big, 512, "v", 1, 0, 0, NULL, KVS_GFP_KERNEL), 0);
	KVS_TEST_EQ(kvs_put(t, "k", 1, big, 4097, 0, 0, NULL, KVS_GFP_KERNEL), -E2BIG);
	KVS_TEST_EQ(kvs_put(t, "k", 1, big, 4096, 0, 0, NULL, KVS_GFP_KERNEL), 0);
	KVS_TEST_EQ(kvs_put(t, "k", 1, NULL, 1, 0, 0, NULL, KVS_GFP_KERNEL), -EINVAL);
	KVS_TEST_EQ(kvs_put(t, "k", 1, "v", 1, KVS_PUT_MODES, 0, NULL, KVS_GFP_KERNEL), -EINVAL);
	KVS_TEST_EQ(kvs_put(t, "k", 1, "v", 1, 0, 0, NULL, (__force kvs_gfp_t)0), -EINVAL);
	KVS_TEST_EQ(kvs_delete(t, "k", 1, 7, 0, KVS_GFP_KERNEL), -EINVAL);
	KVS_TEST_EQ(kvs_delete(t, big, 513, 0, 0, KVS_GFP_KERNEL), -E2BIG);
	KVS_TEST_EQ(kvs_get(t, big, 513, NULL, 0, &vlen, NULL), -E2BIG);
	KVS_TEST_EQ(kvs_get(t, "", 0, NULL, 0, &vlen, NULL), -EINVAL);
	/* Binary keys: NUL bytes and prefixes are distinct keys. */
	KVS_TEST_EQ(kvs_put(t, "a\0b", 3, "1", 1, KVS_PUT_INSERT, 0, NULL, KVS_GFP_KERNEL), 0);
	KVS_TEST_EQ(kvs_put(t, "a\0", 2, "2", 1, KVS_PUT_INSERT, 0, NULL, KVS_GFP_KERNEL), 0);
	KVS_TEST_EQ(kvs_put(t, "a", 1, "3", 1, KVS_PUT_INSERT, 0, NULL, KVS_GFP_KERNEL), 0);
	KVS_TEST_EQ(kvs_get(t, "a\0", 2, NULL, 0, &vlen, NULL), -ENOBUFS);
	kvs_table_put(t);
	store_free(s);
}

/* Test bodies never run concurrently with themselves. */
static u8 store_val1k[1000];

KVS_TEST(store_full_table)
{
	struct kvs_table_params p = store_test_params;
	struct kvs_store *s = store_store_new(0);
	struct kvs_table_stats before, after;
	struct kvs_table *t;
	char key[16];
	int i, ret;

	p.max_entries = 3;
	KVS_TEST_EQ(kvs_table_create(s, "small", &p, &t), 0);
	for (i = 0; i < 3; i++) {
		key[0] = 'a' + i;
		KVS_TEST_EQ(kvs_put(t, key, 1, "v", 1, 0, 0, NULL, KVS_GFP_KERNEL), 0);
	}
	kvs_table_get_stats(t, &before);
	KVS_TEST_EQ(before.entries, 3);
	KVS_TEST_EQ(kvs_put(t, "d", 1, "v", 1, 0, 0, NULL, KVS_GFP_KERNEL), -ENOSPC);
	KVS_TEST_EQ(kvs_get(t, "d", 1, NULL, 0, &p.max_key_size, NULL), -ENOENT);
	/* Updates of present keys still work; a delete makes room. */
	KVS_TEST_EQ(kvs_put(t, "a", 1, "w", 1, 0, 0, NULL, KVS_GFP_KERNEL), 0);
	KVS_TEST_EQ(kvs_delete(t, "b", 1, 0, 0, KVS_GFP_KERNEL), 0);
	KVS_TEST_EQ(kvs_put(t, "d", 1, "v", 1, 0, 0, NULL, KVS_GFP_KERNEL), 0);
	kvs_table_put(t);

	/* Memory: fill up to the byte limit; a refused put changes nothing. */
	p = store_test_params;
	p.max_bytes = 64 * 1024;
	KVS_TEST_EQ(kvs_table_create(s, "bytes", &p, &t), 0);
	for (i = 0, ret = 0; i < 1000 && !ret; i++) {
		u8 *val = store_val1k;

		memset(val, i, sizeof(store_val1k));
		snprintf(key, sizeof(key), "key%d", i);
		kvs_table_get_stats(t, &before);
		ret = kvs_put(t, key, strlen(key), val, sizeof(store_val1k), 0, 0,
			      NULL, KVS_GFP_KERNEL);
	}
	KVS_TEST_EQ(ret, -ENOSPC);
	kvs_table_get_stats(t, &after);
	KVS_TEST_LE(after.bytes, 64 * 1024);
	KVS_TEST_EQ(after.entries, before.entries);
	KVS_TEST_EQ(kvs_get(t, key, strlen(key), NULL, 0, &p.max_key_size, NULL), -ENOENT);
	kvs_table_put(t);
	store_free(s);
}

/* The store's own limit binds every table. */
KVS_TEST(store_full_store)
{
	struct kvs_store *s = store_store_new(32 * 1024);
	struct kvs_table *t = store_table_new(s, "t", 0);
	char key[16];
	int i, ret = 0;

	for (i = 0; i < 100 && !ret; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		ret = kvs_put(t, key, strlen(key), store_val1k, sizeof(store_val1k),
			      0, 0, NULL, KVS_GFP_KERNEL);
	}
	KVS_TEST_EQ(ret, -ENOSPC);
	KVS_TEST_LE(kvs_mem_used(&s->mem), 32 * 1024);
	kvs_table_put(t);
	store_free(s);
}

/*
 * Fail the 1st, 2nd, ... allocation of each operation: every failure is
 * -ENOMEM with nothing changed, and the sweep ends when the operation no
 * longer reaches the n-th allocation.
 */
KVS_TEST(store_fail_nth)
{
	struct kvs_store *s = store_store_new(0);
	struct kvs_table *t = store_table_new(s, "t", KVS_TABLE_ORDERED);
	struct kvs_table_stats st0, st1;
	unsigned int op, n;

	KVS_TEST_EQ(store_put_str(t, "old", "1", 0, 0, NULL), 0);
	for (op = 0; op < 3; op++) {
		for (n = 1; n < 50; n++) {
			int ret;

			kvs_store_gc_sync(s);
			kvs_table_get_stats(t, &st0);
			kvs_fault_fail_nth_mine(n);
			if (op == 0)
				ret = store_put_str(t, "new", "v", KVS_PUT_INSERT, 0, NULL);
			else if (op == 1)
				ret = store_put_str(t, "old", "2", KVS_PUT_REPLACE, 0, NULL);
			else
				ret = kvs_delete(t, "new", 3, 0, 0, KVS_GFP_KERNEL);
			if (!kvs_fault_armed()) {
				KVS_TEST_EQ(ret, -ENOMEM);
				kvs_store_gc_sync(s);
				kvs_table_get_stats(t, &st1);
				KVS_TEST_EQ(st1.entries, st0.entries);
				KVS_TEST_EQ(st1.bytes, st0.bytes);
				KVS_TEST_EQ(st1.records, st0.records);
				continue;
			}
			kvs_fault_fail_nth(0);
			KVS_TEST_EQ(ret, 0);
			break;
		}
		KVS_TEST_GT(n, 1);
		KVS_TEST_LT(n, 50);
	}
	KVS_TEST_ASSERT(store_value_is(t, "old", "2"));
	kvs_table_put(t);
	store_free(s);
}

KVS_TEST(store_gc_reclaims)
{
	struct kvs_store *s = store_store_new(0);
	struct kvs_table *t = store_table_new(s, "t", KVS_TABLE_ORDERED);
	struct kvs_table_stats st;
	struct kvs_snapshot snap;
	char val[12];
	int i;

	for (i = 0; i < 10; i++) {
		snprintf(val, sizeof(val), "%d", i);
		KVS_TEST_EQ(store_put_str(t, "k", val, 0, 0, NULL), 0);
	}
	kvs_store_gc_sync(s);
	kvs_table_get_stats(t, &st);
	KVS_TEST_EQ(st.retained_versions, 0);
	KVS_TEST_EQ(st.records, 1);

	/* A snapshot keeps the version it sees, and only that one. */
	kvs_snapshot_begin(s, &snap);
	for (i = 0; i < 5; i++)
		KVS_TEST_EQ(store_put_str(t, "k", "x", 0, 0, NULL), 0);
	KVS_TEST_EQ(kvs_delete(t, "k", 1, 0, 0, KVS_GFP_KERNEL), 0);
	kvs_store_gc_sync(s);
	kvs_table_get_stats(t, &st);
	KVS_TEST_EQ(st.retained_versions, 1);
	KVS_TEST_EQ(st.records, 1);
	KVS_TEST_EQ(st.entries, 0);
	kvs_snapshot_end(s, &snap);

	kvs_store_gc_sync(s);
	kvs_table_get_stats(t, &st);
	KVS_TEST_EQ(st.retained_versions, 0);
	KVS_TEST_EQ(st.records, 0);
	KVS_TEST_EQ(st.bytes, 0);
	kvs_table_put(t);
	store_free(s);
}

/*
 * __kvs_lookup_batch_rcu() finds what __kvs_lookup_rcu() finds, key by
 * key: present, absent and deleted keys, batches of 1 to 16, in a table
 * growing under it (inserts between the batches kick resizes), with and
 * without an ordered index (the prefetch hint differs).
 */
struct store_batch {
	const void *vals[KVS_LOOKUP_BATCH];
	u32 klens[KVS_LOOKUP_BATCH], vlens[KVS_LOOKUP_BATCH];
	u64 vers[KVS_LOOKUP_BATCH];
	char kb[KVS_LOOKUP_BATCH][12];
	const u8 *keys[KVS_LOOKUP_BATCH];
};

static void store_lookup_batch_in(u32 flags)
{
	enum { N = 600 };
	struct kvs_store *s = store_store_new(0);
	struct kvs_table *t = store_table_new(s, "t", flags);
	struct store_batch *b = kvs_zalloc(sizeof(*b), KVS_GFP_KERNEL);
	const void **vals, *one;
	u32 *klens, *vlens, vlen1;
	u64 *vers, ver1;
	char (*kb)[12];
	const u8 **keys;
	unsigned int i, j, k, n, round = 0, found = 0, bad = 0;

	KVS_TEST_NOT_NULL(b);
	vals = b->vals;
	klens = b->klens;
	vlens = b->vlens;
	vers = b->vers;
	kb = b->kb;
	keys = b->keys;

	for (i = 0; i < N; i++) {
		if (i % 3) {
			snprintf(kb[0], sizeof(b->kb[0]), "b%u", i);
			KVS_TEST_EQ(store_put_str(t, kb[0], kb[0], 0, 0, NULL), 0);
		}
		if (i % 5 == 0 && i >= 5) {
			snprintf(kb[0], sizeof(b->kb[0]), "b%u", i - 4);
			kvs_delete(t, kb[0], strlen(kb[0]), 0, 0, KVS_GFP_KERNEL);
		}
		if (i % 40)
			continue;
		/* A sweep over every key so far and a few beyond. */
		for (j = 0; j < i + 20; j += n, round++) {
			n = round % KVS_LOOKUP_BATCH + 1;
			for (k = 0; k < n; k++) {
				klens[k] = snprintf(kb[k], sizeof(b->kb[k]),
						    "b%u", j + k);
				keys[k] = (const u8 *)kb[k];
			}
			memset(b->vlens, 0xff, sizeof(b->vlens));
			memset(b->vers, 0xff, sizeof(b->vers));
			kvs_rcu_read_lock();
			__kvs_lookup_batch_rcu(t, keys, klens, n, vals, vlens,
					       round % 2 ? vers : NULL);
			for (k = 0; k < n; k++) {
				ver1 = 0;
				one = __kvs_lookup_rcu(t, kb[k], klens[k], &vlen1,
						       &ver1);
				found += !!one;
				if (one != vals[k] ||
				    (!one && (vlens[k] || (round % 2 && vers[k]))) ||
				    (one && (vlens[k] != vlen1 ||
					     (round % 2 && vers[k] != ver1) ||
					     vlen1 != klens[k] ||
					     memcmp(one, kb[k], vlen1))))
					bad++;
			}
			kvs_rcu_read_unlock();
		}
	}
	kvs_free(b);
	KVS_TEST_EQ(bad, 0);
	KVS_TEST_ASSERT(found > 0);
	kvs_table_put(t);
	store_free(s);
}

KVS_TEST(store_lookup_batch)
{
	store_lookup_batch_in(0);
	store_lookup_batch_in(KVS_TABLE_ORDERED);
}

struct store_cas_arg {
	struct kvs_table *t;
	int rounds;
	kvs_atomic_t conflicts;
};

static int store_cas_incrementer(void *p)
{
	struct store_cas_arg *a = p;
	int i;

	for (i = 0; i < a->rounds; i++) {
		u64 n, ver;
		u32 vlen;
		int ret;

		do {
			KVS_TEST_EQ(kvs_get(a->t, "ctr", 3, &n, sizeof(n), &vlen, &ver), 0);
			n++;
			ret = kvs_put(a->t, "ctr", 3, &n, sizeof(n), KVS_PUT_CAS,
				      ver, NULL, KVS_GFP_KERNEL);
			if (ret == -EAGAIN)
				kvs_atomic_inc(&a->conflicts);
		} while (ret == -EAGAIN);
		KVS_TEST_EQ(ret, 0);
	}
	return 0;
}

/* Compare-and-swap increments from several threads lose no update. */
KVS_TEST(store_cas_no_lost_update)
{
	struct kvs_store *s = store_store_new(0);
	struct store_cas_arg a = { .t = store_table_new(s, "t", 0), .rounds = 2000 };
	struct kvs_test_thread *th[3];
	u64 n = 0;
	u32 vlen;
	unsigned int i;

	KVS_TEST_EQ(kvs_put(a.t, "ctr", 3, &n, sizeof(n), KVS_PUT_INSERT, 0, NULL,
			    KVS_GFP_KERNEL), 0);
	for (i = 0; i < ARRAY_SIZE(th); i++)
		th[i] = kvs_test_thread_run(store_cas_incrementer, &a, 0);
	for (i = 0; i < ARRAY_SIZE(th); i++)
		KVS_TEST_EXPECT(th[i] && kvs_test_thread_join(th[i]) == 0);
	KVS_TEST_EQ(kvs_get(a.t, "ctr", 3, &n, sizeof(n), &vlen, NULL), 0);
	kvs_test_log("cas: %llu increments, %d conflicts retried", n,
		     kvs_atomic_read(&a.conflicts));
	KVS_TEST_EQ(n, (u64)a.rounds * ARRAY_SIZE(th));
	kvs_table_put(a.t);
	store_free(s);
}

#define STORE_RW_KEYS		64

struct store_rw_arg {
	struct kvs_table *t;
	kvs_atomic_t stop;
	kvs_atomic64_t reads;
	kvs_atomic64_t bad;
};

/* A value names its key and repeats a generation: torn reads show. */
struct store_rw_val {
	u32 key;
	u32 gen;
	u64 check;
};

static int store_rw_writer(void *p)
{
	struct store_rw_arg *a = p;
	u32 gen = 0;

	while (!kvs_atomic_read(&a->stop)) {
		struct store_rw_val v = { .key = kvs_random_u32() % STORE_RW_KEYS, .gen = ++gen };
		u32 churn = STORE_RW_KEYS + kvs_random_u32() % STORE_RW_KEYS;

		v.check = (u64)v.key * 1000003 + v.gen;
		KVS_TEST_EQ(kvs_put(a->t, &v.key, sizeof(v.key), &v, sizeof(v),
				    KVS_PUT_UPSERT, 0, NULL, KVS_GFP_KERNEL), 0);
		/* Keys above STORE_RW_KEYS come and go. */
		if (kvs_put(a->t, &churn, sizeof(churn), &v, sizeof(v),
			    KVS_PUT_INSERT, 0, NULL, KVS_GFP_KERNEL) == -EEXIST) {
			int ret = kvs_delete(a->t, &churn, sizeof(churn), 0, 0,
					     KVS_GFP_KERNEL);

			/* The other writer may have deleted it first. */
			KVS_TEST_ASSERT(ret == 0 || ret == -ENOENT);
		}
		kvs_cond_resched();
	}
	return 0;
}

static int store_rw_reader(void *p)
{
	struct store_rw_arg *a = p;

	while (!kvs_atomic_read(&a->stop)) {
		u32 k = kvs_random_u32() % STORE_RW_KEYS, vlen;
		struct store_rw_val v;

		/* Always-present keys: never missing, never torn. */
		if (kvs_get(a->t, &k, sizeof(k), &v, sizeof(v), &vlen, NULL) ||
		    vlen != sizeof(v) || v.key != k ||
		    v.check != (u64)v.key * 1000003 + v.gen)
			kvs_atomic64_inc(&a->bad);
		kvs_atomic64_inc(&a->reads);
		kvs_cond_resched();
	}
	return 0;
}

KVS_TEST(store_readers_during_writes)
{
	struct kvs_store *s = store_store_new(0);
	struct store_rw_arg a = { .t = store_table_new(s, "t", KVS_TABLE_ORDERED) };
	struct kvs_test_thread *th[4];
	unsigned int i;
	u32 k;

	for (k = 0; k < STORE_RW_KEYS; k++) {
		struct store_rw_val v = { .key = k, .gen = 0, .check = (u64)k * 1000003 };

		KVS_TEST_EQ(kvs_put(a.t, &k, sizeof(k), &v, sizeof(v), 0, 0, NULL,
				    KVS_GFP_KERNEL), 0);
	}
	for (i = 0; i < ARRAY_SIZE(th); i++)
		th[i] = kvs_test_thread_run(i < 2 ? store_rw_writer : store_rw_reader, &a, 0);
	kvs_test_msleep(500);
	kvs_atomic_set(&a.stop, 1);
	for (i = 0; i < ARRAY_SIZE(th); i++)
		KVS_TEST_EXPECT(th[i] && kvs_test_thread_join(th[i]) == 0);
	kvs_test_log("readers: %lld reads during writes",
		     (long long)kvs_atomic64_read(&a.reads));
	KVS_TEST_EQ(kvs_atomic64_read(&a.bad), 0);
	KVS_TEST_GT(kvs_atomic64_read(&a.reads), 0);
	kvs_table_put(a.t);
	store_free(s);
}

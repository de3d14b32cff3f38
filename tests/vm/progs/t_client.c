// SPDX-License-Identifier: GPL-2.0
/*
 * libkvclient against the real module: every command through the library,
 * its modes and its errors. After each call that must fail, the store is
 * checked to be unchanged (entries through kvc_table_info(), values
 * through kvc_get()).
 */
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "tap.h"
#include "kvclient.h"
#include "../../../include/uapi/kvstore.h"

/* Tables of this test; all start with "tc." and are dropped at the end. */
#define T_KV	"tc.kv"		/* key 16, value 32, at most 4 entries */
#define T_SCAN	"tc.scan"	/* ordered */
#define T_BIG	"tc.big"	/* ordered, one large value */
#define T_TXN	"tc.txn"
#define T_FULL	"tc.full"	/* at most 2 entries */
#define T_B1	"tc.b1"
#define T_B2	"tc.b2"
#define T_B3	"tc.b3"

/* A table name one character too long */
#define LONG65	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

static struct kvc_handle *h, *h2;

/* Did a call return @want, with errno set to match when it failed? */
static bool is(int ret, int want)
{
	int e = errno;

	return ret == want && (!want || e == -want);
}

static int64_t entries(const char *table)
{
	struct kvc_table_info ti;

	return kvc_table_info(h, table, &ti) ? -1 : (int64_t)ti.entries;
}

static uint64_t ntables(void)
{
	struct kvc_stats st;

	return kvc_stats(h, &st) ? UINT64_MAX : st.tables;
}

static uint64_t nsnapshots(void)
{
	struct kvc_stats st;

	return kvc_stats(h, &st) ? UINT64_MAX : st.snapshots;
}

/* @key of @table holds the string @want (NULL: absent), seen from @hd. */
static bool val_on(struct kvc_handle *hd, struct kvc_txn *txn,
		   const char *table, const char *key, const char *want)
{
	char buf[128];
	size_t len = sizeof(buf);
	int ret;

	ret = kvc_get(hd, txn, table, key, strlen(key), buf, &len, NULL);
	if (!want)
		return ret == -ENOENT;
	return !ret && len == strlen(want) && !memcmp(buf, want, len);
}

static bool val(const char *table, const char *key, const char *want)
{
	return val_on(h, NULL, table, key, want);
}

/* The version of @key, 0 if absent. */
static uint64_t ver(const char *table, const char *key)
{
	char buf[128];
	size_t len = sizeof(buf);
	uint64_t v = 0;

	if (kvc_get(h, NULL, table, key, strlen(key), buf, &len, &v))
		return 0;
	return v;
}

static int put(const char *table, const char *key, const char *v)
{
	return kvc_put(h, NULL, table, key, strlen(key), v, strlen(v),
		       KVC_PUT_UPSERT, 0, NULL);
}

static int create(const char *name, uint32_t klen, uint32_t vlen,
		  uint64_t max_entries, uint32_t flags)
{
	struct kvc_table_opts o = {
		.sz = sizeof(o), .max_key_size = klen, .max_value_size = vlen,
		.max_entries = max_entries, .flags = flags,
	};

	return kvc_table_create(h, name, &o);
}

/*
 * Run @fn in a child process that continues the TAP numbering; its
 * results come back through a pipe.
 */
static void in_child(void (*fn)(void))
{
	int p[2], v[2] = { 0, 0 }, status;
	pid_t pid;

	fflush(stdout);
	if (pipe(p)) {
		tap_ok(0, "pipe: %s", strerror(errno));
		return;
	}
	pid = fork();
	if (!pid) {
		close(p[0]);
		fn();
		v[0] = tap_n;
		v[1] = tap_failed;
		fflush(stdout);
		if (write(p[1], v, sizeof(v)) != sizeof(v))
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], v, sizeof(v)) != sizeof(v)) {
		tap_ok(0, "child process reported back");
	} else {
		tap_n = v[0];
		tap_failed = v[1];
	}
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
}

/* ------------------------------------------------------------------------ */

static void test_open(void)
{
	struct kvc_open_opts o = { .sz = sizeof(o), .path = "/dev/nonexistent" };
	struct {
		struct kvc_open_opts o;
		uint64_t extra;
	} big = { { sizeof(big), NULL }, 1 };
	struct kvc_handle *x = NULL;
	struct kvc_version v;
	uint64_t want = KVS_FEAT_VERSION | KVS_FEAT_TABLES | KVS_FEAT_KV |
			KVS_FEAT_SCAN | KVS_FEAT_TXN | KVS_FEAT_BATCH |
			KVS_FEAT_STATS;
	int ret;

	tap_ok(is(kvc_open(NULL, &h), 0) && is(kvc_open(NULL, &h2), 0),
	       "open: two handles with default options");
	memset(&v, 0, sizeof(v));
	ret = kvc_version(h, &v);
	tap_ok(is(ret, 0) && (v.features & want) == want,
	       "version: features %#llx include tables, kv, scan, txn, batch, stats",
	       (unsigned long long)v.features);
	tap_ok(is(kvc_open(&o, &x), -ENOENT) && !x,
	       "open: missing device node: -ENOENT");
	o.sz = 4;
	tap_ok(is(kvc_open(&o, &x), -EINVAL), "open: opts.sz too small: -EINVAL");
	tap_ok(is(kvc_open((void *)&big, &x), -E2BIG),
	       "open: newer opts with a non-zero unknown tail: -E2BIG");
	big.extra = 0;
	tap_ok(is(kvc_open((void *)&big, &x), 0) && x,
	       "open: newer opts with a zero tail: accepted");
	kvc_close(x);
	kvc_close(NULL);
	tap_ok(is(kvc_open(NULL, NULL), -EINVAL) &&
	       is(kvc_version(NULL, &v), -EINVAL) &&
	       is(kvc_version(h, NULL), -EINVAL), "open/version: NULL arguments: -EINVAL");
	tap_ok(strstr(kvc_strerror(-EBADFD), "transaction") &&
	       strstr(kvc_strerror(-ECANCELED), "batch") &&
	       !strcmp(kvc_strerror(-ENOENT), strerror(ENOENT)),
	       "strerror: kvstore meanings, else strerror()");
}

static void test_tables(void)
{
	char long65[66], long64[65], names[4][KVC_NAME_LEN];
	char seen[16][KVC_NAME_LEN];
	struct kvc_table_opts o = { .sz = sizeof(o) };
	struct {
		struct kvc_table_opts o;
		uint64_t extra;
	} big;
	struct kvc_table_info ti = { 0 };
	uint64_t n0 = ntables();
	int ret;
	uint32_t count, total, pages = 0, nseen = 0, i;
	const char *after = NULL;
	bool sorted = true, paged = true;
	char name[32];

	memset(long65, 'a', 65);
	long65[65] = 0;
	memset(long64, 'b', 64);
	long64[64] = 0;

	tap_ok(is(kvc_table_create(h, "tc.def", NULL), 0) &&
	       ntables() == n0 + 1, "table create: defaults");
	ret = kvc_table_info(h, "tc.def", &ti);
	tap_ok(is(ret, 0) &&
	       !strcmp(ti.name, "tc.def") && ti.max_key_size == 512 &&
	       ti.max_value_size == 65536 && ti.mode == 0600 && !ti.flags &&
	       !ti.durability && !ti.uid && !ti.gid && !ti.entries &&
	       !ti.max_entries && !ti.max_bytes,
	       "table info: defaults are the module's limits, mode 0600, owner root (%u %u %o)",
	       ti.max_key_size, ti.max_value_size, ti.mode);
	tap_ok(is(kvc_table_create(h, "tc.def", NULL), -EEXIST) &&
	       ntables() == n0 + 1, "table create: existing name: -EEXIST, nothing created");

	/* Names */
	tap_ok(is(kvc_table_create(h, "", NULL), -EINVAL) &&
	       is(kvc_table_create(h, NULL, NULL), -EINVAL),
	       "table create: empty or NULL name: -EINVAL");
	tap_ok(is(kvc_table_create(h, long65, NULL), -ENAMETOOLONG),
	       "table create: 65-character name: -ENAMETOOLONG");
	tap_ok(is(kvc_table_create(h, ".hidden", NULL), -EINVAL) &&
	       is(kvc_table_create(h, "a/b", NULL), -EINVAL) &&
	       is(kvc_table_create(h, "sp ace", NULL), -EINVAL),
	       "table create: leading dot, slash, space: -EINVAL");
	tap_ok(ntables() == n0 + 1, "table create: bad names created nothing");
	tap_ok(is(kvc_table_create(h, long64, NULL), 0) &&
	       is(kvc_table_info(h, long64, &ti), 0) && !strcmp(ti.name, long64) &&
	       is(kvc_table_drop(h, long64), 0), "table: 64-character name works");

	/* Parameters */
	o.max_key_size = 513;
	tap_ok(is(kvc_table_create(h, "tc.bad", &o), -EINVAL),
	       "table create: key size over the module's: -EINVAL");
	o.max_key_size = 0;
	o.max_value_size = 65537;
	tap_ok(is(kvc_table_create(h, "tc.bad", &o), -EINVAL),
	       "table create: value size over the module's: -EINVAL");
	o.max_value_size = 0;
	o.flags = 0x2;
	tap_ok(is(kvc_table_create(h, "tc.bad", &o), -EINVAL),
	       "table create: unknown flag: -EINVAL");
	o.flags = 0;
	o.durability = 3;
	tap_ok(is(kvc_table_create(h, "tc.bad", &o), -EINVAL),
	       "table create: unknown durability: -EINVAL");
	o.durability = 0;
	o.mode = 01000;
	tap_ok(is(kvc_table_create(h, "tc.bad", &o), -EINVAL),
	       "table create: mode beyond 0777: -EINVAL");
	o.mode = 0;
	o.sz = 4;
	tap_ok(is(kvc_table_create(h, "tc.bad", &o), -EINVAL),
	       "table create: opts.sz too small: -EINVAL");
	memset(&big, 0, sizeof(big));
	big.o.sz = sizeof(big);
	big.extra = 7;
	tap_ok(is(kvc_table_create(h, "tc.bad", (void *)&big), -E2BIG),
	       "table create: newer opts with a non-zero tail: -E2BIG");
	tap_ok(is(kvc_table_info(h, "tc.bad", &ti), -ENOENT) &&
	       ntables() == n0 + 1, "table create: bad parameters created nothing");

	/* An older, shorter struct: the fields it lacks take defaults. */
	o.sz = offsetof(struct kvc_table_opts, mode);
	o.max_key_size = 8;
	o.flags = KVC_TABLE_ORDERED;
	o.durability = KVC_DURABILITY_ASYNC;
	o.mode = 0777;		/* beyond sz: not read */
	o.set_owner = 1;
	o.uid = 1000;
	tap_ok(is(kvc_table_create(h, "tc.old", &o), 0) &&
	       is(kvc_table_info(h, "tc.old", &ti), 0) && ti.max_key_size == 8 &&
	       ti.flags == KVC_TABLE_ORDERED && ti.durability == 1 &&
	       ti.mode == 0600 && ti.uid == 0,
	       "table create: older opts struct: fields past sz take defaults");
	big.extra = 0;
	big.o.mode = 0640;
	big.o.set_owner = 1;
	big.o.uid = 1000;
	big.o.gid = 1001;
	big.o.max_entries = 10;
	big.o.max_bytes = 1 << 20;
	tap_ok(is(kvc_table_create(h, "tc.own", (void *)&big), 0) &&
	       is(kvc_table_info(h, "tc.own", &ti), 0) && ti.uid == 1000 &&
	       ti.gid == 1001 && ti.mode == 0640 && ti.max_entries == 10 &&
	       ti.max_bytes == 1 << 20,
	       "table create: owner, mode and limits (newer opts, zero tail)");

	/* Listing, a page of 3 at a time */
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "tc.l%02u", i);
		kvc_table_create(h, name, NULL);
	}
	for (;;) {
		if (kvc_table_list(h, after, names, 3, &count, &total) ||
		    count > 3 || total != ntables()) {
			paged = false;
			break;
		}
		pages++;
		for (i = 0; i < count; i++) {
			if (nseen && strcmp(names[i], seen[nseen - 1]) <= 0 &&
			    strncmp(names[i], "tc.l", 4) == 0)
				sorted = false;
			if (!strncmp(names[i], "tc.l", 4) && nseen < 16)
				memcpy(seen[nseen++], names[i], KVC_NAME_LEN);
		}
		if (count < 3)
			break;
		after = names[count - 1];
		if (pages > 1000)
			break;
	}
	tap_ok(paged && sorted && nseen == 10 && !strcmp(seen[0], "tc.l00") &&
	       !strcmp(seen[9], "tc.l09") && pages >= 4,
	       "table list: 3 per page, %u pages, the 10 tables in order", pages);
	tap_ok(is(kvc_table_list(h, "tc.l04", names, 1, &count, NULL), 0) &&
	       count == 1 && !strcmp(names[0], "tc.l05"),
	       "table list: after a name starts past it");
	tap_ok(is(kvc_table_list(h, "tc.l045", names, 1, &count, NULL), 0) &&
	       count == 1 && !strcmp(names[0], "tc.l05"),
	       "table list: after a name that does not exist");
	tap_ok(is(kvc_table_list(h, "~", names, 4, &count, &total), 0) &&
	       count == 0 && total == ntables(),
	       "table list: after the last name: empty page, total still told");
	tap_ok(is(kvc_table_list(h, NULL, names, 0, &count, NULL), -EINVAL) &&
	       is(kvc_table_list(h, NULL, NULL, 4, &count, NULL), -EINVAL) &&
	       is(kvc_table_list(h, NULL, names, 4, NULL, NULL), -EINVAL) &&
	       is(kvc_table_list(NULL, NULL, names, 4, &count, NULL), -EINVAL),
	       "table list: zero max, NULL names, count or handle: -EINVAL");
	tap_ok(is(kvc_table_list(h, long65, names, 4, &count, NULL), -ENAMETOOLONG),
	       "table list: after too long: -ENAMETOOLONG");
	{
		char (*many)[KVC_NAME_LEN] = calloc(5000, KVC_NAME_LEN);

		tap_ok(many && is(kvc_table_list(h, NULL, many, 5000, &count, &total), 0) &&
		       count == total, "table list: room for 5000 names is fine");
		free(many);
	}

	/* Drop */
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "tc.l%02u", i);
		if (kvc_table_drop(h, name))
			break;
	}
	tap_ok(i == 10 && ntables() == n0 + 3, "table drop: ten tables dropped");
	tap_ok(is(kvc_table_drop(h, "tc.l00"), -ENOENT) &&
	       is(kvc_table_info(h, "tc.l00", &ti), -ENOENT),
	       "table drop: a dropped table: -ENOENT, info -ENOENT");
	tap_ok(is(kvc_table_drop(h, ""), -EINVAL) &&
	       is(kvc_table_drop(h, long65), -ENAMETOOLONG) &&
	       is(kvc_table_info(h, long65, &ti), -ENAMETOOLONG) &&
	       is(kvc_table_info(h, "tc.def", NULL), -EINVAL),
	       "table drop/info: bad names and arguments");
	tap_ok(is(kvc_table_drop(h, "tc.def"), 0) && is(kvc_table_drop(h, "tc.old"), 0) &&
	       is(kvc_table_drop(h, "tc.own"), 0) && ntables() == n0,
	       "table drop: back to the tables we started with");
}

static void test_kv(void)
{
	char k17[17], v33[33], buf[64];
	uint64_t v1 = 0, v2 = 0, v3 = 0, v;
	size_t len;

	memset(k17, 'k', sizeof(k17));
	memset(v33, 'v', sizeof(v33));
	tap_ok(is(create(T_KV, 16, 32, 4, 0), 0),
	       "kv: create a table (key 16, value 32, 4 entries)");

	/* Upsert, get */
	tap_ok(is(kvc_put(h, NULL, T_KV, "k1", 2, "v1", 2, KVC_PUT_UPSERT, 0, &v1), 0) &&
	       v1 > 0, "put upsert: new key, a version");
	len = sizeof(buf);
	tap_ok(is(kvc_get(h, NULL, T_KV, "k1", 2, buf, &len, &v), 0) && len == 2 &&
	       !memcmp(buf, "v1", 2) && v == v1, "get: value, length and version");
	tap_ok(is(kvc_put(h, NULL, T_KV, "k1", 2, "v1b", 3, KVC_PUT_UPSERT, 0, &v2), 0) &&
	       v2 > v1 && val(T_KV, "k1", "v1b") && entries(T_KV) == 1,
	       "put upsert: existing key, newer version");

	/* Insert */
	tap_ok(is(kvc_put(h, NULL, T_KV, "k1", 2, "xx", 2, KVC_PUT_INSERT, 0, NULL), -EEXIST) &&
	       val(T_KV, "k1", "v1b") && ver(T_KV, "k1") == v2 && entries(T_KV) == 1,
	       "put insert: existing key: -EEXIST, unchanged");
	tap_ok(is(kvc_put(h, NULL, T_KV, "k2", 2, "v2", 2, KVC_PUT_INSERT, 0, NULL), 0) &&
	       val(T_KV, "k2", "v2") && entries(T_KV) == 2, "put insert: new key");

	/* Replace */
	tap_ok(is(kvc_put(h, NULL, T_KV, "k3", 2, "v3", 2, KVC_PUT_REPLACE, 0, NULL), -ENOENT) &&
	       val(T_KV, "k3", NULL) && entries(T_KV) == 2,
	       "put replace: absent key: -ENOENT, nothing created");
	v = ver(T_KV, "k2");
	tap_ok(is(kvc_put(h, NULL, T_KV, "k2", 2, "v2b", 3, KVC_PUT_REPLACE, 0, NULL), 0) &&
	       val(T_KV, "k2", "v2b") && ver(T_KV, "k2") > v, "put replace: existing key");

	/* Compare and swap */
	tap_ok(is(kvc_put(h, NULL, T_KV, "k1", 2, "no", 2, KVC_PUT_CAS, v1, NULL), -EAGAIN) &&
	       val(T_KV, "k1", "v1b") && ver(T_KV, "k1") == v2,
	       "put cas: stale version: -EAGAIN, unchanged");
	tap_ok(is(kvc_put(h, NULL, T_KV, "k1", 2, "v1c", 3, KVC_PUT_CAS, v2, &v3), 0) &&
	       v3 > v2 && val(T_KV, "k1", "v1c") && ver(T_KV, "k1") == v3,
	       "put cas: current version: written");
	tap_ok(is(kvc_put(h, NULL, T_KV, "k3", 2, "v3", 2, KVC_PUT_CAS, 0, NULL), 0) &&
	       val(T_KV, "k3", "v3") && entries(T_KV) == 3, "put cas 0: absent key: created");
	tap_ok(is(kvc_put(h, NULL, T_KV, "k3", 2, "no", 2, KVC_PUT_CAS, 0, NULL), -EEXIST) &&
	       val(T_KV, "k3", "v3"), "put cas 0: present key: -EEXIST, unchanged");
	tap_ok(is(kvc_put(h, NULL, T_KV, "k4", 2, "no", 2, KVC_PUT_CAS, 12345, NULL), -ENOENT) &&
	       val(T_KV, "k4", NULL) && entries(T_KV) == 3,
	       "put cas: absent key with a version: -ENOENT, nothing created");

	/* Delete */
	tap_ok(is(kvc_del(h, NULL, T_KV, "k4", 2, KVC_DEL_ANY, 0), -ENOENT) &&
	       entries(T_KV) == 3, "del: absent key: -ENOENT");
	v = ver(T_KV, "k3");
	tap_ok(is(kvc_del(h, NULL, T_KV, "k3", 2, KVC_DEL_CAS, v - 1), -EAGAIN) &&
	       val(T_KV, "k3", "v3") && entries(T_KV) == 3,
	       "del cas: stale version: -EAGAIN, still there");
	tap_ok(is(kvc_del(h, NULL, T_KV, "k3", 2, KVC_DEL_CAS, v), 0) &&
	       val(T_KV, "k3", NULL) && entries(T_KV) == 2, "del cas: current version: deleted");
	tap_ok(is(kvc_del(h, NULL, T_KV, "k2", 2, KVC_DEL_ANY, 0), 0) &&
	       val(T_KV, "k2", NULL) && entries(T_KV) == 1, "del: present key: deleted");
	tap_ok(is(kvc_del(h, NULL, T_KV, "k2", 2, KVC_DEL_ANY, 0), -ENOENT),
	       "del: deleted key again: -ENOENT");

	/* Buffers too small */
	tap_ok(is(put(T_KV, "k2", "0123456789abcdefghij"), 0), "put: a 20-byte value");
	memset(buf, 0xaa, sizeof(buf));
	len = 5;
	tap_ok(is(kvc_get(h, NULL, T_KV, "k2", 2, buf, &len, NULL), -ENOBUFS) &&
	       len == 20 && (unsigned char)buf[0] == 0xaa,
	       "get: 5-byte buffer: -ENOBUFS, length 20 reported, nothing copied");
	len = 0;
	tap_ok(is(kvc_get(h, NULL, T_KV, "k2", 2, NULL, &len, NULL), -ENOBUFS) && len == 20,
	       "get: NULL buffer of room 0 asks for the length");
	len = 20;
	tap_ok(is(kvc_get(h, NULL, T_KV, "k2", 2, buf, &len, NULL), 0) && len == 20 &&
	       !memcmp(buf, "0123456789abcdefghij", 20), "get: exactly the room needed");
	len = 7;
	tap_ok(is(kvc_get(h, NULL, T_KV, "nope", 4, buf, &len, NULL), -ENOENT) && len == 7,
	       "get: absent key: -ENOENT, length left alone");

	/* Empty values, binary keys */
	tap_ok(is(kvc_put(h, NULL, T_KV, "e", 1, NULL, 0, KVC_PUT_UPSERT, 0, NULL), 0),
	       "put: empty value");
	len = sizeof(buf);
	tap_ok(is(kvc_get(h, NULL, T_KV, "e", 1, buf, &len, &v), 0) && len == 0 && v,
	       "get: empty value, length 0");
	tap_ok(is(kvc_put(h, NULL, T_KV, "a\0b", 3, "x", 1, KVC_PUT_INSERT, 0, NULL), 0) &&
	       is(kvc_get(h, NULL, T_KV, "a\0c", 3, buf, &len, NULL), -ENOENT),
	       "binary keys: NUL bytes are part of the key");
	tap_ok(entries(T_KV) == 4, "kv: 4 entries now (the table's limit)");

	/* Limits of the table */
	tap_ok(is(kvc_put(h, NULL, T_KV, k17, 17, "x", 1, KVC_PUT_UPSERT, 0, NULL), -E2BIG) &&
	       is(kvc_get(h, NULL, T_KV, k17, 17, buf, &len, NULL), -E2BIG) &&
	       is(kvc_del(h, NULL, T_KV, k17, 17, KVC_DEL_ANY, 0), -E2BIG),
	       "key over the table's 16 bytes: -E2BIG for put, get, del");
	tap_ok(is(kvc_put(h, NULL, T_KV, "k1", 2, v33, 33, KVC_PUT_UPSERT, 0, NULL), -E2BIG) &&
	       val(T_KV, "k1", "v1c"), "value over the table's 32 bytes: -E2BIG, unchanged");
	tap_ok(is(kvc_put(h, NULL, T_KV, k17, 16, v33, 32, KVC_PUT_REPLACE, 0, NULL), -ENOENT),
	       "key of 16 and value of 32 bytes pass the size checks");
	tap_ok(is(kvc_put(h, NULL, T_KV, "k5", 2, "v5", 2, KVC_PUT_UPSERT, 0, NULL), -ENOSPC) &&
	       is(kvc_put(h, NULL, T_KV, "k5", 2, "v5", 2, KVC_PUT_CAS, 0, NULL), -ENOSPC) &&
	       val(T_KV, "k5", NULL) && entries(T_KV) == 4,
	       "full table: a new key: -ENOSPC, nothing created");
	tap_ok(is(kvc_put(h, NULL, T_KV, "k1", 2, "v1d", 3, KVC_PUT_UPSERT, 0, NULL), 0) &&
	       is(kvc_put(h, NULL, T_KV, "k2", 2, "v2", 2, KVC_PUT_REPLACE, 0, NULL), 0) &&
	       entries(T_KV) == 4, "full table: existing keys can still be written");
	tap_ok(is(kvc_del(h, NULL, T_KV, "e", 1, KVC_DEL_ANY, 0), 0) &&
	       is(kvc_put(h, NULL, T_KV, "k5", 2, "v5", 2, KVC_PUT_INSERT, 0, NULL), 0) &&
	       entries(T_KV) == 4, "full table: a delete makes room for one insert");

	/* Bad arguments: nothing sent, nothing changed */
	len = sizeof(buf);
	tap_ok(is(kvc_put(h, NULL, T_KV, "k1", 0, "x", 1, 0, 0, NULL), -EINVAL) &&
	       is(kvc_put(h, NULL, T_KV, NULL, 2, "x", 1, 0, 0, NULL), -EINVAL) &&
	       is(kvc_get(h, NULL, T_KV, "k1", 0, buf, &len, NULL), -EINVAL) &&
	       is(kvc_del(h, NULL, T_KV, NULL, 2, 0, 0), -EINVAL),
	       "empty or NULL key: -EINVAL");
	tap_ok(is(kvc_put(h, NULL, T_KV, "k1", 2, NULL, 5, 0, 0, NULL), -EINVAL) &&
	       is(kvc_get(h, NULL, T_KV, "k1", 2, NULL, &len, NULL), -EINVAL) &&
	       is(kvc_get(h, NULL, T_KV, "k1", 2, buf, NULL, NULL), -EINVAL),
	       "NULL value or buffer with a length, NULL length: -EINVAL");
	tap_ok(is(kvc_put(h, NULL, T_KV, "k1", 2, "x", 1, 4, 0, NULL), -EINVAL) &&
	       is(kvc_del(h, NULL, T_KV, "k1", 2, 2, 0), -EINVAL),
	       "unknown put and del modes: -EINVAL");
	len = (size_t)UINT32_MAX + 1;
	tap_ok(is(kvc_put(h, NULL, T_KV, "k1", len, "x", 1, 0, 0, NULL), -E2BIG) &&
	       is(kvc_put(h, NULL, T_KV, "k1", 2, "x", len, 0, 0, NULL), -E2BIG),
	       "lengths past UINT32_MAX: -E2BIG");
	tap_ok(is(kvc_put(NULL, NULL, T_KV, "k1", 2, "x", 1, 0, 0, NULL), -EINVAL) &&
	       is(kvc_get(NULL, NULL, T_KV, "k1", 2, buf, &len, NULL), -EINVAL) &&
	       is(kvc_del(NULL, NULL, T_KV, "k1", 2, 0, 0), -EINVAL),
	       "NULL handle: -EINVAL");
	tap_ok(is(kvc_put(h, NULL, "tc.nope", "k1", 2, "x", 1, 0, 0, NULL), -ENOENT) &&
	       is(kvc_get(h, NULL, "tc.nope", "k1", 2, buf, &len, NULL), -ENOENT) &&
	       is(kvc_del(h, NULL, "tc.nope", "k1", 2, 0, 0), -ENOENT),
	       "missing table: -ENOENT");
	tap_ok(is(kvc_put(h, NULL, "", "k1", 2, "x", 1, 0, 0, NULL), -EINVAL) &&
	       is(kvc_put(h, NULL, NULL, "k1", 2, "x", 1, 0, 0, NULL), -EINVAL) &&
	       is(kvc_get(h, NULL, LONG65,
			  "k1", 2, buf, &len, NULL), -ENAMETOOLONG),
	       "bad table names: -EINVAL, -ENAMETOOLONG");
	tap_ok(entries(T_KV) == 4 && val(T_KV, "k1", "v1d") && val(T_KV, "k2", "v2") &&
	       val(T_KV, "k5", "v5") && val(T_KV, "e", NULL),
	       "kv: after all the failed calls the table is as the good ones left it");
}

/* ------------------------------------------------------------------------ */
/* Scans                                                                    */
/* ------------------------------------------------------------------------ */

#define NSCAN	104
static char skeys[NSCAN][8];	/* the keys of T_SCAN, in order */
static size_t svlen[NSCAN];

static void scan_value(int i, char *buf, size_t *len)
{
	size_t n = (size_t)(i * 7) % 24, j;

	for (j = 0; j < n; j++)
		buf[j] = (char)('a' + (i + j) % 26);
	*len = n;
}

/* The key index of @key in skeys, -1 if none. */
static int skey_index(const void *key, size_t klen)
{
	int i;

	for (i = 0; i < NSCAN; i++)
		if (strlen(skeys[i]) == klen && !memcmp(skeys[i], key, klen))
			return i;
	return -1;
}

/*
 * Scan @opts of T_SCAN; check every entry's value and version, collect
 * key indexes. Return: the count, or -errno.
 */
static int scan_idx(struct kvc_handle *hd, struct kvc_txn *txn,
		    const struct kvc_scan_opts *opts, int *idx, int max)
{
	const void *k, *v;
	size_t kl, vl, wl;
	struct kvc_scan *s;
	char want[32];
	uint64_t version;
	int n = 0, ret, i;

	ret = kvc_scan_open(hd, txn, T_SCAN, opts, &s);
	if (ret)
		return ret;
	while ((ret = kvc_scan_next(s, &k, &kl, &v, &vl, &version)) == 1) {
		i = skey_index(k, kl);
		if (i < 0 || n >= max) {
			ret = -EPROTO;
			break;
		}
		scan_value(i, want, &wl);
		if (vl != wl || memcmp(v, want, wl) || (!txn && !version)) {
			ret = -EILSEQ;
			break;
		}
		idx[n++] = i;
	}
	kvc_scan_close(s);
	return ret < 0 ? ret : n;
}

/* Are @idx the keys @first, @first+step, ... (@n of them)? */
static bool run_of(const int *idx, int got, int first, int step, int n)
{
	int i;

	if (got != n)
		return false;
	for (i = 0; i < n; i++)
		if (idx[i] != first + i * step)
			return false;
	return true;
}

static void test_scan(void)
{
	struct kvc_scan_opts o;
	char vbuf[32], big[5000];
	int idx[NSCAN + 8], n, i, sizes[] = { 0, 64, 100, 1 };
	const void *k, *v;
	size_t kl, vl;
	struct kvc_scan *s = NULL;
	struct kvc_txn *txn;
	uint64_t version;
	bool ok;

	tap_ok(is(create(T_SCAN, 64, 0, 0, KVC_TABLE_ORDERED), 0),
	       "scan: create an ordered table");
	for (i = 0; i < 100; i++)
		snprintf(skeys[i], sizeof(skeys[i]), "k%03d", i);
	strcpy(skeys[100], "p/a");
	strcpy(skeys[101], "p/b");
	strcpy(skeys[102], "p/c");
	strcpy(skeys[103], "q");
	/* Insert in a scrambled order: the index sorts. */
	for (ok = true, i = 0; i < NSCAN; i++) {
		int j = (i * 37) % NSCAN;

		scan_value(j, vbuf, &svlen[j]);
		ok &= !kvc_put(h, NULL, T_SCAN, skeys[j], strlen(skeys[j]), vbuf,
			       svlen[j], KVC_PUT_INSERT, 0, NULL);
	}
	tap_ok(ok && entries(T_SCAN) == NSCAN, "scan: %d keys written", NSCAN);

	for (i = 0; i < 4; i++) {
		memset(&o, 0, sizeof(o));
		o.sz = sizeof(o);
		o.page_size = sizes[i];
		n = scan_idx(h, NULL, &o, idx, NSCAN + 8);
		tap_ok(run_of(idx, n, 0, 1, NSCAN),
		       "scan forward, page size %d: all keys in order, values and versions (%d)",
		       sizes[i], n);
		o.flags = KVC_SCAN_REVERSE;
		n = scan_idx(h, NULL, &o, idx, NSCAN + 8);
		tap_ok(run_of(idx, n, NSCAN - 1, -1, NSCAN),
		       "scan reverse, page size %d: all keys in reverse order (%d)",
		       sizes[i], n);
	}
	n = scan_idx(h, NULL, NULL, idx, NSCAN + 8);
	tap_ok(run_of(idx, n, 0, 1, NSCAN), "scan with NULL options: everything forward");

	/* Prefix */
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.prefix = "k05";
	o.prefix_len = 3;
	n = scan_idx(h, NULL, &o, idx, NSCAN);
	tap_ok(run_of(idx, n, 50, 1, 10), "scan prefix k05: k050..k059 (%d)", n);
	o.flags = KVC_SCAN_REVERSE;
	o.page_size = 64;
	n = scan_idx(h, NULL, &o, idx, NSCAN);
	tap_ok(run_of(idx, n, 59, -1, 10), "scan prefix k05 reverse, small pages (%d)", n);
	o.prefix = "p/";
	o.prefix_len = 2;
	o.flags = 0;
	n = scan_idx(h, NULL, &o, idx, NSCAN);
	tap_ok(run_of(idx, n, 100, 1, 3), "scan prefix p/: 3 keys (%d)", n);
	o.prefix = "zz";
	n = scan_idx(h, NULL, &o, idx, NSCAN);
	tap_ok(n == 0, "scan prefix matching nothing: empty (%d)", n);

	/* Bounds */
	{
		static const struct {
			unsigned int flags;
			int first, step, n;
			const char *what;
		} b[] = {
			{ 0, 10, 1, 10, "[k010, k020)" },
			{ KVC_SCAN_LO_EXCL, 11, 1, 9, "(k010, k020)" },
			{ KVC_SCAN_HI_INCL, 10, 1, 11, "[k010, k020]" },
			{ KVC_SCAN_LO_EXCL | KVC_SCAN_HI_INCL, 11, 1, 10, "(k010, k020]" },
			{ KVC_SCAN_REVERSE, 19, -1, 10, "[k010, k020) reverse" },
			{ KVC_SCAN_REVERSE | KVC_SCAN_LO_EXCL, 19, -1, 9, "(k010, k020) reverse" },
			{ KVC_SCAN_REVERSE | KVC_SCAN_HI_INCL, 20, -1, 11, "[k010, k020] reverse" },
			{ KVC_SCAN_REVERSE | KVC_SCAN_LO_EXCL | KVC_SCAN_HI_INCL, 20, -1, 10,
			  "(k010, k020] reverse" },
		};
		unsigned int j;

		for (j = 0; j < ARRAY_SIZE(b); j++) {
			memset(&o, 0, sizeof(o));
			o.sz = sizeof(o);
			o.lo = "k010";
			o.lo_len = 4;
			o.hi = "k020";
			o.hi_len = 4;
			o.flags = b[j].flags;
			o.page_size = j & 1 ? 64 : 0;
			n = scan_idx(h, NULL, &o, idx, NSCAN);
			tap_ok(run_of(idx, n, b[j].first, b[j].step, b[j].n),
			       "scan %s, page %zu: %d keys (%d)", b[j].what, o.page_size,
			       b[j].n, n);
		}
	}
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.lo = "k095";
	o.lo_len = 4;
	n = scan_idx(h, NULL, &o, idx, NSCAN);
	tap_ok(run_of(idx, n, 95, 1, 9), "scan lo only: k095 to the end (%d)", n);
	o.lo = NULL;
	o.lo_len = 0;
	o.hi = "k003";
	o.hi_len = 4;
	o.flags = KVC_SCAN_REVERSE;
	n = scan_idx(h, NULL, &o, idx, NSCAN);
	tap_ok(run_of(idx, n, 2, -1, 3), "scan hi only, reverse: k002..k000 (%d)", n);
	o.lo = "k050";
	o.lo_len = 4;
	o.hi = "k040";
	o.hi_len = 4;
	o.flags = 0;
	n = scan_idx(h, NULL, &o, idx, NSCAN);
	tap_ok(n == 0, "scan lo above hi: empty (%d)", n);
	o.lo = "k0";
	o.lo_len = 2;
	o.hi = "k1";
	o.hi_len = 2;
	o.prefix = "k07";
	o.prefix_len = 3;
	o.flags = KVC_SCAN_REVERSE;
	o.page_size = 64;
	o.limit = 4;
	n = scan_idx(h, NULL, &o, idx, NSCAN);
	tap_ok(run_of(idx, n, 79, -1, 4), "scan prefix with bounds, reverse, limit 4 (%d)", n);

	/* Limits */
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.limit = 7;
	n = scan_idx(h, NULL, &o, idx, NSCAN);
	tap_ok(run_of(idx, n, 0, 1, 7), "scan limit 7 (%d)", n);
	o.flags = KVC_SCAN_REVERSE;
	o.page_size = 64;
	n = scan_idx(h, NULL, &o, idx, NSCAN);
	tap_ok(run_of(idx, n, NSCAN - 1, -1, 7), "scan limit 7 reverse, small pages (%d)", n);
	o.limit = 1000;
	o.flags = 0;
	n = scan_idx(h, NULL, &o, idx, NSCAN + 8);
	tap_ok(run_of(idx, n, 0, 1, NSCAN), "scan limit past the end (%d)", n);
	/* An older struct without limit and page_size: defaults. */
	o.sz = offsetof(struct kvc_scan_opts, limit);
	n = scan_idx(h, NULL, &o, idx, NSCAN + 8);
	tap_ok(run_of(idx, n, 0, 1, NSCAN), "scan: older opts struct, limit not read (%d)", n);

	/*
	 * Outside a transaction each page is a snapshot of its own: a key
	 * added past the cursor between pages is seen with small pages, not
	 * when everything came in the first page.
	 */
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.page_size = 64;
	o.prefix = "k09";
	o.prefix_len = 3;
	ok = !kvc_scan_open(h, NULL, T_SCAN, &o, &s) &&
	     kvc_scan_next(s, &k, &kl, &v, &vl, NULL) == 1 &&
	     !kvc_put(h2, NULL, T_SCAN, "k0995", 5, "", 0, KVC_PUT_INSERT, 0, NULL);
	for (n = ok; ok && kvc_scan_next(s, &k, &kl, &v, &vl, NULL) == 1; n++)
		;
	kvc_scan_close(s);
	tap_ok(ok && n == 11, "scan, small pages: a key added mid-scan is seen (%d)", n);
	kvc_del(h, NULL, T_SCAN, "k0995", 5, KVC_DEL_ANY, 0);
	o.page_size = 0;
	ok = !kvc_scan_open(h, NULL, T_SCAN, &o, &s) &&
	     kvc_scan_next(s, &k, &kl, &v, &vl, NULL) == 1 &&
	     !kvc_put(h2, NULL, T_SCAN, "k0995", 5, "", 0, KVC_PUT_INSERT, 0, NULL);
	for (n = ok; ok && kvc_scan_next(s, &k, &kl, &v, &vl, NULL) == 1; n++)
		;
	kvc_scan_close(s);
	tap_ok(ok && n == 10, "scan, one page: one snapshot, the added key is not seen (%d)", n);
	kvc_del(h, NULL, T_SCAN, "k0995", 5, KVC_DEL_ANY, 0);

	/*
	 * Inside a transaction every page reads its snapshot, merged with
	 * its own writes (version 0); its deletes hide keys. Another
	 * handle's insert into the scanned range makes its commit fail.
	 */
	o.page_size = 64;
	o.prefix = "k00";
	ok = !kvc_txn_begin(h, 0, &txn) &&
	     !kvc_put(h, txn, T_SCAN, "k0005", 5, "own", 3, KVC_PUT_INSERT, 0, NULL) &&
	     !kvc_del(h, txn, T_SCAN, "k001", 4, KVC_DEL_ANY, 0) &&
	     !kvc_scan_open(h, txn, T_SCAN, &o, &s);
	{
		static const char *const want[] = { "k000", "k0005", "k002", "k003", "k004",
				       "k005", "k006", "k007", "k008", "k009" };
		uint64_t vers[10];
		int m = 0;

		while (ok && kvc_scan_next(s, &k, &kl, &v, &vl, &version) == 1) {
			if (m == 1)
				ok &= !kvc_put(h2, NULL, T_SCAN, "k0077", 5, "", 0,
					       KVC_PUT_INSERT, 0, NULL) &&
				      !kvc_put(h2, NULL, T_SCAN, "k0088", 5, "", 0,
					       KVC_PUT_INSERT, 0, NULL);
			if (m >= 10 || kl != strlen(want[m]) || memcmp(k, want[m], kl))
				ok = false;
			else
				vers[m++] = version;
		}
		tap_ok(ok && m == 10 && vers[1] == 0 && vers[0] && vers[2] &&
		       vl == svlen[9],
		       "scan in a transaction: its snapshot, its own write (version 0), not its delete");
	}
	kvc_scan_close(s);
	tap_ok(is(kvc_txn_commit(txn, NULL), -EAGAIN) && val(T_SCAN, "k0005", NULL) &&
	       ver(T_SCAN, "k001") != 0,
	       "scan in a transaction: an insert into its range fails the commit, nothing applied");
	kvc_del(h, NULL, T_SCAN, "k0077", 5, KVC_DEL_ANY, 0);
	kvc_del(h, NULL, T_SCAN, "k0088", 5, KVC_DEL_ANY, 0);

	/* An entry larger than the page: the page grows. */
	memset(big, 'B', sizeof(big));
	ok = !create(T_BIG, 16, 0, 0, KVC_TABLE_ORDERED) &&
	     !kvc_put(h, NULL, T_BIG, "a", 1, "1", 1, 0, 0, NULL) &&
	     !kvc_put(h, NULL, T_BIG, "b", 1, big, sizeof(big), 0, 0, NULL) &&
	     !kvc_put(h, NULL, T_BIG, "c", 1, "3", 1, 0, 0, NULL);
	for (i = 0; i < 2; i++) {
		const char *order = i ? "cba" : "abc";
		int m = 0;

		memset(&o, 0, sizeof(o));
		o.sz = sizeof(o);
		o.page_size = 64;
		o.flags = i ? KVC_SCAN_REVERSE : 0;
		ok &= !kvc_scan_open(h, NULL, T_BIG, &o, &s);
		while (ok && kvc_scan_next(s, &k, &kl, &v, &vl, NULL) == 1) {
			if (m > 2 || kl != 1 || *(char *)k != order[m] ||
			    vl != (order[m] == 'b' ? sizeof(big) : 1) ||
			    (vl == sizeof(big) && memcmp(v, big, vl)))
				ok = false;
			m++;
		}
		kvc_scan_close(s);
		tap_ok(ok && m == 3,
		       "scan %s, 64-byte pages: a 5000-byte entry grows the page",
		       i ? "reverse" : "forward");
	}

	/* Errors */
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	s = NULL;
	tap_ok(is(kvc_scan_open(h, NULL, T_KV, &o, &s), -EOPNOTSUPP) && !s,
	       "scan of an unordered table: -EOPNOTSUPP");
	tap_ok(is(kvc_scan_open(h, NULL, "tc.nope", &o, &s), -ENOENT),
	       "scan of a missing table: -ENOENT");
	o.lo = big;
	o.lo_len = 65;
	tap_ok(is(kvc_scan_open(h, NULL, T_SCAN, &o, &s), -E2BIG),
	       "scan: bound longer than the table's keys: -E2BIG");
	o.lo = NULL;
	o.lo_len = 3;
	tap_ok(is(kvc_scan_open(h, NULL, T_SCAN, &o, &s), -EINVAL),
	       "scan: NULL bound with a length: -EINVAL");
	o.lo_len = 0;
	o.flags = 0x8;
	tap_ok(is(kvc_scan_open(h, NULL, T_SCAN, &o, &s), -EINVAL),
	       "scan: unknown flag: -EINVAL");
	o.flags = 0;
	o.page_size = (16u << 20) + 1;
	tap_ok(is(kvc_scan_open(h, NULL, T_SCAN, &o, &s), -EINVAL),
	       "scan: page over 16 MiB: -EINVAL");
	o.page_size = 0;
	tap_ok(is(kvc_scan_open(h, NULL, T_SCAN, &o, NULL), -EINVAL) &&
	       is(kvc_scan_open(NULL, NULL, T_SCAN, &o, &s), -EINVAL) &&
	       is(kvc_scan_open(h, NULL, "", &o, &s), -EINVAL),
	       "scan: NULL iterator, handle, empty name: -EINVAL");
	ok = !kvc_scan_open(h, NULL, T_SCAN, &o, &s);
	tap_ok(ok && is(kvc_scan_next(s, NULL, &kl, &v, &vl, NULL), -EINVAL) &&
	       kvc_scan_next(s, &k, &kl, &v, &vl, NULL) == 1,
	       "scan next: NULL arguments: -EINVAL, the iterator goes on");
	kvc_scan_close(s);
	kvc_scan_close(NULL);
	tap_ok(entries(T_SCAN) == NSCAN, "scan: the table is as it was");
}

/* ------------------------------------------------------------------------ */
/* Transactions                                                             */
/* ------------------------------------------------------------------------ */

struct run_arg {
	int calls;
	int bump_until;		/* another handle writes "ctr" in calls < this */
	int fail_with;		/* return this from the first call */
};

/* Increment "ctr"; meanwhile another handle may change it under us. */
static int incr(struct kvc_txn *txn, void *p)
{
	struct run_arg *a = p;
	char buf[32];
	size_t len = sizeof(buf) - 1;
	int ret, n;

	a->calls++;
	ret = kvc_get(h, txn, T_TXN, "ctr", 3, buf, &len, NULL);
	if (ret)
		return ret;
	buf[len] = 0;
	n = atoi(buf);
	if (a->calls <= a->bump_until) {
		char b2[32];

		snprintf(b2, sizeof(b2), "%d", n + 100);
		kvc_put(h2, NULL, T_TXN, "ctr", 3, b2, strlen(b2), 0, 0, NULL);
	}
	snprintf(buf, sizeof(buf), "%d", n + 1);
	ret = kvc_put(h, txn, T_TXN, "ctr", 3, buf, strlen(buf), 0, 0, NULL);
	if (!ret && a->calls == 1 && a->fail_with)
		return a->fail_with;
	return ret;
}

static int read_only(struct kvc_txn *txn, void *p)
{
	char buf[32];
	size_t len = sizeof(buf);

	(*(int *)p)++;
	return kvc_get(h, txn, T_TXN, "ctr", 3, buf, &len, NULL);
}

static void test_txn(void)
{
	struct kvc_txn *txn = NULL, *t2 = NULL, *t3;
	struct kvc_handle *h3 = NULL;
	struct kvc_batch *b = NULL;
	struct kvc_scan *s;
	struct run_arg ra;
	uint64_t cv = 0, v, base = nsnapshots();
	char buf[32];
	size_t len;
	int calls;
	bool ok;

	tap_ok(is(kvc_table_create(h, T_TXN, NULL), 0) && base == 0,
	       "txn: table; no snapshot registered at rest (%llu)",
	       (unsigned long long)base);

	/* Read your writes, invisible to others until commit */
	tap_ok(is(kvc_txn_begin(h, 0, &txn), 0) && txn && nsnapshots() == 1,
	       "txn begin: one snapshot registered");
	tap_ok(is(kvc_put(h, txn, T_TXN, "a", 1, "1", 1, 0, 0, &v), 0) && v == 0,
	       "txn put: version 0 until commit");
	len = sizeof(buf);
	tap_ok(is(kvc_get(h, txn, T_TXN, "a", 1, buf, &len, &v), 0) && len == 1 &&
	       buf[0] == '1' && v == 0, "txn get: reads its own write, version 0");
	tap_ok(val_on(h, NULL, T_TXN, "a", NULL) && val_on(h2, NULL, T_TXN, "a", NULL) &&
	       entries(T_TXN) == 0,
	       "txn: its write is invisible outside it (same handle without txn, other handle)");
	tap_ok(is(kvc_txn_begin(h, 0, &t2), -EBUSY), "txn begin: a second one: -EBUSY");
	tap_ok(val_on(h, txn, T_TXN, "a", "1"), "txn: the first is still open after -EBUSY");
	tap_ok(is(kvc_get(h2, txn, T_TXN, "a", 1, buf, &len, NULL), -EINVAL),
	       "txn: used with another handle: -EINVAL");
	tap_ok(is(kvc_txn_commit(txn, &cv), 0) && cv > 0 && ver(T_TXN, "a") == cv &&
	       val_on(h2, NULL, T_TXN, "a", "1") && nsnapshots() == 0,
	       "txn commit: visible to all, at the commit's version; snapshot gone");

	/* After the end: -EBADFD */
	len = sizeof(buf);
	tap_ok(is(kvc_get(h, txn, T_TXN, "a", 1, buf, &len, NULL), -EBADFD) &&
	       is(kvc_put(h, txn, T_TXN, "b", 1, "x", 1, 0, 0, NULL), -EBADFD) &&
	       is(kvc_del(h, txn, T_TXN, "a", 1, 0, 0), -EBADFD) &&
	       is(kvc_scan_open(h, txn, T_SCAN, NULL, &s), -EBADFD) &&
	       is(kvc_txn_commit(txn, NULL), -EBADFD),
	       "ended txn: get, put, del, scan, commit: -EBADFD");
	kvc_batch_new(&b);
	kvc_batch_put(b, T_TXN, "b", 1, "x", 1, 0, 0);
	tap_ok(is(kvc_batch_run(h, txn, b, 0, NULL), -EBADFD) && val(T_TXN, "b", NULL) &&
	       val(T_TXN, "a", "1") && entries(T_TXN) == 1,
	       "ended txn: batch -EBADFD; nothing changed");
	kvc_batch_free(b);
	kvc_txn_abort(txn);
	kvc_txn_abort(NULL);
	tap_ok(is(kvc_txn_commit(NULL, NULL), -EINVAL) &&
	       is(kvc_txn_begin(h, 0, NULL), -EINVAL) &&
	       is(kvc_txn_begin(NULL, 0, &t2), -EINVAL) &&
	       is(kvc_txn_begin(h, 0x2, &t2), -EINVAL),
	       "txn: NULL arguments, unknown flag: -EINVAL");

	/* Abort */
	ok = !kvc_txn_begin(h, 0, &txn) &&
	     !kvc_put(h, txn, T_TXN, "c", 1, "3", 1, 0, 0, NULL) &&
	     !kvc_del(h, txn, T_TXN, "a", 1, 0, 0) &&
	     val_on(h, txn, T_TXN, "a", NULL);
	kvc_txn_abort(txn);
	tap_ok(ok && val(T_TXN, "c", NULL) && val(T_TXN, "a", "1") &&
	       entries(T_TXN) == 1 && nsnapshots() == 0,
	       "txn abort: its put and delete are gone");

	/* Isolation: a snapshot */
	ok = !kvc_txn_begin(h, 0, &txn) && val_on(h, txn, T_TXN, "a", "1") &&
	     !put(T_TXN, "d", "4");
	ok = ok && !kvc_put(h2, NULL, T_TXN, "a", 1, "2", 1, 0, 0, NULL);
	tap_ok(ok && val_on(h, txn, T_TXN, "a", "1") && val_on(h, txn, T_TXN, "d", NULL),
	       "txn isolation: another handle's commits after begin are not seen");
	tap_ok(is(kvc_txn_commit(txn, &v), 0),
	       "txn that only read commits (serialized at its snapshot)");

	/* Lost update: read, someone else writes, write: conflict */
	ok = !kvc_txn_begin(h, 0, &txn) && val_on(h, txn, T_TXN, "a", "2") &&
	     !kvc_put(h, txn, T_TXN, "a", 1, "3", 1, 0, 0, NULL) &&
	     !kvc_put(h2, NULL, T_TXN, "a", 1, "9", 1, 0, 0, NULL);
	tap_ok(ok && is(kvc_txn_commit(txn, NULL), -EAGAIN) && val(T_TXN, "a", "9") &&
	       nsnapshots() == 0, "txn: a key it read changed: commit -EAGAIN, nothing applied");

	/* Write skew between two handles */
	put(T_TXN, "x", "1");
	put(T_TXN, "y", "1");
	ok = !kvc_txn_begin(h, 0, &txn) && !kvc_txn_begin(h2, 0, &t2) &&
	     val_on(h, txn, T_TXN, "x", "1") && val_on(h, txn, T_TXN, "y", "1") &&
	     val_on(h2, t2, T_TXN, "x", "1") && val_on(h2, t2, T_TXN, "y", "1") &&
	     !kvc_put(h, txn, T_TXN, "x", 1, "0", 1, 0, 0, NULL) &&
	     !kvc_put(h2, t2, T_TXN, "y", 1, "0", 1, 0, 0, NULL) &&
	     nsnapshots() == 2;
	tap_ok(ok && is(kvc_txn_commit(txn, NULL), 0), "write skew: the first commits");
	tap_ok(is(kvc_txn_commit(t2, NULL), -EAGAIN) && val(T_TXN, "x", "0") &&
	       val(T_TXN, "y", "1"), "write skew: the second -EAGAIN (serializable), y unchanged");

	/* Read-only transactions */
	ok = !kvc_txn_begin(h, KVC_TXN_RDONLY, &txn) && val_on(h, txn, T_TXN, "x", "0") &&
	     !kvc_put(h2, NULL, T_TXN, "x", 1, "5", 1, 0, 0, NULL);
	tap_ok(ok && is(kvc_put(h, txn, T_TXN, "x", 1, "7", 1, 0, 0, NULL), -EROFS) &&
	       is(kvc_del(h, txn, T_TXN, "x", 1, 0, 0), -EROFS),
	       "read-only txn: put and del: -EROFS");
	kvc_batch_new(&b);
	kvc_batch_put(b, T_TXN, "x", 1, "7", 1, 0, 0);
	tap_ok(is(kvc_batch_run(h, txn, b, 0, NULL), 0) &&
	       is(kvc_batch_result(b, 0, NULL, NULL), -EROFS),
	       "read-only txn: a batch's put: -EROFS");
	kvc_batch_free(b);
	tap_ok(val_on(h, txn, T_TXN, "x", "0") && is(kvc_txn_commit(txn, NULL), 0) &&
	       val(T_TXN, "x", "5"),
	       "read-only txn: its snapshot despite a later write; commits anyway");

	/* Full table at commit */
	ok = !create(T_FULL, 0, 0, 2, 0) && !put(T_FULL, "f1", "1") &&
	     !put(T_FULL, "f2", "2") && !kvc_txn_begin(h, 0, &txn) &&
	     !kvc_put(h, txn, T_FULL, "f3", 2, "3", 1, 0, 0, NULL) &&
	     !kvc_put(h, txn, T_FULL, "f1", 2, "X", 1, 0, 0, NULL);
	tap_ok(ok && is(kvc_txn_commit(txn, NULL), -ENOSPC) && entries(T_FULL) == 2 &&
	       val(T_FULL, "f3", NULL) && val(T_FULL, "f1", "1"),
	       "txn: a new key in a full table: commit -ENOSPC, nothing applied");

	/* Closing the handle aborts */
	ok = !kvc_open(NULL, &h3) && !kvc_txn_begin(h3, 0, &t3) &&
	     !kvc_put(h3, t3, T_TXN, "z", 1, "26", 2, 0, 0, NULL) &&
	     !kvc_del(h3, t3, T_TXN, "x", 1, 0, 0) && nsnapshots() == 1;
	kvc_close(h3);
	tap_ok(ok && val_on(h2, NULL, T_TXN, "z", NULL) && val(T_TXN, "x", "5") &&
	       nsnapshots() == 0, "close with a txn open: aborted, another handle sees nothing");

	/* kvc_txn_run */
	put(T_TXN, "ctr", "0");
	memset(&ra, 0, sizeof(ra));
	tap_ok(is(kvc_txn_run(h, 0, 0, incr, &ra), 0) && ra.calls == 1 &&
	       val(T_TXN, "ctr", "1"), "txn run: commits at the first try");
	memset(&ra, 0, sizeof(ra));
	ra.bump_until = 1;
	tap_ok(is(kvc_txn_run(h, 0, 0, incr, &ra), 0) && ra.calls == 2 &&
	       val(T_TXN, "ctr", "102"),
	       "txn run: a conflict at commit, retried, the second try commits");
	memset(&ra, 0, sizeof(ra));
	ra.bump_until = 100;
	tap_ok(is(kvc_txn_run(h, 0, 3, incr, &ra), -EAGAIN) && ra.calls == 3 &&
	       val(T_TXN, "ctr", "402") && nsnapshots() == 0,
	       "txn run: conflicts every time: -EAGAIN after max_tries");
	memset(&ra, 0, sizeof(ra));
	ra.fail_with = -EAGAIN;
	tap_ok(is(kvc_txn_run(h, 0, 0, incr, &ra), 0) && ra.calls == 2 &&
	       val(T_TXN, "ctr", "403"), "txn run: -EAGAIN from fn is retried");
	memset(&ra, 0, sizeof(ra));
	ra.fail_with = -EIO;
	tap_ok(is(kvc_txn_run(h, 0, 0, incr, &ra), -EIO) && ra.calls == 1 &&
	       val(T_TXN, "ctr", "403") && nsnapshots() == 0,
	       "txn run: another error from fn: aborted and returned, nothing applied");
	calls = 0;
	tap_ok(is(kvc_txn_run(h, KVC_TXN_RDONLY, 0, read_only, &calls), 0) && calls == 1,
	       "txn run: read-only");
	ok = !kvc_txn_begin(h, 0, &txn);
	tap_ok(ok && is(kvc_txn_run(h, 0, 0, read_only, &calls), -EBUSY),
	       "txn run: handle already in a transaction: -EBUSY");
	kvc_txn_abort(txn);
	tap_ok(is(kvc_txn_run(h, 0, 0, NULL, NULL), -EINVAL) &&
	       is(kvc_txn_run(NULL, 0, 0, read_only, &calls), -EINVAL),
	       "txn run: NULL fn or handle: -EINVAL");
	tap_ok(nsnapshots() == 0, "txn: no snapshot left registered");
}

/* ------------------------------------------------------------------------ */
/* Batches                                                                  */
/* ------------------------------------------------------------------------ */

static void test_batch(void)
{
	char xbuf[32], gbuf[32], k17[17], v33[33], name[16];
	size_t len;
	uint64_t vx, cv = 0, v;
	struct kvc_batch *b;
	struct kvc_txn *txn;
	int i, ret;
	bool ok;

	memset(k17, 'k', sizeof(k17));
	memset(v33, 'v', sizeof(v33));
	ok = !create(T_B1, 16, 32, 0, 0) && !create(T_B2, 16, 32, 0, 0) &&
	     !put(T_B1, "x", "X") && !kvc_batch_new(&b);
	vx = ver(T_B1, "x");
	tap_ok(ok && vx, "batch: two tables, a key");

	/* Without ATOMIC: each operation on its own */
	kvc_batch_put(b, T_B1, "n1", 2, "N1", 2, KVC_PUT_UPSERT, 0);	/* 0 */
	kvc_batch_put(b, T_B1, "x", 1, "no", 2, KVC_PUT_INSERT, 0);	/* 1 */
	kvc_batch_get(b, T_B1, "x", 1, xbuf, sizeof(xbuf));		/* 2 */
	kvc_batch_get(b, T_B1, "missing", 7, gbuf, sizeof(gbuf));	/* 3 */
	kvc_batch_get(b, T_B1, "x", 1, NULL, 0);			/* 4 */
	kvc_batch_put(b, T_B2, "y", 1, "Y", 1, KVC_PUT_UPSERT, 0);	/* 5 */
	kvc_batch_del(b, T_B1, "missing", 7, KVC_DEL_ANY, 0);		/* 6 */
	kvc_batch_put(b, T_B1, "x", 1, "no", 2, KVC_PUT_CAS, vx + 1000);	/* 7 */
	kvc_batch_put(b, T_B1, "big", 3, v33, 33, KVC_PUT_UPSERT, 0);	/* 8 */
	kvc_batch_get(b, T_B1, "n1", 2, gbuf, sizeof(gbuf));		/* 9 */
	ret = kvc_batch_put(b, T_B1, k17, 17, "k", 1, KVC_PUT_UPSERT, 0);	/* 10 */
	tap_ok(ret == 10, "batch: 11 operations added, indexes returned (%d)", ret);
	tap_ok(is(kvc_batch_result(b, 0, NULL, NULL), -EINVAL),
	       "batch result before a run: -EINVAL");
	tap_ok(is(kvc_batch_run(h, NULL, b, 0, &v), 0), "batch run (not atomic): 0");
	{
		static const int want[] = { 0, -EEXIST, 0, -ENOENT, -ENOBUFS, 0,
					    -ENOENT, -EAGAIN, -E2BIG, 0, -E2BIG };
		int bad = -1;

		for (i = 0; i < 11; i++)
			if (kvc_batch_result(b, i, NULL, NULL) != want[i] && bad < 0)
				bad = i;
		tap_ok(bad < 0,
		       "batch: per-op results: ok, -EEXIST, ok, -ENOENT, -ENOBUFS, ok, -ENOENT, "
		       "-EAGAIN, -E2BIG, ok, -E2BIG (first wrong: %d)", bad);
	}
	tap_ok(!kvc_batch_result(b, 2, &len, &v) && len == 1 && xbuf[0] == 'X' && v == vx,
	       "batch get: value, length and version");
	tap_ok(kvc_batch_result(b, 4, &len, &v) == -ENOBUFS && len == 1 && !v,
	       "batch get: too small: -ENOBUFS with the length");
	tap_ok(!kvc_batch_result(b, 9, &len, &v) && len == 2 && !memcmp(gbuf, "N1", 2) &&
	       v == ver(T_B1, "n1") && v,
	       "batch get: sees an earlier operation of the batch");
	tap_ok(!kvc_batch_result(b, 0, &len, &v) && v == ver(T_B1, "n1") && !len,
	       "batch put: its new version");
	tap_ok(val(T_B1, "n1", "N1") && val(T_B2, "y", "Y") && val(T_B1, "x", "X") &&
	       ver(T_B1, "x") == vx && val(T_B1, "big", NULL) && entries(T_B1) == 2 &&
	       entries(T_B2) == 1, "batch: the failed operations changed nothing");
	tap_ok(is(kvc_batch_result(b, 11, NULL, NULL), -EINVAL),
	       "batch result: index out of range: -EINVAL");
	/* A second run sends the same inputs, not the first run's outputs. */
	tap_ok(is(kvc_batch_run(h, NULL, b, 0, NULL), 0) &&
	       kvc_batch_result(b, 0, NULL, NULL) == 0 &&
	       kvc_batch_result(b, 2, &len, &v) == 0 && len == 1 && v == vx &&
	       kvc_batch_result(b, 4, &len, NULL) == -ENOBUFS,
	       "batch: run again, same results");

	/* ATOMIC: all or nothing */
	kvc_batch_reset(b);
	kvc_batch_put(b, T_B1, "a1", 2, "A1", 2, KVC_PUT_INSERT, 0);
	kvc_batch_put(b, T_B1, "a2", 2, "A2", 2, KVC_PUT_UPSERT, 0);
	kvc_batch_put(b, T_B2, "a3", 2, "A3", 2, KVC_PUT_UPSERT, 0);
	kvc_batch_get(b, T_B1, "x", 1, xbuf, sizeof(xbuf));
	kvc_batch_del(b, T_B2, "y", 1, KVC_DEL_ANY, 0);
	tap_ok(is(kvc_batch_run(h, NULL, b, KVC_BATCH_ATOMIC, &cv), 0) && cv > vx,
	       "atomic batch: commits, a version");
	tap_ok(!kvc_batch_result(b, 0, NULL, &v) && v == cv &&
	       !kvc_batch_result(b, 2, NULL, &v) && v == cv && ver(T_B1, "a1") == cv &&
	       ver(T_B1, "a2") == cv && ver(T_B2, "a3") == cv && val(T_B2, "y", NULL) &&
	       !kvc_batch_result(b, 3, &len, &v) && len == 1 && v == vx,
	       "atomic batch: every write at the commit's version, the get at the snapshot's");
	tap_ok(entries(T_B1) == 4 && entries(T_B2) == 1, "atomic batch: entries");

	kvc_batch_reset(b);
	kvc_batch_put(b, T_B2, "f1", 2, "F1", 2, KVC_PUT_UPSERT, 0);
	kvc_batch_del(b, T_B1, "a1", 2, KVC_DEL_ANY, 0);
	kvc_batch_put(b, T_B1, "x", 1, "no", 2, KVC_PUT_INSERT, 0);
	kvc_batch_put(b, T_B2, "f3", 2, "F3", 2, KVC_PUT_UPSERT, 0);
	tap_ok(is(kvc_batch_run(h, NULL, b, KVC_BATCH_ATOMIC, &v), -ECANCELED),
	       "atomic batch with a failing operation: -ECANCELED");
	tap_ok(kvc_batch_result(b, 2, NULL, NULL) == -EEXIST &&
	       kvc_batch_result(b, 0, NULL, NULL) == -ECANCELED &&
	       kvc_batch_result(b, 1, NULL, NULL) == -ECANCELED &&
	       kvc_batch_result(b, 3, NULL, NULL) == -ECANCELED,
	       "atomic batch: the failing op says why, the others -ECANCELED");
	tap_ok(val(T_B2, "f1", NULL) && val(T_B1, "a1", "A1") && val(T_B2, "f3", NULL) &&
	       val(T_B1, "x", "X") && entries(T_B1) == 4 && entries(T_B2) == 1,
	       "atomic batch cancelled: nothing applied");

	kvc_batch_reset(b);
	kvc_batch_put(b, T_B1, "m1", 2, "M1", 2, KVC_PUT_UPSERT, 0);
	kvc_batch_put(b, "tc.nope", "m2", 2, "M2", 2, KVC_PUT_UPSERT, 0);
	tap_ok(is(kvc_batch_run(h, NULL, b, KVC_BATCH_ATOMIC, NULL), -ENOENT) &&
	       kvc_batch_result(b, 0, NULL, NULL) == -ENOENT && val(T_B1, "m1", NULL),
	       "atomic batch naming a missing table: -ENOENT, nothing applied");
	tap_ok(is(kvc_batch_run(h, NULL, b, 0, NULL), -ENOENT) && val(T_B1, "m1", NULL) &&
	       entries(T_B1) == 4, "batch naming a missing table: -ENOENT, nothing applied");

	/* Inside a transaction */
	kvc_batch_reset(b);
	kvc_batch_put(b, T_B1, "t1", 2, "T1", 2, KVC_PUT_UPSERT, 0);
	kvc_batch_get(b, T_B1, "t1", 2, gbuf, sizeof(gbuf));
	kvc_batch_del(b, T_B1, "a1", 2, KVC_DEL_ANY, 0);
	ok = !kvc_txn_begin(h, 0, &txn);
	tap_ok(ok && is(kvc_batch_run(h, txn, b, KVC_BATCH_ATOMIC, NULL), -EINVAL),
	       "batch in a txn with ATOMIC: -EINVAL");
	tap_ok(is(kvc_batch_run(h, txn, b, 0, NULL), 0) &&
	       !kvc_batch_result(b, 0, NULL, &v) && v == 0 &&
	       !kvc_batch_result(b, 1, &len, &v) && len == 2 && v == 0 &&
	       !kvc_batch_result(b, 2, NULL, NULL),
	       "batch in a txn: ops join it (own writes at version 0)");
	tap_ok(val(T_B1, "t1", NULL) && val(T_B1, "a1", "A1") &&
	       val_on(h, txn, T_B1, "t1", "T1") && val_on(h, txn, T_B1, "a1", NULL),
	       "batch in a txn: invisible outside until commit");
	tap_ok(is(kvc_txn_commit(txn, &cv), 0) && ver(T_B1, "t1") == cv &&
	       val(T_B1, "a1", NULL) && entries(T_B1) == 4, "batch in a txn: committed with it");

	/* Bounds and arguments */
	kvc_batch_reset(b);
	for (i = 0, ret = 0; i < 4096 && ret >= 0; i++)
		ret = kvc_batch_get(b, T_B1, "x", 1, NULL, 0);
	tap_ok(ret == 4095 && is(kvc_batch_get(b, T_B1, "x", 1, NULL, 0), -E2BIG),
	       "batch: 4096 operations, the 4097th -E2BIG");
	tap_ok(is(kvc_batch_run(h, NULL, b, 0, NULL), 0) &&
	       kvc_batch_result(b, 4095, &len, NULL) == -ENOBUFS && len == 1,
	       "batch: 4096 operations run");
	kvc_batch_reset(b);
	for (i = 0, ret = 0; i < 64 && ret >= 0; i++) {
		snprintf(name, sizeof(name), "tc.t%02d", i);
		ret = kvc_batch_get(b, name, "x", 1, NULL, 0);
	}
	tap_ok(ret == 63 && is(kvc_batch_get(b, "tc.t64", "x", 1, NULL, 0), -E2BIG) &&
	       kvc_batch_get(b, "tc.t07", "x", 1, NULL, 0) == 64,
	       "batch: 64 tables, a 65th -E2BIG, a known one still fine");
	kvc_batch_reset(b);
	tap_ok(is(kvc_batch_run(h, NULL, b, 0, NULL), -EINVAL), "batch: empty: -EINVAL");
	tap_ok(is(kvc_batch_get(b, T_B1, NULL, 1, NULL, 0), -EINVAL) &&
	       is(kvc_batch_get(b, T_B1, "x", 0, NULL, 0), -EINVAL) &&
	       is(kvc_batch_get(b, T_B1, "x", 1, NULL, 5), -EINVAL) &&
	       is(kvc_batch_put(b, T_B1, "x", 1, NULL, 5, 0, 0), -EINVAL) &&
	       is(kvc_batch_put(b, T_B1, "x", 1, "v", 1, 4, 0), -EINVAL) &&
	       is(kvc_batch_del(b, T_B1, "x", 1, 2, 0), -EINVAL) &&
	       is(kvc_batch_del(b, "", "x", 1, 0, 0), -EINVAL) &&
	       is(kvc_batch_del(b, LONG65,
				"x", 1, 0, 0), -ENAMETOOLONG) &&
	       is(kvc_batch_del(NULL, T_B1, "x", 1, 0, 0), -EINVAL) &&
	       is(kvc_batch_new(NULL), -EINVAL),
	       "batch add: bad arguments: -EINVAL, -ENAMETOOLONG");
	kvc_batch_put(b, T_B1, "x", 1, "v", 1, 0, 0);
	tap_ok(kvc_batch_put(b, T_B1, "y", 1, "v", 1, 0, 0) == 1 &&
	       is(kvc_batch_run(h, NULL, b, 0x2, NULL), -EINVAL) &&
	       is(kvc_batch_run(NULL, NULL, b, 0, NULL), -EINVAL) &&
	       is(kvc_batch_run(h, NULL, NULL, 0, NULL), -EINVAL) && val(T_B1, "x", "X"),
	       "batch: failed adds added nothing; bad run arguments: -EINVAL");

	/* Many keys in one crossing */
	ok = !create(T_B3, 0, 0, 0, KVC_TABLE_ORDERED);
	kvc_batch_reset(b);
	{
		static char keys[1000][8];

		for (i = 0; i < 1000; i++) {
			snprintf(keys[i], sizeof(keys[i]), "m%04d", i);
			kvc_batch_put(b, T_B3, keys[i], 5, keys[i], 5, KVC_PUT_INSERT, 0);
		}
		ret = kvc_batch_run(h, NULL, b, KVC_BATCH_ATOMIC, &cv);
		for (i = 0; !ret && i < 1000; i++)
			if (kvc_batch_result(b, i, NULL, &v) || v != cv)
				ret = -EPROTO;
	}
	tap_ok(ok && is(ret, 0) && entries(T_B3) == 1000 && val(T_B3, "m0999", "m0999"),
	       "atomic batch of 1000 inserts");
	kvc_batch_free(b);
	kvc_batch_free(NULL);
}

/* ------------------------------------------------------------------------ */
/* Threads sharing a handle                                                 */
/* ------------------------------------------------------------------------ */

#define T_MT	"tc.mt"
#define NTHREADS	4
#define NPERTHREAD	200

/* Each thread: its own keys through every call that takes no txn. */
static void *mt_worker(void *p)
{
	long id = (long)p, bad = 0;
	char key[16], v[16], buf[16], keys[NPERTHREAD / 2][16];
	const void *k, *vv;
	size_t kl, vl, len;
	struct kvc_scan_opts o = { .sz = sizeof(o), .prefix = key, .page_size = 64 };
	struct kvc_batch *b = NULL;
	struct kvc_scan *s;
	int i, n;

	for (i = 0; i < NPERTHREAD; i++) {
		snprintf(key, sizeof(key), "t%ld.%03d", id, i);
		snprintf(v, sizeof(v), "%ld-%d", id, i);
		len = sizeof(buf);
		if (kvc_put(h, NULL, T_MT, key, strlen(key), v, strlen(v), KVC_PUT_INSERT,
			    0, NULL) ||
		    kvc_get(h, NULL, T_MT, key, strlen(key), buf, &len, NULL) ||
		    len != strlen(v) || memcmp(buf, v, len))
			bad++;
		if (i % 2 && kvc_del(h, NULL, T_MT, key, strlen(key), KVC_DEL_ANY, 0))
			bad++;
	}
	/* Its surviving keys, by a scan of small pages and a batch. */
	snprintf(key, sizeof(key), "t%ld.", id);
	o.prefix_len = strlen(key);
	n = 0;
	if (kvc_scan_open(h, NULL, T_MT, &o, &s))
		return (void *)(bad + 1000);
	while (kvc_scan_next(s, &k, &kl, &vv, &vl, NULL) == 1)
		n++;
	kvc_scan_close(s);
	if (n != NPERTHREAD / 2 || kvc_batch_new(&b))
		bad++;
	/* The batch keeps our pointers until it runs. */
	for (i = 0; b && i < NPERTHREAD; i += 2) {
		snprintf(keys[i / 2], sizeof(keys[i / 2]), "t%ld.%03d", id, i);
		kvc_batch_del(b, T_MT, keys[i / 2], strlen(keys[i / 2]), KVC_DEL_ANY, 0);
	}
	if (!b || kvc_batch_run(h, NULL, b, KVC_BATCH_ATOMIC, NULL))
		bad++;
	kvc_batch_free(b);
	return (void *)bad;
}

static void test_threads(void)
{
	pthread_t th[NTHREADS];
	long i, bad = 0;
	void *r;

	tap_ok(!create(T_MT, 0, 0, 0, KVC_TABLE_ORDERED), "threads: table");
	for (i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, mt_worker, (void *)i))
			bad += 10000;
	for (i = 0; i < NTHREADS; i++) {
		if (!pthread_join(th[i], &r))
			bad += (long)r;
	}
	tap_ok(!bad && entries(T_MT) == 0 && nsnapshots() == 0,
	       "threads: %d threads on one handle: put, get, del, scan, batch (%ld bad)",
	       NTHREADS, bad);
	tap_ok(!kvc_table_drop(h, T_MT), "threads: table dropped");
}

/* ------------------------------------------------------------------------ */
/* Statistics, permissions                                                  */
/* ------------------------------------------------------------------------ */

static void test_stats(void)
{
	struct kvc_stats st, st2;
	struct kvc_txn *t1, *t2;
	int ret;

	memset(&st, 0, sizeof(st));
	ret = kvc_stats(h, &st);
	tap_ok(is(ret, 0) && st.tables == ntables() && st.bytes > 0 &&
	       st.max_bytes >= st.bytes && st.snapshots == 0,
	       "stats: tables %llu, bytes %llu of %llu, snapshots %llu",
	       (unsigned long long)st.tables, (unsigned long long)st.bytes,
	       (unsigned long long)st.max_bytes, (unsigned long long)st.snapshots);
	tap_ok(!kvc_table_create(h, "tc.st", NULL) && ntables() == st.tables + 1 &&
	       !kvc_table_drop(h, "tc.st") && ntables() == st.tables,
	       "stats: tables follows create and drop");
	tap_ok(!kvc_txn_begin(h, 0, &t1) && nsnapshots() == 1 &&
	       !kvc_txn_begin(h2, KVC_TXN_RDONLY, &t2) && nsnapshots() == 2,
	       "stats: each open transaction is a snapshot");
	kvc_txn_abort(t1);
	kvc_txn_abort(t2);
	tap_ok(nsnapshots() == 0, "stats: none after both ended");
	tap_ok(is(kvc_stats(h, NULL), -EINVAL) && is(kvc_stats(NULL, &st2), -EINVAL),
	       "stats: NULL arguments: -EINVAL");
}

#define T_PUB	"tc.pub"	/* root's, 0644 */
#define T_PRIV	"tc.priv"	/* root's, 0600 */

/* As uid 1000 without capabilities: mode bits and ownership apply. */
static void as_user(void)
{
	struct kvc_table_opts o = { .sz = sizeof(o), .set_owner = 1, .uid = 1000 };
	struct kvc_table_info ti;
	struct kvc_batch *b;
	struct kvc_scan *s;
	char buf[16];
	size_t len = sizeof(buf);

	if (!tap_ok(!setgroups(0, NULL) && !setresgid(1000, 1000, 1000) &&
		    !setresuid(1000, 1000, 1000), "perm: now uid 1000, no capabilities"))
		return;
	tap_ok(val(T_PUB, "k", "v") && is(kvc_table_info(h, T_PUB, &ti), 0) &&
	       !kvc_scan_open(h, NULL, T_PUB, NULL, &s),
	       "perm: 0644 table: others may get, scan, read info");
	kvc_scan_close(s);
	tap_ok(is(kvc_put(h, NULL, T_PUB, "k", 1, "w", 1, 0, 0, NULL), -EACCES) &&
	       is(kvc_del(h, NULL, T_PUB, "k", 1, 0, 0), -EACCES) && val(T_PUB, "k", "v"),
	       "perm: 0644 table: others' put and del: -EACCES, unchanged");
	tap_ok(is(kvc_get(h, NULL, T_PRIV, "k", 1, buf, &len, NULL), -EACCES) &&
	       is(kvc_table_info(h, T_PRIV, &ti), -EACCES) &&
	       is(kvc_scan_open(h, NULL, T_PRIV, NULL, &s), -EACCES),
	       "perm: 0600 table: others' get, info, scan: -EACCES");
	kvc_batch_new(&b);
	kvc_batch_get(b, T_PUB, "k", 1, buf, sizeof(buf));
	kvc_batch_put(b, T_PUB, "k", 1, "w", 1, 0, 0);
	kvc_batch_get(b, T_PRIV, "k", 1, buf, sizeof(buf));
	tap_ok(is(kvc_batch_run(h, NULL, b, 0, NULL), 0) &&
	       kvc_batch_result(b, 0, NULL, NULL) == 0 &&
	       kvc_batch_result(b, 1, NULL, NULL) == -EACCES &&
	       kvc_batch_result(b, 2, NULL, NULL) == -EACCES && val(T_PUB, "k", "v"),
	       "perm: batch: per-op -EACCES");
	kvc_batch_free(b);
	tap_ok(is(kvc_table_drop(h, T_PUB), -EPERM) && is(kvc_table_info(h, T_PUB, &ti), 0),
	       "perm: dropping root's table: -EPERM, still there");
	tap_ok(is(kvc_table_create(h, "tc.mine2", &o), -EPERM),
	       "perm: creating a table for another owner: -EPERM");
	tap_ok(is(kvc_table_create(h, "tc.mine", NULL), 0) &&
	       is(kvc_table_info(h, "tc.mine", &ti), 0) && ti.uid == 1000 && ti.gid == 1000 &&
	       is(kvc_put(h, NULL, "tc.mine", "k", 1, "v", 1, 0, 0, NULL), 0) &&
	       is(kvc_table_drop(h, "tc.mine"), 0),
	       "perm: a user's own table: owned by its fsuid/fsgid, usable, droppable");
}

static void test_perm(void)
{
	struct kvc_table_opts o = {
		.sz = sizeof(o), .mode = 0644, .flags = KVC_TABLE_ORDERED,
	};
	struct kvc_table_info ti;

	tap_ok(!kvc_table_create(h, T_PUB, &o) && !put(T_PUB, "k", "v") &&
	       !kvc_table_create(h, T_PRIV, NULL) && !put(T_PRIV, "k", "v"),
	       "perm: root's tables, 0644 and 0600");
	in_child(as_user);
	tap_ok(!kvc_table_drop(h, T_PUB) && !kvc_table_drop(h, T_PRIV) &&
	       kvc_table_info(h, "tc.mine", &ti) == -ENOENT,
	       "perm: tables dropped");
}

int main(void)
{
	static const char *const tables[] = {
		T_KV, T_SCAN, T_BIG, T_TXN, T_FULL, T_B1, T_B2, T_B3,
	};
	uint64_t n0;
	unsigned int i;
	bool ok = true;

	test_open();
	if (!h || !h2)
		return tap_done();
	n0 = ntables();
	test_tables();
	test_kv();
	test_scan();
	test_txn();
	test_batch();
	test_threads();
	test_stats();
	test_perm();
	for (i = 0; i < ARRAY_SIZE(tables); i++)
		ok &= !kvc_table_drop(h, tables[i]);
	tap_ok(ok && ntables() == n0,
	       "cleanup: every table of this test dropped");
	kvc_close(h2);
	kvc_close(h);
	return tap_done();
}

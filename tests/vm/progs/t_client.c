// SPDX-License-Identifier: GPL-2.0
/*
 * libkvclient against the real module: every command through the library,
 * its modes and its errors. After each call that must fail, the store is
 * checked to be unchanged (entries through kvc_table_info(), values
 * through kvc_get()).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
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

/* A get returned @ret and @len bytes at @buf: the string @want (NULL: absent)? */
static bool holds(int ret, const char *buf, size_t len, const char *want)
{
	if (!want)
		return ret == -ENOENT;
	return !ret && len == strlen(want) && !memcmp(buf, want, len);
}

/* @key of @table holds the string @want (NULL: absent), seen from @hd. */
static bool val_on(struct kvc_handle *hd, struct kvc_txn *txn,
		   const char *table, const char *key, const char *want)
{
	char buf[128];
	size_t len = sizeof(buf);
	int ret;

	ret = kvc_get(hd, txn, table, key, strlen(key), buf, &len, NULL);
	return holds(ret, buf, len, want);
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
			KVS_FEAT_STATS | KVS_FEAT_HANDLES;
	int ret;

	tap_ok(is(kvc_open(NULL, &h), 0) && is(kvc_open(NULL, &h2), 0),
	       "open: two handles with default options");
	memset(&v, 0, sizeof(v));
	ret = kvc_version(h, &v);
	tap_ok(is(ret, 0) && (v.features & want) == want,
	       "version: features %#llx include tables, kv, scan, txn, batch, stats, handles",
	       (unsigned long long)v.features);
	tap_ok(is(kvc_open(&o, &x), -ENOENT) && !x,
	       "open: missing device node: -ENOENT");
	o.sz = sizeof(o.sz) - 1;
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
	o.sz = sizeof(o.sz) - 1;
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
#if SIZE_MAX > UINT32_MAX
	len = (size_t)UINT32_MAX + 1;
	tap_ok(is(kvc_put(h, NULL, T_KV, "k1", len, "x", 1, 0, 0, NULL), -E2BIG) &&
	       is(kvc_put(h, NULL, T_KV, "k1", 2, "x", len, 0, 0, NULL), -E2BIG),
	       "lengths past UINT32_MAX: -E2BIG");
#else
	tap_ok(1, "lengths past UINT32_MAX # SKIP size_t has 32 bits");
#endif
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
	uint64_t cv = 0, v, base = nsnapshots(), run_ver, ctr_ver = 0;
	char buf[32], vbuf[32];
	size_t len, vlen;
	int calls, ret;
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
	tap_ok(is(kvc_txn_run(h, 0, 0, incr, &ra, NULL), 0) && ra.calls == 1 &&
	       val(T_TXN, "ctr", "1"), "txn run: commits at the first try");
	memset(&ra, 0, sizeof(ra));
	ra.bump_until = 1;
	run_ver = 0;
	ret = kvc_txn_run(h, 0, 0, incr, &ra, &run_ver);
	vlen = sizeof(vbuf);
	tap_ok(is(ret, 0) && ra.calls == 2 && val(T_TXN, "ctr", "102") &&
	       !kvc_get(h, NULL, T_TXN, "ctr", 3, vbuf, &vlen, &ctr_ver) &&
	       run_ver && run_ver == ctr_ver,
	       "txn run: a conflict at commit, retried, the second try commits; its version returned");
	memset(&ra, 0, sizeof(ra));
	ra.bump_until = 100;
	tap_ok(is(kvc_txn_run(h, 0, 3, incr, &ra, NULL), -EAGAIN) && ra.calls == 3 &&
	       val(T_TXN, "ctr", "402") && nsnapshots() == 0,
	       "txn run: conflicts every time: -EAGAIN after max_tries");
	memset(&ra, 0, sizeof(ra));
	ra.fail_with = -EAGAIN;
	tap_ok(is(kvc_txn_run(h, 0, 0, incr, &ra, NULL), 0) && ra.calls == 2 &&
	       val(T_TXN, "ctr", "403"), "txn run: -EAGAIN from fn is retried");
	memset(&ra, 0, sizeof(ra));
	ra.fail_with = -EIO;
	tap_ok(is(kvc_txn_run(h, 0, 0, incr, &ra, NULL), -EIO) && ra.calls == 1 &&
	       val(T_TXN, "ctr", "403") && nsnapshots() == 0,
	       "txn run: another error from fn: aborted and returned, nothing applied");
	calls = 0;
	tap_ok(is(kvc_txn_run(h, KVC_TXN_RDONLY, 0, read_only, &calls, NULL), 0) && calls == 1,
	       "txn run: read-only");
	ok = !kvc_txn_begin(h, 0, &txn);
	tap_ok(ok && is(kvc_txn_run(h, 0, 0, read_only, &calls, NULL), -EBUSY),
	       "txn run: handle already in a transaction: -EBUSY");
	kvc_txn_abort(txn);
	tap_ok(is(kvc_txn_run(h, 0, 0, NULL, NULL, NULL), -EINVAL) &&
	       is(kvc_txn_run(NULL, 0, 0, read_only, &calls, NULL), -EINVAL),
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
/* Table handles                                                            */
/* ------------------------------------------------------------------------ */

#define T_H	"tc.h"		/* key 16, value 32: through handles */
#define T_HD	"tc.hd"		/* dropped under its handles */
#define T_HM	"tc.hm"		/* key 8: more keys than one H_MGET takes */

/* Never a user address (x86-64's direct map). */
/* The kernel's, or above a 32-bit program's address space (-m32 build). */
#if UINTPTR_MAX == 0xffffffffu
#define KADDR	((void *)0xfffff000u)
#else
#define KADDR	((void *)0xffff888000000000ull)
#endif

static int xioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

/* @key holds the string @want (NULL: absent), read through handle @t. */
static bool tval(struct kvc_table *t, const char *key, const char *want)
{
	char buf[128];
	size_t len = sizeof(buf);
	int ret;

	ret = kvc_tget(t, key, strlen(key), buf, &len, NULL);
	return holds(ret, buf, len, want);
}

/* The lowest free file descriptor: a failed open must not use one up. */
static int lowest_fd(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* A raw H_MGET of @count keys, @key_stride bytes each, no values. */
static void mget_init(struct kvs_ioc_mget *a, const void *keys,
		      uint32_t count, uint32_t key_stride, int32_t *results)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->keys = (uintptr_t)keys;
	a->count = count;
	a->key_stride = key_stride;
	a->results = (uintptr_t)results;
}

/* Opening handles: arguments, names, flags, and what the kernel checks. */
static void test_handle_open(int dev)
{
	struct kvs_ioc_table_open a;
	struct kvc_table *x = NULL;
	int lo = lowest_fd(), r[5];

	tap_ok(is(kvc_table_open(h, "tc.nope", KVC_OPEN_READ, &x), -ENOENT) && !x,
	       "handle open: missing table: -ENOENT");
	tap_ok(is(kvc_table_open(h, "", KVC_OPEN_READ, &x), -EINVAL) &&
	       is(kvc_table_open(h, NULL, KVC_OPEN_READ, &x), -EINVAL) &&
	       is(kvc_table_open(h, ".h", KVC_OPEN_READ, &x), -EINVAL) &&
	       is(kvc_table_open(h, "a/b", KVC_OPEN_READ, &x), -EINVAL) && !x,
	       "handle open: empty, NULL, leading-dot, slash names: -EINVAL");
	tap_ok(is(kvc_table_open(h, LONG65, KVC_OPEN_READ, &x), -ENAMETOOLONG) && !x,
	       "handle open: 65-character name: -ENAMETOOLONG");
	tap_ok(is(kvc_table_open(h, T_H, 0, &x), -EINVAL) &&
	       is(kvc_table_open(h, T_H, 0x4, &x), -EINVAL) &&
	       is(kvc_table_open(h, T_H, KVC_OPEN_READ | 0x80, &x), -EINVAL) && !x,
	       "handle open: no access asked, or an unknown flag: -EINVAL");
	tap_ok(is(kvc_table_open(NULL, T_H, KVC_OPEN_READ, &x), -EINVAL) &&
	       is(kvc_table_open(h, T_H, KVC_OPEN_READ, NULL), -EINVAL),
	       "handle open: NULL handle or result pointer: -EINVAL");

	/* The kernel's own checks, which the library lets nothing reach. */
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	strcpy(a.name, T_H);
	r[0] = xioctl(dev, KVS_IOC_TABLE_OPEN, &a);
	a.flags = KVS_OPEN_READ | 0x4;
	r[1] = xioctl(dev, KVS_IOC_TABLE_OPEN, &a);
	a.flags = KVS_OPEN_READ;
	a.reserved = 1;
	r[2] = xioctl(dev, KVS_IOC_TABLE_OPEN, &a);
	a.reserved = 0;
	memset(a.name, 0, sizeof(a.name));
	strcpy(a.name, "bad name");
	r[3] = xioctl(dev, KVS_IOC_TABLE_OPEN, &a);
	a.size = KVS_IOC_TABLE_OPEN_SIZE_VER0 - 4;
	r[4] = xioctl(dev, KVS_IOC_TABLE_OPEN, &a);
	tap_ok(r[0] == -EINVAL && r[1] == -EINVAL && r[2] == -EINVAL &&
	       r[3] == -EINVAL && r[4] == -EINVAL,
	       "TABLE_OPEN raw: flags 0, unknown flag, reserved, bad name, short size: -EINVAL (%d %d %d %d %d)",
	       r[0], r[1], r[2], r[3], r[4]);
	tap_ok(lo >= 0 && lowest_fd() == lo,
	       "handle open: failed opens left no file descriptor behind");
}

/* kvc_tget(), kvc_tput(), kvc_tdel(): modes, sizes, arguments. */
static void test_handle_kv(struct kvc_table *t)
{
	char k17[17], v33[33], buf[64];
	uint64_t v1 = 0, v2 = 0, v = 0;
	int64_t n;
	size_t len;

	memset(k17, 'k', sizeof(k17));
	memset(v33, 'v', sizeof(v33));
	tap_ok(is(kvc_tput(t, "k1", 2, "v1", 2, KVC_PUT_UPSERT, 0, &v1), 0) && v1 &&
	       val(T_H, "k1", "v1") && ver(T_H, "k1") == v1,
	       "tput: upsert, a version; seen by name");
	len = sizeof(buf);
	tap_ok(is(put(T_H, "k2", "by name"), 0) &&
	       is(kvc_tget(t, "k2", 2, buf, &len, &v), 0) && len == 7 &&
	       !memcmp(buf, "by name", 7) && v == ver(T_H, "k2"),
	       "tget: a value put by name, its length and version");
	len = 3;
	tap_ok(is(kvc_tget(t, "k2", 2, buf, &len, NULL), -ENOBUFS) && len == 7,
	       "tget: buffer too small: -ENOBUFS and the length");
	len = 0;
	tap_ok(is(kvc_tget(t, "k2", 2, NULL, &len, NULL), -ENOBUFS) && len == 7,
	       "tget: NULL buffer and room 0: the length");
	len = 5;
	tap_ok(is(kvc_tget(t, "k9", 2, buf, &len, NULL), -ENOENT) && len == 5,
	       "tget: absent key: -ENOENT, length untouched");
	len = sizeof(buf);
	tap_ok(is(kvc_tput(t, "e", 1, NULL, 0, KVC_PUT_UPSERT, 0, NULL), 0) &&
	       is(kvc_tget(t, "e", 1, buf, &len, &v), 0) && len == 0 && v,
	       "tput/tget: an empty value");

	/* Modes */
	tap_ok(is(kvc_tput(t, "k1", 2, "no", 2, KVC_PUT_INSERT, 0, NULL), -EEXIST) &&
	       tval(t, "k1", "v1") && ver(T_H, "k1") == v1,
	       "tput insert, key present: -EEXIST, unchanged");
	tap_ok(is(kvc_tput(t, "k3", 2, "no", 2, KVC_PUT_REPLACE, 0, NULL), -ENOENT) &&
	       tval(t, "k3", NULL), "tput replace, key absent: -ENOENT, nothing written");
	tap_ok(is(kvc_tput(t, "k1", 2, "no", 2, KVC_PUT_CAS, v1 + 1000, NULL), -EAGAIN) &&
	       tval(t, "k1", "v1") && ver(T_H, "k1") == v1,
	       "tput CAS, another version: -EAGAIN, unchanged");
	tap_ok(is(kvc_tput(t, "k1", 2, "v1b", 3, KVC_PUT_CAS, v1, &v2), 0) && v2 > v1 &&
	       tval(t, "k1", "v1b") && ver(T_H, "k1") == v2,
	       "tput CAS at the version: written, a newer version");
	tap_ok(is(kvc_tput(t, "k3", 2, "v3", 2, KVC_PUT_CAS, 0, NULL), 0) &&
	       tval(t, "k3", "v3"), "tput CAS 0, key absent: inserted");
	tap_ok(is(kvc_tput(t, "k3", 2, "no", 2, KVC_PUT_CAS, 0, NULL), -EEXIST) &&
	       tval(t, "k3", "v3"), "tput CAS 0, key present: -EEXIST, unchanged");
	tap_ok(is(kvc_tput(t, "k4", 2, "no", 2, KVC_PUT_CAS, v1, NULL), -ENOENT) &&
	       tval(t, "k4", NULL), "tput CAS with a version, key absent: -ENOENT");
	v = ver(T_H, "k3");
	tap_ok(is(kvc_tdel(t, "k3", 2, KVC_DEL_CAS, v + 1), -EAGAIN) && tval(t, "k3", "v3"),
	       "tdel CAS, another version: -EAGAIN, still there");
	tap_ok(is(kvc_tdel(t, "k3", 2, KVC_DEL_CAS, v), 0) && val(T_H, "k3", NULL),
	       "tdel CAS at the version: deleted");
	tap_ok(is(kvc_tdel(t, "k3", 2, KVC_DEL_ANY, 0), -ENOENT),
	       "tdel, key absent: -ENOENT");
	tap_ok(is(kvc_tdel(t, "k2", 2, KVC_DEL_ANY, 0), 0) && val(T_H, "k2", NULL),
	       "tdel: deleted, seen by name");

	/* Sizes and arguments: each fails and changes nothing. */
	n = entries(T_H);
	len = sizeof(buf);
	tap_ok(is(kvc_tput(t, k17, 17, "x", 1, 0, 0, NULL), -E2BIG) &&
	       is(kvc_tget(t, k17, 17, buf, &len, NULL), -E2BIG) &&
	       is(kvc_tdel(t, k17, 17, 0, 0), -E2BIG) &&
	       is(kvc_tput(t, "k1", 2, v33, 33, 0, 0, NULL), -E2BIG) &&
	       tval(t, "k1", "v1b") && entries(T_H) == n,
	       "handle: key over 16, value over 32 bytes: -E2BIG, unchanged");
	tap_ok(is(kvc_tput(t, k17, 16, v33, 32, 0, 0, NULL), 0) &&
	       is(kvc_tdel(t, k17, 16, 0, 0), 0),
	       "handle: a key of 16 and a value of 32 bytes pass");
	tap_ok(is(kvc_tput(t, "k1", 0, "x", 1, 0, 0, NULL), -EINVAL) &&
	       is(kvc_tput(t, NULL, 2, "x", 1, 0, 0, NULL), -EINVAL) &&
	       is(kvc_tput(t, "k1", 2, NULL, 5, 0, 0, NULL), -EINVAL) &&
	       is(kvc_tput(t, "k1", 2, "x", 1, 4, 0, NULL), -EINVAL) &&
	       is(kvc_tdel(t, "k1", 2, 2, 0), -EINVAL) &&
	       is(kvc_tget(t, "k1", 2, NULL, &len, NULL), -EINVAL) &&
	       is(kvc_tget(t, "k1", 2, buf, NULL, NULL), -EINVAL) &&
	       is(kvc_tput(NULL, "k1", 2, "x", 1, 0, 0, NULL), -EINVAL) &&
	       is(kvc_tget(NULL, "k1", 2, buf, &len, NULL), -EINVAL) &&
	       is(kvc_tdel(NULL, "k1", 2, 0, 0), -EINVAL) &&
	       tval(t, "k1", "v1b") && entries(T_H) == n,
	       "handle: empty or NULL key, NULL value or buffer with a length, bad mode, NULL handle: -EINVAL");
#if SIZE_MAX > UINT32_MAX
	tap_ok(is(kvc_tput(t, "k1", 2, "x", (size_t)UINT32_MAX + 1, 0, 0, NULL), -E2BIG) &&
	       is(kvc_tget(t, "k1", (size_t)UINT32_MAX + 1, buf, &len, NULL), -E2BIG) &&
	       tval(t, "k1", "v1b"), "handle: lengths past UINT32_MAX: -E2BIG");
#else
	tap_ok(1, "handle: lengths past UINT32_MAX # SKIP size_t has 32 bits");
#endif
}

/* One command, of the handle or of the device, on the wrong file. */
static void test_handle_enotty(int dev, struct kvc_table *t)
{
	struct kvs_ioc_key k = {
		.size = sizeof(k), .key = (uintptr_t)"k1", .key_len = 2,
		.value = (uintptr_t)"zz", .value_len = 2,
	};
	struct kvs_ioc_version v = { .size = sizeof(v) };
	struct kvs_ioc_table_open o = { .size = sizeof(o), .flags = KVS_OPEN_READ };
	struct kvs_ioc_stats st = { .size = sizeof(st) };
	struct kvs_ioc_kv kv;
	struct kvs_ioc_mget m;
	int32_t res[1];
	int fd = kvc_table_fd(t), r[8];

	mget_init(&m, "k1", 1, 2, res);
	r[0] = xioctl(dev, KVS_IOC_H_GET, &k);
	r[1] = xioctl(dev, KVS_IOC_H_PUT, &k);
	r[2] = xioctl(dev, KVS_IOC_H_DEL, &k);
	r[3] = xioctl(dev, KVS_IOC_H_MGET, &m);
	tap_ok(r[0] == -ENOTTY && r[1] == -ENOTTY && r[2] == -ENOTTY &&
	       r[3] == -ENOTTY && val(T_H, "k1", "v1b"),
	       "handle commands on /dev/kvstore: -ENOTTY (%d %d %d %d)",
	       r[0], r[1], r[2], r[3]);
	memset(&kv, 0, sizeof(kv));
	kv.size = sizeof(kv);
	strcpy(kv.table, T_H);
	kv.key = (uintptr_t)"k1";
	kv.key_len = 2;
	kv.value = (uintptr_t)"zz";
	kv.value_len = 2;
	strcpy(o.name, T_H);
	r[0] = xioctl(fd, KVS_IOC_VERSION, &v);
	r[1] = xioctl(fd, KVS_IOC_PUT, &kv);
	r[2] = xioctl(fd, KVS_IOC_GET, &kv);
	r[3] = xioctl(fd, KVS_IOC_TABLE_OPEN, &o);
	r[4] = xioctl(fd, KVS_IOC_STATS, &st);
	r[5] = xioctl(fd, _IOWR('x', 0x20, struct kvs_ioc_key), &k);
	r[6] = xioctl(fd, _IOR(KVS_IOC_MAGIC, 0x20, struct kvs_ioc_key), &k);
	r[7] = xioctl(fd, _IOWR(KVS_IOC_MAGIC, 0x24, struct kvs_ioc_key), &k);
	tap_ok(r[0] == -ENOTTY && r[1] == -ENOTTY && r[2] == -ENOTTY &&
	       r[3] == -ENOTTY && r[4] == -ENOTTY && val(T_H, "k1", "v1b"),
	       "device commands on a handle: -ENOTTY (%d %d %d %d %d)",
	       r[0], r[1], r[2], r[3], r[4]);
	tap_ok(r[5] == -ENOTTY && r[6] == -ENOTTY && r[7] == -ENOTTY,
	       "handle: another magic, direction or number: -ENOTTY (%d %d %d)",
	       r[5], r[6], r[7]);
}

/* Read-only and write-only handles: the access asked at open is all. */
static void test_handle_access(void)
{
	struct kvc_table *ro = NULL, *wo = NULL;
	int32_t res[1] = { 12345 };
	char buf[16];
	size_t len = sizeof(buf);
	uint64_t v = ver(T_H, "k1");
	int64_t n = entries(T_H);

	tap_ok(is(kvc_table_open(h, T_H, KVC_OPEN_READ, &ro), 0) &&
	       is(kvc_table_open(h, T_H, KVC_OPEN_WRITE, &wo), 0),
	       "handle: a read-only and a write-only handle");
	if (!ro || !wo)
		goto out;
	tap_ok(is(kvc_tput(ro, "k1", 2, "no", 2, KVC_PUT_UPSERT, 0, NULL), -EBADF) &&
	       is(kvc_tput(ro, "k5", 2, "no", 2, KVC_PUT_INSERT, 0, NULL), -EBADF) &&
	       is(kvc_tdel(ro, "k1", 2, KVC_DEL_ANY, 0), -EBADF) &&
	       val(T_H, "k1", "v1b") && ver(T_H, "k1") == v && val(T_H, "k5", NULL) &&
	       entries(T_H) == n,
	       "read-only handle: put and del: -EBADF, nothing changed");
	tap_ok(tval(ro, "k1", "v1b") &&
	       is(kvc_mget(ro, 1, "k1", 2, NULL, buf, sizeof(buf), res, NULL), 0) &&
	       res[0] == 3 && !memcmp(buf, "v1b", 3),
	       "read-only handle: get and mget work");
	res[0] = 12345;
	tap_ok(is(kvc_tget(wo, "k1", 2, buf, &len, NULL), -EBADF) && len == sizeof(buf) &&
	       is(kvc_mget(wo, 1, "k1", 2, NULL, buf, sizeof(buf), res, NULL), -EBADF) &&
	       res[0] == 12345, "write-only handle: get and mget: -EBADF, nothing written back");
	tap_ok(is(kvc_tput(wo, "k5", 2, "v5", 2, KVC_PUT_INSERT, 0, NULL), 0) &&
	       tval(ro, "k5", "v5") && is(kvc_tdel(wo, "k5", 2, KVC_DEL_ANY, 0), 0) &&
	       tval(ro, "k5", NULL),
	       "write-only handle: put and del work, seen through the read-only one");
out:
	kvc_table_close(ro);
	kvc_table_close(wo);
}

/* kvc_mget(): results, slots, versions, per-key errors. */
static void test_mget(struct kvc_table *t)
{
	/* k1 "v1b", nope absent, e "", big 32 bytes, k1 again */
	static const char keys[5][16] = { "k1", "nope", "e", "big", "k1" };
	static const uint32_t lens[5] = { 2, 4, 1, 3, 2 };
	char slots[5][8], v32[33], wide[4][32];
	uint32_t wlens[4] = { 0, 17, 2, 16 };
	uint64_t vers[5];
	int32_t res[5];
	bool ok;
	int i;

	memset(v32, 'B', 32);
	v32[32] = 0;
	memset(slots, '#', sizeof(slots));
	for (i = 0; i < 5; i++)
		vers[i] = 0xdead;
	ok = !put(T_H, "big", v32) &&
	     !kvc_mget(t, 5, keys, 16, lens, slots, 8, res, vers);
	tap_ok(ok && res[0] == 3 && res[1] == -ENOENT && res[2] == 0 && res[3] == 32 &&
	       res[4] == 3, "mget: present, absent, empty, too long, repeated (%d %d %d %d %d)",
	       res[0], res[1], res[2], res[3], res[4]);
	tap_ok(ok && !memcmp(slots[0], "v1b#####", 8) && !memcmp(slots[1], "########", 8) &&
	       !memcmp(slots[2], "########", 8) && !memcmp(slots[3], "########", 8) &&
	       !memcmp(slots[4], "v1b#####", 8),
	       "mget: values in their slots; absent, empty and too long slots untouched");
	tap_ok(ok && vers[0] == ver(T_H, "k1") && vers[1] == 0 && vers[2] == ver(T_H, "e") &&
	       vers[3] == ver(T_H, "big") && vers[4] == vers[0],
	       "mget: each value's version, 0 for the absent key");

	/* Keys all @key_stride long, lengths only */
	tap_ok(is(kvc_mget(t, 3, "k1k9k1", 2, NULL, NULL, 0, res, NULL), 0) &&
	       res[0] == 3 && res[1] == -ENOENT && res[2] == 3,
	       "mget: no key_lens (keys of key_stride bytes), value_stride 0: lengths only");
	memset(slots, '#', sizeof(slots));
	tap_ok(is(kvc_mget(t, 2, keys, 16, lens, slots, 0, res, NULL), 0) &&
	       res[0] == 3 && res[1] == -ENOENT && !memcmp(slots[0], "########", 8),
	       "mget: value_stride 0 with a buffer: lengths, buffer untouched");

	/* Per-key errors: empty key, key over the table's 16 bytes */
	memset(wide, 0, sizeof(wide));
	memcpy(wide[1], "kkkkkkkkkkkkkkkkk", 17);
	memcpy(wide[2], "k1", 2);
	memcpy(wide[3], "kkkkkkkkkkkkkkkk", 16);
	for (i = 0; i < 4; i++)
		vers[i] = 0xdead;
	ok = is(kvc_mget(t, 4, wide, 32, wlens, NULL, 0, res, vers), 0);
	tap_ok(ok && res[0] == -EINVAL && res[1] == -E2BIG && res[2] == 3 && res[3] == -ENOENT &&
	       !vers[0] && !vers[1] && vers[2] && !vers[3],
	       "mget: key_lens 0 and 17 (table max 16): per-key -EINVAL, -E2BIG (%d %d %d %d)",
	       res[0], res[1], res[2], res[3]);
	tap_ok(is(kvc_mget(t, 2, wide, 17, NULL, NULL, 0, res, NULL), 0) &&
	       res[0] == -E2BIG && res[1] == -E2BIG,
	       "mget: key_stride 17, no key_lens: every key -E2BIG");

	/* Library arguments */
	tap_ok(is(kvc_mget(t, 0, keys, 16, lens, NULL, 0, res, NULL), -EINVAL) &&
	       is(kvc_mget(t, 1, NULL, 16, lens, NULL, 0, res, NULL), -EINVAL) &&
	       is(kvc_mget(t, 1, keys, 0, lens, NULL, 0, res, NULL), -EINVAL) &&
	       is(kvc_mget(t, 1, keys, 16, lens, NULL, 8, res, NULL), -EINVAL) &&
	       is(kvc_mget(t, 1, keys, 16, lens, NULL, 0, NULL, NULL), -EINVAL) &&
	       is(kvc_mget(NULL, 1, keys, 16, lens, NULL, 0, res, NULL), -EINVAL),
	       "mget: count 0, NULL keys, key_stride 0, NULL values with a stride, NULL results, NULL handle: -EINVAL");
#if SIZE_MAX > UINT32_MAX
	tap_ok(is(kvc_mget(t, 1, keys, (size_t)UINT32_MAX + 1, NULL, NULL, 0, res, NULL),
		  -E2BIG) &&
	       is(kvc_mget(t, 1, keys, 16, lens, slots, (size_t)UINT32_MAX + 1, res, NULL),
		  -E2BIG), "mget: strides past UINT32_MAX: -E2BIG");
#else
	tap_ok(1, "mget: strides past UINT32_MAX # SKIP size_t has 32 bits");
#endif
}

/* H_MGET through the raw ioctl: what the kernel refuses as a whole. */
static void test_mget_raw(struct kvc_table *t)
{
	/*
	 * Absent keys (zeros) and results with room for every count tried,
	 * so that a kernel taking a bad call still stays inside them.
	 */
	char *zeros = calloc(KVS_MGET_MAX + 1, 8);
	int32_t *many = calloc(KVS_MGET_MAX + 1, sizeof(*many));
	struct kvc_version kv = { 0 };
	struct kvs_ioc_mget a;
	int fd = kvc_table_fd(t), r[8];
	char slots[2][8];
	int32_t res[2];

	if (!tap_ok(zeros && many && !kvc_version(h, &kv), "H_MGET raw: buffers"))
		goto out;
	/* Each call from a fresh struct: a call that passes writes @done. */
	mget_init(&a, zeros, 0, 2, many);
	r[0] = xioctl(fd, KVS_IOC_H_MGET, &a);
	mget_init(&a, zeros, KVS_MGET_MAX + 1, 2, many);
	r[1] = xioctl(fd, KVS_IOC_H_MGET, &a);
	mget_init(&a, zeros, 2, 2, many);
	a.flags = 1;
	r[2] = xioctl(fd, KVS_IOC_H_MGET, &a);
	mget_init(&a, zeros, 2, 0, many);
	r[3] = xioctl(fd, KVS_IOC_H_MGET, &a);
	/* The UAPI's fixed bounds, whatever the module's parameters. */
	mget_init(&a, zeros, 2, 4097, many);
	r[4] = xioctl(fd, KVS_IOC_H_MGET, &a);
	mget_init(&a, zeros, 2, 2, many);
	a.value_stride = (16u << 20) + 1;
	a.values = (uintptr_t)slots;
	r[5] = xioctl(fd, KVS_IOC_H_MGET, &a);
	mget_init(&a, zeros, 2, 2, many);
	a.size = KVS_IOC_MGET_SIZE_VER0 - 8;
	r[6] = xioctl(fd, KVS_IOC_H_MGET, &a);
	tap_ok(r[0] == -EINVAL && r[1] == -EINVAL,
	       "H_MGET raw: count 0, count KVS_MGET_MAX + 1: -EINVAL (%d %d)", r[0], r[1]);
	tap_ok(r[2] == -EINVAL && r[3] == -EINVAL && r[6] == -EINVAL,
	       "H_MGET raw: flags, key_stride 0, short size: -EINVAL (%d %d %d)",
	       r[2], r[3], r[6]);
	tap_ok(r[4] == -EINVAL && r[5] == -EINVAL,
	       "H_MGET raw: key stride 4097, value stride 16 MiB + 1: -EINVAL (%d %d)",
	       r[4], r[5]);

	/* NULL arrays with a count: -EINVAL, as every NULL with a length. */
	mget_init(&a, NULL, 2, 2, res);
	r[0] = xioctl(fd, KVS_IOC_H_MGET, &a);
	mget_init(&a, "k1k1", 2, 2, NULL);
	r[1] = xioctl(fd, KVS_IOC_H_MGET, &a);
	mget_init(&a, "k1k1", 2, 2, res);
	a.value_stride = 8;
	r[2] = xioctl(fd, KVS_IOC_H_MGET, &a);
	tap_ok(r[0] == -EINVAL && r[1] == -EINVAL && r[2] == -EINVAL,
	       "H_MGET raw: NULL keys, results, values with a stride: -EINVAL (%d %d %d)",
	       r[0], r[1], r[2]);
	mget_init(&a, "k1k1", 2, 2, res);
	a.values = (uintptr_t)slots;
	a.value_stride = 8;
	memset(res, 0, sizeof(res));
	r[0] = xioctl(fd, KVS_IOC_H_MGET, &a);
	tap_ok(!r[0] && a.done == 2 && res[0] == 3 &&
	       res[1] == 3 && !memcmp(slots[1], "v1b", 3),
	       "H_MGET raw: done says every key was looked up (%u)", a.done);
out:
	free(zeros);
	free(many);
}

/* Pointers the kernel cannot use: -EFAULT, whichever array it is. */
static void test_mget_fault(struct kvc_table *t)
{
	long page = sysconf(_SC_PAGESIZE);
	static const uint32_t lens[2] = { 2, 2 };
	char slots[2][8], *gone, *ro;
	uint64_t vers[2];
	int32_t res[2];
	int r[12];

	gone = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!tap_ok(gone != MAP_FAILED && ro != MAP_FAILED && !munmap(gone, page),
		    "mget fault: an unmapped and a read-only page"))
		return;
	r[0] = kvc_mget(t, 2, gone, 2, NULL, slots, 8, res, NULL);
	r[1] = kvc_mget(t, 2, KADDR, 2, NULL, slots, 8, res, NULL);
	r[2] = kvc_mget(t, 2, "k1k1", 2, NULL, slots, 8, (int32_t *)gone, NULL);
	r[3] = kvc_mget(t, 2, "k1k1", 2, NULL, slots, 8, KADDR, NULL);
	r[4] = kvc_mget(t, 2, "k1k1", 2, NULL, slots, 8, (int32_t *)ro, NULL);
	r[5] = kvc_mget(t, 2, "k1k1", 2, NULL, gone, 8, res, NULL);
	r[6] = kvc_mget(t, 2, "k1k1", 2, NULL, KADDR, 8, res, NULL);
	r[7] = kvc_mget(t, 2, "k1k1", 2, NULL, ro, 8, res, NULL);
	r[8] = kvc_mget(t, 2, "k1k1", 2, NULL, slots, 8, res, (uint64_t *)gone);
	r[9] = kvc_mget(t, 2, "k1k1", 2, NULL, slots, 8, res, KADDR);
	r[10] = kvc_mget(t, 2, "k1k1", 2, (uint32_t *)gone, slots, 8, res, vers);
	r[11] = kvc_mget(t, 2, "k1k1", 2, KADDR, slots, 8, res, vers);
	tap_ok(r[0] == -EFAULT && r[1] == -EFAULT,
	       "mget: unmapped or kernel keys: -EFAULT (%d %d)", r[0], r[1]);
	tap_ok(r[2] == -EFAULT && r[3] == -EFAULT && r[4] == -EFAULT,
	       "mget: unmapped, kernel or read-only results: -EFAULT (%d %d %d)",
	       r[2], r[3], r[4]);
	tap_ok(r[5] == -EFAULT && r[6] == -EFAULT && r[7] == -EFAULT,
	       "mget: unmapped, kernel or read-only values: -EFAULT (%d %d %d)",
	       r[5], r[6], r[7]);
	tap_ok(r[8] == -EFAULT && r[9] == -EFAULT && r[10] == -EFAULT && r[11] == -EFAULT,
	       "mget: unmapped or kernel versions and key_lens: -EFAULT (%d %d %d %d)",
	       r[8], r[9], r[10], r[11]);
	tap_ok(is(kvc_mget(t, 2, "k1k1", 2, lens, slots, 8, res, vers), 0) &&
	       val(T_H, "k1", "v1b"), "mget: fine again after the faults");
	munmap(ro, page);
}

/* More keys than one H_MGET takes: the library splits the call. */
static void test_mget_many(void)
{
	enum { N = KVC_MGET_MAX + 100 };
	static const uint32_t at[] = { 0, KVC_MGET_MAX - 1, KVC_MGET_MAX, N - 1 };
	struct kvc_table *t = NULL;
	char (*keys)[8] = calloc(N, 8);
	int32_t *res = calloc(N, sizeof(*res));
	uint64_t *vers = calloc(N, sizeof(*vers));
	uint64_t put_vers[ARRAY_SIZE(at)];
	uint32_t i, j, found = 0;
	bool ok;

	/* Keys of 8 bytes, their NUL included: no key_lens needed. */
	ok = keys && res && vers && !create(T_HM, 8, 8, 0, 0) &&
	     !kvc_table_open(h, T_HM, KVC_OPEN_READ | KVC_OPEN_WRITE, &t);
	for (i = 0; ok && i < N; i++)
		snprintf(keys[i], 8, "%07u", i);
	for (j = 0; ok && j < ARRAY_SIZE(at); j++)
		ok = !kvc_tput(t, keys[at[j]], 8, keys[at[j]], 7, KVC_PUT_INSERT, 0,
			       &put_vers[j]);
	ok = ok && !kvc_mget(t, N, keys, 8, NULL, NULL, 0, res, vers);
	for (i = 0, j = 0; ok && i < N; i++) {
		if (j < ARRAY_SIZE(at) && i == at[j]) {
			found += res[i] == 7 && vers[i] == put_vers[j];
			j++;
		} else if (res[i] != -ENOENT || vers[i]) {
			ok = false;
		}
	}
	tap_ok(ok && found == ARRAY_SIZE(at),
	       "mget: %d keys in one call (split at KVC_MGET_MAX): both ends of each part found",
	       N);
	kvc_table_close(t);
	free(keys);
	free(res);
	free(vers);
}

static void test_handles(void)
{
	struct kvc_table *t = NULL, *tx = NULL;
	struct kvc_handle *hx = NULL;
	int dev, fd, flags;
	bool ok;

	tap_ok(is(create(T_H, 16, 32, 0, 0), 0) &&
	       is(kvc_table_open(h, T_H, KVC_OPEN_READ | KVC_OPEN_WRITE, &t), 0) && t,
	       "handle: a table opened for reading and writing");
	if (!t)
		return;
	fd = kvc_table_fd(t);
	flags = fd >= 0 ? fcntl(fd, F_GETFD) : -1;
	tap_ok(fd > 2 && flags >= 0 && (flags & FD_CLOEXEC),
	       "handle: a file descriptor of its own, close-on-exec (fd %d, flags %#x)",
	       fd, flags);
	tap_ok(is(kvc_table_fd(NULL), -EINVAL), "handle: kvc_table_fd(NULL): -EINVAL");
	kvc_table_close(NULL);
	tap_ok(strstr(kvc_strerror(-EIDRM), "dropped") &&
	       strstr(kvc_strerror(-EBADF), "handle"),
	       "strerror: the handles' -EIDRM and -EBADF");

	dev = open(KVC_DEFAULT_PATH, O_RDWR | O_CLOEXEC);
	test_handle_open(dev);
	test_handle_kv(t);
	test_handle_enotty(dev, t);
	test_handle_access();
	test_mget(t);
	test_mget_raw(t);
	test_mget_fault(t);
	test_mget_many();
	close(dev);

	ok = !kvc_open(NULL, &hx) && !kvc_table_open(hx, T_H, KVC_OPEN_READ, &tx);
	kvc_close(hx);
	tap_ok(ok && tval(tx, "k1", "v1b"),
	       "handle: works on after the kvc_handle it came from is closed");
	kvc_table_close(tx);
	kvc_table_close(t);
}

/*
 * The store's bytes, once they are under @below or 5 s have passed: a
 * table is freed by the gc, in the background. @below 0: at once.
 */
static uint64_t store_bytes(uint64_t below)
{
	struct kvc_stats st = { 0 };
	int i;

	for (i = 0; i < 500; i++) {
		if (kvc_stats(h, &st))
			return UINT64_MAX;
		if (st.bytes < below || !below)
			break;
		usleep(10000);
	}
	return st.bytes;
}

/* A table dropped under its handles: -EIDRM, then freed with the last. */
static void test_handle_drop(void)
{
	struct kvc_table *t = NULL, *ro = NULL;
	struct kvc_table_info ti;
	struct kvc_stats st0 = { 0 }, st = { 0 };
	char key[8], value[1000], buf[16];
	int32_t res[1] = { 12345 };
	size_t len = sizeof(buf);
	uint64_t held;
	bool ok;
	int i;

	memset(value, 'd', sizeof(value));
	ok = !kvc_stats(h, &st0) && !create(T_HD, 0, 0, 0, 0) &&
	     !kvc_table_open(h, T_HD, KVC_OPEN_READ | KVC_OPEN_WRITE, &t) &&
	     !kvc_table_open(h, T_HD, KVC_OPEN_READ, &ro);
	for (i = 0; ok && i < 64; i++) {
		snprintf(key, sizeof(key), "d%02d", i);
		ok = !kvc_tput(t, key, 3, value, sizeof(value), KVC_PUT_INSERT, 0, NULL);
	}
	ok = ok && entries(T_HD) == 64 && !kvc_stats(h, &st);
	tap_ok(ok && st.bytes >= st0.bytes + 64 * sizeof(value),
	       "drop: 64 KB written through a handle (store bytes %llu -> %llu)",
	       (unsigned long long)st0.bytes, (unsigned long long)st.bytes);
	if (!ok)
		goto out;
	tap_ok(is(kvc_table_drop(h, T_HD), 0) && ntables() == st0.tables &&
	       is(kvc_table_info(h, T_HD, &ti), -ENOENT),
	       "drop: under two open handles; gone by name, not counted");
	tap_ok(is(kvc_tget(t, "d00", 3, buf, &len, NULL), -EIDRM) && len == sizeof(buf) &&
	       is(kvc_tget(ro, "d00", 3, buf, &len, NULL), -EIDRM) &&
	       is(kvc_tput(t, "d00", 3, "x", 1, KVC_PUT_UPSERT, 0, NULL), -EIDRM) &&
	       is(kvc_tput(t, "new", 3, "x", 1, KVC_PUT_INSERT, 0, NULL), -EIDRM) &&
	       is(kvc_tdel(t, "d00", 3, KVC_DEL_ANY, 0), -EIDRM) &&
	       is(kvc_mget(t, 1, "d00", 3, NULL, NULL, 0, res, NULL), -EIDRM) &&
	       is(kvc_mget(ro, 1, "d00", 3, NULL, NULL, 0, res, NULL), -EIDRM) &&
	       res[0] == 12345,
	       "drop: get, put, del and mget through its handles: -EIDRM");
	usleep(100000);
	held = store_bytes(0);
	tap_ok(held >= st0.bytes + 64 * sizeof(value),
	       "drop: the table's memory stays while a handle holds it (%llu bytes)",
	       (unsigned long long)held);
	tap_ok(is(create(T_HD, 0, 0, 0, 0), 0) && is(put(T_HD, "d00", "new"), 0) &&
	       is(kvc_tget(t, "d00", 3, buf, &len, NULL), -EIDRM) &&
	       is(kvc_tput(t, "d01", 3, "old", 3, KVC_PUT_UPSERT, 0, NULL), -EIDRM) &&
	       is(kvc_tdel(t, "d00", 3, KVC_DEL_ANY, 0), -EIDRM) &&
	       val(T_HD, "d00", "new") && val(T_HD, "d01", NULL) && entries(T_HD) == 1,
	       "drop: a new table of the same name is not reached by the old handles");
	tap_ok(is(kvc_table_drop(h, T_HD), 0) && ntables() == st0.tables,
	       "drop: the new table dropped too");
	kvc_table_close(ro);
	ro = NULL;
	usleep(100000);
	held = store_bytes(0);
	tap_ok(held >= st0.bytes + 64 * sizeof(value),
	       "drop: one handle closed, the other still holds the table (%llu bytes)",
	       (unsigned long long)held);
	kvc_table_close(t);
	t = NULL;
	st.bytes = store_bytes(st0.bytes + 4096);
	tap_ok(st.bytes < st0.bytes + 4096 && ntables() == st0.tables,
	       "drop: the last handle closed frees the table (bytes %llu, %llu before)",
	       (unsigned long long)st.bytes, (unsigned long long)st0.bytes);
out:
	kvc_table_close(ro);
	kvc_table_close(t);
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

/* The table handle the threads of test_threads() share */
static struct kvc_table *mt_table;

/* Key @i of thread @id and its value. */
static void mt_key(long id, int i, char key[16], char v[16])
{
	snprintf(key, 16, "h%ld.%03d", id, i);
	snprintf(v, 16, "%ld-%d", id, i);
}

/*
 * Each thread: its own keys through the shared table handle; the odd ones
 * deleted again, then all read back with one kvc_mget().
 */
static void *mt_handle_worker(void *p)
{
	long id = (long)p, bad = 0;
	char keys[NPERTHREAD][16], v[16], buf[16];
	uint32_t lens[NPERTHREAD];
	int32_t res[NPERTHREAD];
	size_t len;
	int i;

	for (i = 0; i < NPERTHREAD; i++) {
		mt_key(id, i, keys[i], v);
		lens[i] = strlen(keys[i]);
		len = sizeof(buf);
		if (kvc_tput(mt_table, keys[i], lens[i], v, strlen(v), KVC_PUT_INSERT,
			     0, NULL) ||
		    kvc_tget(mt_table, keys[i], lens[i], buf, &len, NULL) ||
		    len != strlen(v) || memcmp(buf, v, len))
			bad++;
		if (i % 2 && kvc_tdel(mt_table, keys[i], lens[i], KVC_DEL_ANY, 0))
			bad++;
	}
	if (kvc_mget(mt_table, NPERTHREAD, keys, 16, lens, NULL, 0, res, NULL))
		return (void *)(bad + 1000);
	for (i = 0; i < NPERTHREAD; i++) {
		mt_key(id, i, buf, v);
		if (res[i] != (i % 2 ? -ENOENT : (int32_t)strlen(v)))
			bad++;
	}
	return (void *)bad;
}

/* Run @fn in NTHREADS threads at once; the sum of what they return. */
static long mt_run(void *(*fn)(void *))
{
	pthread_t th[NTHREADS];
	long i, bad = 0;
	void *r;

	for (i = 0; i < NTHREADS; i++)
		if (pthread_create(&th[i], NULL, fn, (void *)i))
			bad += 10000;
	for (i = 0; i < NTHREADS; i++) {
		if (!pthread_join(th[i], &r))
			bad += (long)r;
	}
	return bad;
}

static void test_threads(void)
{
	char key[16], v[16];
	long bad, id;
	int i;

	tap_ok(!create(T_MT, 0, 0, 0, KVC_TABLE_ORDERED), "threads: table");
	bad = mt_run(mt_worker);
	tap_ok(!bad && entries(T_MT) == 0 && nsnapshots() == 0,
	       "threads: %d threads on one handle: put, get, del, scan, batch (%ld bad)",
	       NTHREADS, bad);

	tap_ok(!kvc_table_open(h, T_MT, KVC_OPEN_READ | KVC_OPEN_WRITE, &mt_table),
	       "threads: one table handle");
	bad = mt_table ? mt_run(mt_handle_worker) : -1;
	for (id = 0; !bad && id < NTHREADS; id++) {
		for (i = 0; i < NPERTHREAD; i++) {
			mt_key(id, i, key, v);
			bad += !val(T_MT, key, i % 2 ? NULL : v);
		}
	}
	tap_ok(!bad && entries(T_MT) == NTHREADS * NPERTHREAD / 2,
	       "threads: %d threads on one table handle: tput, tget, tdel, mget; every key as its thread left it (%ld bad)",
	       NTHREADS, bad);
	kvc_table_close(mt_table);
	mt_table = NULL;
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

/* Root's handle on T_PRIV, opened before the switch to uid 1000 */
static struct kvc_table *priv_table;

/* As uid 1000: a handle is checked once, at open. */
static void as_user_handles(void)
{
	struct kvc_table *t = NULL, *x = NULL;

	tap_ok(is(kvc_table_open(h, T_PUB, KVC_OPEN_READ, &t), 0) && tval(t, "k", "v") &&
	       is(kvc_tput(t, "k", 1, "w", 1, 0, 0, NULL), -EBADF) &&
	       is(kvc_tdel(t, "k", 1, 0, 0), -EBADF) && val(T_PUB, "k", "v"),
	       "perm: 0644 table: others open it for reading; writes through it -EBADF");
	tap_ok(is(kvc_table_open(h, T_PUB, KVC_OPEN_WRITE, &x), -EACCES) &&
	       is(kvc_table_open(h, T_PUB, KVC_OPEN_READ | KVC_OPEN_WRITE, &x), -EACCES) &&
	       !x, "perm: 0644 table: others' open for writing: -EACCES");
	tap_ok(is(kvc_table_open(h, T_PRIV, KVC_OPEN_READ, &x), -EACCES) && !x,
	       "perm: 0600 table: others' open for reading: -EACCES");
	tap_ok(priv_table && tval(priv_table, "k", "v") &&
	       is(kvc_tput(priv_table, "k2", 2, "w", 1, KVC_PUT_INSERT, 0, NULL), 0) &&
	       tval(priv_table, "k2", "w") &&
	       is(kvc_tdel(priv_table, "k2", 2, KVC_DEL_ANY, 0), 0),
	       "perm: a handle root opened still reads and writes 0600 table as uid 1000");
	kvc_table_close(t);
}

/* As uid 1000 without capabilities: mode bits and ownership apply. */
static void as_user(void)
{
	struct kvc_table_opts o = { .sz = sizeof(o), .set_owner = 1, .uid = 1000 };
	struct kvc_table_info ti;
	struct kvc_scan *s = NULL;
	struct kvc_batch *b;
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
	as_user_handles();
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
	kvc_table_open(h, T_PRIV, KVC_OPEN_READ | KVC_OPEN_WRITE, &priv_table);
	in_child(as_user);
	kvc_table_close(priv_table);
	priv_table = NULL;
	tap_ok(!kvc_table_drop(h, T_PUB) && !kvc_table_drop(h, T_PRIV) &&
	       kvc_table_info(h, "tc.mine", &ti) == -ENOENT,
	       "perm: tables dropped");
}

int main(void)
{
	static const char *const tables[] = {
		T_KV, T_SCAN, T_BIG, T_TXN, T_FULL, T_B1, T_B2, T_B3, T_H, T_HM,
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
	test_handles();
	test_handle_drop();
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

// SPDX-License-Identifier: GPL-2.0
/*
 * The ABI rules of every data command (tables, keys, scans, transactions,
 * batches, stats) against malformed calls: short and oversized structs,
 * non-zero reserved fields and unknown flags, bad pointers inside and
 * around the structs, bad names and lengths, and another user's tables.
 * Raw ioctls on purpose: the library never sends these. After each
 * refused call the store must be unchanged.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tap.h"
#include "../../../include/uapi/kvstore.h"

static int fd;
static long page;

static int xioctl(int f, unsigned long cmd, void *arg)
{
	return ioctl(f, cmd, arg) < 0 ? -errno : 0;
}

static void set_name(char *dst, const char *name)
{
	memset(dst, 0, KVS_NAME_LEN);
	strncpy(dst, name, KVS_NAME_LEN);
}

static int table_create(const char *name, unsigned int flags, unsigned int mode,
			uint64_t max_entries)
{
	struct kvs_ioc_table a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	set_name(a.name, name);
	a.params.max_key_size = 64;
	a.params.max_value_size = 256;
	a.params.max_entries = max_entries;
	a.params.flags = flags;
	a.params.mode = mode;
	return xioctl(fd, KVS_IOC_TABLE_CREATE, &a);
}

static int table_entries(const char *name, uint64_t *entries)
{
	struct kvs_ioc_table a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	set_name(a.name, name);
	ret = xioctl(fd, KVS_IOC_TABLE_INFO, &a);
	*entries = a.stats.entries;
	return ret;
}

static void kv_init(struct kvs_ioc_kv *a, const char *table, const void *key,
		    uint32_t klen, void *val, uint32_t vlen)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	set_name(a->table, table);
	a->key = (uintptr_t)key;
	a->key_len = klen;
	a->value = (uintptr_t)val;
	a->value_len = vlen;
}

static int kv(int f, unsigned long cmd, const char *table, const char *key,
	      const char *val, uint32_t mode)
{
	struct kvs_ioc_kv a;

	kv_init(&a, table, key, strlen(key), (void *)val, val ? strlen(val) : 0);
	a.mode = mode;
	return xioctl(f, cmd, &a);
}

/* Value of @key, or "" if absent. */
static const char *get_str(const char *table, const char *key)
{
	static char buf[300];
	struct kvs_ioc_kv a;

	kv_init(&a, table, key, strlen(key), buf, sizeof(buf) - 1);
	if (xioctl(fd, KVS_IOC_GET, &a))
		return "";
	buf[a.value_len] = 0;
	return buf;
}

/* The refused-size rules, for one command and its first struct size. */
static void test_sizes(unsigned long cmd, const char *what, uint32_t ver0)
{
	static unsigned char buf[8192];
	int ret;

	memset(buf, 0, sizeof(buf));
	*(uint32_t *)buf = ver0 - 1;
	ret = xioctl(fd, cmd, buf);
	tap_ok(ret == -EINVAL, "%s: size %u (below the first version): -EINVAL (%d)",
	       what, ver0 - 1, ret);
	*(uint32_t *)buf = page + 1;
	ret = xioctl(fd, cmd, buf);
	tap_ok(ret == -E2BIG, "%s: size over a page: -E2BIG (%d)", what, ret);
	*(uint32_t *)buf = ver0 + 8;
	buf[ver0 + 4] = 1;
	ret = xioctl(fd, cmd, buf);
	tap_ok(ret == -E2BIG, "%s: longer struct, non-zero tail: -E2BIG (%d)",
	       what, ret);
	ret = xioctl(fd, cmd, NULL);
	tap_ok(ret == -EFAULT, "%s: NULL struct: -EFAULT (%d)", what, ret);
	ret = xioctl(fd, cmd, (void *)0xffff888000000000ull);
	tap_ok(ret == -EFAULT, "%s: kernel address: -EFAULT (%d)", what, ret);
}

static void test_all_sizes(void)
{
	test_sizes(KVS_IOC_TABLE_CREATE, "TABLE_CREATE", KVS_IOC_TABLE_SIZE_VER0);
	test_sizes(KVS_IOC_TABLE_DROP, "TABLE_DROP", KVS_IOC_TABLE_SIZE_VER0);
	test_sizes(KVS_IOC_TABLE_INFO, "TABLE_INFO", KVS_IOC_TABLE_SIZE_VER0);
	test_sizes(KVS_IOC_TABLE_LIST, "TABLE_LIST", KVS_IOC_TABLE_LIST_SIZE_VER0);
	test_sizes(KVS_IOC_GET, "GET", KVS_IOC_KV_SIZE_VER0);
	test_sizes(KVS_IOC_PUT, "PUT", KVS_IOC_KV_SIZE_VER0);
	test_sizes(KVS_IOC_DEL, "DEL", KVS_IOC_KV_SIZE_VER0);
	test_sizes(KVS_IOC_SCAN, "SCAN", KVS_IOC_SCAN_SIZE_VER0);
	test_sizes(KVS_IOC_TXN_BEGIN, "TXN_BEGIN", KVS_IOC_TXN_SIZE_VER0);
	test_sizes(KVS_IOC_TXN_COMMIT, "TXN_COMMIT", KVS_IOC_TXN_SIZE_VER0);
	test_sizes(KVS_IOC_TXN_ABORT, "TXN_ABORT", KVS_IOC_TXN_SIZE_VER0);
	test_sizes(KVS_IOC_BATCH, "BATCH", KVS_IOC_BATCH_SIZE_VER0);
	test_sizes(KVS_IOC_STATS, "STATS", KVS_IOC_STATS_SIZE_VER0);
}

static void test_names(void)
{
	struct kvs_ioc_table a;
	uint64_t n;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	memset(a.name, 'x', sizeof(a.name));
	a.params.max_key_size = 16;
	ret = xioctl(fd, KVS_IOC_TABLE_CREATE, &a);
	tap_ok(ret == -ENAMETOOLONG, "create: unterminated name: -ENAMETOOLONG (%d)", ret);
	set_name(a.name, "abi_t");
	a.name[10] = 'z';
	ret = xioctl(fd, KVS_IOC_TABLE_CREATE, &a);
	tap_ok(ret == -EINVAL, "create: bytes after the NUL: -EINVAL (%d)", ret);
	set_name(a.name, "a/b");
	ret = xioctl(fd, KVS_IOC_TABLE_CREATE, &a);
	tap_ok(ret == -EINVAL, "create: '/' in a name: -EINVAL (%d)", ret);
	set_name(a.name, "");
	ret = xioctl(fd, KVS_IOC_TABLE_CREATE, &a);
	tap_ok(ret == -EINVAL, "create: empty name: -EINVAL (%d)", ret);
	set_name(a.name, "abi_bad");
	a.params.max_key_size = 0;
	ret = xioctl(fd, KVS_IOC_TABLE_CREATE, &a);
	tap_ok(ret == -EINVAL, "create: max_key_size 0: -EINVAL (%d)", ret);
	a.params.max_key_size = 16;
	a.params.flags = 0x80;
	ret = xioctl(fd, KVS_IOC_TABLE_CREATE, &a);
	tap_ok(ret == -EINVAL, "create: unknown table flag: -EINVAL (%d)", ret);
	a.params.flags = 0;
	a.params.reserved = 1;
	ret = xioctl(fd, KVS_IOC_TABLE_CREATE, &a);
	tap_ok(ret == -EINVAL, "create: reserved param: -EINVAL (%d)", ret);
	a.params.reserved = 0;
	a.flags = 0x100;
	ret = xioctl(fd, KVS_IOC_TABLE_CREATE, &a);
	tap_ok(ret == -EINVAL, "create: unknown flag: -EINVAL (%d)", ret);
	ret = table_entries("abi_bad", &n);
	tap_ok(ret == -ENOENT, "refused creates created nothing (%d)", ret);
	ret = kv(fd, KVS_IOC_GET, "no_such_table", "k", NULL, 0);
	tap_ok(ret == -ENOENT, "get: unknown table: -ENOENT (%d)", ret);
}

static void test_kv(void)
{
	char *ro, *gone, big[300], out[16];
	struct kvs_ioc_kv a;
	uint64_t n0, n;
	int ret;

	ret = kv(fd, KVS_IOC_PUT, "abi_t", "k1", "v1", KVS_MODE_INSERT);
	tap_ok(ret == 0, "put k1 (%d)", ret);
	table_entries("abi_t", &n0);

	/* Two pages: the first read-only, the second unmapped. */
	ro = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	gone = ro + page;
	munmap(gone, page);
	memcpy(ro, "k2", 2);
	mprotect(ro, page, PROT_READ);

	kv_init(&a, "abi_t", NULL, 2, "v", 1);
	ret = xioctl(fd, KVS_IOC_PUT, &a);
	tap_ok(ret == -EINVAL, "put: NULL key with a length: -EINVAL (%d)", ret);
	kv_init(&a, "abi_t", "k", 0, "v", 1);
	ret = xioctl(fd, KVS_IOC_PUT, &a);
	tap_ok(ret == -EINVAL, "put: empty key: -EINVAL (%d)", ret);
	kv_init(&a, "abi_t", gone, 2, "v", 1);
	ret = xioctl(fd, KVS_IOC_PUT, &a);
	tap_ok(ret == -EFAULT, "put: unmapped key: -EFAULT (%d)", ret);
	kv_init(&a, "abi_t", (void *)0xffff888000000000ull, 2, "v", 1);
	ret = xioctl(fd, KVS_IOC_PUT, &a);
	tap_ok(ret == -EFAULT, "put: kernel-address key: -EFAULT (%d)", ret);
	kv_init(&a, "abi_t", "k2", 2, gone, 1);
	ret = xioctl(fd, KVS_IOC_PUT, &a);
	tap_ok(ret == -EFAULT, "put: unmapped value: -EFAULT (%d)", ret);
	kv_init(&a, "abi_t", "k2", 2, NULL, 5);
	ret = xioctl(fd, KVS_IOC_PUT, &a);
	tap_ok(ret == -EINVAL, "put: NULL value with a length: -EINVAL (%d)", ret);
	memset(big, 'b', sizeof(big));
	kv_init(&a, "abi_t", big, 65, "v", 1);
	ret = xioctl(fd, KVS_IOC_PUT, &a);
	tap_ok(ret == -E2BIG, "put: key over the table's 64: -E2BIG (%d)", ret);
	kv_init(&a, "abi_t", "k2", 2, big, 257);
	ret = xioctl(fd, KVS_IOC_PUT, &a);
	tap_ok(ret == -E2BIG, "put: value over the table's 256: -E2BIG (%d)", ret);
	kv_init(&a, "abi_t", "k2", 2, big, 0xffffffffu);
	ret = xioctl(fd, KVS_IOC_PUT, &a);
	tap_ok(ret == -E2BIG, "put: 4 GiB value length: -E2BIG (%d)", ret);
	kv_init(&a, "abi_t", "k2", 2, "v", 1);
	a.mode = 4;
	ret = xioctl(fd, KVS_IOC_PUT, &a);
	tap_ok(ret == -EINVAL, "put: unknown mode: -EINVAL (%d)", ret);
	a.mode = 0;
	a.flags = 0x40;
	ret = xioctl(fd, KVS_IOC_PUT, &a);
	tap_ok(ret == -EINVAL, "put: unknown flag: -EINVAL (%d)", ret);
	a.flags = 0;
	a.reserved = 1;
	ret = xioctl(fd, KVS_IOC_PUT, &a);
	tap_ok(ret == -EINVAL, "put: reserved field: -EINVAL (%d)", ret);
	/* A reply that cannot be written: refused before anything is done. */
	mprotect(ro, page, PROT_READ | PROT_WRITE);
	kv_init((struct kvs_ioc_kv *)(ro + 512), "abi_t", "k2", 2, "v", 1);
	mprotect(ro, page, PROT_READ);
	ret = xioctl(fd, KVS_IOC_PUT, ro + 512);
	tap_ok(ret == -EFAULT, "put: read-only struct: -EFAULT (%d)", ret);
	table_entries("abi_t", &n);
	tap_ok(n == n0 && !strcmp(get_str("abi_t", "k2"), ""),
	       "refused puts changed nothing (%llu entries)",
	       (unsigned long long)n);

	kv_init(&a, "abi_t", "k1", 2, gone, 16);
	ret = xioctl(fd, KVS_IOC_GET, &a);
	tap_ok(ret == -EFAULT, "get: unmapped value buffer: -EFAULT (%d)", ret);
	kv_init(&a, "abi_t", "k1", 2, ro, 16);
	ret = xioctl(fd, KVS_IOC_GET, &a);
	tap_ok(ret == -EFAULT, "get: read-only value buffer: -EFAULT (%d)", ret);
	kv_init(&a, "abi_t", "k1", 2, out, 1);
	ret = xioctl(fd, KVS_IOC_GET, &a);
	tap_ok(ret == -ENOBUFS && a.value_len == 2,
	       "get: buffer too small: -ENOBUFS, length 2 reported (%d, %u)",
	       ret, a.value_len);
	kv_init(&a, "abi_t", "k1", 2, NULL, 0);
	ret = xioctl(fd, KVS_IOC_GET, &a);
	tap_ok(ret == -ENOBUFS && a.value_len == 2,
	       "get: no buffer: -ENOBUFS with the length (%d)", ret);
	kv_init(&a, "abi_t", "k1", 2, NULL, 16);
	ret = xioctl(fd, KVS_IOC_GET, &a);
	tap_ok(ret == -EINVAL, "get: NULL buffer with room: -EINVAL (%d)", ret);
	kv_init(&a, "abi_t", "k1", 2, out, sizeof(out));
	a.mode = 1;
	ret = xioctl(fd, KVS_IOC_GET, &a);
	tap_ok(ret == -EINVAL, "get: a mode: -EINVAL (%d)", ret);
	kv_init(&a, "abi_t", "k1", 2, out, 4);
	ret = xioctl(fd, KVS_IOC_DEL, &a);
	tap_ok(ret == -EINVAL, "del: a value: -EINVAL (%d)", ret);
	kv_init(&a, "abi_t", "k1", 2, NULL, 0);
	a.mode = 2;
	ret = xioctl(fd, KVS_IOC_DEL, &a);
	tap_ok(ret == -EINVAL, "del: unknown mode: -EINVAL (%d)", ret);
	kv_init(&a, "abi_t", "k1", 2, NULL, 0);
	a.flags = KVS_IOF_TXN;
	ret = xioctl(fd, KVS_IOC_DEL, &a);
	tap_ok(ret == -EBADFD, "del in a transaction none opened: -EBADFD (%d)", ret);
	tap_ok(!strcmp(get_str("abi_t", "k1"), "v1"), "k1 still holds v1");
	munmap(ro, page);
}

static void test_scan(void)
{
	static char buf[4096];
	struct kvs_ioc_scan a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	set_name(a.table, "abi_t");
	a.buf = (uintptr_t)buf;
	a.buf_len = sizeof(buf);
	ret = xioctl(fd, KVS_IOC_SCAN, &a);
	tap_ok(ret == 0 && a.count == 1 && !a.more, "scan: one key (%d, %u)",
	       ret, a.count);
	a.count = a.used = a.more = 0;
	a.buf_len = 63;
	ret = xioctl(fd, KVS_IOC_SCAN, &a);
	tap_ok(ret == -EINVAL, "scan: 63-byte buffer: -EINVAL (%d)", ret);
	a.buf_len = (16u << 20) + 1;
	ret = xioctl(fd, KVS_IOC_SCAN, &a);
	tap_ok(ret == -EINVAL, "scan: buffer over 16 MiB: -EINVAL (%d)", ret);
	a.buf_len = sizeof(buf);
	a.lo = (uintptr_t)"k";
	ret = xioctl(fd, KVS_IOC_SCAN, &a);
	tap_ok(ret == -EINVAL, "scan: bound without a length: -EINVAL (%d)", ret);
	a.lo_len = 100;
	ret = xioctl(fd, KVS_IOC_SCAN, &a);
	tap_ok(ret == -E2BIG, "scan: bound over max key: -E2BIG (%d)", ret);
	a.lo = 0;
	a.lo_len = 0;
	a.flags = 0x100;
	ret = xioctl(fd, KVS_IOC_SCAN, &a);
	tap_ok(ret == -EINVAL, "scan: unknown flag: -EINVAL (%d)", ret);
	a.flags = 0;
	a.buf = (uintptr_t)0xffff888000000000ull;
	ret = xioctl(fd, KVS_IOC_SCAN, &a);
	tap_ok(ret == -EFAULT, "scan: kernel-address buffer: -EFAULT (%d)", ret);
	a.buf = (uintptr_t)buf;
	set_name(a.table, "abi_h");
	ret = xioctl(fd, KVS_IOC_SCAN, &a);
	tap_ok(ret == -EOPNOTSUPP, "scan: table without an order: -EOPNOTSUPP (%d)", ret);
}

static void test_txn_batch(void)
{
	struct kvs_ioc_batch_op ops[2];
	char names[2][KVS_NAME_LEN];
	struct kvs_ioc_batch b;
	struct kvs_ioc_txn t;
	int ret;

	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	ret = xioctl(fd, KVS_IOC_TXN_COMMIT, &t);
	tap_ok(ret == -EBADFD, "commit without a transaction: -EBADFD (%d)", ret);
	t.flags = 2;
	ret = xioctl(fd, KVS_IOC_TXN_BEGIN, &t);
	tap_ok(ret == -EINVAL, "begin: unknown flag: -EINVAL (%d)", ret);
	t.flags = 0;
	ret = xioctl(fd, KVS_IOC_TXN_BEGIN, &t);
	tap_ok(ret == 0 && t.version, "begin (%d)", ret);
	t.version = 0;
	ret = xioctl(fd, KVS_IOC_TXN_BEGIN, &t);
	tap_ok(ret == -EBUSY, "begin twice: -EBUSY (%d)", ret);
	ret = xioctl(fd, KVS_IOC_TXN_ABORT, &t);
	tap_ok(ret == 0, "abort (%d)", ret);

	set_name(names[0], "abi_t");
	set_name(names[1], "abi_h");
	memset(ops, 0, sizeof(ops));
	ops[0].op = KVS_OP_PUT;
	ops[0].key = (uintptr_t)"b1";
	ops[0].key_len = 2;
	ops[0].value = (uintptr_t)"x";
	ops[0].value_len = 1;
	ops[1] = ops[0];
	ops[1].table = 2;		/* out of range */
	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.tables = (uintptr_t)names;
	b.ntables = 2;
	b.ops = (uintptr_t)ops;
	b.nops = 2;
	b.flags = KVS_BATCH_ATOMIC;
	ret = xioctl(fd, KVS_IOC_BATCH, &b);
	tap_ok(ret == -ECANCELED && ops[1].result == -EINVAL && b.done == 0,
	       "atomic batch, bad table index: -ECANCELED, op 1 -EINVAL (%d, %d)",
	       ret, ops[1].result);
	tap_ok(!strcmp(get_str("abi_t", "b1"), ""), "nothing of it applied");
	ops[0].result = ops[1].result = 0;
	b.done = 0;
	b.flags = KVS_BATCH_ATOMIC | KVS_IOF_TXN;
	ret = xioctl(fd, KVS_IOC_BATCH, &b);
	tap_ok(ret == -EINVAL, "batch: atomic and in a transaction: -EINVAL (%d)", ret);
	b.flags = 0;
	b.nops = 4097;
	ret = xioctl(fd, KVS_IOC_BATCH, &b);
	tap_ok(ret == -EINVAL, "batch: 4097 ops: -EINVAL (%d)", ret);
	b.nops = 2;
	b.ntables = 65;
	ret = xioctl(fd, KVS_IOC_BATCH, &b);
	tap_ok(ret == -EINVAL, "batch: 65 tables: -EINVAL (%d)", ret);
	b.ntables = 2;
	b.ops = (uintptr_t)0xffff888000000000ull;
	ret = xioctl(fd, KVS_IOC_BATCH, &b);
	tap_ok(ret == -EFAULT, "batch: kernel-address ops: -EFAULT (%d)", ret);
	b.ops = (uintptr_t)ops;
	ret = xioctl(fd, KVS_IOC_BATCH, &b);
	tap_ok(ret == 0 && ops[0].result == 0 && ops[1].result == -EINVAL &&
	       b.done == 2, "independent batch: op 0 done, op 1 -EINVAL (%d)", ret);
	tap_ok(!strcmp(get_str("abi_t", "b1"), "x"), "op 0 applied");
}

/*
 * As another user: a batch reading a 0644 table and writing it gets its
 * read and an -EACCES for its write, and the write changes nothing.
 */
static int batch_ro(void)
{
	struct kvs_ioc_batch_op ops[2];
	char names[1][KVS_NAME_LEN];
	struct kvs_ioc_batch b;
	char out[16];

	set_name(names[0], "abi_ro");
	memset(ops, 0, sizeof(ops));
	ops[0].op = KVS_OP_GET;
	ops[0].key = (uintptr_t)"r";
	ops[0].key_len = 1;
	ops[0].value = (uintptr_t)out;
	ops[0].value_len = sizeof(out);
	ops[1].op = KVS_OP_PUT;
	ops[1].key = (uintptr_t)"r";
	ops[1].key_len = 1;
	ops[1].value = (uintptr_t)"x";
	ops[1].value_len = 1;
	memset(&b, 0, sizeof(b));
	b.size = sizeof(b);
	b.tables = (uintptr_t)names;
	b.ntables = 1;
	b.ops = (uintptr_t)ops;
	b.nops = 2;
	if (xioctl(fd, KVS_IOC_BATCH, &b) || ops[0].result ||
	    ops[0].value_len != 6 || memcmp(out, "public", 6) ||
	    ops[1].result != -EACCES)
		return 1;
	return 0;
}

/* Another user, on an fd opened by root: the tables' modes decide. */
static void test_other_user(void)
{
	struct kvs_ioc_table a;
	uint64_t n0, n;
	pid_t pid;
	int st = -1;

	table_create("abi_priv", 0, 0600, 0);
	table_create("abi_ro", 0, 0644, 0);
	kv(fd, KVS_IOC_PUT, "abi_priv", "s", "secret", 0);
	kv(fd, KVS_IOC_PUT, "abi_ro", "r", "public", 0);
	table_entries("abi_ro", &n0);

	pid = fork();
	if (!pid) {
		int bad = 0;

		if (setgid(65534) || setuid(65534))
			_exit(100);
		bad |= kv(fd, KVS_IOC_GET, "abi_priv", "s", NULL, 0) != -EACCES;
		bad |= (kv(fd, KVS_IOC_GET, "abi_ro", "r", NULL, 0) != -ENOBUFS) << 1;
		bad |= (kv(fd, KVS_IOC_PUT, "abi_ro", "r", "x", 0) != -EACCES) << 2;
		bad |= (kv(fd, KVS_IOC_DEL, "abi_ro", "r", NULL, 0) != -EACCES) << 3;
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		set_name(a.name, "abi_ro");
		bad |= (xioctl(fd, KVS_IOC_TABLE_DROP, &a) != -EPERM) << 4;
		set_name(a.name, "abi_priv");
		bad |= (xioctl(fd, KVS_IOC_TABLE_INFO, &a) != -EACCES) << 5;
		set_name(a.name, "abi_mine");
		a.flags = KVS_TABLE_CREATE_OWNER;
		a.params.max_key_size = 16;
		a.params.max_value_size = 64;
		a.params.mode = 0600;
		bad |= (xioctl(fd, KVS_IOC_TABLE_CREATE, &a) != -EPERM) << 6;
		a.flags = 0;
		bad |= (xioctl(fd, KVS_IOC_TABLE_CREATE, &a) != 0) << 7;
		bad |= (kv(fd, KVS_IOC_PUT, "abi_mine", "m", "mine", 0) != 0) << 8;
		bad |= (batch_ro() != 0) << 9;
		if (bad)
			printf("# failed checks: %#x\n", bad);
		fflush(stdout);
		_exit(bad ? 1 : 0);
	}
	waitpid(pid, &st, 0);
	tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "user 65534: no read of a 0600 table, read but no write of a 0644 one (also in a batch), no drop, no owner change; its own table works");
	table_entries("abi_ro", &n);
	tap_ok(n == n0 && !strcmp(get_str("abi_ro", "r"), "public") &&
	       !strcmp(get_str("abi_priv", "s"), "secret"),
	       "the other user changed nothing");
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	set_name(a.name, "abi_mine");
	tap_ok(xioctl(fd, KVS_IOC_TABLE_INFO, &a) == 0 && a.params.uid == 65534 &&
	       !strcmp(get_str("abi_mine", "m"), "mine"),
	       "its table belongs to 65534; root reads it anyway (CAP_SYS_ADMIN)");
}

static void drop(const char *name)
{
	struct kvs_ioc_table a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	set_name(a.name, name);
	xioctl(fd, KVS_IOC_TABLE_DROP, &a);
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/" KVS_DEVICE_NAME;
	struct kvs_ioc_stats st;

	page = sysconf(_SC_PAGESIZE);
	fd = open(path, O_RDWR);
	if (!tap_ok(fd >= 0, "open %s", path))
		return tap_done();
	tap_ok(table_create("abi_t", KVS_TF_ORDERED, 0600, 0) == 0 &&
	       table_create("abi_h", 0, 0600, 0) == 0, "create abi_t and abi_h");
	test_all_sizes();
	test_names();
	test_kv();
	test_scan();
	test_txn_batch();
	test_other_user();
	drop("abi_t");
	drop("abi_h");
	drop("abi_priv");
	drop("abi_ro");
	drop("abi_mine");
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	tap_ok(xioctl(fd, KVS_IOC_STATS, &st) == 0 && st.snapshots == 0,
	       "stats: no snapshot left open (%llu tables)",
	       (unsigned long long)st.tables);
	close(fd);
	return tap_done();
}

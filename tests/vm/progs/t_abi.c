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
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tap.h"
#include "../../../include/uapi/kvstore.h"

/*
 * An address no caller may pass: the kernel's, or for a 32-bit program
 * (this file is also built with -m32, the compat ioctl path) one above
 * its address space.
 */
#if UINTPTR_MAX == 0xffffffffu
#define KADDR	((void *)0xfffff000u)
#else
#define KADDR	((void *)0xffff888000000000ull)
#endif

static int fd;
static long page;

static int xioctl(int f, unsigned long cmd, void *arg)
{
	return ioctl(f, cmd, arg) < 0 ? -errno : 0;
}

static void set_name(char *dst, const char *name)
{
	size_t n = strlen(name);

	memset(dst, 0, KVS_NAME_LEN);
	memcpy(dst, name, n < KVS_NAME_LEN ? n : KVS_NAME_LEN);
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
static void test_sizes_on(int f, unsigned long cmd, const char *what,
			  uint32_t ver0)
{
	static unsigned char buf[8192];
	int ret;

	memset(buf, 0, sizeof(buf));
	*(uint32_t *)buf = ver0 - 1;
	ret = xioctl(f, cmd, buf);
	tap_ok(ret == -EINVAL, "%s: size %u (below the first version): -EINVAL (%d)",
	       what, ver0 - 1, ret);
	*(uint32_t *)buf = page + 1;
	ret = xioctl(f, cmd, buf);
	tap_ok(ret == -E2BIG, "%s: size over a page: -E2BIG (%d)", what, ret);
	*(uint32_t *)buf = ver0 + 8;
	buf[ver0 + 4] = 1;
	ret = xioctl(f, cmd, buf);
	tap_ok(ret == -E2BIG, "%s: longer struct, non-zero tail: -E2BIG (%d)",
	       what, ret);
	ret = xioctl(f, cmd, NULL);
	tap_ok(ret == -EFAULT, "%s: NULL struct: -EFAULT (%d)", what, ret);
	ret = xioctl(f, cmd, KADDR);
	tap_ok(ret == -EFAULT, "%s: kernel address: -EFAULT (%d)", what, ret);
}

static void test_sizes(unsigned long cmd, const char *what, uint32_t ver0)
{
	test_sizes_on(fd, cmd, what, ver0);
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
	test_sizes(KVS_IOC_TABLE_OPEN, "TABLE_OPEN",
		   KVS_IOC_TABLE_OPEN_SIZE_VER0);
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
	kv_init(&a, "abi_t", KADDR, 2, "v", 1);
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
	a.buf = (uintptr_t)KADDR;
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
	b.ops = (uintptr_t)KADDR;
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

/*
 * Run @checks in a child as user and group 65534; it returns a bit mask of
 * the checks that failed. Return: true if none did.
 */
static bool as_nobody(int (*checks)(void))
{
	int st = -1;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (!pid) {
		int bad;

		if (setgid(65534) || setuid(65534))
			_exit(100);
		bad = checks();
		if (bad)
			printf("# failed checks: %#x\n", bad);
		fflush(stdout);
		_exit(bad ? 1 : 0);
	}
	waitpid(pid, &st, 0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* Another user, on an fd opened by root: the tables' modes decide. */
static int other_user_checks(void)
{
	struct kvs_ioc_table a;
	int bad = 0;

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
	return bad;
}

static void test_other_user(void)
{
	struct kvs_ioc_table a;
	uint64_t n0, n;

	table_create("abi_priv", 0, 0600, 0);
	table_create("abi_ro", 0, 0644, 0);
	kv(fd, KVS_IOC_PUT, "abi_priv", "s", "secret", 0);
	kv(fd, KVS_IOC_PUT, "abi_ro", "r", "public", 0);
	table_entries("abi_ro", &n0);

	tap_ok(as_nobody(other_user_checks),
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

/* ------------------------------------------------------------------ */
/* Table handles                                                       */
/* ------------------------------------------------------------------ */

/* TABLE_OPEN @name with @flags. Return: the handle or -errno. */
static int h_open(const char *name, uint32_t flags)
{
	struct kvs_ioc_table_open a;
	int ret;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = flags;
	set_name(a.name, name);
	ret = xioctl(fd, KVS_IOC_TABLE_OPEN, &a);
	return ret ?: a.fd;
}

static void key_init(struct kvs_ioc_key *a, const void *key, uint32_t klen,
		     void *val, uint32_t vlen)
{
	memset(a, 0, sizeof(*a));
	a->size = sizeof(*a);
	a->key = (uintptr_t)key;
	a->key_len = klen;
	a->value = (uintptr_t)val;
	a->value_len = vlen;
}

/* @cmd on handle @h for @key and @val must fail with @want. */
static void h_expect(int h, unsigned long cmd, const void *key, uint32_t klen,
		     void *val, uint32_t vlen, int want, const char *what)
{
	struct kvs_ioc_key a;
	int ret;

	key_init(&a, key, klen, val, vlen);
	ret = xioctl(h, cmd, &a);
	tap_ok(ret == want, "%s (%d)", what, ret);
}

static int h_kv(int h, unsigned long cmd, const char *key, const char *val,
		uint32_t mode)
{
	struct kvs_ioc_key a;

	key_init(&a, key, strlen(key), (void *)val, val ? strlen(val) : 0);
	a.mode = mode;
	return xioctl(h, cmd, &a);
}

/* The lowest free fd: a failed open must not have taken one. */
static int next_fd(void)
{
	int f = dup(0);

	close(f);
	return f;
}

static void test_handle_open(void)
{
	struct kvs_ioc_table_open a;
	int ret, f0, h;
	char *ro;

	ret = h_open("abi_t", 0);
	tap_ok(ret == -EINVAL, "open: no access asked: -EINVAL (%d)", ret);
	ret = h_open("abi_t", 4);
	tap_ok(ret == -EINVAL, "open: unknown flag: -EINVAL (%d)", ret);
	ret = h_open("no_such_table", KVS_OPEN_READ);
	tap_ok(ret == -ENOENT, "open: unknown table: -ENOENT (%d)", ret);
	ret = h_open("", KVS_OPEN_READ);
	tap_ok(ret == -EINVAL, "open: empty name: -EINVAL (%d)", ret);
	ret = h_open("a/b", KVS_OPEN_READ);
	tap_ok(ret == -EINVAL, "open: '/' in a name: -EINVAL (%d)", ret);
	ret = kv(fd, KVS_IOC_GET, ".hidden", "k", NULL, 0);
	tap_ok(ret == -EINVAL, "get: a name no table can have: -EINVAL (%d)", ret);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = KVS_OPEN_READ;
	set_name(a.name, "abi_t");
	a.reserved = 1;
	ret = xioctl(fd, KVS_IOC_TABLE_OPEN, &a);
	tap_ok(ret == -EINVAL, "open: reserved field: -EINVAL (%d)", ret);
	a.reserved = 0;
	a.fd = 3;
	ret = xioctl(fd, KVS_IOC_TABLE_OPEN, &a);
	tap_ok(ret == -EINVAL, "open: fd (an output) set: -EINVAL (%d)", ret);

	/* A reply that cannot be written: no fd appears. */
	f0 = next_fd();
	ro = mmap(NULL, page, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	a.fd = 0;
	memcpy(ro, &a, sizeof(a));
	mprotect(ro, page, PROT_READ);
	ret = xioctl(fd, KVS_IOC_TABLE_OPEN, ro);
	tap_ok(ret == -EFAULT && next_fd() == f0,
	       "open: read-only struct: -EFAULT, no fd left behind (%d)", ret);
	munmap(ro, page);

	h = h_open("abi_t", KVS_OPEN_READ);
	tap_ok(h >= 0 && (fcntl(h, F_GETFD) & FD_CLOEXEC) &&
	       (fcntl(h, F_GETFL) & O_ACCMODE) == O_RDONLY,
	       "open for reading: a close-on-exec, read-only fd (%d)", h);
	ret = xioctl(h, KVS_IOC_GET, &a);
	tap_ok(ret == -ENOTTY, "a device command on a handle: -ENOTTY (%d)", ret);
	ret = xioctl(h, KVS_IOC_TABLE_OPEN, &a);
	tap_ok(ret == -ENOTTY, "TABLE_OPEN on a handle: -ENOTTY (%d)", ret);
	ret = h_kv(fd, KVS_IOC_H_GET, "k1", NULL, 0);
	tap_ok(ret == -ENOTTY, "a handle command on the device: -ENOTTY (%d)", ret);
	ret = h_kv(h, KVS_IOC_H_PUT, "k9", "v", 0);
	tap_ok(ret == -EBADF, "put through a read-only handle: -EBADF (%d)", ret);
	ret = h_kv(h, KVS_IOC_H_DEL, "k1", NULL, 0);
	tap_ok(ret == -EBADF, "del through a read-only handle: -EBADF (%d)", ret);
	ret = h_kv(h, _IOWR(KVS_IOC_MAGIC, 0x2f, struct kvs_ioc_key), "k1",
		   NULL, 0);
	tap_ok(ret == -ENOTTY, "unknown handle command: -ENOTTY (%d)", ret);
	close(h);
	h = h_open("abi_t", KVS_OPEN_WRITE);
	ret = h_kv(h, KVS_IOC_H_GET, "k1", NULL, 0);
	tap_ok(h >= 0 && ret == -EBADF,
	       "get through a write-only handle: -EBADF (%d)", ret);
	close(h);
	tap_ok(!strcmp(get_str("abi_t", "k1"), "v1") &&
	       !strcmp(get_str("abi_t", "k9"), ""),
	       "refused handle commands changed nothing");
}

static void test_handle_kv(void)
{
	/* Fields H_GET wants zero: a byte of each set to 1 (little-endian). */
	static const struct {
		const char *what;
		size_t off;
	} get_bad[] = {
		{ "a flag", offsetof(struct kvs_ioc_key, flags) },
		{ "a mode", offsetof(struct kvs_ioc_key, mode) },
		{ "reserved field", offsetof(struct kvs_ioc_key, reserved) },
		{ "version (an output) set", offsetof(struct kvs_ioc_key, version) },
	};
	char *ro, *gone, big[300], out[16];
	unsigned int i;
	struct kvs_ioc_kv g;
	struct kvs_ioc_key a;
	unsigned char raw[64];
	int h, ret;

	h = h_open("abi_t", KVS_OPEN_READ | KVS_OPEN_WRITE);
	tap_ok(h >= 0, "open abi_t for reading and writing (%d)", h);
	test_sizes_on(h, KVS_IOC_H_GET, "H_GET", KVS_IOC_KEY_SIZE_VER0);
	test_sizes_on(h, KVS_IOC_H_PUT, "H_PUT", KVS_IOC_KEY_SIZE_VER0);
	test_sizes_on(h, KVS_IOC_H_DEL, "H_DEL", KVS_IOC_KEY_SIZE_VER0);
	test_sizes_on(h, KVS_IOC_H_MGET, "H_MGET", KVS_IOC_MGET_SIZE_VER0);

	ro = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	gone = ro + page;
	munmap(gone, page);
	mprotect(ro, page, PROT_READ);

	/* A good read, and only the output fields written. */
	memset(raw, 0xee, sizeof(raw));
	key_init((struct kvs_ioc_key *)raw, "k1", 2, out, sizeof(out));
	((struct kvs_ioc_key *)raw)->size = 56;
	memset(raw + 48, 0, 8);
	ret = xioctl(h, KVS_IOC_H_GET, raw);
	memcpy(&a, raw, sizeof(a));
	kv_init(&g, "abi_t", "k1", 2, big, sizeof(big));
	xioctl(fd, KVS_IOC_GET, &g);
	tap_ok(ret == 0 && a.value_len == 2 && !memcmp(out, "v1", 2) &&
	       a.version == g.version && a.size == 56 && a.key_len == 2 &&
	       !memchr(raw + 48, 0xee, 8),
	       "H_GET: value, version as GET's, struct's inputs untouched (%d)",
	       ret);

	for (i = 0; i < sizeof(get_bad) / sizeof(get_bad[0]); i++) {
		key_init(&a, "k1", 2, out, sizeof(out));
		((unsigned char *)&a)[get_bad[i].off] = 1;
		ret = xioctl(h, KVS_IOC_H_GET, &a);
		tap_ok(ret == -EINVAL, "H_GET: %s: -EINVAL (%d)", get_bad[i].what,
		       ret);
	}
	h_expect(h, KVS_IOC_H_GET, "k1", 2, NULL, 16, -EINVAL,
		 "H_GET: NULL buffer with room: -EINVAL");
	h_expect(h, KVS_IOC_H_GET, "k1", 0, out, sizeof(out), -EINVAL,
		 "H_GET: empty key: -EINVAL");
	memset(big, 'b', sizeof(big));
	h_expect(h, KVS_IOC_H_GET, big, 65, out, sizeof(out), -E2BIG,
		 "H_GET: key over the table's 64: -E2BIG");
	h_expect(h, KVS_IOC_H_GET, gone, 2, out, sizeof(out), -EFAULT,
		 "H_GET: unmapped key: -EFAULT");
	h_expect(h, KVS_IOC_H_GET, "k1", 2, gone, 16, -EFAULT,
		 "H_GET: unmapped value buffer: -EFAULT");
	h_expect(h, KVS_IOC_H_GET, "k1", 2, ro, 16, -EFAULT,
		 "H_GET: read-only value buffer: -EFAULT");
	h_expect(h, KVS_IOC_H_GET, "k1", 2, KADDR, 16, -EFAULT,
		 "H_GET: kernel-address buffer: -EFAULT");
	key_init(&a, "k1", 2, out, 1);
	ret = xioctl(h, KVS_IOC_H_GET, &a);
	tap_ok(ret == -ENOBUFS && a.value_len == 2 && !a.version,
	       "H_GET: buffer too small: -ENOBUFS, length 2 (%d, %u)", ret,
	       a.value_len);
	ret = h_kv(h, KVS_IOC_H_GET, "nope", NULL, 0);
	tap_ok(ret == -ENOENT, "H_GET: absent key: -ENOENT (%d)", ret);

	key_init(&a, "h1", 2, "v", 1);
	a.mode = 4;
	ret = xioctl(h, KVS_IOC_H_PUT, &a);
	tap_ok(ret == -EINVAL, "H_PUT: unknown mode: -EINVAL (%d)", ret);
	h_expect(h, KVS_IOC_H_PUT, "h1", 2, gone, 1, -EFAULT,
		 "H_PUT: unmapped value: -EFAULT");
	h_expect(h, KVS_IOC_H_PUT, "h1", 2, big, 257, -E2BIG,
		 "H_PUT: value over the table's 256: -E2BIG");
	key_init(&a, "h1", 2, "v", 1);
	a.mode = KVS_MODE_CAS;
	a.version = 12345;
	ret = xioctl(h, KVS_IOC_H_PUT, &a);
	tap_ok(ret == -ENOENT, "H_PUT: CAS of a version on an absent key: -ENOENT (%d)",
	       ret);
	mprotect(ro, page, PROT_READ | PROT_WRITE);
	key_init((struct kvs_ioc_key *)(ro + 512), "h1", 2, "v", 1);
	mprotect(ro, page, PROT_READ);
	ret = xioctl(h, KVS_IOC_H_PUT, ro + 512);
	tap_ok(ret == -EFAULT, "H_PUT: read-only struct: -EFAULT (%d)", ret);
	tap_ok(!strcmp(get_str("abi_t", "h1"), ""), "refused H_PUTs changed nothing");
	key_init(&a, "h1", 2, "hv", 2);
	a.mode = KVS_MODE_INSERT;
	ret = xioctl(h, KVS_IOC_H_PUT, &a);
	kv_init(&g, "abi_t", "h1", 2, big, sizeof(big));
	xioctl(fd, KVS_IOC_GET, &g);
	tap_ok(ret == 0 && a.version && a.version == g.version &&
	       !strcmp(get_str("abi_t", "h1"), "hv"),
	       "H_PUT: written, its version returned (%d)", ret);
	h_expect(h, KVS_IOC_H_DEL, "h1", 2, "x", 1, -EINVAL,
		 "H_DEL: a value: -EINVAL");
	key_init(&a, "h1", 2, NULL, 0);
	a.mode = 2;
	ret = xioctl(h, KVS_IOC_H_DEL, &a);
	tap_ok(ret == -EINVAL, "H_DEL: unknown mode: -EINVAL (%d)", ret);
	key_init(&a, "h1", 2, NULL, 0);
	a.mode = KVS_MODE_DEL_CAS;
	a.version = g.version + 1;
	ret = xioctl(h, KVS_IOC_H_DEL, &a);
	tap_ok(ret == -EAGAIN && !strcmp(get_str("abi_t", "h1"), "hv"),
	       "H_DEL: CAS on another version: -EAGAIN, kept (%d)", ret);
	a.version = g.version;
	ret = xioctl(h, KVS_IOC_H_DEL, &a);
	tap_ok(ret == 0 && !strcmp(get_str("abi_t", "h1"), ""),
	       "H_DEL: CAS on its version: deleted (%d)", ret);
	munmap(ro, page);
	close(h);
}

static void mget_init(struct kvs_ioc_mget *m, const void *keys, uint32_t n,
		      uint32_t kstride, void *vals, uint32_t vstride,
		      int32_t *res)
{
	memset(m, 0, sizeof(*m));
	m->size = sizeof(*m);
	m->keys = (uintptr_t)keys;
	m->count = n;
	m->key_stride = kstride;
	m->values = (uintptr_t)vals;
	m->value_stride = vstride;
	m->results = (uintptr_t)res;
}

static void test_handle_mget(void)
{
	/* k1 holds v1, k2 is absent, k3 gets a value longer than a slot */
	static const char keys[5][8] = { "k1", "k2", "k3", "", "k1xxxxxx" };
	uint32_t lens[5] = { 2, 2, 2, 0, 9 };
	char vals[5][4], *gone;
	struct kvs_ioc_mget m;
	uint64_t vers[5];
	int32_t res[5];
	int h, ret;

	h = h_open("abi_t", KVS_OPEN_READ);
	kv(fd, KVS_IOC_PUT, "abi_t", "k3", "longer", 0);
	memset(vals, '.', sizeof(vals));
	mget_init(&m, keys, 5, 8, vals, 4, res);
	m.key_lens = (uintptr_t)lens;
	m.versions = (uintptr_t)vers;
	ret = xioctl(h, KVS_IOC_H_MGET, &m);
	tap_ok(ret == 0 && m.done == 5 && res[0] == 2 &&
	       !memcmp(vals[0], "v1..", 4) && vers[0] &&
	       res[1] == -ENOENT && !vers[1] && res[2] == 6 && vers[2] &&
	       !memcmp(vals[2], "....", 4) && res[3] == -EINVAL &&
	       res[4] == -EINVAL && !memcmp(vals[1], "....", 4),
	       "H_MGET: found, absent, too long for its slot (length, slot untouched), empty key and key over its stride (-EINVAL) (%d: %d %d %d %d %d)",
	       ret, res[0], res[1], res[2], res[3], res[4]);
	mget_init(&m, keys, 3, 8, NULL, 0, res);
	m.key_lens = (uintptr_t)lens;
	ret = xioctl(h, KVS_IOC_H_MGET, &m);
	tap_ok(ret == 0 && m.done == 3 && res[0] == 2 && res[1] == -ENOENT &&
	       res[2] == 6, "H_MGET: no value slots: lengths only (%d, %d %d %d)",
	       ret, res[0], res[1], res[2]);
	mget_init(&m, "k3k1", 2, 2, vals, 4, res);
	ret = xioctl(h, KVS_IOC_H_MGET, &m);
	tap_ok(ret == 0 && m.done == 2 && res[0] == 6 && res[1] == 2 &&
	       !memcmp(vals[1], "v1", 2),
	       "H_MGET: without key lengths every key is a stride long (%d, %d %d)",
	       ret, res[0], res[1]);
	mget_init(&m, keys, 0, 8, vals, 4, res);
	ret = xioctl(h, KVS_IOC_H_MGET, &m);
	tap_ok(ret == -EINVAL, "H_MGET: no keys: -EINVAL (%d)", ret);
	m.count = KVS_MGET_MAX + 1;
	ret = xioctl(h, KVS_IOC_H_MGET, &m);
	tap_ok(ret == -EINVAL, "H_MGET: %u keys: -EINVAL (%d)", KVS_MGET_MAX + 1,
	       ret);
	mget_init(&m, keys, 1, 0, vals, 4, res);
	ret = xioctl(h, KVS_IOC_H_MGET, &m);
	tap_ok(ret == -EINVAL, "H_MGET: key stride 0: -EINVAL (%d)", ret);
	m.key_stride = 4097;
	ret = xioctl(h, KVS_IOC_H_MGET, &m);
	tap_ok(ret == -EINVAL, "H_MGET: key stride 4097: -EINVAL (%d)", ret);
	mget_init(&m, keys, 1, 8, vals, (16u << 20) + 1, res);
	ret = xioctl(h, KVS_IOC_H_MGET, &m);
	tap_ok(ret == -EINVAL, "H_MGET: value stride over 16 MiB: -EINVAL (%d)", ret);
	mget_init(&m, keys, 1, 8, NULL, 4, res);
	ret = xioctl(h, KVS_IOC_H_MGET, &m);
	tap_ok(ret == -EINVAL, "H_MGET: no values with a stride: -EINVAL (%d)", ret);
	mget_init(&m, keys, 1, 8, vals, 4, NULL);
	ret = xioctl(h, KVS_IOC_H_MGET, &m);
	tap_ok(ret == -EINVAL, "H_MGET: no results: -EINVAL (%d)", ret);
	mget_init(&m, keys, 1, 8, vals, 4, res);
	m.flags = 1;
	ret = xioctl(h, KVS_IOC_H_MGET, &m);
	tap_ok(ret == -EINVAL, "H_MGET: a flag: -EINVAL (%d)", ret);
	mget_init(&m, keys, 1, 8, vals, 4, res);
	m.done = 1;
	ret = xioctl(h, KVS_IOC_H_MGET, &m);
	tap_ok(ret == -EINVAL, "H_MGET: done (an output) set: -EINVAL (%d)", ret);
	mget_init(&m, keys, 2, 4096, vals, 4, res);
	m.keys = (uint64_t)-4096;
	ret = xioctl(h, KVS_IOC_H_MGET, &m);
	tap_ok(ret == -EINVAL, "H_MGET: keys wrapping around: -EINVAL (%d)", ret);
	mget_init(&m, KADDR, 2, 8, vals, 4, res);
	ret = xioctl(h, KVS_IOC_H_MGET, &m);
	tap_ok(ret == -EFAULT && m.done == 0,
	       "H_MGET: kernel-address keys: -EFAULT, none done (%d)", ret);
	gone = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(gone, page);
	mget_init(&m, keys, 2, 8, vals, 4, (int32_t *)gone);
	m.key_lens = (uintptr_t)lens;
	ret = xioctl(h, KVS_IOC_H_MGET, &m);
	tap_ok(ret == -EFAULT, "H_MGET: unmapped results: -EFAULT (%d)", ret);
	mget_init(&m, keys, 2, 8, gone, 4, res);
	m.key_lens = (uintptr_t)lens;
	ret = xioctl(h, KVS_IOC_H_MGET, &m);
	tap_ok(ret == -EFAULT && m.done == 0,
	       "H_MGET: unmapped values: -EFAULT, none done (%d)", ret);
	mget_init(&m, keys, 2, 8, vals, 4, res);
	m.key_lens = (uintptr_t)gone;
	ret = xioctl(h, KVS_IOC_H_MGET, &m);
	tap_ok(ret == -EFAULT, "H_MGET: unmapped key lengths: -EFAULT (%d)", ret);
	close(h);
}

/* Many keys: chunks, a key over the table's limit, every result right. */
static void test_handle_mget_many(void)
{
	enum { N = 1000, KS = 80 };
	static char keys[N][KS], vals[N][8];
	static uint32_t lens[N];
	static int32_t res[N];
	struct kvs_ioc_mget m;
	int h, ret, bad = 0, i;

	h = h_open("abi_h", KVS_OPEN_READ | KVS_OPEN_WRITE);
	for (i = 0; i < N; i++) {
		lens[i] = snprintf(keys[i], KS, "m%d", i);
		if (i % 3 == 0)
			h_kv(h, KVS_IOC_H_PUT, keys[i], keys[i], 0);
	}
	lens[N - 1] = 65;	/* over the table's 64 */
	mget_init(&m, keys, N, KS, vals, 8, res);
	m.key_lens = (uintptr_t)lens;
	ret = xioctl(h, KVS_IOC_H_MGET, &m);
	for (i = 0; i < N - 1; i++)
		bad += i % 3 ? res[i] != -ENOENT :
			       res[i] != (int)lens[i] ||
			       memcmp(vals[i], keys[i], lens[i]);
	tap_ok(ret == 0 && m.done == N && !bad && res[N - 1] == -E2BIG,
	       "H_MGET of %d keys: every result right, the long key -E2BIG (%d, %d wrong)",
	       N, ret, bad);
	close(h);
}

/*
 * Values into pages not yet faulted in: the copy under RCU cannot fault, so
 * these take the slow path; and a values array that turns read-only midway.
 */
static void test_handle_fresh_pages(void)
{
	enum { N = 32, VS = 256 };
	char keys[N][16], *area;
	struct kvs_ioc_mget m;
	struct kvs_ioc_key a;
	uint32_t lens[N];
	int32_t res[N];
	uint64_t vers[N];
	int h, ret, bad = 0, i;

	h = h_open("abi_h", KVS_OPEN_READ | KVS_OPEN_WRITE);
	memset(keys, 0, sizeof(keys));
	for (i = 0; i < N; i++) {
		lens[i] = snprintf(keys[i], sizeof(keys[i]), "fresh%02d", i);
		h_kv(h, KVS_IOC_H_PUT, keys[i], keys[i], 0);
	}
	/* Untouched anonymous pages: mapped, not present. */
	area = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	key_init(&a, keys[5], 7, area + 3 * page + 100, 16);
	ret = xioctl(h, KVS_IOC_H_GET, &a);
	tap_ok(ret == 0 && a.value_len == 7 &&
	       !memcmp(area + 3 * page + 100, "fresh05", 7),
	       "H_GET into a page not faulted in yet: copied (%d)", ret);
	mget_init(&m, keys, N, 16, area, VS, res);
	m.key_lens = (uintptr_t)lens;
	m.versions = (uintptr_t)vers;
	ret = xioctl(h, KVS_IOC_H_MGET, &m);
	for (i = 0; i < N; i++)
		bad += res[i] != 7 || !vers[i] ||
		       memcmp(area + i * VS, keys[i], 7);
	tap_ok(ret == 0 && m.done == N && !bad,
	       "H_MGET of %d into pages not faulted in yet: every value copied (%d, %d wrong)",
	       N, ret, bad);
	munmap(area, 4 * page);

	area = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(area + page, page, PROT_READ);
	memset(res, 0x55, sizeof(res));
	mget_init(&m, keys, N, 16, area, page / 16, res);
	m.key_lens = (uintptr_t)lens;
	ret = xioctl(h, KVS_IOC_H_MGET, &m);
	for (i = 0; i < 16; i++)
		bad += res[i] != 7 || memcmp(area + i * (page / 16), keys[i], 7);
	tap_ok(ret == -EFAULT && m.done == 16 && !bad && res[16] == 0x55555555,
	       "H_MGET: values read-only from key 16 on: -EFAULT, done 16, the first 16 copied (%d, done %u, %d wrong)",
	       ret, m.done, bad);
	munmap(area, 2 * page);
	close(h);
}

/* A handle outlives its table's name: -EIDRM, and the next one is another. */
static void test_handle_drop(void)
{
	struct kvs_ioc_stats st;
	struct kvs_ioc_mget m;
	uint32_t tables;
	int32_t res[1];
	int h, h2, ret;

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	xioctl(fd, KVS_IOC_STATS, &st);
	tables = st.tables;
	table_create("abi_hd", 0, 0600, 0);
	kv(fd, KVS_IOC_PUT, "abi_hd", "d", "old", 0);
	h = h_open("abi_hd", KVS_OPEN_READ | KVS_OPEN_WRITE);
	drop("abi_hd");
	ret = h_kv(h, KVS_IOC_H_GET, "d", NULL, 0);
	tap_ok(ret == -EIDRM, "H_GET on a dropped table: -EIDRM (%d)", ret);
	ret = h_kv(h, KVS_IOC_H_PUT, "d", "x", 0);
	tap_ok(ret == -EIDRM, "H_PUT on a dropped table: -EIDRM (%d)", ret);
	ret = h_kv(h, KVS_IOC_H_DEL, "d", NULL, 0);
	tap_ok(ret == -EIDRM, "H_DEL on a dropped table: -EIDRM (%d)", ret);
	mget_init(&m, "d", 1, 1, NULL, 0, res);
	ret = xioctl(h, KVS_IOC_H_MGET, &m);
	tap_ok(ret == -EIDRM, "H_MGET on a dropped table: -EIDRM (%d)", ret);
	table_create("abi_hd", 0, 0600, 0);
	h2 = h_open("abi_hd", KVS_OPEN_READ);
	ret = h_kv(h, KVS_IOC_H_GET, "d", NULL, 0);
	tap_ok(ret == -EIDRM && h_kv(h2, KVS_IOC_H_GET, "d", NULL, 0) == -ENOENT,
	       "a table created again under the name: the old handle still -EIDRM, a new one reads the new table (%d)",
	       ret);
	close(h);
	close(h2);
	drop("abi_hd");
	xioctl(fd, KVS_IOC_STATS, &st);
	tap_ok(st.tables == tables, "handles closed, tables dropped: %u tables as before",
	       st.tables);
}

/* As another user: access is checked at open; an fd passed on keeps it. */
static int hroot;

static int handle_other_user_checks(void)
{
	int bad = 0, h;

	bad |= h_open("abi_priv", KVS_OPEN_READ) != -EACCES;
	h = h_open("abi_ro", KVS_OPEN_READ);
	bad |= (h < 0 || h_kv(h, KVS_IOC_H_GET, "r", NULL, 0) != -ENOBUFS) << 1;
	bad |= (h_open("abi_ro", KVS_OPEN_WRITE) != -EACCES) << 2;
	bad |= (h_open("abi_ro", KVS_OPEN_READ | KVS_OPEN_WRITE) != -EACCES) << 3;
	/* root's handle, inherited: the access it was opened with */
	bad |= (h_kv(hroot, KVS_IOC_H_PUT, "s2", "handed", 0) != 0) << 4;
	return bad;
}

static void test_handle_other_user(void)
{
	hroot = h_open("abi_priv", KVS_OPEN_READ | KVS_OPEN_WRITE);
	tap_ok(as_nobody(handle_other_user_checks),
	       "user 65534: cannot open a 0600 table, opens a 0644 one for reading only; a handle root opened works for it as opened");
	tap_ok(!strcmp(get_str("abi_priv", "s2"), "handed") &&
	       !strcmp(get_str("abi_ro", "r"), "public"),
	       "only the inherited handle's write happened");
	close(hroot);
}

/* kvstore's module reference count, or -1. */
static long module_refs(void)
{
	FILE *f = fopen("/sys/module/kvstore/refcnt", "r");
	long n = -1;

	if (f && fscanf(f, "%ld", &n) != 1)
		n = -1;
	if (f)
		fclose(f);
	return n;
}

/* An open handle keeps the module loaded, as the open device does. */
static void test_handle_module_ref(void)
{
	long with, without;
	int h;

	h = h_open("abi_t", KVS_OPEN_READ);
	with = module_refs();
	close(h);
	without = module_refs();
	tap_ok(h >= 0 && without >= 0 && with == without + 1,
	       "an open handle holds a module reference (%ld, %ld after close)",
	       with, without);
}

static void test_handles(void)
{
	test_handle_module_ref();
	test_handle_open();
	test_handle_kv();
	test_handle_mget();
	test_handle_mget_many();
	test_handle_fresh_pages();
	test_handle_drop();
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
	test_handles();
	test_handle_other_user();
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

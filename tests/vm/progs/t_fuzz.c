// SPDX-License-Identifier: GPL-2.0
/*
 * A small ioctl fuzzer: random commands (every known one, unknown numbers,
 * other directions) on /dev/kvstore, on table handles and on a closed fd,
 * with structs that start valid (the right size, a real table's name) and
 * get a few 8-byte words overwritten with edge values: 0, 1, -1, sizes
 * around limits, and pointers to NULL, a writable scratch area, a
 * read-only page, an unmapped page, the end of the address space and the
 * kernel's. Every pointer the fuzzer can make lies inside one 64 MiB
 * reservation of which only the first 256 KiB are mapped, so the kernel
 * can only fault on the rest, never write into the fuzzer's own memory.
 *
 * Each call must return 0 or one of the errors the ABI documents. At the
 * end, with its handles closed, its transaction gone and its tables
 * dropped, the store must be back to its tables, bytes and snapshots. The
 * kernel's log is judged as for every test (KASAN, lockdep, WARN...).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "tap.h"
#include "../../../include/uapi/kvstore.h"

#define RESERVE		(64u << 20)
#define MAPPED		(256u << 10)
#define RUN_MS		4000
#define NHANDLES	4

static int devfd;
static uint8_t *area;		/* RESERVE bytes, MAPPED of them writable */
static uint8_t *ro_page;	/* a read-only page inside it */
static uint64_t seed = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static const struct {
	unsigned long cmd;
	uint32_t size;
	int name_off;		/* a table name at this offset, or -1 */
	bool handle;		/* a command of table handles */
} cmds[] = {
	{ KVS_IOC_VERSION, sizeof(struct kvs_ioc_version), -1, false },
	{ KVS_IOC_TABLE_CREATE, sizeof(struct kvs_ioc_table), 8, false },
	{ KVS_IOC_TABLE_DROP, sizeof(struct kvs_ioc_table), 8, false },
	{ KVS_IOC_TABLE_LIST, sizeof(struct kvs_ioc_table_list), -1, false },
	{ KVS_IOC_TABLE_INFO, sizeof(struct kvs_ioc_table), 8, false },
	{ KVS_IOC_GET, sizeof(struct kvs_ioc_kv), 8, false },
	{ KVS_IOC_PUT, sizeof(struct kvs_ioc_kv), 8, false },
	{ KVS_IOC_DEL, sizeof(struct kvs_ioc_kv), 8, false },
	{ KVS_IOC_SCAN, sizeof(struct kvs_ioc_scan), 8, false },
	{ KVS_IOC_TXN_BEGIN, sizeof(struct kvs_ioc_txn), -1, false },
	{ KVS_IOC_TXN_COMMIT, sizeof(struct kvs_ioc_txn), -1, false },
	{ KVS_IOC_TXN_ABORT, sizeof(struct kvs_ioc_txn), -1, false },
	{ KVS_IOC_BATCH, sizeof(struct kvs_ioc_batch), -1, false },
	{ KVS_IOC_STATS, sizeof(struct kvs_ioc_stats), -1, false },
	{ KVS_IOC_TABLE_OPEN, sizeof(struct kvs_ioc_table_open), 8, false },
	{ KVS_IOC_H_GET, sizeof(struct kvs_ioc_key), -1, true },
	{ KVS_IOC_H_PUT, sizeof(struct kvs_ioc_key), -1, true },
	{ KVS_IOC_H_DEL, sizeof(struct kvs_ioc_key), -1, true },
	{ KVS_IOC_H_MGET, sizeof(struct kvs_ioc_mget), -1, true },
};
#define NCMDS	(sizeof(cmds) / sizeof(cmds[0]))

static const char *const names[] = { "fz_o", "fz_h", "fz_gone" };

/* Errors a kvstore command may return. */
static bool errno_ok(int e)
{
	switch (e) {
	case 0: case EINVAL: case E2BIG: case EFAULT: case ENOENT:
	case ENOTTY: case EBADF: case EIDRM: case EACCES: case EPERM:
	case EEXIST: case EAGAIN: case ENOSPC: case ENOBUFS:
	case ENAMETOOLONG: case EBADFD: case EBUSY: case ECANCELED:
	case EOPNOTSUPP: case EROFS: case ENOMEM: case EMFILE:
		return true;
	}
	return false;
}

/* A pointer or a length worth trying. */
static uint64_t edge(void)
{
	switch (rnd() % 16) {
	case 0: return 0;
	case 1: return 1;
	case 2: return (uint64_t)-1;
	case 3: return 0xffffffffull;
	case 4: return 0x80000000ull;
	case 5: return rnd() % 4097;
	case 6: return 16 + rnd() % 64;
	case 7: return (uintptr_t)(area + (rnd() % (MAPPED - 4096)));
	case 8: return (uintptr_t)(area + MAPPED + rnd() % (RESERVE - MAPPED));
	case 9: return (uintptr_t)ro_page;
	case 10: return 0xffff888000000000ull;
	case 11: return (uint64_t)-4096;
	case 12: return rnd() % 8;
	case 13: return (uintptr_t)(area + 8192);	/* a key or value */
	case 14: return 1ull << (rnd() % 64);
	default: return rnd();
	}
}

#define KEYS	(area + 8192)		/* keys, values and arrays it points at */
#define VALS	(area + 16384)
#define ARR	(area + 32768)

/* A plausible struct for command @c: the calls get past the first checks. */
static void template(int c, uint8_t *buf)
{
	unsigned long cmd = cmds[c].cmd;

	if (cmd == KVS_IOC_GET || cmd == KVS_IOC_PUT || cmd == KVS_IOC_DEL) {
		struct kvs_ioc_kv *a = (void *)buf;

		a->key = (uintptr_t)KEYS;
		a->key_len = 1 + rnd() % 8;
		if (cmd != KVS_IOC_DEL) {
			a->value = (uintptr_t)VALS;
			a->value_len = rnd() % 300;
		}
		a->mode = rnd() % 4;
		a->flags = rnd() % 8 ? 0 : KVS_IOF_TXN;
	} else if (cmd == KVS_IOC_H_GET || cmd == KVS_IOC_H_PUT ||
		   cmd == KVS_IOC_H_DEL) {
		struct kvs_ioc_key *a = (void *)buf;

		a->key = (uintptr_t)KEYS;
		a->key_len = 1 + rnd() % 8;
		if (cmd != KVS_IOC_H_DEL) {
			a->value = (uintptr_t)VALS;
			a->value_len = rnd() % 300;
		}
		if (cmd != KVS_IOC_H_GET)
			a->mode = rnd() % 4;
	} else if (cmd == KVS_IOC_H_MGET) {
		struct kvs_ioc_mget *a = (void *)buf;

		a->keys = (uintptr_t)KEYS;
		a->count = 1 + rnd() % 64;
		a->key_stride = 1 + rnd() % 16;
		a->values = (uintptr_t)VALS;
		a->value_stride = rnd() % 64;
		a->results = (uintptr_t)ARR;
		a->versions = rnd() % 2 ? (uintptr_t)(ARR + 4096) : 0;
	} else if (cmd == KVS_IOC_SCAN) {
		struct kvs_ioc_scan *a = (void *)buf;

		a->buf = (uintptr_t)ARR;
		a->buf_len = 64 + rnd() % 8192;
		a->max_entries = rnd() % 16;
		a->flags = rnd() % 16;
	} else if (cmd == KVS_IOC_TABLE_OPEN) {
		((struct kvs_ioc_table_open *)buf)->flags = 1 + rnd() % 3;
	} else if (cmd == KVS_IOC_BATCH) {
		struct kvs_ioc_batch *a = (void *)buf;
		char (*tn)[KVS_NAME_LEN] = (void *)(ARR + 8192);
		struct kvs_ioc_batch_op *op = (void *)(ARR + 16384);
		unsigned int i;

		strcpy(tn[0], names[0]);
		strcpy(tn[1], names[1]);
		a->tables = (uintptr_t)tn;
		a->ntables = 2;
		a->nops = 1 + rnd() % 8;
		a->ops = (uintptr_t)op;
		a->flags = rnd() % 2 ? KVS_BATCH_ATOMIC : 0;
		for (i = 0; i < a->nops; i++) {
			memset(&op[i], 0, sizeof(op[i]));
			op[i].op = 1 + rnd() % 3;
			op[i].table = rnd() % 2;
			op[i].key = (uintptr_t)KEYS;
			op[i].key_len = 1 + rnd() % 8;
			if (op[i].op != KVS_OP_DEL) {
				op[i].value = (uintptr_t)VALS;
				op[i].value_len = rnd() % 64;
			}
		}
	} else if (cmd == KVS_IOC_TXN_BEGIN) {
		((struct kvs_ioc_txn *)buf)->flags = rnd() % 2;
	}
}

/* A struct for command @c in @buf: valid-looking, then a few words hit. */
static void make_struct(int c, uint8_t *buf)
{
	uint32_t size = cmds[c].size;
	int i, n;

	memset(buf, 0, 4096);
	template(c, buf);
	if (rnd() % 10)
		memcpy(buf, &size, 4);
	else
		*(uint32_t *)buf = (uint32_t)edge();
	if (cmds[c].name_off >= 0 && rnd() % 5)
		strcpy((char *)buf + cmds[c].name_off, names[rnd() % 3]);
	n = rnd() % 3;
	for (i = 0; i < n; i++) {
		uint64_t v = edge();
		int off = 4 * (1 + rnd() % (size / 4 - 1));

		memcpy(buf + off, &v, off % 8 || rnd() % 2 ? 4 : 8);
	}
}

static int create(const char *name, uint32_t flags)
{
	struct kvs_ioc_table a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	strcpy(a.name, name);
	a.params.max_key_size = 32;
	a.params.max_value_size = 256;
	a.params.max_entries = 64;
	a.params.flags = flags;
	a.params.mode = 0600;
	return ioctl(devfd, KVS_IOC_TABLE_CREATE, &a);
}

#define MAX_TABLES	256

/* The names of the store's tables (at most MAX_TABLES). */
static int list_tables(char (*out)[KVS_NAME_LEN])
{
	struct kvs_ioc_table_list a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.max = MAX_TABLES;
	a.names = (uintptr_t)out;
	if (ioctl(devfd, KVS_IOC_TABLE_LIST, &a))
		return -1;
	return a.count;
}

/* Drop every table not in @before: the fuzzer's, whatever their names. */
static void drop_new_tables(char (*before)[KVS_NAME_LEN], int nbefore)
{
	static char now[MAX_TABLES][KVS_NAME_LEN];
	struct kvs_ioc_table a;
	int n = list_tables(now), i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < nbefore && strcmp(now[i], before[j]); j++)
			;
		if (j < nbefore)
			continue;
		memset(&a, 0, sizeof(a));
		a.size = sizeof(a);
		memcpy(a.name, now[i], KVS_NAME_LEN);
		ioctl(devfd, KVS_IOC_TABLE_DROP, &a);
	}
}

/* Close every table handle this process holds, found or not. */
static void close_handles(void)
{
	char path[64], link[64];
	ssize_t n;
	int f;

	for (f = 3; f < 1024; f++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", f);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (strstr(link, "kvstore-table"))
			close(f);
	}
}

static int stats(int fd, struct kvs_ioc_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->size = sizeof(*st);
	return ioctl(fd, KVS_IOC_STATS, st);
}

int main(void)
{
	static char before[MAX_TABLES][KVS_NAME_LEN];
	unsigned long calls = 0, per_errno[256] = { 0 }, bad = 0, opened = 0;
	int nbefore;
	int fd, fds[2 + NHANDLES], i, c, ret, e, nfds = 0;
	struct kvs_ioc_table_open o;
	struct kvs_ioc_stats st0, st;
	struct timespec t0, t;
	struct kvs_ioc_txn tx;
	uint8_t *buf;

	area = mmap(NULL, RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		    MAP_NORESERVE, -1, 0);
	if (!tap_ok(area != MAP_FAILED &&
		    !mprotect(area, MAPPED, PROT_READ | PROT_WRITE),
		    "a %u MiB reservation, %u KiB of it mapped", RESERVE >> 20,
		    MAPPED >> 10))
		return tap_done();
	ro_page = area + MAPPED - 4096;
	mprotect(ro_page, 4096, PROT_READ);
	buf = area + 65536;
	fd = open("/dev/" KVS_DEVICE_NAME, O_RDWR);
	devfd = fd;
	nbefore = list_tables(before);
	if (!tap_ok(fd >= 0 && !stats(fd, &st0) && !create("fz_o", KVS_TF_ORDERED) &&
		    !create("fz_h", 0), "open the device, create two tables"))
		return tap_done();
	fds[nfds++] = fd;
	for (i = 0; i < NHANDLES; i++) {
		memset(&o, 0, sizeof(o));
		o.size = sizeof(o);
		o.flags = 1 + i % 3;
		strcpy(o.name, names[i % 2]);
		if (!ioctl(fd, KVS_IOC_TABLE_OPEN, &o))
			fds[nfds++] = o.fd;
	}
	fds[nfds++] = 1000;	/* not open */

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (i = 0; i < 256; i++, calls++) {
			int f = fds[rnd() % nfds];
			unsigned long cmd;

			c = rnd() % NCMDS;
			if (cmds[c].handle && rnd() % 8)
				f = fds[1 + rnd() % (nfds - 2)];
			else if (!cmds[c].handle && rnd() % 8)
				f = fd;
			make_struct(c, buf);
			cmd = cmds[c].cmd;
			if (!(rnd() % 16))	/* an unknown number */
				cmd = _IOWR(KVS_IOC_MAGIC, rnd() % 64, struct kvs_ioc_kv);
			if (!(rnd() % 32))	/* another direction */
				cmd = _IOR(KVS_IOC_MAGIC, _IOC_NR(cmd), struct kvs_ioc_kv);
			ret = ioctl(f, cmd, rnd() % 64 ? (void *)buf : (void *)edge());
			e = ret < 0 ? errno : 0;
			per_errno[e & 255]++;
			if (!errno_ok(e) && !bad++)
				tap_diag("cmd %#lx on fd %d: errno %d", cmd, f, e);
			/* A handle it opened: close it, or the fds run out. */
			if (!ret && _IOC_NR(cmd) == _IOC_NR(KVS_IOC_TABLE_OPEN) &&
			    f == fd && ((struct kvs_ioc_table_open *)buf)->fd > 2) {
				close(((struct kvs_ioc_table_open *)buf)->fd);
				opened++;
			}
			/* Tables it dropped come back, so calls keep reaching them. */
			if (!ret && _IOC_NR(cmd) == _IOC_NR(KVS_IOC_TABLE_DROP)) {
				create("fz_o", KVS_TF_ORDERED);
				create("fz_h", 0);
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 +
		 (t.tv_nsec - t0.tv_nsec) / 1000000 < RUN_MS);

	tap_diag("%lu calls, %lu handles opened and closed; errno counts:", calls,
		 opened);
	for (i = 0; i < 256; i++)
		if (per_errno[i])
			tap_diag("  %3d %-12s %lu", i, i ? strerror(i) : "ok",
				 per_errno[i]);
	tap_ok(!bad, "every call returned 0 or a documented error (%lu others)",
	       bad);
	tap_ok(per_errno[0] > calls / 100 && per_errno[EINVAL] > 0 &&
	       per_errno[EFAULT] > 0, "the calls reached both success and the checks");

	memset(&tx, 0, sizeof(tx));
	tx.size = sizeof(tx);
	ioctl(fd, KVS_IOC_TXN_ABORT, &tx);
	close_handles();
	drop_new_tables(before, nbefore);
	/* Dropped tables are freed by the store's work after a grace period. */
	for (i = 0; i < 300; i++) {
		if (stats(fd, &st) || (st.tables == st0.tables &&
				       st.bytes == st0.bytes &&
				       st.snapshots == st0.snapshots))
			break;
		usleep(10000);
	}
	tap_ok(st.tables == st0.tables && st.bytes == st0.bytes &&
	       st.snapshots == st0.snapshots,
	       "afterwards the store is as before: %u tables, %llu bytes, %llu snapshots",
	       st.tables, (unsigned long long)st.bytes,
	       (unsigned long long)st.snapshots);
	close(fd);
	return tap_done();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * kvs_trace_prog: the guest half of bench/trace/trace.sh (README.md).
 *
 * Sets up a hash-only kvstore table and a BPF_MAP_TYPE_HASH with the same
 * random 16-byte keys and 64-byte values (the logic of
 * bench/ioctl/kvs_ioctl_bench.c, cut down), opens a read handle on the
 * table, then for each OP on the command line:
 *
 *  1. warms the OP up (warmup= calls, same buffers, other random keys);
 *  2. prints "TRACE-READY op=NAME idx=I" and waits for the debugger: it
 *     calls getppid() with r10 = KVS_TRACE_WAIT | I, every 10 ms, until
 *     one of them fails with ENOSYS (the host's gdb, stopped at
 *     entry_SYSCALL_64, turned its syscall number into an invalid one);
 *     after wait_s seconds without that it gives up ("not ok");
 *  3. makes the traced call: one raw syscall with r10 = KVS_TRACE_CALL | I
 *     (a 4th argument that getppid, ioctl and bpf ignore), which is what
 *     the debugger's breakpoint waits for; checks its result and prints
 *     "TRACE-DONE".
 *
 *   kvs_trace_prog [entries=N] [warmup=N] [wait_s=S] OP...
 *   OP: h_get h_get_absent h_mget64 h_mget1 bpf_lookup getppid
 *
 * Run as root (BPF_MAP_CREATE, /dev/kvstore) with kvstore.ko loaded.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/bpf.h>

#include "uapi/kvstore.h"

#define KLEN		16
#define VLEN		64
#define MGET_MAX	64
#define LOAD_CHUNK	1024
#define TABLE_NAME	"trace_ioctl"

/* r10 markers (the syscall's 4th argument): "KVSWAIT" / "KVSCALL" | op index */
#define KVS_TRACE_WAIT	0x4b56535741495400ull
#define KVS_TRACE_CALL	0x4b565343414c4c00ull

#define sizeof_field(t, m)	sizeof(((t *)0)->m)
#define offsetofend(t, m)	(offsetof(t, m) + sizeof_field(t, m))
#define BPF_ELEM_ATTR_SIZE	offsetofend(union bpf_attr, flags)

typedef __u8 u8;
typedef __u32 u32;
typedef __u64 u64;

struct tkey {
	u8 b[KLEN];
} __attribute__((aligned(8)));

enum op { OP_H_GET, OP_H_GET_ABSENT, OP_H_MGET64, OP_H_MGET1, OP_BPF_LOOKUP,
	  OP_GETPPID, NR_OPS };

static const char *const op_name[NR_OPS] = {
	[OP_H_GET] = "h_get", [OP_H_GET_ABSENT] = "h_get_absent",
	[OP_H_MGET64] = "h_mget64", [OP_H_MGET1] = "h_mget1",
	[OP_BPF_LOOKUP] = "bpf_lookup", [OP_GETPPID] = "getppid",
};

static unsigned long entries = 1000;
static unsigned long warmup = 300;
static unsigned long wait_s = 600;

static struct tkey *keys;
static int kvs_fd = -1, hfd = -1, map_fd = -1;
static u64 rng = 0x0123456789abcdefull;

/* The buffers every call of an op uses: warm-up and traced call alike. */
static struct kvs_ioc_key hget_arg;
static struct kvs_ioc_mget mget_arg;
static union bpf_attr bpf_arg;
static struct tkey call_keys[MGET_MAX];
static u8 call_vals[MGET_MAX][VLEN];
static __s32 call_results[MGET_MAX];
static u64 call_versions[MGET_MAX];

static u32 next_index(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (u32)(((rng >> 32) * entries) >> 32);
}

static void fill_value(u8 *val, const struct tkey *k)
{
	int i;

	for (i = 0; i < VLEN; i += KLEN)
		memcpy(val + i, k->b, KLEN);
}

static long sys_bpf(int cmd, union bpf_attr *attr, unsigned int size)
{
	return syscall(__NR_bpf, cmd, attr, size);
}

static void make_keys(void)
{
	u64 x = 0x5eed5eed5eed5eedull, *w;
	unsigned long i;

	keys = aligned_alloc(64, entries * sizeof(*keys));
	if (!keys) {
		perror("aligned_alloc");
		exit(1);
	}
	for (i = 0; i < entries; i++) {
		for (w = (u64 *)keys[i].b; w < (u64 *)(keys[i].b + KLEN); w++) {
			u64 z = (x += 0x9e3779b97f4a7c15ull);

			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
			*w = z ^ (z >> 31);
		}
	}
}

static int setup_kvstore(void)
{
	struct kvs_ioc_table t;
	struct kvs_ioc_table_open o;
	static struct kvs_ioc_batch_op ops[LOAD_CHUNK];
	static u8 vals[LOAD_CHUNK][VLEN];
	static char tables[1][KVS_NAME_LEN] = { TABLE_NAME };
	struct kvs_ioc_batch b;
	unsigned long i, j, c;

	kvs_fd = open("/dev/" KVS_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (kvs_fd < 0)
		return -errno;
	memset(&t, 0, sizeof(t));
	t.size = sizeof(t);
	strcpy(t.name, TABLE_NAME);
	t.params.max_key_size = KLEN;
	t.params.max_value_size = VLEN;
	t.params.mode = 0600;
	if (ioctl(kvs_fd, KVS_IOC_TABLE_CREATE, &t) && errno != EEXIST)
		return -errno;
	for (i = 0; i < entries; i += c) {
		c = entries - i < LOAD_CHUNK ? entries - i : LOAD_CHUNK;
		for (j = 0; j < c; j++) {
			fill_value(vals[j], &keys[i + j]);
			memset(&ops[j], 0, sizeof(ops[j]));
			ops[j].op = KVS_OP_PUT;
			ops[j].key = (uintptr_t)keys[i + j].b;
			ops[j].key_len = KLEN;
			ops[j].value = (uintptr_t)vals[j];
			ops[j].value_len = VLEN;
		}
		memset(&b, 0, sizeof(b));
		b.size = sizeof(b);
		b.tables = (uintptr_t)tables;
		b.ntables = 1;
		b.ops = (uintptr_t)ops;
		b.nops = c;
		if (ioctl(kvs_fd, KVS_IOC_BATCH, &b))
			return -errno;
		if (b.done != c)
			return -EIO;
		for (j = 0; j < c; j++)
			if (ops[j].result)
				return ops[j].result;
	}
	memset(&o, 0, sizeof(o));
	o.size = sizeof(o);
	o.flags = KVS_OPEN_READ;
	strcpy(o.name, TABLE_NAME);
	if (ioctl(kvs_fd, KVS_IOC_TABLE_OPEN, &o) < 0)
		return -errno;
	hfd = o.fd;
	return 0;
}

static int setup_bpf(void)
{
	union bpf_attr a;
	u8 val[VLEN];
	unsigned long i;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_HASH;
	a.key_size = KLEN;
	a.value_size = VLEN;
	a.max_entries = entries;
	strcpy(a.map_name, "kvs_trace");
	map_fd = sys_bpf(BPF_MAP_CREATE, &a, sizeof(a));
	if (map_fd < 0)
		return -errno;
	for (i = 0; i < entries; i++) {
		fill_value(val, &keys[i]);
		memset(&a, 0, BPF_ELEM_ATTR_SIZE);
		a.map_fd = map_fd;
		a.key = (uintptr_t)keys[i].b;
		a.value = (uintptr_t)val;
		a.flags = BPF_ANY;
		if (sys_bpf(BPF_MAP_UPDATE_ELEM, &a, BPF_ELEM_ATTR_SIZE))
			return -errno;
	}
	return 0;
}

/*
 * Build the arguments of one call of @op (fresh random keys, as the
 * benchmark does) and make it, @marker in r10. Return: 0 if it returned
 * what it should, else -1 (message printed when @verbose).
 */
static int one_call(enum op op, u64 marker, int verbose)
{
	const struct tkey *k = &keys[next_index()];
	unsigned int i, n;
	long ret;
	int bad = 0;

	switch (op) {
	case OP_H_GET:
	case OP_H_GET_ABSENT:
		call_keys[0] = *k;
		if (op == OP_H_GET_ABSENT)
			call_keys[0].b[0] ^= 0x80;
		memset(&hget_arg, 0, sizeof(hget_arg));
		hget_arg.size = sizeof(hget_arg);
		hget_arg.key = (uintptr_t)call_keys[0].b;
		hget_arg.key_len = KLEN;
		hget_arg.value = (uintptr_t)call_vals[0];
		hget_arg.value_len = VLEN;
		ret = syscall(SYS_ioctl, hfd, KVS_IOC_H_GET, &hget_arg, marker);
		if (op == OP_H_GET)
			bad = ret || hget_arg.value_len != VLEN || !hget_arg.version ||
			      memcmp(call_vals[0], k->b, KLEN);
		else
			bad = ret != -1 || errno != ENOENT;
		break;
	case OP_H_MGET64:
	case OP_H_MGET1:
		n = op == OP_H_MGET64 ? MGET_MAX : 1;
		call_keys[0] = *k;
		for (i = 1; i < n; i++)
			call_keys[i] = keys[next_index()];
		memset(&mget_arg, 0, sizeof(mget_arg));
		mget_arg.size = sizeof(mget_arg);
		mget_arg.keys = (uintptr_t)call_keys;
		mget_arg.values = (uintptr_t)call_vals;
		mget_arg.results = (uintptr_t)call_results;
		mget_arg.versions = (uintptr_t)call_versions;
		mget_arg.count = n;
		mget_arg.key_stride = KLEN;
		mget_arg.value_stride = VLEN;
		ret = syscall(SYS_ioctl, hfd, KVS_IOC_H_MGET, &mget_arg, marker);
		bad = ret || mget_arg.done != n;
		for (i = 0; i < n && !bad; i++)
			bad = call_results[i] != VLEN || !call_versions[i] ||
			      memcmp(call_vals[i], call_keys[i].b, KLEN);
		break;
	case OP_BPF_LOOKUP:
		memset(&bpf_arg, 0, BPF_ELEM_ATTR_SIZE);
		bpf_arg.map_fd = map_fd;
		bpf_arg.key = (uintptr_t)k->b;
		bpf_arg.value = (uintptr_t)call_vals[0];
		ret = syscall(__NR_bpf, BPF_MAP_LOOKUP_ELEM, &bpf_arg,
			      BPF_ELEM_ATTR_SIZE, marker);
		bad = ret || memcmp(call_vals[0], k->b, KLEN);
		break;
	case OP_GETPPID:
		ret = syscall(SYS_getppid, 0, 0, 0, marker);
		bad = ret <= 0;
		break;
	default:
		ret = -1;
		bad = 1;
	}
	if (bad && verbose)
		printf("# %s returned %ld (%s)\n", op_name[op], ret,
		       ret < 0 ? strerror(errno) : "a wrong result");
	return bad ? -1 : 0;
}

static u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until the debugger answers our marked getppid() with -ENOSYS. */
static int wait_for_debugger(unsigned int idx)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	u64 end = now_ms() + wait_s * 1000;
	long ret;

	do {
		ret = syscall(SYS_getppid, 0, 0, 0, KVS_TRACE_WAIT | idx);
		if (ret == -1 && errno == ENOSYS)
			return 0;
		nanosleep(&ts, NULL);
	} while (now_ms() < end);
	return -1;
}

static int parse_op(const char *s)
{
	int i;

	for (i = 0; i < NR_OPS; i++)
		if (!strcmp(s, op_name[i]))
			return i;
	return -1;
}

int main(int argc, char **argv)
{
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	int ops[64], nops = 0, i, ret, fails = 0;
	unsigned long w, bad;
	char *end;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		unsigned long *p = NULL;
		const char *v = NULL;

		if (!strncmp(argv[i], "entries=", 8))
			p = &entries, v = argv[i] + 8;
		else if (!strncmp(argv[i], "warmup=", 7))
			p = &warmup, v = argv[i] + 7;
		else if (!strncmp(argv[i], "wait_s=", 7))
			p = &wait_s, v = argv[i] + 7;
		if (p) {
			*p = strtoul(v, &end, 0);
			if (*end || end == v)
				goto usage;
			continue;
		}
		ret = parse_op(argv[i]);
		if (ret < 0 || nops == (int)(sizeof(ops) / sizeof(ops[0])))
			goto usage;
		ops[nops++] = ret;
	}
	if (!nops || entries < MGET_MAX || entries > 1000000)
		goto usage;

	setrlimit(RLIMIT_MEMLOCK, &rl);
	make_keys();
	ret = setup_kvstore();
	if (ret) {
		printf("not ok - kvstore table of %lu keys and its handle: %s\n",
		       entries, strerror(-ret));
		return 1;
	}
	ret = setup_bpf();
	if (ret) {
		printf("not ok - BPF hash map of %lu keys: %s\n", entries, strerror(-ret));
		return 1;
	}
	printf("ok - table %s and BPF hash map, %lu keys of %d bytes, values of %d; handle fd %d, map fd %d\n",
	       TABLE_NAME, entries, KLEN, VLEN, hfd, map_fd);

	for (i = 0; i < nops; i++) {
		enum op op = ops[i];

		bad = 0;
		for (w = 0; w < warmup; w++)
			bad += one_call(op, 0, bad == 0) != 0;
		printf("TRACE-READY op=%s idx=%d (after %lu warm-up calls, %lu failed)\n",
		       op_name[op], i, warmup, bad);
		if (wait_for_debugger(i)) {
			printf("not ok - %s: no word from the debugger in %lu s\n",
			       op_name[op], wait_s);
			return 1;
		}
		ret = one_call(op, KVS_TRACE_CALL | i, 1);
		printf("TRACE-DONE op=%s idx=%d\n", op_name[op], i);
		if (ret || bad)
			fails++;
		printf("%sok - %s: %lu warm-up calls and the traced one returned what they should\n",
		       ret || bad ? "not " : "", op_name[op], warmup);
	}
	close(map_fd);
	close(hfd);
	{
		struct kvs_ioc_table t;

		memset(&t, 0, sizeof(t));
		t.size = sizeof(t);
		strcpy(t.name, TABLE_NAME);
		ioctl(kvs_fd, KVS_IOC_TABLE_DROP, &t);
	}
	close(kvs_fd);
	return fails ? 1 : 0;
usage:
	fprintf(stderr, "usage: %s [entries=N (%d..1000000)] [warmup=N] [wait_s=S] OP...\n"
		"OP: h_get h_get_absent h_mget64 h_mget1 bpf_lookup getppid\n",
		argv[0], MGET_MAX);
	return 2;
}

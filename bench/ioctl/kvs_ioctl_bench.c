// SPDX-License-Identifier: GPL-2.0
/*
 * kvs_ioctl_bench: kvstore's ioctls against a BPF hash map's bpf() calls,
 * from user space, in the same run, on the same keys (bench/ioctl/README.md).
 *
 * It fills a hash-only kvstore table (KVS_IOC_BATCH of PUTs) and a
 * BPF_MAP_TYPE_HASH map created with the bpf() syscall (no libbpf;
 * BPF_MAP_UPDATE_BATCH) with the same random 16-byte keys and 64-byte
 * values, checks both, then times reads of random present keys from
 * threads pinned to CPUs:
 *
 *  - KVS_IOC_GET (by the table's name) and KVS_IOC_H_GET (on a table
 *    handle) against bpf(BPF_MAP_LOOKUP_ELEM), one key per call;
 *  - KVS_IOC_BATCH of 64 KVS_OP_GET on one table (not atomic) and
 *    KVS_IOC_H_MGET of 64 keys on a handle against BPF_MAP_LOOKUP_BATCH of
 *    64, which walks the map from a cursor in its own order instead of
 *    looking up given keys;
 *
 * and, one thread, the cost of each step of these calls (an empty system
 * call, an unknown ioctl, a GET that fails early, a missing key, ...).
 * Prints ns per key, best and median of the repetitions, and ratios; never
 * fails on a ratio: "not ok" only for a read that failed or a wrong value.
 *
 * Run as root (BPF_MAP_CREATE, /dev/kvstore), with kvstore.ko loaded.
 *
 *   kvs_ioctl_bench [entries=N] [run_ms=MS] [reps=R] [threads=T]
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/bpf.h>

#include "uapi/kvstore.h"

#define BENCH_KLEN		16
#define BENCH_VLEN		64
#define BENCH_BATCH		64	/* keys per crossing; calls per timed unit */
#define BENCH_LOAD		4096	/* keys per call while loading and checking */
#define BENCH_SETTLE_MS		50
#define BENCH_MAX_THREADS	16
/* What one entry may cost: kvstore ~270 B, BPF map ~150 B, our copy of the key */
#define BENCH_EST_BYTES		600
#define BENCH_TABLE		"bench_ioctl"
#define BENCH_NO_TABLE		"bench_ioctl_none"
/* A command number kvstore does not know: -ENOTTY after the dispatch. */
#define BENCH_IOC_UNKNOWN	_IOWR(KVS_IOC_MAGIC, 0xff, struct kvs_ioc_kv)

typedef __u8 u8;
typedef __u32 u32;
typedef __u64 u64;

#define __aligned(x)		__attribute__((aligned(x)))
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#define sizeof_field(t, m)	sizeof(((t *)0)->m)
#define offsetofend(t, m)	(offsetof(t, m) + sizeof_field(t, m))

/* As libbpf passes them: the attr up to the last field the command uses. */
#define BPF_ELEM_ATTR_SIZE	offsetofend(union bpf_attr, flags)
#define BPF_BATCH_ATTR_SIZE	offsetofend(union bpf_attr, batch)

struct bench_key {
	u8 b[BENCH_KLEN];
} __aligned(8);

static unsigned long entries = 1000000;
static unsigned int run_ms = 300;
static unsigned int reps = 7;
static unsigned int threads = 2;

static struct bench_key *bench_keys;
static u32 bench_n;
static u32 bench_buckets;		/* the BPF map's: max_entries rounded up */
static int kvs_fd = -1;
static int kvs_hfd = -1;		/* TABLE_OPEN of the table, KVS_OPEN_READ */
static int map_fd = -1;
/* The batch's table list: one name in a KVS_NAME_LEN field. */
static char bench_tables[1][KVS_NAME_LEN];
/* A valid name, in the same field, that no table has. */
static char bench_no_table[KVS_NAME_LEN] = BENCH_NO_TABLE;

enum bench_op {
	/* reads of random present keys */
	BENCH_BPF_LOOKUP,
	BENCH_KVS_GET,
	BENCH_KVS_BATCH,
	BENCH_BPF_BATCH,
	BENCH_KVS_HGET,
	BENCH_KVS_HMGET,
	/* the steps of each call */
	BENCH_GETPPID,
	BENCH_IOC_NOTTY,
	BENCH_GET_EINVAL,
	BENCH_GET_NOTABLE,
	BENCH_GET_ABSENT,
	BENCH_KVS_BATCH1,
	BENCH_H_NOTTY,
	BENCH_HGET_EINVAL,
	BENCH_HGET_ABSENT,
	BENCH_KVS_HMGET1,
	BENCH_HMGET_NOVER,
	BENCH_HMGET_NOVAL,
	BENCH_HMGET_ABSENT,
	BENCH_BPF_BADFD,
	BENCH_BPF_ABSENT,
	BENCH_NR_OPS,
};

static const char *const bench_op_name[BENCH_NR_OPS] = {
	[BENCH_BPF_LOOKUP] = "bpf MAP_LOOKUP_ELEM",
	[BENCH_KVS_GET] = "ioctl KVS_IOC_GET",
	[BENCH_KVS_BATCH] = "ioctl KVS_IOC_BATCH 64 GET",
	[BENCH_BPF_BATCH] = "bpf MAP_LOOKUP_BATCH 64 (1)",
	[BENCH_KVS_HGET] = "ioctl KVS_IOC_H_GET",
	[BENCH_KVS_HMGET] = "ioctl KVS_IOC_H_MGET 64",
	[BENCH_GETPPID] = "getppid()",
	[BENCH_IOC_NOTTY] = "ioctl unknown nr (-ENOTTY)",
	[BENCH_GET_EINVAL] = "GET bad flags (-EINVAL)",
	[BENCH_GET_NOTABLE] = "GET no such table (-ENOENT)",
	[BENCH_GET_ABSENT] = "GET absent key (-ENOENT)",
	[BENCH_KVS_BATCH1] = "KVS_IOC_BATCH 1 GET",
	[BENCH_H_NOTTY] = "handle unknown nr (-ENOTTY)",
	[BENCH_HGET_EINVAL] = "H_GET bad flags (-EINVAL)",
	[BENCH_HGET_ABSENT] = "H_GET absent key (-ENOENT)",
	[BENCH_KVS_HMGET1] = "KVS_IOC_H_MGET 1",
	[BENCH_HMGET_NOVER] = "H_MGET 64, versions 0",
	[BENCH_HMGET_NOVAL] = "H_MGET 64, value_stride 0",
	[BENCH_HMGET_ABSENT] = "H_MGET 64 absent (-ENOENT)",
	[BENCH_BPF_BADFD] = "bpf LOOKUP_ELEM bad fd",
	[BENCH_BPF_ABSENT] = "bpf LOOKUP_ELEM absent key",
};

struct bench_thread {
	pthread_t tid;
	pthread_barrier_t *start;
	unsigned int cpu;
	enum bench_op op;
	u64 seed;
	u64 keys;			/* keys read (calls, for the steps) */
	u64 ns;
	u64 bad;
	u64 sink;
	/* BPF_MAP_LOOKUP_BATCH's cursor (opaque; a bucket index for a hash map) */
	u32 cursor;
	bool cursor_valid;
	struct kvs_ioc_batch_op ops[BENCH_BATCH];
	u8 vals[BENCH_BATCH][BENCH_VLEN];
	struct bench_key bkeys[BENCH_BATCH];
	/* H_MGET's output arrays */
	__s32 results[BENCH_BATCH];
	u64 versions[BENCH_BATCH];
};

/* xorshift64, then a multiply-shift into [0, n): cheap, same for all. */
static inline u32 bench_next(u64 *x, u32 n)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return (u32)(((*x >> 32) * n) >> 32);
}

/* The value of a key: the key four times, so that a read can be checked. */
static void bench_fill_value(u8 *val, const struct bench_key *k)
{
	int i;

	for (i = 0; i < BENCH_VLEN; i += BENCH_KLEN)
		memcpy(val + i, k->b, BENCH_KLEN);
}

/* Batch operation @op (KVS_OP_GET, _PUT) of key @k, its value at @val. */
static inline void bench_op(struct kvs_ioc_batch_op *o, __u16 op,
			    const struct bench_key *k, u8 *val)
{
	memset(o, 0, sizeof(*o));
	o->op = op;
	o->key = (uintptr_t)k->b;
	o->key_len = BENCH_KLEN;
	o->value = (uintptr_t)val;
	o->value_len = BENCH_VLEN;
}

/* KVS_IOC_BATCH (not atomic) of @n ops on the table: ops done, or -errno. */
static inline int bench_batch(struct kvs_ioc_batch_op *ops, u32 n)
{
	struct kvs_ioc_batch a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.tables = (uintptr_t)bench_tables;
	a.ntables = 1;
	a.ops = (uintptr_t)ops;
	a.nops = n;
	if (ioctl(kvs_fd, KVS_IOC_BATCH, &a))
		return -errno;
	return (int)a.done;
}

/* A value read in a timed loop: its first 8 bytes are the key's. */
static inline int bench_bad_value(const u8 *val, const struct bench_key *k)
{
	return memcmp(val, k->b, 8) != 0;
}

/* A value checked before timing: all of it (the key four times). */
static int bench_wrong_value(const u8 *val, const struct bench_key *k)
{
	u8 want[BENCH_VLEN];

	bench_fill_value(want, k);
	return memcmp(val, want, BENCH_VLEN) != 0;
}

static u64 bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static inline long sys_bpf(int cmd, union bpf_attr *attr, unsigned int size)
{
	return syscall(__NR_bpf, cmd, attr, size);
}

/* ---- the calls timed; each unit is 64 keys (or 64 calls); returns keys */

/*
 * A fresh struct for a GET of one key, as a library builds one: the
 * fields struct kvs_ioc_kv (KVS_IOC_GET) and struct kvs_ioc_key
 * (KVS_IOC_H_GET) share.
 */
#define BENCH_GET_STRUCT(a, k, val, fl)					\
	do {								\
		memset(&(a), 0, sizeof(a));				\
		(a).size = sizeof(a);					\
		(a).flags = (fl);					\
		(a).key = (uintptr_t)(k)->b;				\
		(a).key_len = BENCH_KLEN;				\
		(a).value = (uintptr_t)(val);				\
		(a).value_len = BENCH_VLEN;				\
	} while (0)

/* KVS_IOC_GET by the table's name */
static inline int bench_kv_get(const struct bench_key *k, u8 *val,
			       const char *table, u32 flags)
{
	struct kvs_ioc_kv a;

	BENCH_GET_STRUCT(a, k, val, flags);
	memcpy(a.table, table, sizeof(a.table));
	if (ioctl(kvs_fd, KVS_IOC_GET, &a))
		return -errno;
	return a.value_len == BENCH_VLEN ? 0 : -EMSGSIZE;
}

/* KVS_IOC_H_GET on the handle; the version a present key has is not 0 */
static inline int bench_kv_hget(const struct bench_key *k, u8 *val, u32 flags)
{
	struct kvs_ioc_key a;

	BENCH_GET_STRUCT(a, k, val, flags);
	if (ioctl(kvs_hfd, KVS_IOC_H_GET, &a))
		return -errno;
	return a.value_len == BENCH_VLEN && a.version ? 0 : -EMSGSIZE;
}

/*
 * KVS_IOC_H_MGET of @n keys, BENCH_KLEN bytes apart (no key_lens), into
 * @vals (@vstride apart; NULL if @vstride is 0), @results and @versions
 * (may be NULL). A fresh struct each call. Return: 0, or -errno if the
 * call failed or did not do all @n.
 */
static int bench_hmget(const void *keys, u32 n, u8 *vals, u32 vstride,
		       __s32 *results, u64 *versions)
{
	struct kvs_ioc_mget a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.keys = (uintptr_t)keys;
	a.values = (uintptr_t)vals;
	a.results = (uintptr_t)results;
	a.versions = (uintptr_t)versions;
	a.count = n;
	a.key_stride = BENCH_KLEN;
	a.value_stride = vstride;
	if (ioctl(kvs_hfd, KVS_IOC_H_MGET, &a))
		return -errno;
	return a.done == n ? 0 : -EIO;
}

static inline int bench_bpf_get(int fd, const struct bench_key *k, u8 *val)
{
	union bpf_attr a;

	memset(&a, 0, BPF_ELEM_ATTR_SIZE);
	a.map_fd = fd;
	a.key = (uintptr_t)k->b;
	a.value = (uintptr_t)val;
	return sys_bpf(BPF_MAP_LOOKUP_ELEM, &a, BPF_ELEM_ATTR_SIZE) ? -errno : 0;
}

/* KVS_IOC_BATCH of @n GETs of random keys on one table. */
static unsigned int bench_kvs_batch(struct bench_thread *bt, u64 *x,
				    unsigned int n)
{
	const struct bench_key *k[BENCH_BATCH];
	unsigned int i;

	for (i = 0; i < n; i++) {
		k[i] = &bench_keys[bench_next(x, bench_n)];
		bench_op(&bt->ops[i], KVS_OP_GET, k[i], bt->vals[i]);
	}
	if (bench_batch(bt->ops, n) != (int)n) {
		bt->bad += n;
		return n;
	}
	for (i = 0; i < n; i++)
		bt->bad += bt->ops[i].result || bt->ops[i].value_len != BENCH_VLEN ||
			   bench_bad_value(bt->vals[i], k[i]);
	bt->sink += bt->vals[0][0];
	return n;
}

/* How bench_kvs_hmget() departs from a plain H_MGET of present keys */
#define BENCH_HM_NOVER		0x1	/* versions 0: none asked for */
#define BENCH_HM_NOVAL		0x2	/* value_stride 0: lengths only */
#define BENCH_HM_ABSENT		0x4	/* keys that are not there */

/*
 * KVS_IOC_H_MGET of @n random keys, gathered into one array (the fixed
 * 16-byte stride), each checked: its result, version and value.
 */
static unsigned int bench_kvs_hmget(struct bench_thread *bt, u64 *x,
				    unsigned int n, unsigned int how)
{
	bool ver = !(how & BENCH_HM_NOVER), val = !(how & BENCH_HM_NOVAL);
	__s32 want = how & BENCH_HM_ABSENT ? -ENOENT : BENCH_VLEN;
	unsigned int i;

	for (i = 0; i < n; i++) {
		bt->bkeys[i] = bench_keys[bench_next(x, bench_n)];
		if (how & BENCH_HM_ABSENT)
			bt->bkeys[i].b[0] ^= 0x80;
	}
	if (bench_hmget(bt->bkeys, n, val ? bt->vals[0] : NULL,
			val ? BENCH_VLEN : 0, bt->results,
			ver ? bt->versions : NULL)) {
		bt->bad += n;
		return n;
	}
	for (i = 0; i < n; i++)
		bt->bad += bt->results[i] != want ||
			   (ver && !bt->versions[i] != (want < 0)) ||
			   (val && want > 0 &&
			    bench_bad_value(bt->vals[i], &bt->bkeys[i]));
	bt->sink += bt->vals[0][0];
	return n;
}

/*
 * BPF_MAP_LOOKUP_BATCH of up to 64 entries from the thread's cursor: a
 * hash map hands out whole buckets, so a call returns a few fewer than 64
 * when the next bucket does not fit; at the end of the map it returns
 * -ENOENT (with the last entries) and the walk starts over.
 */
static unsigned int bench_bpf_batch(struct bench_thread *bt)
{
	union bpf_attr a;
	u32 out = 0;
	unsigned int i, n;
	int ret;

	memset(&a, 0, BPF_BATCH_ATTR_SIZE);
	a.batch.in_batch = bt->cursor_valid ? (uintptr_t)&bt->cursor : 0;
	a.batch.out_batch = (uintptr_t)&out;
	a.batch.keys = (uintptr_t)bt->bkeys;
	a.batch.values = (uintptr_t)bt->vals;
	a.batch.count = BENCH_BATCH;
	a.batch.map_fd = map_fd;
	ret = sys_bpf(BPF_MAP_LOOKUP_BATCH, &a, BPF_BATCH_ATTR_SIZE) ? errno : 0;
	if (ret && ret != ENOENT) {
		bt->bad++;
		bt->cursor_valid = false;
		return 0;
	}
	n = a.batch.count;
	for (i = 0; i < n; i++)
		bt->bad += bench_bad_value(bt->vals[i], &bt->bkeys[i]);
	bt->sink += bt->vals[0][0];
	bt->cursor = out;
	bt->cursor_valid = !ret;
	return n;
}

static unsigned int bench_unit(struct bench_thread *bt, u64 *x)
{
	struct bench_key absent;
	const struct bench_key *k;
	u8 *val = bt->vals[0];
	struct kvs_ioc_kv a;
	unsigned int i;
	int ret;

	switch (bt->op) {
	case BENCH_KVS_BATCH:
		return bench_kvs_batch(bt, x, BENCH_BATCH);
	case BENCH_BPF_BATCH:
		return bench_bpf_batch(bt);
	case BENCH_KVS_HMGET:
		return bench_kvs_hmget(bt, x, BENCH_BATCH, 0);
	case BENCH_HMGET_NOVER:
		return bench_kvs_hmget(bt, x, BENCH_BATCH, BENCH_HM_NOVER);
	case BENCH_HMGET_NOVAL:
		return bench_kvs_hmget(bt, x, BENCH_BATCH, BENCH_HM_NOVAL);
	case BENCH_HMGET_ABSENT:
		return bench_kvs_hmget(bt, x, BENCH_BATCH, BENCH_HM_ABSENT);
	default:
		break;
	}
	for (i = 0; i < BENCH_BATCH; i++) {
		k = &bench_keys[bench_next(x, bench_n)];
		switch (bt->op) {
		case BENCH_BPF_LOOKUP:
			ret = bench_bpf_get(map_fd, k, val);
			bt->bad += ret || bench_bad_value(val, k);
			break;
		case BENCH_KVS_GET:
			ret = bench_kv_get(k, val, bench_tables[0], 0);
			bt->bad += ret || bench_bad_value(val, k);
			break;
		case BENCH_KVS_HGET:
			ret = bench_kv_hget(k, val, 0);
			bt->bad += ret || bench_bad_value(val, k);
			break;
		case BENCH_GETPPID:
			bt->sink += syscall(SYS_getppid);
			break;
		case BENCH_IOC_NOTTY:
		case BENCH_H_NOTTY:
			memset(&a, 0, sizeof(a));
			a.size = sizeof(a);
			bt->bad += ioctl(bt->op == BENCH_H_NOTTY ? kvs_hfd : kvs_fd,
					 BENCH_IOC_UNKNOWN, &a) != -1 ||
				   errno != ENOTTY;
			break;
		case BENCH_GET_EINVAL:
			bt->bad += bench_kv_get(k, val, bench_tables[0],
						0x80000000u) != -EINVAL;
			break;
		case BENCH_GET_NOTABLE:
			bt->bad += bench_kv_get(k, val, bench_no_table, 0) != -ENOENT;
			break;
		case BENCH_GET_ABSENT:
			absent = *k;
			absent.b[0] ^= 0x80;	/* 2^-127 to hit another key */
			bt->bad += bench_kv_get(&absent, val, bench_tables[0], 0) != -ENOENT;
			break;
		case BENCH_KVS_BATCH1:
			bench_kvs_batch(bt, x, 1);
			break;
		case BENCH_HGET_EINVAL:
			bt->bad += bench_kv_hget(k, val, 0x80000000u) != -EINVAL;
			break;
		case BENCH_HGET_ABSENT:
			absent = *k;
			absent.b[0] ^= 0x80;
			bt->bad += bench_kv_hget(&absent, val, 0) != -ENOENT;
			break;
		case BENCH_KVS_HMGET1:
			bench_kvs_hmget(bt, x, 1, 0);
			break;
		case BENCH_BPF_BADFD:
			bt->bad += bench_bpf_get(-1, k, val) != -EBADF;
			break;
		case BENCH_BPF_ABSENT:
			absent = *k;
			absent.b[0] ^= 0x80;
			bt->bad += bench_bpf_get(map_fd, &absent, val) != -ENOENT;
			break;
		default:
			bt->bad++;
		}
	}
	return BENCH_BATCH;
}

static void bench_pin(unsigned int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* The timed loop: whole units until run_ms is over, one clock read a unit. */
static void *bench_thread_fn(void *arg)
{
	struct bench_thread *bt = arg;
	u64 x = bt->seed, keys = 0, t0, end, now;

	bench_pin(bt->cpu);
	pthread_barrier_wait(bt->start);
	t0 = bench_now_ns();
	end = t0 + (u64)run_ms * 1000000ull;
	do {
		keys += bench_unit(bt, &x);
		now = bench_now_ns();
	} while (now < end);
	bt->ns = now - t0;
	bt->keys = keys;
	return NULL;
}

static u64 bench_seed(void)
{
	struct timespec ts;
	static u64 s;

	if (!s) {
		clock_gettime(CLOCK_REALTIME, &ts);
		s = (u64)ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (u64)getpid();
	}
	s += 0x9e3779b97f4a7c15ull;
	return (s ^ (s >> 29)) | 1;
}

struct bench_result {
	u64 ps_per_key;	/* thread time per key, picoseconds */
	u64 bad;
};

/*
 * Between timed phases, untimed: kvstore's deferred work and RCU callbacks
 * run, and a thread that exited has let go of the process's file table.
 */
static void bench_settle(void)
{
	usleep(BENCH_SETTLE_MS * 1000);
}

/*
 * Run @op on @nthr threads pinned to CPUs 0..nthr-1 for run_ms. The first
 * is this thread: with one, the process has no other thread, and fdget()
 * takes no reference on the file, as in a single-threaded program.
 */
static int bench_run(struct bench_thread *bt, enum bench_op op,
		     unsigned int nthr, struct bench_result *res)
{
	pthread_barrier_t start;
	u64 ns = 0, keys = 0;
	unsigned int i, made;
	int ret = 0;

	pthread_barrier_init(&start, NULL, nthr);
	for (i = 0; i < nthr; i++) {
		bt[i].op = op;
		bt[i].start = &start;
		bt[i].cpu = i;
		bt[i].seed = bench_seed();
		bt[i].bad = 0;
		/* the walks of the map start apart: bucket i * n / nthr */
		bt[i].cursor = (u32)((u64)bench_buckets * i / nthr);
		bt[i].cursor_valid = i > 0;
	}
	for (made = 1; made < nthr; made++) {
		ret = pthread_create(&bt[made].tid, NULL, bench_thread_fn, &bt[made]);
		if (ret)
			break;
	}
	if (made < nthr) {
		/* those made wait at the barrier forever: give up */
		fprintf(stderr, "pthread_create: %s\n", strerror(ret));
		exit(1);
	}
	bench_thread_fn(&bt[0]);
	for (i = 1; i < nthr; i++)
		pthread_join(bt[i].tid, NULL);
	pthread_barrier_destroy(&start);
	bench_pin(0);
	memset(res, 0, sizeof(*res));
	for (i = 0; i < nthr; i++) {
		ns += bt[i].ns;
		keys += bt[i].keys;
		res->bad += bt[i].bad;
	}
	res->ps_per_key = ns * 1000 / (keys ? keys : 1);
	return ret;
}

/* ---- reporting */

static int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void bench_stats(u64 *v, unsigned int n, u64 *best,
			u64 *median)
{
	qsort(v, n, sizeof(*v), bench_cmp_u64);
	*best = v[0];
	*median = (v[(n - 1) / 2] + v[n / 2]) / 2;
}

static double bench_ratio(u64 a, u64 b)
{
	return b ? (double)a / b : 0;
}

/*
 * Time the @nops operations @ops for 1..@maxthr threads, @reps times each
 * in an order rotated every repetition; best and median of operation op
 * into best[t - 1][op], med[t - 1][op]. Return: reads that failed.
 */
static u64 bench_measure(struct bench_thread *bt, const enum bench_op *ops,
			 unsigned int nops, unsigned int maxthr,
			 u64 best[][BENCH_NR_OPS], u64 med[][BENCH_NR_OPS])
{
	struct bench_result res;
	unsigned int t, o, r;
	u64 *ps, bad = 0;

	ps = calloc((size_t)maxthr * nops * reps, sizeof(*ps));
	if (!ps) {
		perror("calloc");
		exit(1);
	}
	for (t = 1; t <= maxthr; t++) {
		for (r = 0; r < reps; r++) {
			for (o = 0; o < nops; o++) {
				unsigned int i = (o + r) % nops;

				bench_settle();
				bench_run(bt, ops[i], t, &res);
				ps[((t - 1) * nops + i) * reps + r] = res.ps_per_key;
				bad += res.bad;
			}
		}
	}
	for (t = 1; t <= maxthr; t++)
		for (o = 0; o < nops; o++)
			bench_stats(&ps[((t - 1) * nops + o) * reps], reps,
				    &best[t - 1][ops[o]], &med[t - 1][ops[o]]);
	free(ps);
	return bad;
}

static void bench_header(void)
{
	printf("%-7s  %-28s  %10s  %12s  %8s  %10s\n", "threads", "operation",
	       "best ns/op", "median ns/op", "best x", "median x");
}

static void bench_row(unsigned int t, const char *name, u64 best,
		      u64 med, u64 best0, u64 med0)
{
	printf("%-7u  %-28s  %10.1f  %12.1f  %8.2f  %10.2f\n", t, name,
	       best / 1000.0, med / 1000.0, bench_ratio(best, best0),
	       bench_ratio(med, med0));
}

/* A goal: the ratio of operation a's ns per key to b's, at most goal. */
struct bench_goal {
	const char *what;
	double goal;
	enum bench_op a, b;
};

static const struct bench_goal bench_goals[] = {
	{ "by name: KVS_IOC_GET / bpf LOOKUP_ELEM", 0.5,
	  BENCH_KVS_GET, BENCH_BPF_LOOKUP },
	{ "by name: BATCH 64 GET per key / KVS_IOC_GET", 0.2,
	  BENCH_KVS_BATCH, BENCH_KVS_GET },
	{ "by name: BATCH 64 GET per key / bpf LOOKUP_BATCH", 1.0,
	  BENCH_KVS_BATCH, BENCH_BPF_BATCH },
	{ "by name: BATCH 64 GET per key / 64 x bpf LOOKUP_ELEM", 1.0,
	  BENCH_KVS_BATCH, BENCH_BPF_LOOKUP },
	{ "handle: H_GET / bpf LOOKUP_ELEM", 0.5,
	  BENCH_KVS_HGET, BENCH_BPF_LOOKUP },
	{ "handle: H_MGET 64 per key / H_GET", 0.2,
	  BENCH_KVS_HMGET, BENCH_KVS_HGET },
	{ "handle: H_MGET 64 per key / bpf LOOKUP_BATCH", 1.0,
	  BENCH_KVS_HMGET, BENCH_BPF_BATCH },
	{ "handle: H_MGET 64 per key / 64 x bpf LOOKUP_ELEM", 1.0,
	  BENCH_KVS_HMGET, BENCH_BPF_LOOKUP },
};

static void bench_goal(unsigned int t, const struct bench_goal *g,
		       const u64 *best, const u64 *med)
{
	double rb = bench_ratio(best[g->a], best[g->b]);
	double rm = bench_ratio(med[g->a], med[g->b]);

	printf("%-7u  %-52s  <= %4.2f  %6.2f  %6.2f  %s\n", t, g->what, g->goal,
	       rb, rm, rb <= g->goal && rm <= g->goal ? "met" :
	       rb > g->goal && rm > g->goal ? "missed" : "mixed");
}

/*
 * From a call of 1 key (ns per call) and one of 64 (ns per key), best to
 * best: what a crossing costs and what a key in it costs.
 * (1 key = F + p; 64 keys = (F + 64 p) / 64 per key.)
 */
static void bench_split(const char *what, u64 one, u64 per64, u64 single,
			const char *single_name)
{
	u64 per = per64 * 64 > one ? (per64 * 64 - one) / 63 : 0;
	u64 fixed = one > per ? one - per : 0;

	printf("# %s (best): %.1f ns a crossing + %.1f ns a key; %s %.1f ns a call\n",
	       what, fixed / 1000.0, per / 1000.0, single_name, single / 1000.0);
}

/* ---- setup */

static void bench_keys_make(u32 n)
{
	u64 x = bench_seed(), *w;
	u32 i;

	bench_keys = aligned_alloc(64, (size_t)n * sizeof(*bench_keys));
	if (!bench_keys) {
		perror("aligned_alloc");
		exit(1);
	}
	/* splitmix64 */
	for (i = 0; i < n; i++) {
		for (w = (u64 *)bench_keys[i].b;
		     w < (u64 *)(bench_keys[i].b + BENCH_KLEN); w++) {
			u64 z = (x += 0x9e3779b97f4a7c15ull);

			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
			*w = z ^ (z >> 31);
		}
	}
}

/* Entries to use: @want, or fewer if MemAvailable cannot hold them. */
static u32 bench_entries(unsigned long want, unsigned long *avail_mb)
{
	unsigned long kb = 0;
	char line[128];
	u64 fit, n;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %lu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	*avail_mb = kb / 1024;
	fit = (u64)kb * 1024 / 4 * 3 / BENCH_EST_BYTES;
	n = want < UINT32_MAX / 2 ? want : UINT32_MAX / 2;
	if (kb && n > fit) {
		n = fit / 1000 * 1000;
		printf("# fallback: %lu entries need ~%lu MB, MemAvailable is %lu MB: using %lu\n",
		       want, (unsigned long)((u64)want * BENCH_EST_BYTES >> 20),
		       *avail_mb, (unsigned long)n);
	}
	return (u32)n;
}

static int bench_table_create(void)
{
	struct kvs_ioc_table a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	strcpy(a.name, BENCH_TABLE);
	a.params.max_key_size = BENCH_KLEN;
	a.params.max_value_size = BENCH_VLEN;
	a.params.mode = 0600;
	if (ioctl(kvs_fd, KVS_IOC_TABLE_CREATE, &a) && errno != EEXIST)
		return -errno;
	memcpy(bench_tables[0], a.name, KVS_NAME_LEN);
	return 0;
}

/* The handle the H_ rows read through: KVS_IOC_TABLE_OPEN, read only. */
static int bench_table_open(void)
{
	struct kvs_ioc_table_open a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = KVS_OPEN_READ;
	memcpy(a.name, bench_tables[0], KVS_NAME_LEN);
	if (ioctl(kvs_fd, KVS_IOC_TABLE_OPEN, &a) < 0)
		return -errno;
	if (a.fd < 0)
		return -EBADF;
	kvs_hfd = a.fd;
	return 0;
}

static void bench_table_drop(void)
{
	struct kvs_ioc_table a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	strcpy(a.name, BENCH_TABLE);
	ioctl(kvs_fd, KVS_IOC_TABLE_DROP, &a);
}

static int bench_map_create(u32 n)
{
	union bpf_attr a;
	int fd;

	memset(&a, 0, sizeof(a));
	a.map_type = BPF_MAP_TYPE_HASH;
	a.key_size = BENCH_KLEN;
	a.value_size = BENCH_VLEN;
	a.max_entries = n;
	a.map_flags = 0;	/* preallocated, the default */
	strcpy(a.map_name, "kvs_bench");
	fd = sys_bpf(BPF_MAP_CREATE, &a, sizeof(a));
	if (fd < 0)
		return -errno;
	map_fd = fd;
	for (bench_buckets = 1; bench_buckets < n; bench_buckets <<= 1)
		;
	return 0;
}

/* Fill both; ns per key of each load in *kvs_ns, *bpf_ns. 0 or -errno. */
static int bench_load(u32 n, u64 *kvs_ns, u64 *bpf_ns)
{
	struct kvs_ioc_batch_op *ops;
	union bpf_attr a;
	u8 *vals;
	u32 i, j, c;
	u64 t0, tk = 0, tb = 0;
	int ret = 0, done;

	ops = calloc(BENCH_LOAD, sizeof(*ops));
	vals = malloc((size_t)BENCH_LOAD * BENCH_VLEN);
	if (!ops || !vals) {
		perror("malloc");
		exit(1);
	}
	for (i = 0; i < n && !ret; i += c) {
		c = n - i < BENCH_LOAD ? n - i : BENCH_LOAD;
		for (j = 0; j < c; j++)
			bench_fill_value(vals + (size_t)j * BENCH_VLEN, &bench_keys[i + j]);

		for (j = 0; j < c; j++)
			bench_op(&ops[j], KVS_OP_PUT, &bench_keys[i + j],
				 vals + (size_t)j * BENCH_VLEN);
		t0 = bench_now_ns();
		done = bench_batch(ops, c);
		if (done < 0) {
			ret = done;
			printf("# KVS_IOC_BATCH of PUTs: %s at %u keys\n", strerror(-ret), i);
			break;
		}
		tk += bench_now_ns() - t0;
		for (j = 0; j < c; j++) {
			if (ops[j].result) {
				ret = ops[j].result;
				printf("# KVS_OP_PUT: %s at %u keys\n", strerror(-ret), i + j);
				break;
			}
		}

		memset(&a, 0, BPF_BATCH_ATTR_SIZE);
		a.batch.keys = (uintptr_t)&bench_keys[i];
		a.batch.values = (uintptr_t)vals;
		a.batch.count = c;
		a.batch.map_fd = map_fd;
		t0 = bench_now_ns();
		if (sys_bpf(BPF_MAP_UPDATE_BATCH, &a, BPF_BATCH_ATTR_SIZE) ||
		    a.batch.count != c) {
			ret = errno ? -errno : -EIO;
			printf("# BPF_MAP_UPDATE_BATCH: %s at %u keys\n", strerror(-ret),
			       i + a.batch.count);
			break;
		}
		tb += bench_now_ns() - t0;
	}
	*kvs_ns = tk / (n ? n : 1);
	*bpf_ns = tb / (n ? n : 1);
	free(vals);
	free(ops);
	return ret;
}

/*
 * Every key in the table with its value, read twice: batches of GETs by
 * name, and H_MGETs on the handle (results and versions poisoned before,
 * so that each must be written); and the map walked whole: n entries,
 * each with its key's value. Return: wrong ones.
 */
static u64 bench_verify(u32 n)
{
	struct kvs_ioc_batch_op *ops;
	struct bench_key *bk;
	union bpf_attr a;
	__s32 *results;
	u64 *versions;
	u8 *vals;
	u32 i, j, c, cursor = 0, total = 0;
	u64 bad = 0;
	int ret;

	ops = calloc(BENCH_LOAD, sizeof(*ops));
	vals = malloc((size_t)BENCH_LOAD * BENCH_VLEN);
	bk = malloc((size_t)BENCH_LOAD * sizeof(*bk));
	results = malloc(BENCH_LOAD * sizeof(*results));
	versions = malloc(BENCH_LOAD * sizeof(*versions));
	if (!ops || !vals || !bk || !results || !versions) {
		perror("malloc");
		exit(1);
	}
	for (i = 0; i < n; i += c) {
		c = n - i < BENCH_LOAD ? n - i : BENCH_LOAD;
		for (j = 0; j < c; j++)
			bench_op(&ops[j], KVS_OP_GET, &bench_keys[i + j],
				 vals + (size_t)j * BENCH_VLEN);
		if (bench_batch(ops, c) < 0) {
			bad += c;
			continue;
		}
		for (j = 0; j < c; j++)
			bad += ops[j].result || ops[j].value_len != BENCH_VLEN ||
			       bench_wrong_value(vals + (size_t)j * BENCH_VLEN,
						 &bench_keys[i + j]);
	}
	for (i = 0; i < n; i += c) {
		c = n - i < BENCH_LOAD ? n - i : BENCH_LOAD;
		memset(vals, 0, (size_t)c * BENCH_VLEN);
		memset(results, 0x80, c * sizeof(*results));
		memset(versions, 0, c * sizeof(*versions));
		ret = bench_hmget(&bench_keys[i], c, vals, BENCH_VLEN, results,
				  versions);
		if (ret) {
			printf("# KVS_IOC_H_MGET: %s at %u keys\n", strerror(-ret), i);
			bad += c;
			continue;
		}
		for (j = 0; j < c; j++)
			bad += results[j] != BENCH_VLEN || !versions[j] ||
			       bench_wrong_value(vals + (size_t)j * BENCH_VLEN,
						 &bench_keys[i + j]);
	}
	do {
		memset(&a, 0, BPF_BATCH_ATTR_SIZE);
		a.batch.in_batch = total ? (uintptr_t)&cursor : 0;
		a.batch.out_batch = (uintptr_t)&cursor;
		a.batch.keys = (uintptr_t)bk;
		a.batch.values = (uintptr_t)vals;
		a.batch.count = BENCH_LOAD;
		a.batch.map_fd = map_fd;
		ret = sys_bpf(BPF_MAP_LOOKUP_BATCH, &a, BPF_BATCH_ATTR_SIZE) ? errno : 0;
		if (ret && ret != ENOENT) {
			printf("# BPF_MAP_LOOKUP_BATCH: %s after %u entries\n",
			       strerror(ret), total);
			bad++;
			break;
		}
		for (j = 0; j < a.batch.count; j++)
			bad += bench_wrong_value(vals + (size_t)j * BENCH_VLEN, &bk[j]);
		total += a.batch.count;
	} while (!ret && total <= n);
	if (total != n) {
		printf("# the map walk found %u entries, not %u\n", total, n);
		bad++;
	}
	free(versions);
	free(results);
	free(bk);
	free(vals);
	free(ops);
	return bad;
}

static void bench_print_env(unsigned long avail_mb)
{
	static const char *const files[] = {
		"/sys/devices/system/clocksource/clocksource0/current_clocksource",
		"/sys/devices/system/cpu/vulnerabilities/meltdown",
		"/sys/devices/system/cpu/vulnerabilities/spectre_v2",
		"/proc/sys/kernel/unprivileged_bpf_disabled",
	};
	static const char *const wanted[] = { "erms", "fsrm", "rep_good", "smap", "pti" };
	struct utsname u;
	char line[160], word[16], *flags = NULL;
	size_t cap = 0;
	unsigned int i;
	FILE *f;

	uname(&u);
	printf("# kernel %s, %ld CPUs online, MemAvailable %lu MB\n", u.release,
	       sysconf(_SC_NPROCESSORS_ONLN), avail_mb);
	/* how the kernel copies: rep movsb (erms, fsrm) or not */
	f = fopen("/proc/cpuinfo", "r");
	while (f && getline(&flags, &cap, f) > 0) {
		if (strncmp(flags, "flags", 5))
			continue;
		flags[strcspn(flags, "\n")] = ' ';
		printf("# cpu flags that matter here:");
		for (i = 0; i < ARRAY_SIZE(wanted); i++) {
			snprintf(word, sizeof(word), " %s ", wanted[i]);
			printf(" %s%s", strstr(flags, word) ? "" : "-", wanted[i]);
		}
		printf("\n");
		break;
	}
	free(flags);
	if (f)
		fclose(f);
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		f = fopen(files[i], "r");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = 0;
			printf("# %s: %s\n", strrchr(files[i], '/') + 1, line);
		}
		fclose(f);
	}
}

static int bench_parse(int argc, char **argv)
{
	unsigned long v;
	char *end, *eq;
	int i;

	for (i = 1; i < argc; i++) {
		eq = strchr(argv[i], '=');
		if (!eq)
			goto usage;
		v = strtoul(eq + 1, &end, 0);
		if (*end || end == eq + 1)
			goto usage;
		if (!strncmp(argv[i], "entries=", 8))
			entries = v;
		else if (!strncmp(argv[i], "run_ms=", 7))
			run_ms = v;
		else if (!strncmp(argv[i], "reps=", 5))
			reps = v;
		else if (!strncmp(argv[i], "threads=", 8))
			threads = v;
		else
			goto usage;
	}
	if (entries < 1000)
		entries = 1000;
	reps = reps < 1 ? 1 : reps > 100 ? 100 : reps;
	run_ms = run_ms < 10 ? 10 : run_ms > 60000 ? 60000 : run_ms;
	return 0;
usage:
	fprintf(stderr, "usage: %s [entries=N] [run_ms=MS] [reps=R] [threads=T]\n",
		argv[0]);
	return 2;
}

int main(int argc, char **argv)
{
	/* the first is what "x" is to */
	static const enum bench_op reads[] = {
		BENCH_BPF_LOOKUP, BENCH_KVS_GET, BENCH_KVS_BATCH, BENCH_BPF_BATCH,
		BENCH_KVS_HGET, BENCH_KVS_HMGET,
	};
	static const enum bench_op steps[] = {
		BENCH_GETPPID, BENCH_IOC_NOTTY, BENCH_GET_EINVAL, BENCH_GET_NOTABLE,
		BENCH_GET_ABSENT, BENCH_KVS_GET, BENCH_KVS_BATCH1,
		BENCH_KVS_BATCH,
		BENCH_H_NOTTY, BENCH_HGET_EINVAL, BENCH_HGET_ABSENT, BENCH_KVS_HGET,
		BENCH_KVS_HMGET1,
		BENCH_KVS_HMGET, BENCH_HMGET_NOVER, BENCH_HMGET_NOVAL,
		BENCH_HMGET_ABSENT,
		BENCH_BPF_BADFD, BENCH_BPF_ABSENT, BENCH_BPF_LOOKUP,
	};
	/* the step (index in steps[]) each one builds on, -1: none */
	static const int step_base[] = {
		-1, 0, 1, 2, 3, 4, 5,	/* by name: getppid() .. BATCH 1 GET */
		-1,			/* BATCH 64 GET, per key */
		0, 8, 9, 10, 11,	/* handle: unknown nr .. H_MGET 1 */
		-1, 13, 13, 15,		/* H_MGET 64 per key: whole, less parts */
		0, 17, 18,		/* bpf */
	};
	static u64 best[BENCH_MAX_THREADS][BENCH_NR_OPS], med[BENCH_MAX_THREADS][BENCH_NR_OPS];
	static struct bench_thread bt[BENCH_MAX_THREADS];
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	u64 kvs_load, bpf_load, bad;
	unsigned long avail_mb;
	unsigned int t, o, g, maxthr;
	long ncpu;
	int ret;

	_Static_assert(ARRAY_SIZE(step_base) == ARRAY_SIZE(steps), "a base per step");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (bench_parse(argc, argv))
		return 2;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	maxthr = threads < 1 ? 1 : threads;
	if (maxthr > ncpu)
		maxthr = ncpu;
	if (maxthr > BENCH_MAX_THREADS)
		maxthr = BENCH_MAX_THREADS;
	bench_n = bench_entries(entries, &avail_mb);
	bench_print_env(avail_mb);
	printf("# %u entries: %d-byte random keys, %d-byte values; kvstore table hash-only; BPF_MAP_TYPE_HASH, preallocated\n",
	       bench_n, BENCH_KLEN, BENCH_VLEN);
	printf("# timed phases of %u ms, %u repetitions (order rotated), 1..%u threads pinned to CPUs\n",
	       run_ms, reps, maxthr);
	bench_pin(0);
	setrlimit(RLIMIT_MEMLOCK, &rl);	/* 6.1 charges maps to memcg; older kernels did not */

	kvs_fd = open("/dev/" KVS_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (kvs_fd < 0) {
		printf("not ok - open /dev/%s: %s\n", KVS_DEVICE_NAME, strerror(errno));
		return 1;
	}
	ret = bench_table_create();
	if (ret) {
		printf("not ok - KVS_IOC_TABLE_CREATE: %s\n", strerror(-ret));
		return 1;
	}
	ret = bench_table_open();
	if (ret) {
		printf("not ok - KVS_IOC_TABLE_OPEN (KVS_OPEN_READ): %s\n", strerror(-ret));
		return 1;
	}
	ret = bench_map_create(bench_n);
	if (ret) {
		printf("not ok - BPF_MAP_CREATE (hash, %u entries): %s\n", bench_n,
		       strerror(-ret));
		return 1;
	}
	bench_keys_make(bench_n);
	ret = bench_load(bench_n, &kvs_load, &bpf_load);
	if (ret) {
		printf("not ok - loading %u keys: %s\n", bench_n, strerror(-ret));
		return 1;
	}
	printf("# load, 1 thread, %d keys a call: KVS_IOC_BATCH of PUT %.1f ns/key, BPF_MAP_UPDATE_BATCH %.1f ns/key\n",
	       BENCH_LOAD, (double)kvs_load, (double)bpf_load);
	bad = bench_verify(bench_n);
	printf("%sok - the table and the map hold every key with its value (%llu wrong)\n",
	       bad ? "not " : "", (unsigned long long)bad);

	/* 1. and 2.: reads of present keys, 1..maxthr threads */
	bad = bench_measure(bt, reads, ARRAY_SIZE(reads), maxthr, best, med);
	printf("reads of random present keys, ns per key (x: to bpf MAP_LOOKUP_ELEM)\n");
	bench_header();
	for (t = 1; t <= maxthr; t++)
		for (o = 0; o < ARRAY_SIZE(reads); o++)
			bench_row(t, bench_op_name[reads[o]], best[t - 1][reads[o]],
				  med[t - 1][reads[o]], best[t - 1][reads[0]],
				  med[t - 1][reads[0]]);
	printf("# (1) walks the map from a cursor in the map's order: it looks up no given key\n");
	printf("%sok - every read found its key with its value (%llu failed)\n",
	       bad ? "not " : "", (unsigned long long)bad);

	printf("goals: ratios of the rows above (never a failure)\n");
	printf("%-7s  %-52s  %7s  %6s  %6s\n", "threads", "ratio", "goal", "best",
	       "median");
	for (t = 1; t <= maxthr; t++)
		for (g = 0; g < ARRAY_SIZE(bench_goals); g++)
			bench_goal(t, &bench_goals[g], best[t - 1], med[t - 1]);

	/* where the time of one call goes, 1 thread */
	bad = bench_measure(bt, steps, ARRAY_SIZE(steps), 1, best, med);
	printf("steps of one call, 1 thread, ns per call (64: per key); +: best minus the best of the step it builds on\n");
	printf("%-7s  %-28s  %10s  %12s  %8s\n", "threads", "operation", "best ns/op",
	       "median ns/op", "+best");
	for (o = 0; o < ARRAY_SIZE(steps); o++) {
		enum bench_op op = steps[o];

		printf("%-7u  %-28s  %10.1f  %12.1f  ", 1, bench_op_name[op],
		       best[0][op] / 1000.0, med[0][op] / 1000.0);
		if (step_base[o] < 0)
			printf("%8s\n", "-");
		else
			printf("%+8.1f\n", ((double)best[0][op] -
					     best[0][steps[step_base[o]]]) / 1000.0);
	}
	bench_split("KVS_IOC_BATCH of GET", best[0][BENCH_KVS_BATCH1],
		    best[0][BENCH_KVS_BATCH], best[0][BENCH_KVS_GET], "KVS_IOC_GET");
	bench_split("KVS_IOC_H_MGET", best[0][BENCH_KVS_HMGET1],
		    best[0][BENCH_KVS_HMGET], best[0][BENCH_KVS_HGET], "KVS_IOC_H_GET");
	printf("%sok - every step returned what it should (%llu failed)\n",
	       bad ? "not " : "", (unsigned long long)bad);

	close(map_fd);
	close(kvs_hfd);
	bench_table_drop();
	close(kvs_fd);
	printf("# done\n");
	return 0;
}

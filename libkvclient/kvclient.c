// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libkvclient: a thin, honest wrapper over the /dev/kvstore ioctls.
 *
 * Every entry point validates its arguments, builds one zeroed ioctl
 * struct, and returns 0 or -errno (also left in errno). The only state the
 * library keeps is what the kernel cannot: the module's limits and
 * features (read once at open), the scan iterator's page and cursor, and
 * the batch builder's operations. The handle itself is immutable after
 * kvc_open(), which is what makes calls without a transaction thread-safe
 * on a shared handle; a table handle is just its file descriptor.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kvclient.h"
#include "../include/uapi/kvstore.h"

/* The library's constants are the ABI's: one name each for callers. */
_Static_assert(KVC_NAME_LEN == KVS_NAME_LEN, "name field size");
_Static_assert(KVC_TABLE_ORDERED == KVS_TF_ORDERED, "table flags");
_Static_assert(KVC_DURABILITY_SYNC == KVS_DURABILITY_SYNC, "durability");
_Static_assert(KVC_PUT_CAS == KVS_MODE_CAS, "put modes");
_Static_assert(KVC_DEL_CAS == KVS_MODE_DEL_CAS, "del modes");
_Static_assert(KVC_TXN_RDONLY == KVS_TXN_F_RDONLY, "txn flags");
_Static_assert(KVC_OPEN_READ == KVS_OPEN_READ, "table open flags");
_Static_assert(KVC_OPEN_WRITE == KVS_OPEN_WRITE, "table open flags");
_Static_assert(KVC_MGET_MAX == KVS_MGET_MAX, "keys per H_MGET");

#define KVC_NAME_MAX		64		/* characters of a table name */
#define KVC_LIST_MAX		4096		/* names per TABLE_LIST call */
#define KVC_SCAN_PAGE_DEF	(64u << 10)
#define KVC_SCAN_PAGE_MIN	64u
#define KVC_SCAN_PAGE_MAX	(16u << 20)
#define KVC_BATCH_MAX_OPS	4096
#define KVC_BATCH_MAX_TABLES	64
#define KVC_TXN_TRIES_DEF	16
#define KVC_BACKOFF_MIN_NS	20000L		/* 20 us */
#define KVC_BACKOFF_MAX_NS	20000000L	/* 20 ms */

/**
 * struct kvc_txn - the handle's transaction
 * @h: its handle; the kernel keeps the transaction itself, bound to the
 *     handle's file, so this object never changes after kvc_open()
 */
struct kvc_txn {
	struct kvc_handle *h;
};

/**
 * struct kvc_handle - an open /dev/kvstore
 * @fd: the file
 * @max_key_size: the module's limits, for the table defaults
 * @max_value_size: likewise
 * @features: the module's KVS_FEAT_* bits
 * @txn: the (one) transaction object of this handle
 */
struct kvc_handle {
	int fd;
	uint32_t max_key_size;
	uint32_t max_value_size;
	uint64_t features;
	struct kvc_txn txn;
};

/**
 * struct kvc_table - a table handle
 * @fd: the file TABLE_OPEN returned; the kernel keeps the table and the
 *	access, so this never changes after kvc_table_open()
 */
struct kvc_table {
	int fd;
};

/* Return -err and leave err in errno, as every entry point does. */
static int kvc_err(int err)
{
	errno = err;
	return -err;
}

/* The caller's options struct may be older (shorter) or newer than ours. */
#define KVC_OPT(opts, field, def)					\
	((opts) && (opts)->sz >= offsetof(typeof(*(opts)), field) +	\
			      sizeof((opts)->field) ? (opts)->field : (def))

/*
 * An options struct: NULL, or at least its sz field; bytes of a newer
 * caller's struct beyond ours must be zero (as the kernel's ABI rule).
 */
static int kvc_opts_check(const void *opts, size_t ours)
{
	const unsigned char *p = opts;
	size_t sz, i;

	if (!opts)
		return 0;
	sz = *(const size_t *)opts;
	if (sz < sizeof(size_t))
		return -EINVAL;
	for (i = ours; i < sz; i++)
		if (p[i])
			return -E2BIG;
	return 0;
}

static int kvc_ioctl(struct kvc_handle *h, unsigned long cmd, void *arg)
{
	if (!h)
		return kvc_err(EINVAL);
	if (ioctl(h->fd, cmd, arg) < 0)
		return kvc_err(errno);
	return 0;
}

/*
 * Copy a table name into a zeroed KVS_NAME_LEN field. The kernel checks
 * the characters; the library the pointer and the length.
 */
static int kvc_name(char dst[KVS_NAME_LEN], const char *name)
{
	size_t len;

	memset(dst, 0, KVS_NAME_LEN);
	if (!name)
		return -EINVAL;
	len = strnlen(name, KVC_NAME_MAX + 1);
	if (!len)
		return -EINVAL;
	if (len > KVC_NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(dst, name, len);
	return 0;
}

/* A key: non-NULL, 1..UINT32_MAX bytes (the table bounds it further). */
static int kvc_key_check(const void *key, size_t klen)
{
	if (!key || !klen)
		return -EINVAL;
	if (klen > UINT32_MAX)
		return -E2BIG;
	return 0;
}

/* A value: NULL only when empty, at most UINT32_MAX bytes. */
static int kvc_val_check(const void *val, size_t vlen)
{
	if (!val && vlen)
		return -EINVAL;
	if (vlen > UINT32_MAX)
		return -E2BIG;
	return 0;
}

/*
 * A GET's buffer: @buf with room *@vlen (NULL only with room 0). Room, not
 * a length: more than the ABI can say is simply not used.
 */
static int kvc_room(const void *buf, const size_t *vlen, uint32_t *room)
{
	if (!vlen || (!buf && *vlen))
		return -EINVAL;
	*room = *vlen > UINT32_MAX ? UINT32_MAX : (uint32_t)*vlen;
	return 0;
}

/* A GET's reply: the length also on -ENOBUFS, the version on success. */
static int kvc_get_reply(int ret, uint32_t value_len, uint64_t ver,
			 size_t *vlen, uint64_t *version)
{
	if (!ret || ret == -ENOBUFS)
		*vlen = value_len;
	if (!ret && version)
		*version = ver;
	return ret;
}

/* A PUT's value and mode. */
static int kvc_put_check(const void *val, size_t vlen, unsigned int mode)
{
	int ret = kvc_val_check(val, vlen);

	return !ret && mode > KVC_PUT_CAS ? -EINVAL : ret;
}

/*
 * The KVS_IOF_TXN flag for @txn on @h: 0 without one; -EINVAL for a
 * transaction of another handle.
 */
static int kvc_txn_flag(struct kvc_handle *h, struct kvc_txn *txn,
			uint32_t *flags)
{
	*flags = 0;
	if (!txn)
		return 0;
	if (txn->h != h)
		return -EINVAL;
	*flags = KVS_IOF_TXN;
	return 0;
}

static int kvc_raw_version(struct kvc_handle *h, struct kvs_ioc_version *v)
{
	memset(v, 0, sizeof(*v));
	v->size = sizeof(*v);
	return kvc_ioctl(h, KVS_IOC_VERSION, v);
}

int kvc_open(const struct kvc_open_opts *opts, struct kvc_handle **hp)
{
	const char *path = KVC_OPT(opts, path, NULL);
	struct kvs_ioc_version v;
	struct kvc_handle *h;
	int ret;

	if (!hp)
		return kvc_err(EINVAL);
	ret = kvc_opts_check(opts, sizeof(*opts));
	if (ret)
		return kvc_err(-ret);
	h = calloc(1, sizeof(*h));
	if (!h)
		return kvc_err(ENOMEM);
	h->txn.h = h;
	h->fd = open(path ? path : KVC_DEFAULT_PATH, O_RDWR | O_CLOEXEC);
	if (h->fd < 0) {
		ret = -errno;
		free(h);
		return kvc_err(-ret);
	}
	ret = kvc_raw_version(h, &v);
	if (!ret && v.abi_major != KVS_ABI_MAJOR)
		ret = -EPROTO;
	if (ret) {
		close(h->fd);
		free(h);
		return kvc_err(-ret);
	}
	h->max_key_size = v.max_key_size;
	h->max_value_size = v.max_value_size;
	h->features = v.features;
	*hp = h;
	return 0;
}

void kvc_close(struct kvc_handle *h)
{
	if (!h)
		return;
	/* The kernel aborts the file's open transaction on the last close. */
	close(h->fd);
	free(h);
}

int kvc_version(struct kvc_handle *h, struct kvc_version *out)
{
	struct kvs_ioc_version v;
	int ret;

	if (!out)
		return kvc_err(EINVAL);
	ret = kvc_raw_version(h, &v);
	if (ret)
		return ret;
	memset(out, 0, sizeof(*out));
	out->abi_major = v.abi_major;
	out->abi_minor = v.abi_minor;
	out->features = v.features;
	out->max_key_size = v.max_key_size;
	out->max_value_size = v.max_value_size;
	memcpy(out->module_version, v.module_version, sizeof(out->module_version));
	out->module_version[sizeof(out->module_version) - 1] = '\0';
	return 0;
}

const char *kvc_strerror(int err)
{
	switch (err < 0 ? -err : err) {
	case EPROTO:
		return "the kvstore module speaks another ABI major version";
	case EBADFD:
		return "no transaction is open on this handle";
	case ECANCELED:
		return "an operation of the atomic batch failed: nothing was applied";
	case EOPNOTSUPP:
		return "not supported: scans need an ordered index, table handles a newer module";
	case EBADF:
		return "the table handle was not opened for this access (read or write)";
	case EIDRM:
		return "the table of this handle was dropped";
	case EROFS:
		return "write in a read-only transaction";
	default:
		return strerror(err < 0 ? -err : err);
	}
}

/* ------------------------------------------------------------------------ */
/* Tables                                                                   */
/* ------------------------------------------------------------------------ */

int kvc_table_create(struct kvc_handle *h, const char *name,
		     const struct kvc_table_opts *opts)
{
	struct kvs_ioc_table a;
	int ret;

	if (!h)
		return kvc_err(EINVAL);
	memset(&a, 0, sizeof(a));
	ret = kvc_opts_check(opts, sizeof(*opts));
	if (!ret)
		ret = kvc_name(a.name, name);
	if (ret)
		return kvc_err(-ret);
	a.size = sizeof(a);
	a.params.max_key_size = KVC_OPT(opts, max_key_size, 0) ?: h->max_key_size;
	a.params.max_value_size = KVC_OPT(opts, max_value_size, 0) ?:
				  h->max_value_size;
	a.params.max_entries = KVC_OPT(opts, max_entries, 0);
	a.params.max_bytes = KVC_OPT(opts, max_bytes, 0);
	a.params.flags = KVC_OPT(opts, flags, 0);
	a.params.durability = KVC_OPT(opts, durability, KVC_DURABILITY_VOLATILE);
	a.params.mode = KVC_OPT(opts, mode, 0) ?: 0600;
	if (KVC_OPT(opts, set_owner, 0)) {
		a.flags |= KVS_TABLE_CREATE_OWNER;
		a.params.uid = KVC_OPT(opts, uid, 0);
		a.params.gid = KVC_OPT(opts, gid, 0);
	}
	return kvc_ioctl(h, KVS_IOC_TABLE_CREATE, &a);
}

int kvc_table_drop(struct kvc_handle *h, const char *name)
{
	struct kvs_ioc_table a;
	int ret;

	memset(&a, 0, sizeof(a));
	ret = kvc_name(a.name, name);
	if (ret)
		return kvc_err(-ret);
	a.size = sizeof(a);
	return kvc_ioctl(h, KVS_IOC_TABLE_DROP, &a);
}

int kvc_table_info(struct kvc_handle *h, const char *name,
		   struct kvc_table_info *info)
{
	struct kvs_ioc_table a;
	int ret;

	if (!info)
		return kvc_err(EINVAL);
	memset(&a, 0, sizeof(a));
	ret = kvc_name(a.name, name);
	if (ret)
		return kvc_err(-ret);
	a.size = sizeof(a);
	ret = kvc_ioctl(h, KVS_IOC_TABLE_INFO, &a);
	if (ret)
		return ret;
	memset(info, 0, sizeof(*info));
	memcpy(info->name, a.name, sizeof(info->name));
	info->name[sizeof(info->name) - 1] = '\0';
	info->max_key_size = a.params.max_key_size;
	info->max_value_size = a.params.max_value_size;
	info->max_entries = a.params.max_entries;
	info->max_bytes = a.params.max_bytes;
	info->flags = a.params.flags;
	info->durability = a.params.durability;
	info->uid = a.params.uid;
	info->gid = a.params.gid;
	info->mode = a.params.mode;
	info->entries = a.stats.entries;
	info->bytes = a.stats.bytes;
	info->records = a.stats.records;
	info->retained_versions = a.stats.retained_versions;
	return 0;
}

int kvc_table_list(struct kvc_handle *h, const char *after,
		   char (*names)[KVC_NAME_LEN], uint32_t max,
		   uint32_t *count, uint32_t *total)
{
	struct kvs_ioc_table_list a;
	int ret;

	if (!names || !max || !count)
		return kvc_err(EINVAL);
	memset(&a, 0, sizeof(a));
	if (after && after[0]) {
		ret = kvc_name(a.after, after);
		if (ret)
			return kvc_err(-ret);
	}
	a.size = sizeof(a);
	a.names = (uintptr_t)names;
	/* @max is room: more than one call returns is simply not used. */
	a.max = max > KVC_LIST_MAX ? KVC_LIST_MAX : max;
	ret = kvc_ioctl(h, KVS_IOC_TABLE_LIST, &a);
	if (ret)
		return ret;
	*count = a.count;
	if (total)
		*total = a.total;
	return 0;
}

int kvc_stats(struct kvc_handle *h, struct kvc_stats *st)
{
	struct kvs_ioc_stats a;
	int ret;

	if (!st)
		return kvc_err(EINVAL);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	ret = kvc_ioctl(h, KVS_IOC_STATS, &a);
	if (ret)
		return ret;
	memset(st, 0, sizeof(*st));
	st->tables = a.tables;
	st->bytes = a.bytes;
	st->max_bytes = a.max_bytes;
	st->snapshots = a.snapshots;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Transactions                                                             */
/* ------------------------------------------------------------------------ */

int kvc_txn_begin(struct kvc_handle *h, unsigned int flags,
		  struct kvc_txn **txp)
{
	struct kvs_ioc_txn a;
	int ret;

	if (!h || !txp || flags & ~KVC_TXN_RDONLY)
		return kvc_err(EINVAL);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.flags = flags;
	ret = kvc_ioctl(h, KVS_IOC_TXN_BEGIN, &a);
	if (ret)
		return ret;
	*txp = &h->txn;
	return 0;
}

int kvc_txn_commit(struct kvc_txn *txn, uint64_t *version)
{
	struct kvs_ioc_txn a;
	int ret;

	if (!txn)
		return kvc_err(EINVAL);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	ret = kvc_ioctl(txn->h, KVS_IOC_TXN_COMMIT, &a);
	if (ret)
		return ret;
	if (version)
		*version = a.version;
	return 0;
}

void kvc_txn_abort(struct kvc_txn *txn)
{
	struct kvs_ioc_txn a;
	int saved = errno;

	if (!txn)
		return;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	/* -EBADFD (nothing open) is fine: the transaction is over either way. */
	ioctl(txn->h->fd, KVS_IOC_TXN_ABORT, &a);
	errno = saved;
}

/* A small, per-call random source: no global state, no locks. */
static uint64_t kvc_rand_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* Sleep a random time in [0, min(MIN << attempt, MAX)]. */
static void kvc_backoff(unsigned int attempt, uint64_t *seed)
{
	long cap = KVC_BACKOFF_MIN_NS;
	struct timespec ts;

	while (attempt-- > 1 && cap < KVC_BACKOFF_MAX_NS)
		cap *= 2;
	if (cap > KVC_BACKOFF_MAX_NS)
		cap = KVC_BACKOFF_MAX_NS;
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(kvc_rand_next(seed) % (uint64_t)(cap + 1));
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int kvc_txn_run(struct kvc_handle *h, unsigned int flags,
		unsigned int max_tries,
		int (*fn)(struct kvc_txn *txn, void *arg), void *arg,
		uint64_t *version)
{
	struct kvc_txn *txn;
	struct timespec now;
	unsigned int attempt;
	uint64_t seed;
	int ret = -EAGAIN;

	if (!h || !fn || flags & ~KVC_TXN_RDONLY)
		return kvc_err(EINVAL);
	if (!max_tries)
		max_tries = KVC_TXN_TRIES_DEF;
	clock_gettime(CLOCK_MONOTONIC, &now);
	seed = ((uint64_t)now.tv_nsec << 20) ^ (uint64_t)getpid() ^
	       (uint64_t)(uintptr_t)&seed;
	seed |= 1;
	for (attempt = 0; attempt < max_tries; attempt++) {
		if (attempt)
			kvc_backoff(attempt, &seed);
		ret = kvc_txn_begin(h, flags, &txn);
		if (ret)
			return ret;
		ret = fn(txn, arg);
		if (ret) {
			kvc_txn_abort(txn);
			if (ret != -EAGAIN)
				return ret < 0 ? kvc_err(-ret) : ret;
			continue;
		}
		ret = kvc_txn_commit(txn, version);
		if (ret != -EAGAIN)
			return ret;
	}
	return kvc_err(-ret);
}

/* ------------------------------------------------------------------------ */
/* Keys                                                                     */
/* ------------------------------------------------------------------------ */

/* The common part of GET, PUT and DEL. */
static int kvc_kv_init(struct kvs_ioc_kv *a, struct kvc_handle *h,
		       struct kvc_txn *txn, const char *table,
		       const void *key, size_t klen)
{
	int ret;

	memset(a, 0, sizeof(*a));
	if (!h)
		return -EINVAL;
	ret = kvc_txn_flag(h, txn, &a->flags);
	if (!ret)
		ret = kvc_name(a->table, table);
	if (!ret)
		ret = kvc_key_check(key, klen);
	if (ret)
		return ret;
	a->size = sizeof(*a);
	a->key = (uintptr_t)key;
	a->key_len = (uint32_t)klen;
	return 0;
}

int kvc_get(struct kvc_handle *h, struct kvc_txn *txn, const char *table,
	    const void *key, size_t klen, void *buf, size_t *vlen,
	    uint64_t *version)
{
	struct kvs_ioc_kv a;
	int ret;

	ret = kvc_kv_init(&a, h, txn, table, key, klen);
	if (!ret)
		ret = kvc_room(buf, vlen, &a.value_len);
	if (ret)
		return kvc_err(-ret);
	a.value = (uintptr_t)buf;
	ret = kvc_ioctl(h, KVS_IOC_GET, &a);
	return kvc_get_reply(ret, a.value_len, a.version, vlen, version);
}

int kvc_put(struct kvc_handle *h, struct kvc_txn *txn, const char *table,
	    const void *key, size_t klen, const void *val, size_t vlen,
	    unsigned int mode, uint64_t expect, uint64_t *version)
{
	struct kvs_ioc_kv a;
	int ret;

	ret = kvc_kv_init(&a, h, txn, table, key, klen);
	if (!ret)
		ret = kvc_put_check(val, vlen, mode);
	if (ret)
		return kvc_err(-ret);
	a.value = (uintptr_t)val;
	a.value_len = (uint32_t)vlen;
	a.mode = mode;
	a.version = expect;
	ret = kvc_ioctl(h, KVS_IOC_PUT, &a);
	if (!ret && version)
		*version = a.version;
	return ret;
}

int kvc_del(struct kvc_handle *h, struct kvc_txn *txn, const char *table,
	    const void *key, size_t klen, unsigned int mode, uint64_t expect)
{
	struct kvs_ioc_kv a;
	int ret;

	ret = kvc_kv_init(&a, h, txn, table, key, klen);
	if (!ret && mode > KVC_DEL_CAS)
		ret = -EINVAL;
	if (ret)
		return kvc_err(-ret);
	a.mode = mode;
	a.version = expect;
	return kvc_ioctl(h, KVS_IOC_DEL, &a);
}

/* ------------------------------------------------------------------------ */
/* Table handles                                                            */
/* ------------------------------------------------------------------------ */

int kvc_table_open(struct kvc_handle *h, const char *name, unsigned int flags,
		   struct kvc_table **tp)
{
	struct kvs_ioc_table_open a;
	struct kvc_table *t;
	int ret;

	if (!h || !tp || !flags || flags & ~(KVC_OPEN_READ | KVC_OPEN_WRITE))
		return kvc_err(EINVAL);
	memset(&a, 0, sizeof(a));
	ret = kvc_name(a.name, name);
	if (ret)
		return kvc_err(-ret);
	if (!(h->features & KVS_FEAT_HANDLES))
		return kvc_err(EOPNOTSUPP);
	/* Before the call: a handle the kernel made is never left to leak. */
	t = malloc(sizeof(*t));
	if (!t)
		return kvc_err(ENOMEM);
	a.size = sizeof(a);
	a.flags = flags;
	ret = kvc_ioctl(h, KVS_IOC_TABLE_OPEN, &a);
	if (ret) {
		free(t);
		/* A module without the command, whatever its features say. */
		return ret == -ENOTTY ? kvc_err(EOPNOTSUPP) : ret;
	}
	t->fd = a.fd;
	*tp = t;
	return 0;
}

void kvc_table_close(struct kvc_table *t)
{
	if (!t)
		return;
	/* The last close of a dropped table's handle frees the table. */
	close(t->fd);
	free(t);
}

int kvc_table_fd(const struct kvc_table *t)
{
	return t ? t->fd : kvc_err(EINVAL);
}

static int kvc_table_ioctl(struct kvc_table *t, unsigned long cmd, void *arg)
{
	if (ioctl(t->fd, cmd, arg) < 0)
		return kvc_err(errno);
	return 0;
}

/* The common part of H_GET, H_PUT and H_DEL. */
static int kvc_tkey_init(struct kvs_ioc_key *a, struct kvc_table *t,
			 const void *key, size_t klen)
{
	int ret;

	memset(a, 0, sizeof(*a));
	if (!t)
		return -EINVAL;
	ret = kvc_key_check(key, klen);
	if (ret)
		return ret;
	a->size = sizeof(*a);
	a->key = (uintptr_t)key;
	a->key_len = (uint32_t)klen;
	return 0;
}

int kvc_tget(struct kvc_table *t, const void *key, size_t klen, void *buf,
	     size_t *vlen, uint64_t *version)
{
	struct kvs_ioc_key a;
	int ret;

	ret = kvc_tkey_init(&a, t, key, klen);
	if (!ret)
		ret = kvc_room(buf, vlen, &a.value_len);
	if (ret)
		return kvc_err(-ret);
	a.value = (uintptr_t)buf;
	ret = kvc_table_ioctl(t, KVS_IOC_H_GET, &a);
	return kvc_get_reply(ret, a.value_len, a.version, vlen, version);
}

int kvc_tput(struct kvc_table *t, const void *key, size_t klen,
	     const void *val, size_t vlen, unsigned int mode, uint64_t expect,
	     uint64_t *version)
{
	struct kvs_ioc_key a;
	int ret;

	ret = kvc_tkey_init(&a, t, key, klen);
	if (!ret)
		ret = kvc_put_check(val, vlen, mode);
	if (ret)
		return kvc_err(-ret);
	a.value = (uintptr_t)val;
	a.value_len = (uint32_t)vlen;
	a.mode = mode;
	a.version = expect;
	ret = kvc_table_ioctl(t, KVS_IOC_H_PUT, &a);
	if (!ret && version)
		*version = a.version;
	return ret;
}

int kvc_tdel(struct kvc_table *t, const void *key, size_t klen,
	     unsigned int mode, uint64_t expect)
{
	struct kvs_ioc_key a;
	int ret;

	ret = kvc_tkey_init(&a, t, key, klen);
	if (!ret && mode > KVC_DEL_CAS)
		ret = -EINVAL;
	if (ret)
		return kvc_err(-ret);
	a.mode = mode;
	a.version = expect;
	return kvc_table_ioctl(t, KVS_IOC_H_DEL, &a);
}

int kvc_mget(struct kvc_table *t, size_t count, const void *keys,
	     size_t key_stride, const uint32_t *key_lens, void *values,
	     size_t value_stride, int32_t *results, uint64_t *versions)
{
	const unsigned char *k = keys;
	unsigned char *v = values;
	struct kvs_ioc_mget a;
	size_t done, n;
	int ret;

	if (!t || !count || !keys || !key_stride || !results ||
	    (!values && value_stride))
		return kvc_err(EINVAL);
	if (key_stride > UINT32_MAX || value_stride > UINT32_MAX ||
	    count > SIZE_MAX / key_stride ||
	    (value_stride && count > SIZE_MAX / value_stride))
		return kvc_err(E2BIG);
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.key_stride = (uint32_t)key_stride;
	a.value_stride = (uint32_t)value_stride;
	/* One H_MGET per KVC_MGET_MAX keys, each a window of the arrays. */
	for (done = 0; done < count; done += n) {
		n = count - done > KVC_MGET_MAX ? KVC_MGET_MAX : count - done;
		a.keys = (uintptr_t)(k + done * key_stride);
		a.key_lens = key_lens ? (uintptr_t)(key_lens + done) : 0;
		a.values = v ? (uintptr_t)(v + done * value_stride) : 0;
		a.results = (uintptr_t)(results + done);
		a.versions = versions ? (uintptr_t)(versions + done) : 0;
		a.count = (uint32_t)n;
		a.done = 0;
		ret = kvc_table_ioctl(t, KVS_IOC_H_MGET, &a);
		if (ret)
			return ret;
	}
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Scans                                                                    */
/* ------------------------------------------------------------------------ */

/**
 * struct kvc_scan - an iterator: the request, the page, the cursor
 * @h: the handle
 * @req: the SCAN request as first sent; later pages change only its
 *	 resume bound, flags and max_entries (and buf when it grows)
 * @lo: copy of the caller's low bound (or NULL)
 * @hi: copy of the high bound
 * @prefix: copy of the prefix
 * @lo_len: lengths of the above
 * @hi_len: likewise
 * @prefix_len: likewise
 * @reverse: KVC_SCAN_REVERSE
 * @left: keys still to return (UINT64_MAX: no limit)
 * @page: the page buffer
 * @page_size: its size
 * @pos: offset of the next entry in @page
 * @count: entries left in @page
 * @more: the kernel said the range goes on after @page
 * @started: a page was fetched: the cursor holds the last key
 * @err: a sticky error (then every next call returns it)
 * @cursor: the last key returned, the resume bound
 * @cursor_len: its length
 * @cursor_cap: room in @cursor
 */
struct kvc_scan {
	struct kvc_handle *h;
	struct kvs_ioc_scan req;
	void *lo;
	void *hi;
	void *prefix;
	uint32_t lo_len;
	uint32_t hi_len;
	uint32_t prefix_len;
	bool reverse;
	uint64_t left;
	unsigned char *page;
	uint32_t page_size;
	uint32_t pos;
	uint32_t count;
	bool more;
	bool started;
	int err;
	unsigned char *cursor;
	uint32_t cursor_len;
	uint32_t cursor_cap;
};

/* Copy a bound: @len 0 is "none", a NULL @p with a length is invalid. */
static int kvc_dup_bound(const void *p, size_t len, void **dst,
			 uint32_t *dlen)
{
	*dst = NULL;
	*dlen = 0;
	if (!len)
		return 0;
	if (!p)
		return -EINVAL;
	if (len > UINT32_MAX)
		return -E2BIG;
	*dst = malloc(len);
	if (!*dst)
		return -ENOMEM;
	memcpy(*dst, p, len);
	*dlen = (uint32_t)len;
	return 0;
}

/*
 * Fetch the next page into @s: from the start of the range, or past the
 * cursor. A page too small for the next entry (-ENOBUFS) is doubled, up to
 * the ABI's 16 MiB, and the call repeated. Return: 0 or -errno.
 */
static int kvc_scan_fetch(struct kvc_scan *s)
{
	struct kvs_ioc_scan a = s->req;
	unsigned char *grown;
	uint32_t size;
	int ret;

	if (s->started) {
		if (s->reverse) {
			/* Below the last key: it becomes hi, exclusive. */
			a.hi = (uintptr_t)s->cursor;
			a.hi_len = s->cursor_len;
			a.flags &= ~KVS_IOF_HI_INCL;
		} else {
			a.lo = (uintptr_t)s->cursor;
			a.lo_len = s->cursor_len;
			a.flags |= KVS_IOF_LO_EXCL;
		}
	}
	if (s->left != UINT64_MAX)
		a.max_entries = s->left > UINT32_MAX ? UINT32_MAX :
			(uint32_t)s->left;
	for (;;) {
		a.buf = (uintptr_t)s->page;
		a.buf_len = s->page_size;
		a.count = 0;
		a.used = 0;
		a.more = 0;
		ret = ioctl(s->h->fd, KVS_IOC_SCAN, &a) < 0 ? -errno : 0;
		if (ret != -ENOBUFS || s->page_size >= KVC_SCAN_PAGE_MAX)
			break;
		size = s->page_size > KVC_SCAN_PAGE_MAX / 2 ? KVC_SCAN_PAGE_MAX :
			s->page_size * 2;
		grown = realloc(s->page, size);
		if (!grown)
			return -ENOMEM;
		s->page = grown;
		s->page_size = size;
	}
	if (ret)
		return ret;
	if (a.used > s->page_size || (a.count && !a.used))
		return -EPROTO;
	s->pos = 0;
	s->count = a.count;
	s->more = a.more && a.count;
	return 0;
}

int kvc_scan_open(struct kvc_handle *h, struct kvc_txn *txn,
		  const char *table, const struct kvc_scan_opts *opts,
		  struct kvc_scan **sp)
{
	unsigned int flags = KVC_OPT(opts, flags, 0);
	size_t page = KVC_OPT(opts, page_size, 0);
	uint64_t limit = KVC_OPT(opts, limit, 0);
	struct kvc_scan *s;
	int ret;

	if (!h || !sp || flags & ~(KVC_SCAN_REVERSE | KVC_SCAN_LO_EXCL |
				   KVC_SCAN_HI_INCL))
		return kvc_err(EINVAL);
	ret = kvc_opts_check(opts, sizeof(*opts));
	if (ret)
		return kvc_err(-ret);
	if (!page)
		page = KVC_SCAN_PAGE_DEF;
	if (page > KVC_SCAN_PAGE_MAX)
		return kvc_err(EINVAL);
	if (page < KVC_SCAN_PAGE_MIN)
		page = KVC_SCAN_PAGE_MIN;
	s = calloc(1, sizeof(*s));
	if (!s)
		return kvc_err(ENOMEM);
	s->h = h;
	ret = kvc_txn_flag(h, txn, &s->req.flags);
	if (!ret)
		ret = kvc_name(s->req.table, table);
	if (!ret)
		ret = kvc_dup_bound(KVC_OPT(opts, lo, NULL),
				    KVC_OPT(opts, lo_len, 0), &s->lo, &s->lo_len);
	if (!ret)
		ret = kvc_dup_bound(KVC_OPT(opts, hi, NULL),
				    KVC_OPT(opts, hi_len, 0), &s->hi, &s->hi_len);
	if (!ret)
		ret = kvc_dup_bound(KVC_OPT(opts, prefix, NULL),
				    KVC_OPT(opts, prefix_len, 0), &s->prefix,
				    &s->prefix_len);
	if (ret)
		goto fail;
	s->page_size = (uint32_t)page;
	s->page = malloc(s->page_size);
	if (!s->page) {
		ret = -ENOMEM;
		goto fail;
	}
	s->req.size = sizeof(s->req);
	s->req.flags |= (flags & KVC_SCAN_REVERSE ? KVS_IOF_REVERSE : 0) |
			(flags & KVC_SCAN_LO_EXCL ? KVS_IOF_LO_EXCL : 0) |
			(flags & KVC_SCAN_HI_INCL ? KVS_IOF_HI_INCL : 0);
	s->req.lo = (uintptr_t)s->lo;
	s->req.lo_len = s->lo_len;
	s->req.hi = (uintptr_t)s->hi;
	s->req.hi_len = s->hi_len;
	s->req.prefix = (uintptr_t)s->prefix;
	s->req.prefix_len = s->prefix_len;
	s->reverse = flags & KVC_SCAN_REVERSE;
	s->left = limit ? limit : UINT64_MAX;
	/* The first page now: a missing table or a bad range fails the open. */
	ret = kvc_scan_fetch(s);
	if (ret)
		goto fail;
	s->started = true;
	*sp = s;
	return 0;

fail:
	kvc_scan_close(s);
	return kvc_err(-ret);
}

/* Remember @key as the resume bound. */
static int kvc_scan_set_cursor(struct kvc_scan *s, const void *key,
			       uint32_t klen)
{
	unsigned char *c;

	if (klen > s->cursor_cap) {
		c = realloc(s->cursor, klen);
		if (!c)
			return -ENOMEM;
		s->cursor = c;
		s->cursor_cap = klen;
	}
	memcpy(s->cursor, key, klen);
	s->cursor_len = klen;
	return 0;
}

int kvc_scan_next(struct kvc_scan *s, const void **key, size_t *klen,
		  const void **val, size_t *vlen, uint64_t *version)
{
	struct kvs_ioc_scan_entry e;
	const unsigned char *p;
	size_t need;
	int ret;

	if (!s || !key || !klen || !val || !vlen)
		return kvc_err(EINVAL);
	if (s->err)
		return kvc_err(-s->err);
	if (!s->left)
		return 0;
	if (!s->count) {
		if (!s->more)
			return 0;
		ret = kvc_scan_fetch(s);
		if (ret) {
			s->err = ret;
			return kvc_err(-ret);
		}
		if (!s->count)
			return 0;
	}
	if (s->pos + sizeof(e) > s->page_size)
		goto bad;
	memcpy(&e, s->page + s->pos, sizeof(e));
	need = sizeof(e) + (size_t)e.key_len + e.value_len;
	if (!e.key_len || need > s->page_size - s->pos)
		goto bad;
	p = s->page + s->pos + sizeof(e);
	ret = kvc_scan_set_cursor(s, p, e.key_len);
	if (ret) {
		s->err = ret;
		return kvc_err(-ret);
	}
	s->pos += (uint32_t)((need + 7) & ~(size_t)7);
	s->count--;
	if (s->left != UINT64_MAX)
		s->left--;
	*key = p;
	*klen = e.key_len;
	*val = p + e.key_len;
	*vlen = e.value_len;
	if (version)
		*version = e.version;
	return 1;

bad:
	/* The kernel's page is not what the ABI says: stop here. */
	s->err = -EPROTO;
	return kvc_err(EPROTO);
}

void kvc_scan_close(struct kvc_scan *s)
{
	if (!s)
		return;
	free(s->lo);
	free(s->hi);
	free(s->prefix);
	free(s->page);
	free(s->cursor);
	free(s);
}

/* ------------------------------------------------------------------------ */
/* Batches                                                                  */
/* ------------------------------------------------------------------------ */

/**
 * struct kvc_batch - operations to send, and what the last run said
 * @in: the operations as added (the kernel's inputs), kept apart from
 *	@ops because the kernel rewrites in/out fields there
 * @ops: the array sent; after a run, the kernel's outputs
 * @nops: operations
 * @cap: room in @in and @ops
 * @tables: distinct table names, indexed by the operations
 * @ntables: how many
 * @ran: @ops hold the results of a run of exactly these operations
 * @atomic: that run was KVC_BATCH_ATOMIC
 * @run_ret: what it returned
 * @nran: operations the kernel carried out or tried (see kvc_batch_run())
 * @version: an atomic run's commit version
 */
struct kvc_batch {
	struct kvs_ioc_batch_op *in;
	struct kvs_ioc_batch_op *ops;
	unsigned int nops;
	unsigned int cap;
	char tables[KVC_BATCH_MAX_TABLES][KVS_NAME_LEN];
	unsigned int ntables;
	bool ran;
	bool atomic;
	int run_ret;
	unsigned int nran;
	uint64_t version;
};

int kvc_batch_new(struct kvc_batch **bp)
{
	if (!bp)
		return kvc_err(EINVAL);
	*bp = calloc(1, sizeof(**bp));
	return *bp ? 0 : kvc_err(ENOMEM);
}

void kvc_batch_free(struct kvc_batch *b)
{
	if (!b)
		return;
	free(b->in);
	free(b->ops);
	free(b);
}

void kvc_batch_reset(struct kvc_batch *b)
{
	if (!b)
		return;
	b->nops = 0;
	b->ntables = 0;
	b->ran = false;
}

/* The index of @name in @b's tables, adding it. Return: it, or -errno. */
static int kvc_batch_table(struct kvc_batch *b, const char *name)
{
	char field[KVS_NAME_LEN];
	unsigned int i;
	int ret;

	ret = kvc_name(field, name);
	if (ret)
		return ret;
	for (i = 0; i < b->ntables; i++)
		if (!memcmp(b->tables[i], field, sizeof(field)))
			return (int)i;
	if (b->ntables == KVC_BATCH_MAX_TABLES)
		return -E2BIG;
	memcpy(b->tables[b->ntables], field, sizeof(field));
	return (int)b->ntables++;
}

/* Append one operation. Return: its index, or -errno (nothing added). */
static int kvc_batch_add(struct kvc_batch *b, uint16_t op, const char *table,
			 const void *key, size_t klen, const void *val,
			 size_t vlen, unsigned int mode, uint64_t expect)
{
	struct kvs_ioc_batch_op *o, *in, *ops;
	unsigned int cap;
	int ret, t;

	if (!b)
		return kvc_err(EINVAL);
	ret = kvc_key_check(key, klen);
	if (!ret && op == KVS_OP_PUT)
		ret = kvc_put_check(val, vlen, mode);
	if (!ret && op == KVS_OP_DEL && mode > KVC_DEL_CAS)
		ret = -EINVAL;
	if (!ret && b->nops == KVC_BATCH_MAX_OPS)
		ret = -E2BIG;
	if (ret)
		return kvc_err(-ret);
	if (b->nops == b->cap) {
		cap = b->cap ? b->cap * 2 : 16;
		if (cap > KVC_BATCH_MAX_OPS)
			cap = KVC_BATCH_MAX_OPS;
		in = realloc(b->in, cap * sizeof(*in));
		if (!in)
			return kvc_err(ENOMEM);
		b->in = in;
		ops = realloc(b->ops, cap * sizeof(*ops));
		if (!ops)
			return kvc_err(ENOMEM);
		b->ops = ops;
		b->cap = cap;
	}
	t = kvc_batch_table(b, table);
	if (t < 0)
		return kvc_err(-t);
	o = &b->in[b->nops];
	memset(o, 0, sizeof(*o));
	o->op = op;
	o->table = (uint16_t)t;
	o->mode = mode;
	o->key = (uintptr_t)key;
	o->key_len = (uint32_t)klen;
	o->value = (uintptr_t)val;
	o->value_len = (uint32_t)vlen;
	o->version = expect;
	b->ran = false;
	return (int)b->nops++;
}

int kvc_batch_get(struct kvc_batch *b, const char *table, const void *key,
		  size_t klen, void *buf, size_t room)
{
	if (!buf && room)
		return kvc_err(EINVAL);
	/* Room, not a length: clamp what the ABI cannot say. */
	return kvc_batch_add(b, KVS_OP_GET, table, key, klen, buf,
			     room > UINT32_MAX ? UINT32_MAX : room, 0, 0);
}

int kvc_batch_put(struct kvc_batch *b, const char *table, const void *key,
		  size_t klen, const void *val, size_t vlen, unsigned int mode,
		  uint64_t expect)
{
	return kvc_batch_add(b, KVS_OP_PUT, table, key, klen, val, vlen, mode,
			     expect);
}

int kvc_batch_del(struct kvc_batch *b, const char *table, const void *key,
		  size_t klen, unsigned int mode, uint64_t expect)
{
	return kvc_batch_add(b, KVS_OP_DEL, table, key, klen, NULL, 0, mode,
			     expect);
}

int kvc_batch_run(struct kvc_handle *h, struct kvc_txn *txn,
		  struct kvc_batch *b, unsigned int flags, uint64_t *version)
{
	struct kvs_ioc_batch a;
	unsigned int i;
	int ret;

	if (!h || !b || !b->nops || flags & ~KVC_BATCH_ATOMIC ||
	    (txn && flags & KVC_BATCH_ATOMIC))
		return kvc_err(EINVAL);
	memset(&a, 0, sizeof(a));
	ret = kvc_txn_flag(h, txn, &a.flags);
	if (ret)
		return kvc_err(-ret);
	if (flags & KVC_BATCH_ATOMIC)
		a.flags |= KVS_BATCH_ATOMIC;
	/* Fresh inputs every run: a run rewrites lengths, versions, results. */
	memcpy(b->ops, b->in, b->nops * sizeof(*b->ops));
	a.size = sizeof(a);
	a.tables = (uintptr_t)b->tables;
	a.ntables = b->ntables;
	a.ops = (uintptr_t)b->ops;
	a.nops = b->nops;
	ret = kvc_ioctl(h, KVS_IOC_BATCH, &a);

	b->ran = true;
	b->atomic = flags & KVC_BATCH_ATOMIC;
	b->run_ret = ret;
	b->version = ret ? 0 : a.version;
	/*
	 * Which operations did the kernel carry out or try? All on success
	 * and for an atomic batch's conflict at commit (-EAGAIN: an operation
	 * that fails cancels the batch instead); for a cancelled one, those up
	 * to the failing one; otherwise those it reports done (none when the
	 * call failed as a whole).
	 */
	if (!ret || (b->atomic && ret == -EAGAIN)) {
		b->nran = b->nops;
	} else if (b->atomic && ret == -ECANCELED) {
		for (i = 0; i < b->nops && !b->ops[i].result; i++)
			;
		b->nran = i < b->nops ? i + 1 : 0;
	} else {
		b->nran = b->atomic || a.done > b->nops ? 0 : a.done;
	}
	if (!ret && version)
		*version = a.version;
	return ret;
}

int kvc_batch_result(const struct kvc_batch *b, unsigned int i, size_t *vlen,
		     uint64_t *version)
{
	const struct kvs_ioc_batch_op *o;
	int r;

	if (vlen)
		*vlen = 0;
	if (version)
		*version = 0;
	if (!b || !b->ran || i >= b->nops)
		return kvc_err(EINVAL);
	if (i >= b->nran)	/* never reached: the run's error */
		return kvc_err(-b->run_ret);
	o = &b->ops[i];
	r = o->result;
	if (vlen && o->op == KVS_OP_GET && (!r || r == -ENOBUFS))
		*vlen = o->value_len;
	if (version && !r) {
		if (o->op == KVS_OP_GET)
			*version = o->version;
		else if (o->op == KVS_OP_PUT)
			/* An atomic batch's writes all carry its commit's. */
			*version = b->atomic ? b->version : o->version;
	}
	/* An atomic run that failed applied nothing, not even this. */
	if (!r && b->atomic && b->run_ret)
		r = b->run_ret;
	if (r < 0)
		errno = -r;
	return r;
}

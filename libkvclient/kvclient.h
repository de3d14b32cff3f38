/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libkvclient: the client library of kvstore, over ioctl on /dev/kvstore.
 *
 * Conventions (as libbpf): every function returns 0 or a negative errno
 * and also leaves that errno in errno; options structs start with their
 * size (sz) so the library can grow them without breaking callers (an
 * older, shorter struct gets defaults for the fields it lacks; a newer one
 * must have zeros past what this library knows, else -E2BIG; NULL means
 * all defaults). Arguments are checked before anything is sent: NULL
 * pointers -EINVAL, lengths past UINT32_MAX -E2BIG, table names longer
 * than 64 characters -ENAMETOOLONG.
 *
 * Threads: a handle is immutable after kvc_open(), so every call made
 * with a NULL transaction is thread-safe on a shared handle (the kernel
 * serializes what needs it). The handle's one transaction is shared by
 * every thread using the handle: calls given it, and kvc_txn_begin(),
 * commit and abort, must come from one thread at a time - a thread that
 * wants a transaction of its own opens a handle of its own. A scan
 * iterator and a batch are used by one thread at a time. A table handle
 * (kvc_table_open()) is immutable too: every call on it is thread-safe,
 * and the kernel takes no lock of the handle's own. kvc_close() must
 * not race any other call on its handle (or its scans), nor
 * kvc_table_close() any call on its table handle. After fork() the
 * child shares the parent's open file, and with it the transaction:
 * open a new handle in the child.
 */
#ifndef KVCLIENT_H
#define KVCLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KVC_DEFAULT_PATH	"/dev/kvstore"

struct kvc_handle;

/**
 * struct kvc_open_opts - options for kvc_open()
 * @sz: sizeof(struct kvc_open_opts), set by the caller
 * @path: device node; NULL means KVC_DEFAULT_PATH
 */
struct kvc_open_opts {
	size_t sz;
	const char *path;
};

/**
 * struct kvc_version - what kvc_version() reports
 * @abi_major: ABI major of the module; a different major is refused
 * @abi_minor: ABI minor of the module
 * @features: KVS_FEAT_* bits
 * @max_key_size: largest key, bytes
 * @max_value_size: largest value, bytes
 * @module_version: the module's version string
 */
struct kvc_version {
	uint16_t abi_major;
	uint16_t abi_minor;
	uint64_t features;
	uint32_t max_key_size;
	uint32_t max_value_size;
	char module_version[32];
};

/*
 * kvc_open() - open the device and check that its ABI major matches the
 * library's. @opts may be NULL. On success *@hp is a new handle.
 * Returns -EPROTO when the module speaks another ABI major. Thread-safe.
 */
int kvc_open(const struct kvc_open_opts *opts, struct kvc_handle **hp);

/* kvc_close() - close a handle (NULL is fine). Not thread-safe on @h. */
void kvc_close(struct kvc_handle *h);

/* kvc_version() - ABI, features and limits of the loaded module. Thread-safe. */
int kvc_version(struct kvc_handle *h, struct kvc_version *out);

/* kvc_strerror() - a message for a negative errno returned by this library. */
const char *kvc_strerror(int err);

/*
 * Tables
 */
#define KVC_NAME_LEN		72	/* a table name (1..64 chars) and its NUL */

#define KVC_TABLE_ORDERED	0x1u	/* an ordered index: kvc_scan_*() work */

#define KVC_DURABILITY_VOLATILE	0
#define KVC_DURABILITY_ASYNC	1
#define KVC_DURABILITY_SYNC	2

/**
 * struct kvc_table_opts - options for kvc_table_create()
 * @sz: sizeof(struct kvc_table_opts)
 * @max_key_size: largest key; 0 means the module's max_key_size
 * @max_value_size: largest value; 0 means the module's max_value_size
 * @max_entries: most keys at once; 0: no limit but memory
 * @max_bytes: most memory; 0: the module's max_memory
 * @flags: KVC_TABLE_*
 * @durability: KVC_DURABILITY_*
 * @mode: permission bits; 0 means 0600
 * @set_owner: use @uid and @gid (needs CAP_SYS_ADMIN) instead of the
 *	       caller's fsuid and fsgid
 * @uid: owner, with @set_owner
 * @gid: group, with @set_owner
 */
struct kvc_table_opts {
	size_t sz;
	uint32_t max_key_size;
	uint32_t max_value_size;
	uint64_t max_entries;
	uint64_t max_bytes;
	uint32_t flags;
	uint32_t durability;
	uint32_t mode;
	int set_owner;
	uint32_t uid;
	uint32_t gid;
};

/**
 * struct kvc_table_info - what kvc_table_info() reports
 * @name: the table's name
 * @max_key_size: largest key
 * @max_value_size: largest value
 * @max_entries: entry limit (0: none)
 * @max_bytes: memory limit (0: the module's)
 * @flags: KVC_TABLE_*
 * @durability: KVC_DURABILITY_*
 * @uid: owner
 * @gid: group
 * @mode: permission bits
 * @entries: keys present
 * @bytes: memory used
 * @records: records allocated
 * @retained_versions: old versions kept for snapshots
 */
struct kvc_table_info {
	char name[KVC_NAME_LEN];
	uint32_t max_key_size;
	uint32_t max_value_size;
	uint64_t max_entries;
	uint64_t max_bytes;
	uint32_t flags;
	uint32_t durability;
	uint32_t uid;
	uint32_t gid;
	uint32_t mode;
	uint64_t entries;
	uint64_t bytes;
	uint64_t records;
	uint64_t retained_versions;
};

/* kvc_table_create() - create a table. @opts may be NULL. Thread-safe. */
int kvc_table_create(struct kvc_handle *h, const char *name,
		     const struct kvc_table_opts *opts);

/*
 * kvc_table_drop() - drop a table (its owner, or CAP_SYS_ADMIN).
 * Thread-safe.
 */
int kvc_table_drop(struct kvc_handle *h, const char *name);

/* kvc_table_info() - a table's parameters and counters. Thread-safe. */
int kvc_table_info(struct kvc_handle *h, const char *name,
		   struct kvc_table_info *info);

/*
 * kvc_table_list() - names of tables in name order, after @after (NULL or
 * "" for the first), at most @max of them into @names; *@count says how
 * many, *@total (may be NULL) how many tables exist. Thread-safe.
 */
int kvc_table_list(struct kvc_handle *h, const char *after,
		   char (*names)[KVC_NAME_LEN], uint32_t max,
		   uint32_t *count, uint32_t *total);

/*
 * Transactions. A handle holds at most one open transaction (the kernel
 * binds it to the handle's file; closing the handle aborts it). Calls
 * given a transaction run inside it; NULL runs a call on its own (and does
 * not see the transaction's writes). A transaction reads a snapshot taken
 * at begin plus its own writes (version 0 until commit), and is
 * serializable: a conflicting commit fails with -EAGAIN. The struct
 * kvc_txn belongs to its handle: passing it with another handle is
 * -EINVAL; using it when it has ended (committed, aborted, failed to
 * commit) is -EBADFD. A transaction is used by one thread at a time.
 */
#define KVC_TXN_RDONLY		0x1u	/* reads only; never fails to commit */

struct kvc_txn;

/* kvc_txn_begin() - open the handle's transaction (-EBUSY if one is). */
int kvc_txn_begin(struct kvc_handle *h, unsigned int flags,
		  struct kvc_txn **txp);

/*
 * kvc_txn_commit() - apply it, all or nothing, and end it in any case;
 * -EAGAIN if it conflicted with another commit (run it again).
 * @version may be NULL.
 */
int kvc_txn_commit(struct kvc_txn *txn, uint64_t *version);

/* kvc_txn_abort() - end it, applying nothing (NULL is fine). */
void kvc_txn_abort(struct kvc_txn *txn);

/*
 * kvc_txn_run() - begin, @fn, commit; again on -EAGAIN (from @fn or the
 * commit) up to @max_tries times (0: 16), sleeping a random, growing time
 * in between (at most 20 ms). Any other error from @fn aborts and is
 * returned; @fn must not commit or abort @txn itself. *@version (may be
 * NULL): the version of the commit that succeeded. Returns -EAGAIN when
 * every try conflicted, -EBUSY if the handle already has a transaction.
 */
int kvc_txn_run(struct kvc_handle *h, unsigned int flags,
		unsigned int max_tries,
		int (*fn)(struct kvc_txn *txn, void *arg), void *arg,
		uint64_t *version);

/*
 * Keys. Keys are 1..max_key_size bytes, values 0..max_value_size bytes,
 * both binary. All are thread-safe with @txn NULL.
 */
#define KVC_PUT_UPSERT		0
#define KVC_PUT_INSERT		1	/* only if absent, else -EEXIST */
#define KVC_PUT_REPLACE		2	/* only if present, else -ENOENT */
#define KVC_PUT_CAS		3	/* only if the version is @expect (0: absent) */

#define KVC_DEL_ANY		0
#define KVC_DEL_CAS		1	/* only if the version is @expect */

/*
 * kvc_get() - copy a key's value into @buf (room *@vlen); *@vlen becomes
 * the value's length, also on -ENOBUFS (too small: nothing copied).
 * @buf may be NULL with *@vlen 0 (ask for the length). @version may be
 * NULL. -ENOENT if absent.
 *
 * Errors of kvc_get(), kvc_put() and kvc_del(): -ENOENT (no such table,
 * or key), -EEXIST, -EAGAIN (version mismatch) as the mode says; -E2BIG
 * for a key or value longer than the table allows; -ENOSPC when the table
 * is full (max_entries, max_bytes) or the store's memory is; -EACCES;
 * -EBADFD for a transaction that is not open; -EROFS for a write in a
 * read-only one; -EINVAL for bad arguments. A failed call changes nothing.
 */
int kvc_get(struct kvc_handle *h, struct kvc_txn *txn, const char *table,
	    const void *key, size_t klen, void *buf, size_t *vlen,
	    uint64_t *version);

/*
 * kvc_put() - write a key in @mode; *@version (may be NULL): the new one
 * (0 inside a transaction: its commit's version is known at commit).
 */
int kvc_put(struct kvc_handle *h, struct kvc_txn *txn, const char *table,
	    const void *key, size_t klen, const void *val, size_t vlen,
	    unsigned int mode, uint64_t expect, uint64_t *version);

/* kvc_del() - delete a key; -ENOENT if absent. */
int kvc_del(struct kvc_handle *h, struct kvc_txn *txn, const char *table,
	    const void *key, size_t klen, unsigned int mode, uint64_t expect);

/*
 * Table handles: a table opened once, for reading and/or writing, with its
 * access checked then (as open(2) checks a file's mode), so the calls on
 * the handle name no table and check no permission: the cheapest way to
 * the keys of one table. The handle is a file descriptor of its own
 * (close-on-exec), independent of the struct kvc_handle it was opened
 * with, which may be closed first. It holds the table, not its name: once
 * the table is dropped every call on the handle fails with -EIDRM (a
 * table created again under the name is another table), and the table's
 * memory is freed when its last handle is closed. Calls on a handle run
 * outside any transaction. Every call is thread-safe on a shared handle.
 */
#define KVC_OPEN_READ		0x1u	/* kvc_tget(), kvc_mget() */
#define KVC_OPEN_WRITE		0x2u	/* kvc_tput(), kvc_tdel() */

#define KVC_MGET_MAX		65536	/* keys the kernel reads in one call */

struct kvc_table;

/*
 * kvc_table_open() - a handle on @name for @flags (KVC_OPEN_READ and/or
 * KVC_OPEN_WRITE, at least one). -EACCES if the table's mode bits deny an
 * access asked for; -EOPNOTSUPP if the module has no table handles.
 */
int kvc_table_open(struct kvc_handle *h, const char *name, unsigned int flags,
		   struct kvc_table **tp);

/* kvc_table_close() - close a table handle (NULL is fine). */
void kvc_table_close(struct kvc_table *t);

/*
 * kvc_table_fd() - the handle's file descriptor, for the caller's own
 * ioctls or fcntl(); it stays @t's (kvc_table_close() closes it).
 */
int kvc_table_fd(const struct kvc_table *t);

/*
 * kvc_tget(), kvc_tput(), kvc_tdel() - kvc_get(), kvc_put() and kvc_del()
 * on the handle's table, with the same arguments, modes and errors, and
 * also -EBADF for a read (write) through a handle not opened for it and
 * -EIDRM once the table is dropped.
 */
int kvc_tget(struct kvc_table *t, const void *key, size_t klen, void *buf,
	     size_t *vlen, uint64_t *version);
int kvc_tput(struct kvc_table *t, const void *key, size_t klen,
	     const void *val, size_t vlen, unsigned int mode, uint64_t expect,
	     uint64_t *version);
int kvc_tdel(struct kvc_table *t, const void *key, size_t klen,
	     unsigned int mode, uint64_t expect);

/*
 * kvc_mget() - read @count keys: key i is at @keys + i * @key_stride,
 * @key_lens[i] bytes long (@key_lens NULL: every key is @key_stride bytes).
 * @results[i] becomes the length of its value, copied to @values +
 * i * @value_stride if it is at most @value_stride bytes (else the slot
 * is untouched; @value_stride 0 asks for lengths only, @values may then
 * be NULL), or -ENOENT (absent), -EINVAL (empty key), -E2BIG (key longer
 * than the table allows). @versions (may be NULL): each value's version,
 * 0 where the result is negative. Each key is read as kvc_tget() reads
 * it, not all at one snapshot; keys need not be sorted nor distinct.
 * @count 0 is -EINVAL. One call into the kernel per KVC_MGET_MAX
 * keys; if one fails the call returns its error and the results of that
 * call's keys and of the later ones are undefined.
 */
int kvc_mget(struct kvc_table *t, size_t count, const void *keys,
	     size_t key_stride, const uint32_t *key_lens, void *values,
	     size_t value_stride, int32_t *results, uint64_t *versions);

/*
 * Scans: an iterator over a range of an ordered table, in key order,
 * fetched a page at a time. Outside a transaction each page is a
 * snapshot of its own; inside one, all are the transaction's.
 */
#define KVC_SCAN_REVERSE	0x1u
#define KVC_SCAN_LO_EXCL	0x2u	/* @lo itself excluded */
#define KVC_SCAN_HI_INCL	0x4u	/* @hi itself included */

/**
 * struct kvc_scan_opts - what kvc_scan_open() visits
 * @sz: sizeof(struct kvc_scan_opts)
 * @lo: low bound or NULL; inclusive unless KVC_SCAN_LO_EXCL
 * @lo_len: its length
 * @hi: high bound or NULL; exclusive unless KVC_SCAN_HI_INCL
 * @hi_len: its length
 * @prefix: only keys starting with these bytes, or NULL
 * @prefix_len: its length
 * @flags: KVC_SCAN_*
 * @limit: stop after this many keys; 0: no limit
 * @page_size: bytes fetched per call into the kernel; 0: 64 KiB
 */
struct kvc_scan_opts {
	size_t sz;
	const void *lo;
	size_t lo_len;
	const void *hi;
	size_t hi_len;
	const void *prefix;
	size_t prefix_len;
	unsigned int flags;
	uint64_t limit;
	size_t page_size;
};

struct kvc_scan;

/*
 * kvc_scan_open() - start a scan of @table (the bounds are copied) and
 * fetch its first page, so a missing table (-ENOENT), a table without an
 * ordered index (-EOPNOTSUPP) or a bad range fails here. @opts may be
 * NULL (every key, forward). A page holds at least one entry: a larger
 * one grows the page, up to 16 MiB (else -ENOBUFS). With @txn the scan
 * belongs to the transaction and ends with it.
 */
int kvc_scan_open(struct kvc_handle *h, struct kvc_txn *txn,
		  const char *table, const struct kvc_scan_opts *opts,
		  struct kvc_scan **sp);

/*
 * kvc_scan_next() - the next key: 1 and the entry (pointers valid until
 * the next call on @s; @version may be NULL), 0 at the end, or -errno.
 */
int kvc_scan_next(struct kvc_scan *s, const void **key, size_t *klen,
		  const void **val, size_t *vlen, uint64_t *version);

/* kvc_scan_close() - free the iterator (NULL is fine). */
void kvc_scan_close(struct kvc_scan *s);

/*
 * Batches: many operations in one call into the kernel. The builder keeps
 * the caller's pointers (keys, values, buffers), which must stay valid
 * until kvc_batch_run() returns. A batch is used by one thread at a time.
 */
#define KVC_BATCH_ATOMIC	0x1u	/* one transaction: all or nothing */

struct kvc_batch;

/* kvc_batch_new() - an empty batch. */
int kvc_batch_new(struct kvc_batch **bp);

/* kvc_batch_free() - free it (NULL is fine). */
void kvc_batch_free(struct kvc_batch *b);

/* kvc_batch_reset() - empty it for reuse. */
void kvc_batch_reset(struct kvc_batch *b);

/*
 * kvc_batch_get/put/del() - add an operation; they return its index (>= 0)
 * or -errno (-E2BIG past 4096 operations or 64 tables).
 */
int kvc_batch_get(struct kvc_batch *b, const char *table, const void *key,
		  size_t klen, void *buf, size_t room);
int kvc_batch_put(struct kvc_batch *b, const char *table, const void *key,
		  size_t klen, const void *val, size_t vlen, unsigned int mode,
		  uint64_t expect);
int kvc_batch_del(struct kvc_batch *b, const char *table, const void *key,
		  size_t klen, unsigned int mode, uint64_t expect);

/*
 * kvc_batch_run() - carry the batch out in one call; @txn (may be NULL)
 * joins it to the handle's transaction (not with KVC_BATCH_ATOMIC).
 * Without KVC_BATCH_ATOMIC every operation has its own result and the
 * call returns 0; with it the first failure cancels all (-ECANCELED; its
 * result says why) and a conflict at commit is -EAGAIN. @version (may be
 * NULL): the commit's. An empty batch is -EINVAL. A batch may be run
 * again (each run sends the operations as they were added).
 */
int kvc_batch_run(struct kvc_handle *h, struct kvc_txn *txn,
		  struct kvc_batch *b, unsigned int flags, uint64_t *version);

/*
 * kvc_batch_result() - operation @i's result after a run: 0 or -errno;
 * *@vlen (a get's value length, also on -ENOBUFS; may be NULL) and
 * *@version (a get's value version or a put's new one; may be NULL).
 * After a failed atomic run every operation reports why nothing was
 * applied (its own error, or the run's: -ECANCELED, -EAGAIN, ...); an
 * operation the kernel never reached reports the run's error. -EINVAL
 * when @i is out of range or the batch has not run since it changed.
 */
int kvc_batch_result(const struct kvc_batch *b, unsigned int i, size_t *vlen,
		     uint64_t *version);

/*
 * Statistics
 */
/**
 * struct kvc_stats - store-wide counters
 * @tables: tables
 * @bytes: memory used
 * @max_bytes: the module's memory limit
 * @snapshots: open snapshots (transactions, scans in progress)
 */
struct kvc_stats {
	uint64_t tables;
	uint64_t bytes;
	uint64_t max_bytes;
	uint64_t snapshots;
};

/* kvc_stats() - store-wide counters. Thread-safe. */
int kvc_stats(struct kvc_handle *h, struct kvc_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* KVCLIENT_H */

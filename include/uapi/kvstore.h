/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kvstore user-space ABI: the ioctl interface of /dev/kvstore.
 *
 * Rules every command follows (see README.md, "The ABI"):
 *  - Commands are _IOWR(KVS_IOC_MAGIC, nr, struct); the kernel dispatches on
 *    the command number alone and takes the struct's length from its first
 *    field, @size, so a struct can grow without a new command number.
 *    A command number is never reused: a new meaning gets a new number.
 *  - @size smaller than the first published version of the struct is
 *    -EINVAL; larger than a page is -E2BIG; bytes beyond the kernel's own
 *    struct must be zero or the call fails with -E2BIG.
 *  - Reserved fields and unknown flag bits must be zero (-EINVAL).
 *  - Output is written to the first @size bytes only; bytes the kernel
 *    does not know are left untouched; everything it writes is zeroed first.
 *  - Unknown commands are -ENOTTY.
 */
#ifndef _UAPI_KVSTORE_H
#define _UAPI_KVSTORE_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define KVS_DEVICE_NAME		"kvstore"

/* ABI version: a new major breaks old callers, a new minor only adds. */
#define KVS_ABI_MAJOR		1
#define KVS_ABI_MINOR		1

/*
 * Feature bits reported by KVS_IOC_VERSION; a caller tests a bit before it
 * relies on the matching commands. Bits are only ever added.
 */
#define KVS_FEAT_VERSION	(1ULL << 0)	/* KVS_IOC_VERSION and its limits */
#define KVS_FEAT_TABLES		(1ULL << 1)	/* TABLE_CREATE/DROP/LIST/INFO */
#define KVS_FEAT_KV		(1ULL << 2)	/* GET, PUT, DEL */
#define KVS_FEAT_SCAN		(1ULL << 3)	/* SCAN */
#define KVS_FEAT_TXN		(1ULL << 4)	/* TXN_BEGIN/COMMIT/ABORT */
#define KVS_FEAT_BATCH		(1ULL << 5)	/* BATCH */
#define KVS_FEAT_STATS		(1ULL << 6)	/* STATS */
#define KVS_FEAT_HANDLES	(1ULL << 7)	/* TABLE_OPEN, KVS_IOC_H_* */

#define KVS_IOC_MAGIC		0xBA

/**
 * struct kvs_ioc_version - ABI version, features and limits of the module
 * @size: in: sizeof(struct kvs_ioc_version) as the caller knows it
 * @abi_major: out: KVS_ABI_MAJOR of the running module
 * @abi_minor: out: KVS_ABI_MINOR of the running module
 * @features: out: KVS_FEAT_* bits the module supports
 * @max_key_size: out: largest key accepted, in bytes (module parameter)
 * @max_value_size: out: largest value accepted, in bytes (module parameter)
 * @flags: in: must be zero
 * @reserved: in: must be zero
 * @module_version: out: NUL-terminated module version string
 */
struct kvs_ioc_version {
	__u32 size;
	__u16 abi_major;
	__u16 abi_minor;
	__aligned_u64 features;
	__u32 max_key_size;
	__u32 max_value_size;
	__u32 flags;
	__u32 reserved;
	char module_version[32];
};

#define KVS_IOC_VERSION_SIZE_VER0	64	/* sizeof first published */

#define KVS_IOC_VERSION		_IOWR(KVS_IOC_MAGIC, 0x00, struct kvs_ioc_version)

/*
 * Tables. A name is 1..64 characters of [A-Za-z0-9_.-], not starting with
 * a dot, NUL-terminated in a KVS_NAME_LEN field (bytes after the NUL must
 * be zero).
 */
#define KVS_NAME_LEN		72

/* Table flags (struct kvs_ioc_table_params.flags) */
#define KVS_TF_ORDERED		0x1u	/* an ordered index: SCAN works */

/* Durability (struct kvs_ioc_table_params.durability) */
#define KVS_DURABILITY_VOLATILE	0
#define KVS_DURABILITY_ASYNC	1
#define KVS_DURABILITY_SYNC	2

/**
 * struct kvs_ioc_table_params - the shape, limits and owner of a table
 * @max_key_size: largest key, 1..the module's max_key_size
 * @max_value_size: largest value, 0..the module's max_value_size
 * @max_entries: most keys present at once; 0: no limit but memory
 * @max_bytes: most memory the table may use; 0: the module's max_memory
 * @flags: KVS_TF_*
 * @durability: KVS_DURABILITY_*
 * @uid: owner (TABLE_INFO: out; TABLE_CREATE: in, honoured only with
 *	 CAP_SYS_ADMIN and KVS_TABLE_CREATE_OWNER, else the caller's fsuid)
 * @gid: group, likewise (else the caller's fsgid)
 * @mode: permission bits, 0..0777: read (r) allows GET and SCAN, write
 *	  (w) allows PUT and DEL, for owner, group and others
 * @reserved: must be zero
 */
struct kvs_ioc_table_params {
	__u32 max_key_size;
	__u32 max_value_size;
	__aligned_u64 max_entries;
	__aligned_u64 max_bytes;
	__u32 flags;
	__u32 durability;
	__u32 uid;
	__u32 gid;
	__u32 mode;
	__u32 reserved;
};

/**
 * struct kvs_ioc_table_stats - counters of a table (TABLE_INFO: out)
 * @entries: keys present
 * @bytes: memory charged to the table
 * @records: records allocated (present keys, deleted ones not yet freed)
 * @retained_versions: old versions kept for snapshots or not yet freed
 */
struct kvs_ioc_table_stats {
	__aligned_u64 entries;
	__aligned_u64 bytes;
	__aligned_u64 records;
	__aligned_u64 retained_versions;
};

/* struct kvs_ioc_table.flags */
#define KVS_TABLE_CREATE_OWNER	0x1u	/* CREATE: use params.uid/gid */

/**
 * struct kvs_ioc_table - TABLE_CREATE, TABLE_DROP and TABLE_INFO
 * @size: in: sizeof as the caller knows it
 * @flags: in: KVS_TABLE_CREATE_OWNER (CREATE only), else zero
 * @name: in: the table's name
 * @params: CREATE: in; INFO: out; DROP: ignored, must be zero
 * @stats: INFO: out; otherwise must be zero
 */
struct kvs_ioc_table {
	__u32 size;
	__u32 flags;
	char name[KVS_NAME_LEN];
	struct kvs_ioc_table_params params;
	struct kvs_ioc_table_stats stats;
};

#define KVS_IOC_TABLE_SIZE_VER0	160

/**
 * struct kvs_ioc_table_list - TABLE_LIST: names of tables, in name order
 * @size: in: sizeof as the caller knows it
 * @flags: in: must be zero
 * @names: in: user buffer of @max entries of char[KVS_NAME_LEN]
 * @max: in: room in @names, 1..4096
 * @count: out: names written
 * @total: out: tables in the store
 * @reserved: must be zero
 * @after: in: list names after this one ("" for the first page)
 */
struct kvs_ioc_table_list {
	__u32 size;
	__u32 flags;
	__aligned_u64 names;
	__u32 max;
	__u32 count;
	__u32 total;
	__u32 reserved;
	char after[KVS_NAME_LEN];
};

#define KVS_IOC_TABLE_LIST_SIZE_VER0	104

/*
 * Operations on keys. A key is 1..max_key_size bytes, a value
 * 0..max_value_size bytes, both binary.
 */

/* struct kvs_ioc_kv.flags, kvs_ioc_scan.flags */
#define KVS_IOF_TXN		0x1u	/* inside the file's open transaction */

/* PUT modes (struct kvs_ioc_kv.mode) */
#define KVS_MODE_UPSERT		0	/* write, whether present or not */
#define KVS_MODE_INSERT		1	/* only if absent, else -EEXIST */
#define KVS_MODE_REPLACE	2	/* only if present, else -ENOENT */
/*
 * CAS: only if the version is @version, else -EAGAIN (-ENOENT if the key is
 * absent); @version 0: only if absent, else -EEXIST
 */
#define KVS_MODE_CAS		3
/* DEL modes */
#define KVS_MODE_DEL_ANY	0
#define KVS_MODE_DEL_CAS	1	/* only if the version is @version */

/**
 * struct kvs_ioc_kv - GET, PUT and DEL of one key
 * @size: in: sizeof as the caller knows it
 * @flags: in: KVS_IOF_TXN, else zero
 * @table: in: the table's name
 * @key: in: user pointer to the key
 * @value: GET: user buffer for the value; PUT: user pointer to the value;
 *	   DEL: must be zero
 * @key_len: in: bytes at @key
 * @value_len: GET: in: room at @value, out: the value's length (also when
 *	       it did not fit: -ENOBUFS); PUT: in: bytes at @value; DEL: zero
 * @mode: PUT: KVS_MODE_UPSERT.._CAS; DEL: KVS_MODE_DEL_*; GET: zero
 * @reserved: must be zero
 * @version: GET: out: the value's version (0 for the transaction's own
 *	     write); PUT: in: the version CAS expects, out: the new version
 *	     (0 inside a transaction: known at commit); DEL: in: the version
 *	     DEL_CAS expects
 */
struct kvs_ioc_kv {
	__u32 size;
	__u32 flags;
	char table[KVS_NAME_LEN];
	__aligned_u64 key;
	__aligned_u64 value;
	__u32 key_len;
	__u32 value_len;
	__u32 mode;
	__u32 reserved;
	__aligned_u64 version;
};

#define KVS_IOC_KV_SIZE_VER0	120

/* struct kvs_ioc_scan.flags, besides KVS_IOF_TXN */
#define KVS_IOF_REVERSE		0x2u	/* from the high end down */
#define KVS_IOF_LO_EXCL		0x4u	/* @lo itself is not in the range */
#define KVS_IOF_HI_INCL		0x8u	/* @hi itself is in the range */

/**
 * struct kvs_ioc_scan_entry - one key of a SCAN page, in @buf
 * @key_len: bytes of key, right after this header
 * @value_len: bytes of value, right after the key
 * @version: the value's version (0 for the transaction's own write)
 *
 * The next entry starts at the next multiple of 8 bytes after the value.
 */
struct kvs_ioc_scan_entry {
	__u32 key_len;
	__u32 value_len;
	__aligned_u64 version;
};

/**
 * struct kvs_ioc_scan - SCAN: one page of keys in order, from a snapshot
 * @size: in: sizeof as the caller knows it
 * @flags: in: KVS_IOF_TXN, _REVERSE, _LO_EXCL, _HI_INCL
 * @table: in: the table's name (created with KVS_TF_ORDERED)
 * @lo: in: user pointer to the low bound, 0 for none
 * @hi: in: user pointer to the high bound, 0 for none
 * @prefix: in: user pointer to a prefix every key must have, 0 for none
 * @lo_len: in: bytes at @lo (0 iff no @lo)
 * @hi_len: in: bytes at @hi (0 iff no @hi)
 * @prefix_len: in: bytes at @prefix (0 iff no @prefix)
 * @max_entries: in: at most this many entries; 0: as many as fit
 * @buf: in: user buffer for the page (struct kvs_ioc_scan_entry records)
 * @buf_len: in: its size; at least one entry must fit, 64 bytes..16 MiB
 * @count: out: entries in the page
 * @used: out: bytes of @buf used
 * @more: out: 1 if the range goes on after the page (resume with the last
 *	  key as @lo and KVS_IOF_LO_EXCL, or as @hi without KVS_IOF_HI_INCL
 *	  when reverse); 0 if the page ends the range
 *
 * Outside a transaction each page reads its own snapshot; inside one, all
 * pages read the transaction's.
 */
struct kvs_ioc_scan {
	__u32 size;
	__u32 flags;
	char table[KVS_NAME_LEN];
	__aligned_u64 lo;
	__aligned_u64 hi;
	__aligned_u64 prefix;
	__u32 lo_len;
	__u32 hi_len;
	__u32 prefix_len;
	__u32 max_entries;
	__aligned_u64 buf;
	__u32 buf_len;
	__u32 count;
	__u32 used;
	__u32 more;
};

#define KVS_IOC_SCAN_SIZE_VER0	144

/* struct kvs_ioc_txn.flags for TXN_BEGIN */
#define KVS_TXN_F_RDONLY	0x1u	/* reads only; never aborts */

/**
 * struct kvs_ioc_txn - TXN_BEGIN, TXN_COMMIT, TXN_ABORT
 * @size: in: sizeof as the caller knows it
 * @flags: BEGIN: in: KVS_TXN_F_RDONLY; else zero
 * @version: BEGIN: out: the snapshot; COMMIT: out: the commit's version
 *
 * A file holds at most one transaction (BEGIN again: -EBUSY); closing the
 * file aborts it. COMMIT and ABORT end it, COMMIT with -EAGAIN on a
 * conflict (nothing applied).
 */
struct kvs_ioc_txn {
	__u32 size;
	__u32 flags;
	__aligned_u64 version;
};

#define KVS_IOC_TXN_SIZE_VER0	16

/* struct kvs_ioc_batch_op.op */
#define KVS_OP_GET		1
#define KVS_OP_PUT		2
#define KVS_OP_DEL		3

/**
 * struct kvs_ioc_batch_op - one operation of a BATCH
 * @op: in: KVS_OP_*
 * @table: in: index into the batch's @tables
 * @mode: in: as struct kvs_ioc_kv
 * @key: in: user pointer to the key
 * @value: in: as struct kvs_ioc_kv
 * @key_len: in: bytes at @key
 * @value_len: in/out: as struct kvs_ioc_kv
 * @version: in/out: as struct kvs_ioc_kv
 * @result: out: 0 or a negative errno for this operation
 * @reserved: must be zero
 */
struct kvs_ioc_batch_op {
	__u16 op;
	__u16 table;
	__u32 mode;
	__aligned_u64 key;
	__aligned_u64 value;
	__u32 key_len;
	__u32 value_len;
	__aligned_u64 version;
	__s32 result;
	__u32 reserved;
};

/* struct kvs_ioc_batch.flags */
#define KVS_BATCH_ATOMIC	0x2u	/* all in one transaction, or none */

/**
 * struct kvs_ioc_batch - BATCH: many operations in one call
 * @size: in: sizeof as the caller knows it
 * @flags: in: KVS_BATCH_ATOMIC, KVS_IOF_TXN (the ops join the file's
 *	   open transaction; not with KVS_BATCH_ATOMIC)
 * @tables: in: user pointer to @ntables names of char[KVS_NAME_LEN]
 * @ops: in: user pointer to @nops struct kvs_ioc_batch_op
 * @ntables: in: 1..64
 * @nops: in: 1..4096
 * @done: out: operations carried out; for KVS_BATCH_ATOMIC, all or none
 * @reserved: must be zero
 * @version: out: KVS_BATCH_ATOMIC: the commit's version
 *
 * Without KVS_BATCH_ATOMIC each operation succeeds or fails on its own
 * (its @result); with it, the first failing operation aborts the whole
 * batch (its @result says why; the call returns -ECANCELED, or -EAGAIN
 * for a conflict at commit), and nothing is applied.
 */
struct kvs_ioc_batch {
	__u32 size;
	__u32 flags;
	__aligned_u64 tables;
	__aligned_u64 ops;
	__u32 ntables;
	__u32 nops;
	__u32 done;
	__u32 reserved;
	__aligned_u64 version;
};

#define KVS_IOC_BATCH_SIZE_VER0	48

/**
 * struct kvs_ioc_stats - STATS: store-wide counters
 * @size: in: sizeof as the caller knows it
 * @flags: in: must be zero
 * @tables: out: tables in the store
 * @reserved: zero
 * @bytes: out: memory used by all tables
 * @max_bytes: out: the module's max_memory
 * @snapshots: out: snapshots registered (open transactions and scans)
 */
struct kvs_ioc_stats {
	__u32 size;
	__u32 flags;
	__u32 tables;
	__u32 reserved;
	__aligned_u64 bytes;
	__aligned_u64 max_bytes;
	__aligned_u64 snapshots;
};

#define KVS_IOC_STATS_SIZE_VER0	40

/*
 * Table handles. TABLE_OPEN on /dev/kvstore returns a new file descriptor
 * (always close-on-exec) bound to one table, checked once against the
 * table's mode bits for the access asked, as open(2) checks a file's: the
 * handle's commands (KVS_IOC_H_*) name no table and check no permission, so
 * they cost less than GET/PUT/DEL by name. A handle opened without
 * KVS_OPEN_READ cannot read (-EBADF), without KVS_OPEN_WRITE cannot write
 * (-EBADF). It holds the table, not its name: once the table is dropped its
 * handles' commands fail with -EIDRM (a table created again under that name
 * is another table), and the table's memory is freed when the last handle
 * is closed. Handle commands run outside any transaction. A handle's
 * commands on /dev/kvstore, and the device's on a handle, are -ENOTTY.
 */
#define KVS_OPEN_READ		0x1u	/* the handle may read (GET, MGET) */
#define KVS_OPEN_WRITE		0x2u	/* the handle may write (PUT, DEL) */

/**
 * struct kvs_ioc_table_open - TABLE_OPEN: a handle on a table
 * @size: in: sizeof as the caller knows it
 * @flags: in: KVS_OPEN_READ and/or KVS_OPEN_WRITE (at least one)
 * @name: in: the table's name
 * @fd: out: the handle, a new close-on-exec file descriptor (zero on input)
 * @reserved: must be zero
 */
struct kvs_ioc_table_open {
	__u32 size;
	__u32 flags;
	char name[KVS_NAME_LEN];
	__s32 fd;
	__u32 reserved;
};

#define KVS_IOC_TABLE_OPEN_SIZE_VER0	88

/**
 * struct kvs_ioc_key - H_GET, H_PUT and H_DEL of one key, on a handle
 * @size: in: sizeof as the caller knows it
 * @flags: in: must be zero
 * @key: in: user pointer to the key
 * @value: H_GET: user buffer for the value; H_PUT: user pointer to the
 *	   value; H_DEL: must be zero
 * @key_len: in: bytes at @key
 * @mode: H_PUT: KVS_MODE_UPSERT.._CAS; H_DEL: KVS_MODE_DEL_*; H_GET: zero
 * @value_len: H_GET: in: room at @value, out: the value's length (also
 *	       when it did not fit: -ENOBUFS); H_PUT: in: bytes at @value;
 *	       H_DEL: zero
 * @reserved: must be zero
 * @version: H_GET: out: the value's version (0 with -ENOBUFS, as GET);
 *	     zero on input; H_PUT: in: the version CAS
 *	     expects, out: the new version; H_DEL: in: the version DEL_CAS
 *	     expects
 *
 * Only the output fields are written back (@value_len, @reserved and
 * @version for H_GET, @version for H_PUT; nothing for H_DEL).
 */
struct kvs_ioc_key {
	__u32 size;
	__u32 flags;
	__aligned_u64 key;
	__aligned_u64 value;
	__u32 key_len;
	__u32 mode;
	__u32 value_len;
	__u32 reserved;
	__aligned_u64 version;
};

#define KVS_IOC_KEY_SIZE_VER0	48

#define KVS_MGET_MAX		65536	/* keys in one H_MGET */

/**
 * struct kvs_ioc_mget - H_MGET: many keys of a handle's table in one call
 * @size: in: sizeof as the caller knows it
 * @flags: in: must be zero
 * @keys: in: user pointer to @count keys, @key_stride bytes apart
 * @key_lens: in: user pointer to @count __u32 key lengths (each
 *	      1..@key_stride), or 0: every key is @key_stride bytes long
 * @values: in: user buffer of @count slots, @value_stride bytes apart; may
 *	    be 0 if @value_stride is 0
 * @results: in: user pointer to @count __s32, out: for each key the
 *	     length of its value (copied into its slot if it is at most
 *	     @value_stride bytes, else nothing copied), or a negative errno:
 *	     -ENOENT (absent), -EINVAL (empty key), -E2BIG (key longer than
 *	     the table allows)
 * @versions: in: user pointer to @count __u64, or 0; out: each value's
 *	      version (0 where @results is negative)
 * @count: in: keys, 1..KVS_MGET_MAX
 * @key_stride: in: 1..4096 (keys longer than the table allows get -E2BIG)
 * @value_stride: in: 0..16 MiB
 * @done: out: keys looked up (all of them unless the call failed); zero on
 *	  input
 *
 * Each key is read as one GET would read it, at the time the call reaches
 * it; the call is not a snapshot (a transaction is). Keys need not be
 * sorted nor distinct.
 */
struct kvs_ioc_mget {
	__u32 size;
	__u32 flags;
	__aligned_u64 keys;
	__aligned_u64 key_lens;
	__aligned_u64 values;
	__aligned_u64 results;
	__aligned_u64 versions;
	__u32 count;
	__u32 key_stride;
	__u32 value_stride;
	__u32 done;
};

#define KVS_IOC_MGET_SIZE_VER0	64

#define KVS_IOC_TABLE_CREATE	_IOWR(KVS_IOC_MAGIC, 0x01, struct kvs_ioc_table)
#define KVS_IOC_TABLE_DROP	_IOWR(KVS_IOC_MAGIC, 0x02, struct kvs_ioc_table)
#define KVS_IOC_TABLE_LIST	_IOWR(KVS_IOC_MAGIC, 0x03, struct kvs_ioc_table_list)
#define KVS_IOC_TABLE_INFO	_IOWR(KVS_IOC_MAGIC, 0x04, struct kvs_ioc_table)
#define KVS_IOC_GET		_IOWR(KVS_IOC_MAGIC, 0x05, struct kvs_ioc_kv)
#define KVS_IOC_PUT		_IOWR(KVS_IOC_MAGIC, 0x06, struct kvs_ioc_kv)
#define KVS_IOC_DEL		_IOWR(KVS_IOC_MAGIC, 0x07, struct kvs_ioc_kv)
#define KVS_IOC_SCAN		_IOWR(KVS_IOC_MAGIC, 0x08, struct kvs_ioc_scan)
#define KVS_IOC_TXN_BEGIN	_IOWR(KVS_IOC_MAGIC, 0x09, struct kvs_ioc_txn)
#define KVS_IOC_TXN_COMMIT	_IOWR(KVS_IOC_MAGIC, 0x0a, struct kvs_ioc_txn)
#define KVS_IOC_TXN_ABORT	_IOWR(KVS_IOC_MAGIC, 0x0b, struct kvs_ioc_txn)
#define KVS_IOC_BATCH		_IOWR(KVS_IOC_MAGIC, 0x0c, struct kvs_ioc_batch)
#define KVS_IOC_STATS		_IOWR(KVS_IOC_MAGIC, 0x0d, struct kvs_ioc_stats)
#define KVS_IOC_TABLE_OPEN	_IOWR(KVS_IOC_MAGIC, 0x0e, struct kvs_ioc_table_open)

/* On a table handle (TABLE_OPEN) only */
#define KVS_IOC_H_GET		_IOWR(KVS_IOC_MAGIC, 0x20, struct kvs_ioc_key)
#define KVS_IOC_H_PUT		_IOWR(KVS_IOC_MAGIC, 0x21, struct kvs_ioc_key)
#define KVS_IOC_H_DEL		_IOWR(KVS_IOC_MAGIC, 0x22, struct kvs_ioc_key)
#define KVS_IOC_H_MGET		_IOWR(KVS_IOC_MAGIC, 0x23, struct kvs_ioc_mget)

#endif /* _UAPI_KVSTORE_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvstore: the API other kernel modules call (EXPORT_SYMBOL_GPL).
 *
 * Build against it with "ccflags-y += -I<kvstore>/include" and
 * KBUILD_EXTRA_SYMBOLS=<kvstore build>/Module.symvers; every call is
 * documented, with its Context, where it is defined (kmod/core/kvs_store.c).
 *
 * In short: look a table up once (kvs_table_get(kvs_store(), "name")), keep
 * the reference while you use it, read with kvs_get() or kvs_lookup_rcu()
 * from any context (hardirq included), write with kvs_put()/kvs_delete()
 * from process context (KVS_GFP_KERNEL) or softirq (KVS_GFP_ATOMIC), and
 * kvs_table_put() the reference before your module unloads.
 */
#ifndef _LINUX_KVSTORE_H
#define _LINUX_KVSTORE_H

#include <linux/types.h>

struct kvs_store;
struct kvs_table;

/*
 * Allocation context of a write. The engine's platform layer defines the
 * same type first (a __bitwise type must be declared once for sparse).
 */
#ifndef KVS_GFP_KERNEL
typedef unsigned int __bitwise kvs_gfp_t;
#define KVS_GFP_KERNEL		((__force kvs_gfp_t)0x1u)	/* may sleep */
#define KVS_GFP_ATOMIC		((__force kvs_gfp_t)0x2u)	/* never sleeps */
#endif

#define KVS_NAME_MAX		64
#define KVS_NAME_SIZE		72	/* a name, its NUL, padding */

#define KVS_TABLE_ORDERED	0x1u

#define KVS_DUR_VOLATILE	0
#define KVS_DUR_ASYNC		1
#define KVS_DUR_SYNC		2

#define KVS_PUT_UPSERT		0
#define KVS_PUT_INSERT		1
#define KVS_PUT_REPLACE		2
#define KVS_PUT_CAS		3

#define KVS_DEL_ANY		0
#define KVS_DEL_CAS		1

/* kvs_txn_begin() flags */
#define KVS_TXN_RDONLY		0x1u	/* reads only; never aborts */

/* Bounds of one transaction (-E2BIG beyond them) */
#define KVS_TXN_MAX_OPS		65536u	/* reads, writes and scans each */

/* struct kvs_range flags */
#define KVS_SCAN_REVERSE	0x1u	/* from the high end to the low end */
#define KVS_SCAN_LO_EXCL	0x2u	/* @lo itself is not in the range */
#define KVS_SCAN_HI_INCL	0x4u	/* @hi itself is in the range */

/**
 * struct kvs_table_params - what a table is created with
 * @max_key_size: largest key in bytes, 1..the module's max_key_size
 * @max_value_size: largest value in bytes, up to the module's max_value_size
 * @max_entries: most keys present at once; 0: bounded by memory only
 * @max_bytes: most bytes the table may use; 0: the module's max_memory only
 * @flags: KVS_TABLE_*
 * @durability: KVS_DUR_*
 * @uid: owner, checked by the /dev/kvstore proxy
 * @gid: group, likewise
 * @mode: permission bits (0777 mask), likewise
 */
struct kvs_table_params {
	u32 max_key_size;
	u32 max_value_size;
	u64 max_entries;
	u64 max_bytes;
	u32 flags;
	u32 durability;
	u32 uid;
	u32 gid;
	u32 mode;
};

/**
 * struct kvs_table_stats - counters of a table
 * @entries: keys present
 * @bytes: memory charged to the table
 * @records: records allocated (present keys, deleted ones not yet reclaimed)
 * @retained_versions: old versions kept for snapshots or not yet reclaimed
 */
struct kvs_table_stats {
	u64 entries;
	u64 bytes;
	u64 records;
	u64 retained_versions;
};

/**
 * struct kvs_range - the keys a scan visits, in key order (memcmp() of the
 *		      common prefix, then the shorter key first)
 * @lo: low bound, inclusive unless KVS_SCAN_LO_EXCL; NULL: no low bound
 * @lo_len: its length (at least 1 with a bound, 0 without)
 * @hi: high bound, exclusive unless KVS_SCAN_HI_INCL; NULL: no high bound
 * @hi_len: its length (likewise)
 * @prefix: if not NULL, only keys that start with these bytes
 * @prefix_len: its length (at least 1 with a @prefix, 0 without)
 * @flags: KVS_SCAN_*
 *
 * All the conditions given apply together. To resume a scan after the last
 * key it returned, pass that key as @lo with KVS_SCAN_LO_EXCL (forward) or
 * as @hi without KVS_SCAN_HI_INCL (KVS_SCAN_REVERSE).
 */
struct kvs_range {
	const void *lo;
	u32 lo_len;
	const void *hi;
	u32 hi_len;
	const void *prefix;
	u32 prefix_len;
	u32 flags;
};

/**
 * typedef kvs_scan_fn - called by a scan for each key, in order
 * @arg: the caller's argument
 * @key: the key
 * @klen: its length
 * @val: the value
 * @vlen: its length
 * @version: the value's version (0 for a value the transaction wrote)
 *
 * Called inside an RCU read section: it must not sleep. @key and @val are
 * valid only during the call.
 *
 * Return: 0 to go on; > 0 to stop the scan there (the key counts as seen);
 * < 0 to stop it and have the scan return that error.
 */
typedef int (*kvs_scan_fn)(void *arg, const void *key, u32 klen,
			   const void *val, u32 vlen, u64 version);

struct kvs_txn;

/**
 * struct kvs_store_stats - store-wide counters
 * @tables: tables in the store
 * @bytes: memory charged to the store (tables, transactions)
 * @max_bytes: the store's memory limit (0: none)
 * @snapshots: registered snapshots (open transactions and scans)
 */
struct kvs_store_stats {
	u64 tables;
	u64 bytes;
	u64 max_bytes;
	u64 snapshots;
};

struct kvs_store *kvs_store(void);
void kvs_store_get_stats(struct kvs_store *s, struct kvs_store_stats *st);
int kvs_table_names(struct kvs_store *s, char **namesp, u32 *np);

int kvs_table_create(struct kvs_store *s, const char *name,
		     const struct kvs_table_params *p, struct kvs_table **tp);
int kvs_table_drop(struct kvs_store *s, const char *name);
struct kvs_table *kvs_table_get(struct kvs_store *s, const char *name);
void kvs_table_put(struct kvs_table *t);
void kvs_table_get_stats(struct kvs_table *t, struct kvs_table_stats *st);

int kvs_get(struct kvs_table *t, const void *key, u32 klen, void *buf,
	    u32 buflen, u32 *vlen, u64 *version);
const void *kvs_lookup_rcu(struct kvs_table *t, const void *key, u32 klen,
			   u32 *vlen, u64 *version);
int kvs_put(struct kvs_table *t, const void *key, u32 klen, const void *val,
	    u32 vlen, unsigned int mode, u64 expect, u64 *version,
	    kvs_gfp_t gfp);
int kvs_delete(struct kvs_table *t, const void *key, u32 klen,
	       unsigned int mode, u64 expect, kvs_gfp_t gfp);

int kvs_scan(struct kvs_table *t, const struct kvs_range *range,
	     kvs_scan_fn fn, void *arg, kvs_gfp_t gfp);

int kvs_txn_begin(struct kvs_store *s, unsigned int flags, kvs_gfp_t gfp,
		  struct kvs_txn **txp);
u64 kvs_txn_snapshot(const struct kvs_txn *tx);
int kvs_txn_get(struct kvs_txn *tx, struct kvs_table *t, const void *key,
		u32 klen, void *buf, u32 buflen, u32 *vlen, u64 *version);
int kvs_txn_put(struct kvs_txn *tx, struct kvs_table *t, const void *key,
		u32 klen, const void *val, u32 vlen, unsigned int mode,
		u64 expect);
int kvs_txn_delete(struct kvs_txn *tx, struct kvs_table *t, const void *key,
		   u32 klen, unsigned int mode, u64 expect);
int kvs_txn_scan(struct kvs_txn *tx, struct kvs_table *t,
		 const struct kvs_range *range, kvs_scan_fn fn, void *arg);
int kvs_txn_commit(struct kvs_txn *tx, u64 *version);
void kvs_txn_abort(struct kvs_txn *tx);
int kvs_txn_run(struct kvs_store *s, unsigned int flags, kvs_gfp_t gfp,
		unsigned int max_tries,
		int (*fn)(struct kvs_txn *tx, void *arg), void *arg);

#endif /* _LINUX_KVSTORE_H */

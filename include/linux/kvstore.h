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

struct kvs_store *kvs_store(void);

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

#endif /* _LINUX_KVSTORE_H */

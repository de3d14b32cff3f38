/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvstore: declarations shared by the kernel glue files (not the engine).
 */
#ifndef _KVS_INTERNAL_H
#define _KVS_INTERNAL_H

#include <linux/build_bug.h>
#include <linux/types.h>
#include <linux/uaccess.h>
#include <linux/string.h>

#include "../include/uapi/kvstore.h"

#define KVS_MODULE_VERSION	"0.1.0"

/* What this build of the module implements: see KVS_FEAT_* in the UAPI. */
#define KVS_FEATURES		(KVS_FEAT_VERSION | KVS_FEAT_TABLES | KVS_FEAT_KV | \
				 KVS_FEAT_SCAN | KVS_FEAT_TXN | KVS_FEAT_BATCH | \
				 KVS_FEAT_STATS | KVS_FEAT_HANDLES)

/* Bounds of the module parameters max_key_size and max_value_size. */
#define KVS_KEY_SIZE_MIN	512
#define KVS_KEY_SIZE_MAX	4096
#define KVS_VALUE_SIZE_MIN	65536
#define KVS_VALUE_SIZE_MAX	(16U << 20)

int kvs_ioc_copy_in(void *dst, size_t ksize, size_t minsize,
		    const void __user *uarg, u32 *usizep);
int kvs_ioc_copy_out(void __user *uarg, u32 usize, void *src, size_t ksize);
int kvs_copy_from_user_small(void *dst, const void __user *src, u32 len);
int kvs_copy_to_user_small(void __user *dst, const void *src, u32 len);

/**
 * kvs_ioc_fetch() - kvs_ioc_copy_in() for the commands on the hot path
 * @dst: kernel copy, @ksize bytes
 * @ksize: size of the struct this module knows, a constant multiple of 8
 * @minsize: size of the first published version of the struct
 * @uarg: user pointer; its first __u32 is the caller's struct size
 * @usizep: out: the caller's struct size
 *
 * The common case, a caller whose struct is exactly ours, is read in one
 * pass of 8-byte loads (user_read_access_begin(), unsafe_get_user()),
 * inline and unrolled, without copy_struct_from_user()'s calls; its size
 * field is the one fetch of the size that is trusted. Any other size, or a
 * fault, takes kvs_ioc_copy_in() and its rules, which fetch everything
 * again.
 *
 * Context: Process context; may sleep (page faults).
 * Return: as kvs_ioc_copy_in().
 */
static __always_inline int kvs_ioc_fetch(void *dst, size_t ksize,
					 size_t minsize,
					 const void __user *uarg, u32 *usizep)
{
	const u64 __user *src = uarg;
	size_t i;
	u64 w;

	BUILD_BUG_ON(ksize % sizeof(w));
	if (!user_read_access_begin(uarg, ksize))
		goto slow;
	for (i = 0; i < ksize / sizeof(w); i++) {
		unsafe_get_user(w, &src[i], fault);
		memcpy((u8 *)dst + i * sizeof(w), &w, sizeof(w));
	}
	user_read_access_end();
	if (*(u32 *)dst == ksize) {
		*usizep = ksize;
		return 0;
	}
	goto slow;
fault:
	user_read_access_end();
slow:
	return kvs_ioc_copy_in(dst, ksize, minsize, uarg, usizep);
}

struct inode;
struct file;
int kvs_proxy_open(struct inode *inode, struct file *file);
int kvs_proxy_release(struct inode *inode, struct file *file);
long kvs_proxy_ioctl(struct file *file, unsigned int nr, void __user *uarg);

/* The UAPI layout is ABI: any change of size or offset fails the build. */
static inline void kvs_uapi_build_checks(void)
{
	BUILD_BUG_ON(sizeof(struct kvs_ioc_version) != 64);
	BUILD_BUG_ON(sizeof(struct kvs_ioc_version) != KVS_IOC_VERSION_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kvs_ioc_version, features) != 8);
	BUILD_BUG_ON(offsetof(struct kvs_ioc_version, module_version) != 32);
	BUILD_BUG_ON(sizeof(struct kvs_ioc_table_params) != 48);
	BUILD_BUG_ON(sizeof(struct kvs_ioc_table_stats) != 32);
	BUILD_BUG_ON(sizeof(struct kvs_ioc_table) != KVS_IOC_TABLE_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kvs_ioc_table, params) != 80);
	BUILD_BUG_ON(sizeof(struct kvs_ioc_table_list) !=
		     KVS_IOC_TABLE_LIST_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kvs_ioc_table_list, after) != 32);
	BUILD_BUG_ON(sizeof(struct kvs_ioc_kv) != KVS_IOC_KV_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kvs_ioc_kv, key) != 80);
	BUILD_BUG_ON(offsetof(struct kvs_ioc_kv, version) != 112);
	BUILD_BUG_ON(sizeof(struct kvs_ioc_scan_entry) != 16);
	BUILD_BUG_ON(sizeof(struct kvs_ioc_scan) != KVS_IOC_SCAN_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kvs_ioc_scan, buf) != 120);
	BUILD_BUG_ON(sizeof(struct kvs_ioc_txn) != KVS_IOC_TXN_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct kvs_ioc_batch_op) != 48);
	BUILD_BUG_ON(offsetof(struct kvs_ioc_batch_op, result) != 40);
	BUILD_BUG_ON(sizeof(struct kvs_ioc_batch) != KVS_IOC_BATCH_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct kvs_ioc_stats) != KVS_IOC_STATS_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct kvs_ioc_table_open) !=
		     KVS_IOC_TABLE_OPEN_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kvs_ioc_table_open, fd) != 80);
	BUILD_BUG_ON(sizeof(struct kvs_ioc_key) != KVS_IOC_KEY_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kvs_ioc_key, value_len) != 32);
	BUILD_BUG_ON(offsetof(struct kvs_ioc_key, version) != 40);
	BUILD_BUG_ON(sizeof(struct kvs_ioc_mget) != KVS_IOC_MGET_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kvs_ioc_mget, count) != 48);
}

#endif /* _KVS_INTERNAL_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvstore: declarations shared by the kernel glue files (not the engine).
 */
#ifndef _KVS_INTERNAL_H
#define _KVS_INTERNAL_H

#include <linux/build_bug.h>
#include <linux/types.h>

#include "../include/uapi/kvstore.h"

#define KVS_MODULE_VERSION	"0.1.0"

/* What this build of the module implements: see KVS_FEAT_* in the UAPI. */
#define KVS_FEATURES		(KVS_FEAT_VERSION)

int kvs_ioc_copy_in(void *dst, size_t ksize, size_t minsize,
		    const void __user *uarg, u32 *usizep);
int kvs_ioc_copy_out(void __user *uarg, u32 usize, void *src, size_t ksize);

/* The UAPI layout is ABI: any change of size or offset fails the build. */
static inline void kvs_uapi_build_checks(void)
{
	BUILD_BUG_ON(sizeof(struct kvs_ioc_version) != 64);
	BUILD_BUG_ON(sizeof(struct kvs_ioc_version) != KVS_IOC_VERSION_SIZE_VER0);
	BUILD_BUG_ON(offsetof(struct kvs_ioc_version, features) != 8);
	BUILD_BUG_ON(offsetof(struct kvs_ioc_version, module_version) != 32);
}

#endif /* _KVS_INTERNAL_H */

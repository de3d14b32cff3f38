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
#define KVS_ABI_MINOR		0

/*
 * Feature bits reported by KVS_IOC_VERSION; a caller tests a bit before it
 * relies on the matching commands. Bits are only ever added.
 */
#define KVS_FEAT_VERSION	(1ULL << 0)	/* KVS_IOC_VERSION and its limits */

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

#endif /* _UAPI_KVSTORE_H */

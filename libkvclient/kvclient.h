/* SPDX-License-Identifier: LGPL-2.1-or-later OR MIT */
/*
 * libkvclient: the client library of kvstore, over ioctl on /dev/kvstore.
 *
 * Conventions (as libbpf): every function returns 0 or a negative errno
 * and also leaves that errno in errno; options structs start with their
 * size (sz) so the library can grow them without breaking callers.
 *
 * Threads: a handle may be shared by threads for the calls marked
 * "thread-safe"; kvc_close() must not race any other call on its handle.
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

#ifdef __cplusplus
}
#endif

#endif /* KVCLIENT_H */

// SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
/*
 * libkvclient: a thin, honest wrapper over the /dev/kvstore ioctls.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "kvclient.h"
#include "../include/uapi/kvstore.h"

struct kvc_handle {
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

static int kvc_ioctl(struct kvc_handle *h, unsigned long cmd, void *arg)
{
	if (!h)
		return kvc_err(EINVAL);
	if (ioctl(h->fd, cmd, arg) < 0)
		return kvc_err(errno);
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

	if (!hp || (opts && opts->sz < sizeof(size_t)))
		return kvc_err(EINVAL);
	h = calloc(1, sizeof(*h));
	if (!h)
		return kvc_err(ENOMEM);
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
	*hp = h;
	return 0;
}

void kvc_close(struct kvc_handle *h)
{
	if (!h)
		return;
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
	switch (-err) {
	case EPROTO:
		return "the kvstore module speaks another ABI major version";
	default:
		return strerror(err < 0 ? -err : err);
	}
}

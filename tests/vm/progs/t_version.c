// SPDX-License-Identifier: GPL-2.0
/*
 * The KVS_IOC_VERSION ioctl and the ABI rules every command follows:
 * size handling, reserved fields, bad pointers, unknown commands.
 * Raw ioctls on purpose: the library never sends these malformed calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "tap.h"
#include "../../../include/uapi/kvstore.h"

static int fd;

/* ioctl returning 0 or -errno */
static int xioctl(unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) < 0 ? -errno : 0;
}

static void test_good(void)
{
	struct kvs_ioc_version v;
	int ret;

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	ret = xioctl(KVS_IOC_VERSION, &v);
	tap_ok(ret == 0, "version: succeeds (%d)", ret);
	tap_ok(v.size == 64 && v.abi_major == KVS_ABI_MAJOR &&
	       v.abi_minor == KVS_ABI_MINOR, "version: size %u, ABI %u.%u",
	       v.size, v.abi_major, v.abi_minor);
	tap_ok(v.features & KVS_FEAT_VERSION, "version: features %#llx",
	       (unsigned long long)v.features);
	tap_ok(v.max_key_size == 512 && v.max_value_size == 65536,
	       "version: default limits (key %u, value %u)", v.max_key_size,
	       v.max_value_size);
	tap_ok(v.module_version[0] &&
	       memchr(v.module_version, 0, sizeof(v.module_version)),
	       "version: module version '%.32s' is terminated", v.module_version);
	tap_ok(!v.flags && !v.reserved, "version: reserved output zeroed");
}

static void test_sizes(void)
{
	unsigned char buf[8192];
	struct kvs_ioc_version *v = (void *)buf;
	int ret;

	memset(buf, 0xa5, sizeof(buf));
	memset(v, 0, 64);
	v->size = 63;
	ret = xioctl(KVS_IOC_VERSION, v);
	tap_ok(ret == -EINVAL && v->abi_major == 0 && buf[64] == 0xa5,
	       "size below first version: -EINVAL, nothing written (%d)", ret);

	v->size = 0;
	tap_ok(xioctl(KVS_IOC_VERSION, v) == -EINVAL, "size 0: -EINVAL");

	memset(buf, 0, sizeof(buf));
	v->size = 4097;
	ret = xioctl(KVS_IOC_VERSION, v);
	tap_ok(ret == -E2BIG, "size over a page: -E2BIG (%d)", ret);

	memset(buf, 0, sizeof(buf));
	v->size = 128;
	ret = xioctl(KVS_IOC_VERSION, v);
	tap_ok(ret == 0 && v->abi_major == KVS_ABI_MAJOR && v->size == 64,
	       "longer struct with zero tail: accepted, size says 64 (%d)", ret);
	tap_ok(!memchr(buf + 64, 1, 4096 - 64) && buf[64] == 0,
	       "longer struct: bytes past the kernel's struct untouched");

	memset(buf, 0, sizeof(buf));
	v->size = 128;
	buf[100] = 1;
	ret = xioctl(KVS_IOC_VERSION, v);
	tap_ok(ret == -E2BIG && v->abi_major == 0,
	       "longer struct with non-zero tail: -E2BIG, nothing written (%d)", ret);

	memset(buf, 0, sizeof(buf));
	v->size = 4096;
	ret = xioctl(KVS_IOC_VERSION, v);
	tap_ok(ret == 0, "size exactly a page, zero tail: accepted (%d)", ret);
}

static void test_reserved(void)
{
	struct kvs_ioc_version v;
	int ret;

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	v.flags = 1;
	ret = xioctl(KVS_IOC_VERSION, &v);
	tap_ok(ret == -EINVAL && v.abi_major == 0, "unknown flag: -EINVAL (%d)", ret);

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	v.reserved = 0x80000000u;
	ret = xioctl(KVS_IOC_VERSION, &v);
	tap_ok(ret == -EINVAL && v.abi_major == 0, "non-zero reserved: -EINVAL (%d)", ret);
}

static void test_pointers(void)
{
	long page = sysconf(_SC_PAGESIZE);
	struct kvs_ioc_version *v;
	void *p;
	int ret;

	ret = xioctl(KVS_IOC_VERSION, NULL);
	tap_ok(ret == -EFAULT, "NULL pointer: -EFAULT (%d)", ret);

	p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(p, page);
	ret = xioctl(KVS_IOC_VERSION, p);
	tap_ok(ret == -EFAULT, "unmapped pointer: -EFAULT (%d)", ret);

	ret = xioctl(KVS_IOC_VERSION, (void *)0xffff888000000000ull);
	tap_ok(ret == -EFAULT, "kernel address: -EFAULT (%d)", ret);

	/* The struct straddles the end of a mapping: size readable, rest not. */
	p = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap((char *)p + page, page);
	v = (void *)((char *)p + page - 8);
	memset(v, 0, 8);
	v->size = 64;
	ret = xioctl(KVS_IOC_VERSION, v);
	tap_ok(ret == -EFAULT, "struct crossing into an unmapped page: -EFAULT (%d)", ret);

	/* Readable but not writable: the reply cannot be stored. */
	v = p;
	memset(v, 0, 64);
	v->size = 64;
	mprotect(p, page, PROT_READ);
	ret = xioctl(KVS_IOC_VERSION, v);
	tap_ok(ret == -EFAULT, "read-only struct: -EFAULT (%d)", ret);
	munmap(p, page);
}

static void test_commands(void)
{
	struct kvs_ioc_version v;
	int ret;

	memset(&v, 0, sizeof(v));
	v.size = sizeof(v);
	ret = xioctl(_IOWR(KVS_IOC_MAGIC, 0x7f, struct kvs_ioc_version), &v);
	tap_ok(ret == -ENOTTY, "unknown command number: -ENOTTY (%d)", ret);
	ret = xioctl(_IOWR(KVS_IOC_MAGIC + 1, 0x00, struct kvs_ioc_version), &v);
	tap_ok(ret == -ENOTTY, "foreign magic: -ENOTTY (%d)", ret);
	ret = xioctl(_IOR(KVS_IOC_MAGIC, 0x00, struct kvs_ioc_version), &v);
	tap_ok(ret == -ENOTTY, "wrong direction bits: -ENOTTY (%d)", ret);
	ret = xioctl(FIONREAD, &v);
	tap_ok(ret == -ENOTTY, "FIONREAD: -ENOTTY (%d)", ret);
	/* The size bits of the number do not matter: the struct says. */
	ret = xioctl(_IOWR(KVS_IOC_MAGIC, 0x00, char[128]), &v);
	tap_ok(ret == 0 && v.abi_major == KVS_ABI_MAJOR,
	       "other size bits, same number: dispatched by number (%d)", ret);
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/" KVS_DEVICE_NAME;
	struct stat st;

	if (!tap_ok(stat(path, &st) == 0 && S_ISCHR(st.st_mode),
		    "%s is a character device", path))
		return tap_done();
	/* The module's own 0600, or 0660 once the udev rule applied. */
	tap_ok((st.st_mode & 0777) == 0600 || (st.st_mode & 0777) == 0660,
	       "%s mode is 0600 or 0660 (%o)", path, st.st_mode & 0777);
	fd = open(path, O_RDWR);
	if (!tap_ok(fd >= 0, "open %s", path))
		return tap_done();

	test_good();
	test_sizes();
	test_reserved();
	test_pointers();
	test_commands();
	close(fd);
	return tap_done();
}

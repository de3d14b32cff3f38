// SPDX-License-Identifier: GPL-2.0
/*
 * Fault-injection sweep over loading kvstore.ko: fail the 1st, 2nd, ...
 * slab allocation of the load (/proc/thread-self/fail-nth with failslab)
 * until a load no longer reaches the n-th allocation. Every failed load
 * must leave nothing behind (no module, no device node), every successful
 * one must work and unload, and the kernel log must stay clean (the judge
 * checks that). Needs CONFIG_FAULT_INJECTION_DEBUG_FS and FAILSLAB: on
 * other kernels the test is skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "tap.h"

#define KO "/kvs/modules/kvstore.ko"

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n < 0 ? -errno : 0;
}

static int loaded(void)
{
	struct stat st;

	return stat("/sys/module/kvstore", &st) == 0;
}

int main(void)
{
	int nth, failures = 0, leftovers = 0, unloads = 0, stray = 0;
	char buf[32];

	if (access("/proc/thread-self/fail-nth", W_OK) ||
	    access("/sys/kernel/debug/failslab/ignore-gfp-wait", W_OK)) {
		tap_ok(1, "# SKIP kernel without fail-nth/failslab");
		return tap_done();
	}
	/* Sleeping allocations too, and no stack dump per injected failure. */
	write_str("/sys/kernel/debug/failslab/ignore-gfp-wait", "N");
	write_str("/sys/kernel/debug/failslab/verbose", "0");
	if (loaded() && syscall(SYS_delete_module, "kvstore", 0)) {
		tap_ok(0, "unload kvstore before the sweep: %s", strerror(errno));
		return tap_done();
	}

	/*
	 * The kernel's own allocation-failure reports (warn_alloc: "vmalloc
	 * error", "page allocation failure") are expected while faults are
	 * injected; the judge forgives them between these two markers, and
	 * nothing else.
	 */
	write_str("/dev/kmsg", "kvs-vm: fault injection begins\n");
	for (nth = 1; nth < 10000; nth++) {
		int fd = open(KO, O_RDONLY | O_CLOEXEC);
		int ret, left;

		if (fd < 0) {
			tap_ok(0, "open %s: %s", KO, strerror(errno));
			return tap_done();
		}
		snprintf(buf, sizeof(buf), "%d", nth);
		write_str("/proc/thread-self/fail-nth", buf);
		ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
		/* Reading back: 0 once the n-th allocation was failed. */
		left = 0;
		{
			int f = open("/proc/thread-self/fail-nth", O_RDWR);

			if (f >= 0) {
				ssize_t n = read(f, buf, sizeof(buf) - 1);

				buf[n > 0 ? n : 0] = '\0';
				sscanf(buf, "%d", &left);
				close(f);
			}
		}
		write_str("/proc/thread-self/fail-nth", "0");
		close(fd);

		if (ret) {
			failures++;
			if (loaded() || access("/dev/kvstore", F_OK) == 0) {
				leftovers++;
				tap_diag("fail-nth %d: load failed (%d) but left state behind", nth, ret);
			}
		} else {
			if (access("/dev/kvstore", F_OK) != 0)
				stray++;
			if (syscall(SYS_delete_module, "kvstore", 0) == 0)
				unloads++;
			else
				stray++;
		}
		if (left > 0)
			break;	/* the load no longer reaches the n-th allocation */
	}
	write_str("/dev/kmsg", "kvs-vm: fault injection ends\n");
	tap_diag("%d allocation points, %d loads failed, %d succeeded", nth - 1,
		 failures, unloads);
	tap_ok(nth > 1 && nth < 10000, "sweep ended after %d allocation points", nth - 1);
	tap_ok(failures > 0, "injected failures made loads fail (%d)", failures);
	tap_ok(!leftovers, "no failed load left a module or device behind (%d)", leftovers);
	tap_ok(!stray, "every successful load had its device and unloaded (%d)", stray);
	/* The suite expects the module loaded when a test ends. */
	{
		int fd = open(KO, O_RDONLY | O_CLOEXEC);

		tap_ok(fd >= 0 && syscall(SYS_finit_module, fd, "", 0) == 0,
		       "reload after the sweep");
		if (fd >= 0)
			close(fd);
	}
	return tap_done();
}

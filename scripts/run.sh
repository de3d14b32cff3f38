#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make run": install what is missing, build, load kvstore and use it.
# On a host that can load modules that is plain insmod here; where it
# cannot (no module support, not root, no headers for the running kernel)
# the same happens inside a qemu VM booting KERNEL (default 6.1).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
"$top/scripts/deps.sh" --check 2>/dev/null || "$top/scripts/deps.sh"

can_insmod() {
	[ "$(id -u)" = 0 ] && [ -r /proc/modules ] &&
		[ -f "/lib/modules/$(uname -r)/build/Makefile" ]
}

if [ -z "${KERNEL:-}" ] && can_insmod; then
	make -s all
	src=$(scripts/build-kmod.sh "/lib/modules/$(uname -r)/build")
	if grep -q '^kvstore ' /proc/modules; then
		rmmod kvstore
	fi
	set -x
	insmod "$src/kmod/kvstore.ko"
	ls -l /dev/kvstore
	build/user/kvctl version
	dmesg | grep kvstore: | tail -n 3
	exit 0
fi
echo "run: this host cannot load modules here; using a VM (kernel ${KERNEL:-6.1})" >&2
make -s user
exec tests/vm/run.sh --kernel "${KERNEL:-6.1}" --run

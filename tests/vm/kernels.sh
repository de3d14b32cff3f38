#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The kernel matrix: resolve a kernel name to the image to boot and the
# build directory to compile modules against.
#
#   tests/vm/kernels.sh NAME   prints "VMLINUZ KDIR"
#   tests/vm/kernels.sh --list prints the names
#
# Names: 6.1 (default; Debian 12), 6.1-rt, 6.12 and 6.12-rt (bookworm-
# backports), debug (built from linux-source-6.1 by scripts/debug-kernel.sh
# and cached). A path to a directory holding "vmlinuz" and "build/" (or
# "bzImage" and "build/") is accepted too: that is how to add a kernel.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)

newest() {
	# newest /boot/vmlinuz-<major.minor>* of one flavour with its headers
	local series=$1 flavour=$2 v rel
	for v in $(ls /boot/vmlinuz-"$series"[.-]* 2>/dev/null | sort -rV); do
		rel=${v#/boot/vmlinuz-}
		case "$rel" in
		*-"$flavour") ;;
		*) continue ;;
		esac
		[ "$flavour" = amd64 ] && [ -z "${rel##*-rt-amd64}" ] && continue
		if [ -d "/usr/src/linux-headers-$rel" ]; then
			echo "$v /usr/src/linux-headers-$rel"
			return 0
		fi
	done
	echo "kernels: no installed $series $flavour kernel with headers; run 'make deps'" >&2
	return 1
}

case "${1:?usage: kernels.sh NAME|--list}" in
--list)	echo "6.1 6.1-rt 6.12 6.12-rt debug" ;;
6.1)	newest 6.1 amd64 ;;
6.1-rt)	newest 6.1 rt-amd64 ;;
6.12)	newest 6.12 amd64 ;;
6.12-rt) newest 6.12 rt-amd64 ;;
debug)
	d=$("$top/scripts/debug-kernel.sh")
	echo "$d/bzImage $d/build"
	;;
*)
	d=$1
	for img in "$d/vmlinuz" "$d/bzImage"; do
		if [ -f "$img" ] && [ -d "$d/build" ]; then
			echo "$img $d/build"
			exit 0
		fi
	done
	echo "kernels: unknown kernel '$1' (names: 6.1 6.1-rt 6.12 6.12-rt debug, or a dir with vmlinuz and build/)" >&2
	exit 1
	;;
esac

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build kvstore's modules (kvstore.ko and the test-only modules) for one
# kernel, in a copy of the sources of its own so that modules for several
# kernels live side by side:
#
#   scripts/build-kmod.sh KDIR [OUTDIR]
#
# OUTDIR defaults to build/<kernel release>. Prints OUTDIR on stdout.
# W=1 is on and any compiler warning fails the build.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
kdir=${1:?usage: build-kmod.sh KDIR [OUTDIR]}
[ -f "$kdir/Makefile" ] || { echo "build-kmod: $kdir is not a kernel build directory" >&2; exit 1; }
# UTS_RELEASE is what the module's vermagic and the booted kernel say.
krel=$(sed -n 's/^#define UTS_RELEASE "\(.*\)"$/\1/p' "$kdir/include/generated/utsrelease.h")
[ -n "$krel" ] || { echo "build-kmod: no UTS_RELEASE in $kdir" >&2; exit 1; }
out=${2:-$top/build/$krel}
mkdir -p "$out"
# One build per output directory at a time (parallel runs share it).
exec 9>"$out.lock"
flock 9
# Only what kbuild needs; --delete keeps removed sources from lingering.
rsync -a --delete --exclude='*.o' --exclude='*.ko' --exclude='*.mod*' \
	--exclude='.*.cmd' --exclude='*.symvers' --exclude='*.order' \
	--include='/Kbuild' --include='/kmod/***' --include='/include/***' \
	--include='/tests/' --include='/tests/kmod/***' --include='/tests/common/***' \
	--exclude='*' "$top/" "$out/src/" >/dev/null
log=$out/build.log
if ! make -C "$kdir" M="$out/src" W=1 ${KVS_MAKEFLAGS:-} modules >"$log" 2>&1; then
	cat "$log" >&2
	echo "build-kmod: build for $krel failed" >&2
	exit 1
fi
if grep -E 'warning:|error:' "$log" >&2; then
	echo "build-kmod: build for $krel has warnings (W=1); see $log" >&2
	exit 1
fi
echo "$out/src"

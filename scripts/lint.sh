#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Kernel-style lint of the kernel code: checkpatch.pl --strict, sparse,
# W=1 builds against the 6.1 and 6.12 headers, kernel-doc. checkpatch.pl
# and kernel-doc come from Debian's linux-source-6.1, extracted once into
# the cache. Ends with "lint: N passed, N failed".
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
cache=${KVS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvstore}
tools=$cache/lint-tools
tarball=/usr/src/linux-source-6.1.tar.xz

passed=0 failed=0
result() {
	if [ "$1" = 0 ]; then
		passed=$((passed + 1)); echo "ok - $2"
	else
		failed=$((failed + 1)); echo "not ok - $2"
	fi
}

if [ ! -x "$tools/scripts/checkpatch.pl" ]; then
	[ -f "$tarball" ] || { echo "lint: $tarball missing; run 'make deps'" >&2; exit 1; }
	rm -rf "$tools.tmp" && mkdir -p "$tools.tmp"
	tar -xJf "$tarball" -C "$tools.tmp" --strip-components=1 \
		linux-source-6.1/scripts/checkpatch.pl linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch linux-source-6.1/scripts/kernel-doc
	rm -rf "$tools" && mv "$tools.tmp" "$tools"
fi

# Kernel code: the module, its headers, the kernel test modules and the
# test bodies they share with user space.
files=$(git ls-files --cached --others --exclude-standard -- \
	'kmod/*.c' 'kmod/*.h' 'include/*.h' 'tests/kmod/*.c' 'tests/kmod/*.h' \
	'tests/common/*.c' 'tests/common/*.h' | sort)

for f in $files; do
	# The user-space home of the platform layer is not kernel code.
	case "$f" in *_user.[ch]) continue ;; esac
	ignore=FILE_PATH_CHANGES,SPDX_LICENSE_TAG
	# The platform layer's opaque lock and atomic types mirror the
	# kernel's own spinlock_t and atomic64_t: typedefs on purpose.
	case "$f" in kmod/core/kvs_platform_kernel.h) ignore=$ignore,NEW_TYPEDEFS ;; esac
	o=$("$tools/scripts/checkpatch.pl" --no-tree --strict --terse --show-types \
		--ignore "$ignore" -f "$f" 2>&1 | grep -E ':[0-9]+: (ERROR|WARNING|CHECK):' || true)
	[ -z "$o" ] || echo "$o" | sed 's/^/#   /'
	result "$([ -z "$o" ] && echo 0 || echo 1)" "checkpatch --strict $f"
done

for f in $files; do
	case "$f" in *.c|*.h) ;; *) continue ;; esac
	o=$(perl "$tools/scripts/kernel-doc" -none -v "$f" 2>&1 | grep -v ": info: " || true)
	[ -z "$o" ] || echo "$o" | sed 's/^/#   /'
	result "$([ -z "$o" ] && echo 0 || echo 1)" "kernel-doc $f"
done

k61=$(tests/vm/kernels.sh 6.1 | cut -d' ' -f2)
k612=$(tests/vm/kernels.sh 6.12 | cut -d' ' -f2)
for k in "$k61" "$k612"; do
	rc=0
	o=$(scripts/build-kmod.sh "$k" "$top/build/lint/w1-$(basename "$k")" 2>&1 >/dev/null) || rc=$?
	[ -z "$o" ] || echo "$o" | tail -n 20 | sed 's/^/#   /'
	result $rc "W=1 build without warnings against $(basename "$k")"
done

rc=0
o=$(KVS_MAKEFLAGS="C=2 CHECK=sparse" scripts/build-kmod.sh "$k61" "$top/build/lint/sparse" 2>&1 >/dev/null) || rc=$?
[ -z "$o" ] || echo "$o" | tail -n 20 | sed 's/^/#   /'
result $rc "sparse (make C=2) without warnings against $(basename "$k61")"

echo "lint: $passed passed, $failed failed"
[ "$failed" = 0 ]

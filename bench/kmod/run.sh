#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build kvstore and kvs_bench.ko for one kernel of the VM matrix, boot it
# under qemu (TCG) and print kvs_bench's report (README.md):
#
#   bench/kmod/run.sh [--kernel NAME] [--mem SIZE] [--timeout SECS] [PARAM=VALUE...]
#
# --kernel   6.1 (default), 6.1-rt, 6.12, 6.12-rt, debug, or a directory
#            (tests/vm/kernels.sh)
# --mem      the VM's memory (default 2G; the test suite's VMs keep 1G)
# PARAM=VALUE  kvs_bench.ko parameters: entries= run_ms= reps= threads=
#            ordered=
#
# Logs stay in build/vm/<kernel>-bench-kmod/: console.log (kernel log),
# results.tap (the report). The run fails only if a module does not load
# or unload, a read or write fails, or the kernel log holds a report
# (tests/vm/judge.sh); never on a ratio.
set -eu
bench=bench-kmod
guest=$(cd "$(dirname "$0")" && pwd)/guest.sh
. "$(dirname "$0")/../common/vm.sh"
bench_args "$@"
top=$bench_top

# kvstore.ko for this kernel (scripts/build-kmod.sh, shared with the tests).
src=$("$top/scripts/build-kmod.sh" "$kdir")
krel=$(modinfo -F vermagic "$src/kmod/kvstore.ko" | cut -d' ' -f1)

# kvs_bench.ko, in a copy of its own, against that kvstore's symbols.
bdir=$top/build/bench-kmod/$krel
mkdir -p "$bdir"
exec 9>"$bdir.lock"
flock 9
# The .ko and the symbols it exports must match (other runs may rebuild).
(flock 8 && cp "$src/kmod/kvstore.ko" "$src/Module.symvers" "$bdir/") 8>"$(dirname "$src").lock"
mkdir -p "$bdir/src/bench/kmod" "$bdir/src/include/linux"
cp "$top/bench/kmod/Kbuild" "$top/bench/kmod/kvs_bench.c" "$bdir/src/bench/kmod/"
cp "$top/include/linux/kvstore.h" "$bdir/src/include/linux/"
log=$bdir/build.log
if ! make -C "$kdir" M="$bdir/src/bench/kmod" KBUILD_EXTRA_SYMBOLS="$bdir/Module.symvers" \
	W=1 modules >"$log" 2>&1; then
	cat "$log" >&2
	echo "bench-kmod: building kvs_bench.ko for $krel failed" >&2
	exit 1
fi
if grep -E 'warning:|error:' "$log" >&2; then
	echo "bench-kmod: kvs_bench.ko for $krel has warnings (W=1); see $log" >&2
	exit 1
fi
if grep -qw kvs_txn_commit "$bdir/Module.symvers"; then
	echo "bench-kmod: kvstore exports the transaction API: the 4-key transaction runs too" >&2
else
	echo "bench-kmod: kvstore exports no kvs_txn_commit yet: the transaction half is left out" >&2
fi

# --- initramfs and boot (bench/common/vm.sh) ------------------------------
bench_initramfs
cp "$bdir/kvstore.ko" "$bdir/src/bench/kmod/kvs_bench.ko" "$root/kvs/modules/"
bench_boot kvs_bench.ko

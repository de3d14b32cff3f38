#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build kvstore for one kernel of the VM matrix and kvs_ioctl_bench (a
# static user-space program), boot the kernel under qemu (TCG) and print
# the benchmark's report (README.md):
#
#   bench/ioctl/run.sh [--kernel NAME] [--mem SIZE] [--cpu MODEL] [--icount]
#                      [--timeout SECS] [PARAM=VALUE...]
#
# --kernel   6.1 (default), 6.1-rt, 6.12, 6.12-rt, debug, or a directory
#            (tests/vm/kernels.sh)
# --mem      the VM's memory (default 2G; the test suite's VMs keep 1G)
# --cpu      qemu's -cpu (default max, as the harness); e.g. max,-erms,-fsrm
#            to see what the kernel's "rep movsb" copies cost under TCG
# --icount   qemu's -icount shift=0: the guest's clocks count instructions
#            (1 ns each), not host time, so a busy host adds no noise; one
#            vCPU (an SMP guest does not bring its second CPU up so)
# PARAM=VALUE  kvs_ioctl_bench parameters: entries= run_ms= reps= threads=
#
# Logs stay in build/vm/<kernel>-bench-ioctl/: console.log (kernel log),
# results.tap (the report). The run fails only if the module does not load
# or unload, a read fails or returns a wrong value, or the kernel log holds
# a report (tests/vm/judge.sh); never on a ratio.
set -eu
bench=bench-ioctl
guest=$(cd "$(dirname "$0")" && pwd)/guest.sh
. "$(dirname "$0")/../common/vm.sh"
bench_args "$@"
top=$bench_top
# kvstore.ko for this kernel (scripts/build-kmod.sh, shared with the tests).
src=$("$top/scripts/build-kmod.sh" "$kdir")

# The benchmark: static, for the initramfs; no library but libc.
bdir=$top/build/bench-ioctl
mkdir -p "$bdir"
exec 9>"$bdir.lock"
flock 9
${CC:-gcc} -static -O2 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -pthread \
	-I"$top/include" -o "$bdir/kvs_ioctl_bench" "$top/bench/ioctl/kvs_ioctl_bench.c"

# --- initramfs and boot (bench/common/vm.sh) ------------------------------
bench_initramfs
install -m 0755 "$bdir/kvs_ioctl_bench" "$root/kvs/bin/"
cp "$src/kmod/kvstore.ko" "$root/kvs/modules/"
bench_boot kvs_ioctl_bench

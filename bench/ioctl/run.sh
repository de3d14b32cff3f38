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
top=$(cd "$(dirname "$0")/../.." && pwd)
kernel=6.1
mem=2G
cpu=max
icount=()
smp=2
timeout=
params=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift ;;
	--mem) mem=$2; shift ;;
	--cpu) cpu=$2; shift ;;
	--icount) icount=(-icount "shift=0,sleep=on"); smp=1 ;;
	--timeout) timeout=$2; shift ;;
	*=*) params+=("$1") ;;
	*) echo "bench-ioctl: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done

read -r vmlinuz kdir <<<"$("$top/tests/vm/kernels.sh" "$kernel")"
kname=$(basename "$kernel")

# kvstore.ko for this kernel (scripts/build-kmod.sh, shared with the tests).
src=$("$top/scripts/build-kmod.sh" "$kdir")

# The benchmark: static, for the initramfs; no library but libc.
bdir=$top/build/bench-ioctl
mkdir -p "$bdir"
exec 9>"$bdir.lock"
flock 9
${CC:-gcc} -static -O2 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -pthread \
	-I"$top/include" -o "$bdir/kvs_ioctl_bench" "$top/bench/ioctl/kvs_ioctl_bench.c"

# --- initramfs (the harness's /init, in "run" mode) ----------------------
out=$top/build/vm/$kname-bench-ioctl
mkdir -p "$top/build/vm"
exec 7>"$out.lock"
flock 7
rm -rf "$out"
root=$out/initramfs
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,root} "$root"/kvs/{bin,modules}
cp /bin/busybox "$root/bin/busybox"
install -m 0755 "$top/tests/vm/init" "$root/init"
install -m 0644 "$top/tests/vm/lib.sh" "$root/kvs/lib.sh"
install -m 0755 "$top/bench/ioctl/guest.sh" "$root/kvs/run.sh"
install -m 0755 "$bdir/kvs_ioctl_bench" "$root/kvs/bin/"
cp "$src/kmod/kvstore.ko" "$root/kvs/modules/"
echo "${params[*]}" > "$root/kvs/bench.params"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initramfs.gz"

# --- boot ---------------------------------------------------------------
cmdline="console=ttyS0 panic=-1 log_buf_len=8M printk.devkmsg=on kvs.mode=run kvs.bug=none"
cmdline="$cmdline rcupdate.rcu_cpu_stall_timeout=60 loglevel=7"
[ "$kernel" = debug ] && cmdline="$cmdline kasan_multi_shot"
if [ -z "$timeout" ]; then
	timeout=1800
	[ "$kernel" = debug ] && timeout=3600
fi
echo "bench-ioctl($kname): booting $(basename "$vmlinuz") with $mem, -cpu $cpu${icount[*]:+ ${icount[*]}}, kvs_ioctl_bench ${params[*]}; log in ${out#"$top"/}/console.log" >&2
load0=$(cut -d' ' -f1-3 /proc/loadavg)
busy=$(pgrep -c qemu-system || true)
start=$(date +%s)
set +e
timeout -k 10 "$timeout" qemu-system-x86_64 -accel tcg -cpu "$cpu" "${icount[@]}" -m "$mem" -smp "$smp" -nodefaults \
	-kernel "$vmlinuz" -initrd "$out/initramfs.gz" -append "$cmdline" \
	-no-reboot -display none \
	-serial file:"$out/console.log" -serial file:"$out/results.tap" </dev/null
rc=$?
set -e
echo "bench-ioctl($kname): guest ran $(( $(date +%s) - start )) s" >&2

# The report, then the harness's judgement of the logs.
echo "# host: $(nproc) CPUs, load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end; $busy other qemu running at the start"
tr -d '\r' < "$out/results.tap" | awk '/^#   / { print substr($0, 5); next } /^# / { print }'
status=0
"$top/tests/vm/judge.sh" --name "$kname-bench-ioctl" --mode run --qemu-rc "$rc" "$out" || status=$?
if ! grep -q '^# kvs-bench: done' "$out/results.clean"; then
	echo "bench-ioctl($kname): the guest did not finish (qemu exit $rc); see ${out#"$top"/}/console.log" >&2
	status=1
fi
exit $status

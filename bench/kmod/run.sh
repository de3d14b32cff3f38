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
top=$(cd "$(dirname "$0")/../.." && pwd)
kernel=6.1
mem=2G
timeout=
params=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift ;;
	--mem) mem=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	*=*) params+=("$1") ;;
	*) echo "bench-kmod: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done

read -r vmlinuz kdir <<<"$("$top/tests/vm/kernels.sh" "$kernel")"
kname=$(basename "$kernel")

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

# --- initramfs (the harness's /init, in "run" mode) ----------------------
out=$top/build/vm/$kname-bench-kmod
mkdir -p "$top/build/vm"
exec 7>"$out.lock"
flock 7
rm -rf "$out"
root=$out/initramfs
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,root} "$root"/kvs/{bin,modules}
cp /bin/busybox "$root/bin/busybox"
install -m 0755 "$top/tests/vm/init" "$root/init"
install -m 0644 "$top/tests/vm/lib.sh" "$root/kvs/lib.sh"
install -m 0755 "$top/bench/kmod/guest.sh" "$root/kvs/run.sh"
cp "$bdir/kvstore.ko" "$bdir/src/bench/kmod/kvs_bench.ko" "$root/kvs/modules/"
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
echo "bench-kmod($kname): booting $(basename "$vmlinuz") with $mem, kvs_bench ${params[*]}; log in ${out#"$top"/}/console.log" >&2
load0=$(cut -d' ' -f1-3 /proc/loadavg)
busy=$(pgrep -c qemu-system || true)
start=$(date +%s)
set +e
timeout -k 10 "$timeout" qemu-system-x86_64 -accel tcg -cpu max -m "$mem" -smp 2 -nodefaults \
	-kernel "$vmlinuz" -initrd "$out/initramfs.gz" -append "$cmdline" \
	-no-reboot -display none \
	-serial file:"$out/console.log" -serial file:"$out/results.tap" </dev/null
rc=$?
set -e
echo "bench-kmod($kname): guest ran $(( $(date +%s) - start )) s" >&2

# The report, then the harness's judgement of the logs.
echo "# host: $(nproc) CPUs, load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end; $busy other qemu running at the start"
tr -d '\r' < "$out/results.tap" | awk '/^#   / { print substr($0, 5); next } /^# / { print }'
status=0
"$top/tests/vm/judge.sh" --name "$kname-bench-kmod" --mode run --qemu-rc "$rc" "$out" || status=$?
if ! grep -q '^# kvs-bench: done' "$out/results.clean"; then
	echo "bench-kmod($kname): the guest did not finish (qemu exit $rc); see ${out#"$top"/}/console.log" >&2
	status=1
fi
exit $status

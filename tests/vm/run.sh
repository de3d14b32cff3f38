#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a kernel of the matrix under qemu (TCG) with kvstore and its tests in
# an initramfs, and judge the run.
#
#   tests/vm/run.sh [--kernel NAME] [--extra DIR] [--timeout SECS]
#                   [--shell | --run | --planted BUG]
#
# --kernel   6.1 (default), 6.1-rt, 6.12, 6.12-rt, debug, or a directory
#            (see tests/vm/kernels.sh)
# --extra    a directory of tests of your own: executables and scripts are
#            run like ours; *.c files are compiled statically first
# --shell    interactive shell on the console with the module loaded
# --run      run tests/vm/demo.sh with the module loaded (make run)
# --planted  expected failure: load the planted-bug module with bug=BUG and
#            pass only if the debug kernel reports it
#
# Logs stay in build/vm/<kernel>-<mode>/: console.log (kernel log, serial 0),
# results.tap (serial 1). Ends with "vm(<kernel>): N passed, N failed".
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
kernel=6.1
extra=
mode=test
bug=none
timeout=
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift ;;
	--extra) extra=$(cd "$2" && pwd); shift ;;
	--timeout) timeout=$2; shift ;;
	--shell) mode=shell ;;
	--run) mode=run ;;
	--planted) mode=planted; bug=$2; shift ;;
	*) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done

read -r vmlinuz kdir <<<"$("$top/tests/vm/kernels.sh" "$kernel")"
kname=$(basename "$kernel")
tag=$kname-$mode
[ "$mode" = planted ] && tag=$kname-planted-$bug
out=$top/build/vm/$tag
mkdir -p "$top/build/vm"
# Runs of the same kernel and mode take turns: they share the directory.
exec 8>"$out.lock"
flock 8
rm -rf "$out"
mkdir -p "$out"

# Modules for this kernel, static user programs.
src=$("$top/scripts/build-kmod.sh" "$kdir")
make -s -C "$top" vm-progs >/dev/null

# --- initramfs ----------------------------------------------------------
root=$out/initramfs
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,root} "$root"/kvs/{bin,modules,tests}
cp /bin/busybox "$root/bin/busybox"
install -m 0755 "$top/tests/vm/init" "$root/init"
install -m 0644 "$top/tests/vm/lib.sh" "$root/kvs/lib.sh"
install -m 0755 "$top/tests/vm/demo.sh" "$root/kvs/run.sh"
printf 'root:x:0:0:root:/root:/bin/sh\nkvsuser:x:1000:1000::/tmp:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\nkvsuser:x:1000:\n' > "$root/etc/group"
find "$src" -name '*.ko' -exec cp {} "$root/kvs/modules/" \;
# Also as installed modules, so modprobe and modinfo work by name.
krel=$(modinfo -F vermagic "$src/kmod/kvstore.ko" | cut -d' ' -f1)
mkdir -p "$root/lib/modules/$krel/extra"
cp "$root"/kvs/modules/*.ko "$root/lib/modules/$krel/extra/"
touch "$root/lib/modules/$krel/"{modules.order,modules.builtin,modules.builtin.modinfo}
depmod -b "$root" "$krel"
cp "$top/build/vm-progs/"* "$root/kvs/bin/"
for t in "$top"/tests/vm/tests/*; do
	install -m 0755 "$t" "$root/kvs/tests/"
done
for p in "$top"/build/vm-progs/t_*; do
	ln -s "/kvs/bin/$(basename "$p")" "$root/kvs/tests/30-$(basename "$p")"
done
if [ -n "$extra" ]; then
	for f in "$extra"/*; do
		b=$(basename "$f")
		case "$f" in
		*.c)
			gcc -static -O2 -Wall -Werror -D_GNU_SOURCE -I"$top/include" \
				-I"$top/tests/vm/progs" -I"$top/libkvclient" \
				-o "$root/kvs/tests/60-${b%.c}" "$f" "$top/libkvclient/kvclient.c"
			;;
		*.h) ;;
		*) [ -x "$f" ] && install -m 0755 "$f" "$root/kvs/tests/60-$b" ;;
		esac
	done
fi
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initramfs.gz"

# --- boot ---------------------------------------------------------------
cmdline="console=ttyS0 panic=-1 log_buf_len=8M printk.devkmsg=on kvs.mode=$mode kvs.bug=$bug"
cmdline="$cmdline rcupdate.rcu_cpu_stall_timeout=60"
case "$mode" in
shell|run) cmdline="$cmdline quiet" ;;
*) cmdline="$cmdline loglevel=7" ;;
esac
[ "$kernel" = debug ] && cmdline="$cmdline kasan_multi_shot"
mem=1G
[ "$kernel" = debug ] && mem=2G
# No 5-level paging (la57=off): a 6.1 kernel that boots with it enables
# interrupts before identify_boot_cpu(), which clears the boot CPU's feature
# bits and sets them again; a timer interrupt in that window sees
# pgtable_l5_enabled() false, and under KASAN every direct-map address it
# touches is a "wild-memory-access" report, without end (seen once in some
# hundred debug boots). Most hardware has no LA57 either.
qemu=(qemu-system-x86_64 -accel tcg -cpu max,la57=off -m "$mem" -smp 2 -nodefaults
      -kernel "$vmlinuz" -initrd "$out/initramfs.gz" -append "$cmdline"
      -no-reboot -display none)
if [ -z "$timeout" ]; then
	timeout=900
	[ "$kernel" = debug ] && timeout=1500
fi

echo "vm($kname): booting $(basename "$vmlinuz") ($mode), log in ${out#"$top"/}/console.log" >&2
start=$(date +%s)
if [ "$mode" = shell ]; then
	"${qemu[@]}" -serial mon:stdio -serial file:"$out/results.tap"
	exit 0
fi
set +e
if [ "$mode" = run ]; then
	timeout -k 10 "$timeout" "${qemu[@]}" -serial stdio -serial file:"$out/results.tap" \
		</dev/null | tee "$out/console.log"
	rc=${PIPESTATUS[0]}
else
	timeout -k 10 "$timeout" "${qemu[@]}" -serial file:"$out/console.log" \
		-serial file:"$out/results.tap" </dev/null
	rc=$?
fi
set -e
echo "vm($kname): guest ran $(( $(date +%s) - start )) s" >&2
name=$kname
[ "$mode" = test ] || name=$tag
exec "$top/tests/vm/judge.sh" --name "$name" --mode "$mode" --bug "$bug" --qemu-rc "$rc" "$out"

# SPDX-License-Identifier: GPL-2.0
#
# The in-VM benchmarks' shared half (sourced by bench/*/run.sh): argument
# parsing, an initramfs with the harness's /init in "run" mode, the boot
# under qemu (TCG), the report, and tests/vm/judge.sh's verdict.
#
#   bench=NAME; guest=PATH/guest.sh; . bench/common/vm.sh
#   bench_args "$@"        # --kernel --mem --cpu --icount --timeout P=V
#   bench_initramfs        # then put the payload into "$root"/kvs/...
#   bench_boot "what ran"  # boots, prints the report, exits with the verdict
#
# The run fails only if the guest does not finish, a check of the
# benchmark's own fails, or the kernel log holds a report; never on a ratio.

bench_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

bench_args() {
	kernel=6.1
	mem=2G
	cpu=max
	icount=()
	smp=2
	timeout=
	params=()
	qemu_extra=()	# more qemu arguments, set by the caller (bench/trace: -gdb)
	while [ $# -gt 0 ]; do
		case "$1" in
		--kernel) kernel=$2; shift ;;
		--mem) mem=$2; shift ;;
		--cpu) cpu=$2; shift ;;
		--icount) icount=(-icount "shift=0,sleep=on"); smp=1 ;;
		--timeout) timeout=$2; shift ;;
		*=*) params+=("$1") ;;
		*) echo "$bench: unknown argument '$1'" >&2; exit 2 ;;
		esac
		shift
	done
	read -r vmlinuz kdir <<<"$("$bench_top/tests/vm/kernels.sh" "$kernel")"
	kname=$(basename "$kernel")
	out=$bench_top/build/vm/$kname-$bench
}

bench_initramfs() {
	mkdir -p "$bench_top/build/vm"
	exec 7>"$out.lock"
	flock 7
	rm -rf "$out"
	root=$out/initramfs
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,root} "$root"/kvs/{bin,modules}
	cp /bin/busybox "$root/bin/busybox"
	install -m 0755 "$bench_top/tests/vm/init" "$root/init"
	install -m 0644 "$bench_top/tests/vm/lib.sh" "$root/kvs/lib.sh"
	install -m 0755 "$guest" "$root/kvs/run.sh"
	echo "${params[*]}" > "$root/kvs/bench.params"
}

bench_boot() {
	local cmdline load0 busy start rc status=0

	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out/initramfs.gz"
	cmdline="console=ttyS0 panic=-1 log_buf_len=8M printk.devkmsg=on kvs.mode=run kvs.bug=none"
	cmdline="$cmdline rcupdate.rcu_cpu_stall_timeout=60 loglevel=7"
	[ "$kernel" = debug ] && cmdline="$cmdline kasan_multi_shot"
	if [ -z "$timeout" ]; then
		timeout=1800
		[ "$kernel" = debug ] && timeout=3600
	fi
	echo "$bench($kname): booting $(basename "$vmlinuz") with $mem, -cpu $cpu${icount[*]:+ ${icount[*]}}, $1 ${params[*]}; log in ${out#"$bench_top"/}/console.log" >&2
	load0=$(cut -d' ' -f1-3 /proc/loadavg)
	busy=$(pgrep -c qemu-system || true)
	start=$(date +%s)
	set +e
	timeout -k 10 "$timeout" qemu-system-x86_64 -accel tcg -cpu "$cpu" "${icount[@]}" -m "$mem" -smp "$smp" -nodefaults \
		-kernel "$vmlinuz" -initrd "$out/initramfs.gz" -append "$cmdline" \
		-no-reboot -display none \
		-serial file:"$out/console.log" -serial file:"$out/results.tap" \
		"${qemu_extra[@]}" </dev/null
	rc=$?
	set -e
	echo "$bench($kname): guest ran $(( $(date +%s) - start )) s" >&2

	# The report, then the harness's judgement of the logs.
	echo "# host: $(nproc) CPUs, load average $load0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end; $busy other qemu running at the start"
	tr -d '\r' < "$out/results.tap" | awk '/^#   / { print substr($0, 5); next } /^# / { print }'
	"$bench_top/tests/vm/judge.sh" --name "$kname-$bench" --mode run --qemu-rc "$rc" "$out" || status=$?
	if ! grep -q '^# kvs-bench: done' "$out/results.clean"; then
		echo "$bench($kname): the guest did not finish (qemu exit $rc); see ${out#"$bench_top"/}/console.log" >&2
		status=1
	fi
	exit $status
}

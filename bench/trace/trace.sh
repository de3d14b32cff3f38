#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# An exact per-function instruction profile of ONE system call of each op,
# in a qemu (TCG) VM, by single-stepping the guest kernel with gdb through
# qemu's gdbstub (README.md):
#
#   bench/trace/trace.sh [--kernel NAME] [--listing] [--tcg] [--cpu MODEL]
#                        [--entries N] [--warmup N] [--timeout SECS] [OP...]
#
# OP: h_get h_get_absent h_mget64 h_mget1 bpf_lookup getppid (default: all
# six, in that order, in one boot).
# --kernel   as bench/ioctl/run.sh (tests/vm/kernels.sh); default 6.1
# --listing  also print, per op, each instruction of the kvstore functions
#            that ran ("count symbol+offset  instruction")
# --tcg      2 vCPUs without -icount (default: -icount shift=0, 1 vCPU,
#            as bench-ioctl --icount)
# --cpu      qemu's -cpu (default max); e.g. max,-erms,-fsrm
# --entries  keys in the table and the map (default 1000)
# --warmup   calls of each op before the traced one (default 300)
# --timeout  seconds for the whole boot (default 1200)
#
# Output: the tables on stdout; everything else under build/trace/<kernel>/:
# vm/ (console.log, results.tap), gdb.log, I-OP.trace (RIP RSP per
# instruction), I-OP.disas, OP.txt (the report), OP.listing (every
# instruction executed, by function), OP.seq (the trace, symbolised).
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/bench/trace
all_ops="h_get h_get_absent h_mget64 h_mget1 bpf_lookup getppid"

kernel=6.1 listing='' tcg='' cpu=max entries=1000 warmup=300 timeout=1200
ops=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift ;;
	--listing) listing=--listing ;;
	--tcg) tcg=1 ;;
	--cpu) cpu=$2; shift ;;
	--entries) entries=$2; shift ;;
	--warmup) warmup=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	-h|--help) sed -n '4,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "trace: unknown option '$1'" >&2; exit 2 ;;
	*)
		case " $all_ops " in
		*" $1 "*) ops+=("$1") ;;
		*) echo "trace: unknown op '$1' (ops: $all_ops)" >&2; exit 2 ;;
		esac
		;;
	esac
	shift
done
# shellcheck disable=SC2206
[ ${#ops[@]} -gt 0 ] || ops=($all_ops)

# --- the VM (bench/common/vm.sh) ------------------------------------------
# shellcheck disable=SC2034 # bench and guest are vm.sh's inputs
bench=trace guest=$here/guest.sh
# shellcheck source=/dev/null # (bench/common/vm.sh)
. "$top/bench/common/vm.sh"
vmargs=(--kernel "$kernel" --cpu "$cpu" --timeout "$timeout"
	entries="$entries" warmup="$warmup" wait_s="$timeout")
[ -n "$tcg" ] || vmargs+=(--icount)
bench_args "${vmargs[@]}"
# shellcheck disable=SC2154 # bench_args's outputs
: "${kname:?}" "${kdir:?}" "${vmlinuz:?}"
tdir=$top/build/trace/$kname
# vm.sh's logs go under build/trace/ too (it names them build/vm/...)
out=$tdir/vm
mkdir -p "$tdir"

src=$("$top/scripts/build-kmod.sh" "$kdir")
exec 9>"$top/build/trace/prog.lock"
flock 9
${CC:-gcc} -static -O2 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-I"$top/include" -o "$top/build/trace/kvs_trace_prog" "$here/kvs_trace_prog.c"

bench_initramfs		# locks $out until we exit: one trace of a kernel at a time
# shellcheck disable=SC2154 # bench_initramfs's output
: "${root:?}"
install -m 0755 "$top/build/trace/kvs_trace_prog" "$root/kvs/bin/"
cp "$src/kmod/kvstore.ko" "$root/kvs/modules/"
echo "${ops[*]}" > "$root/kvs/trace.ops"
rm -f "$tdir"/*.trace "$tdir"/*.disas "$tdir"/*.txt "$tdir"/*.listing \
	"$tdir"/*.seq "$tdir"/*.summary "$tdir"/gdb.log "$tdir"/sstep "$tdir"/kallsyms
# what was traced: the module's checksum and the tree it was built from
rev=$(cd "$top" && git rev-parse --short HEAD 2>/dev/null) || rev='?'
dirty=$(cd "$top" && git status --porcelain -- kmod include 2>/dev/null | wc -l)
info="# kvstore.ko md5 $(md5sum < "$root/kvs/modules/kvstore.ko" | cut -c1-12), built from $rev"
[ "$dirty" = 0 ] || info="$info + uncommitted changes in $dirty files of kmod/ and include/"
echo "$info" > "$tdir/build.info"

# qemu's gdbstub on a unix socket, and its pid (bench_boot appends
# qemu_extra to qemu's arguments).
sock=$tdir/gdb.sock
qemu_extra+=(-gdb "unix:$sock,server=on,wait=off" -pidfile "$tdir/qemu.pid")
rm -f "$sock" "$tdir/qemu.pid"

# Stop our qemu (its pid file, checked to be it) if we fail.
stop_qemu() {
	local pid
	pid=$(cat "$tdir/qemu.pid" 2>/dev/null) || return 0
	if grep -qF "$sock" "/proc/$pid/cmdline" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
	fi
}
fail() {
	echo "trace: $*" >&2
	stop_qemu
	wait "$bootpid" 2>/dev/null || true
	tr -d '\r' 2>/dev/null < "$out/results.tap" | grep '^not ok' >&2 || true
	tail -n 3 "$tdir/boot.log" >&2
	echo "trace: logs in ${tdir#"$top"/}/ (vm/console.log, vm/results.tap, boot.log, gdb.log)" >&2
	exit 1
}

bench_boot "kvs_trace_prog ${ops[*]}" > "$tdir/boot.log" 2>&1 &
bootpid=$!
trap stop_qemu EXIT
trap 'exit 130' INT TERM

# --- wait for the program, then gdb ----------------------------------------
results=$out/results.tap
start=$(date +%s)
until [ -f "$results" ] && tr -d '\r' < "$results" | grep -q '^TRACE-READY'; do
	if ! kill -0 "$bootpid" 2>/dev/null; then
		cat "$tdir/boot.log" >&2
		fail "the guest ended before kvs_trace_prog was ready"
	fi
	if [ $(( $(date +%s) - start )) -gt "$timeout" ]; then
		fail "kvs_trace_prog not ready after $timeout s"
	fi
	sleep 0.5
done
tr -d '\r' < "$results" | grep -E '^(ok |not ok |# (meltdown|spectre|cpu|cmdline|kallsyms))' >&2 || true
# the guest's text symbols: "ADDR NAME [MODULE]"
tr -d '\r' < "$results" | sed -n '/^KALLSYMS-BEGIN$/,/^KALLSYMS-END$/p' | sed '1d;$d' |
	base64 -d | gunzip > "$tdir/kallsyms" || fail "could not decode the guest's kallsyms"
entry=$(awk 'NF == 2 && $2 == "entry_SYSCALL_64" { print $1; exit }' "$tdir/kallsyms")
[ -n "$entry" ] || fail "no entry_SYSCALL_64 in the guest's kallsyms"
echo "trace($kname): guest ready after $(( $(date +%s) - start )) s; entry_SYSCALL_64 at 0x$entry; gdb attaches" >&2

# gdb's own messages (a line per stop) stay in gdb.log; ours are shown.
gdbrc=0
: > "$tdir/gdb.log"
TRACE_SOCK=$sock TRACE_ENTRY=$entry TRACE_OPS="${ops[*]}" TRACE_DIR=$tdir \
	timeout -k 5 "$timeout" gdb -nx -batch -x "$here/trace_gdb.py" > "$tdir/gdb.log" 2>&1 &
gdbpid=$!
tail -n +1 -f --pid="$gdbpid" "$tdir/gdb.log" | grep --line-buffered '^trace-gdb' >&2 || true
wait "$gdbpid" || gdbrc=$?
case "$gdbrc" in
0) ;;
124|137) fail "gdb did not finish in $timeout s (the breakpoint never hit?); see gdb.log" ;;
*) fail "gdb failed (exit $gdbrc): $(grep -m1 'FAILED' "$tdir/gdb.log" || tail -n1 "$tdir/gdb.log")" ;;
esac

bootrc=0
wait "$bootpid" || bootrc=$?
cat "$tdir/boot.log" >&2
[ "$bootrc" = 0 ] || fail "the VM run failed (see above)"

# --- the report ------------------------------------------------------------
echo "# kernel $(basename "$vmlinuz"), qemu -cpu $cpu$([ -n "$tcg" ] || echo ' -icount shift=0')"
cat "$tdir/build.info"
tr -d '\r' < "$results" | grep -E -m2 '^# (spectre_v2|cpu flags)' || true
echo
i=0
for op in "${ops[@]}"; do
	python3 "$here/report.py" $listing --kallsyms "$tdir/kallsyms" --results "$results" \
		--out "$tdir/$op" "$tdir/$i-$op.trace" | tee "$tdir/$op.txt"
	i=$((i + 1))
done
echo "summary: instructions from entry_SYSCALL_64 to the return to user space"
printf '%-14s %9s %12s %9s\n' op total "rep once" kvstore
for op in "${ops[@]}"; do
	read -r o total arch kvs < "$tdir/$op.summary"
	printf '%-14s %9d %12d %9d\n' "$o" "$total" "$arch" "$kvs"
done
if [ -f "$tdir/h_mget64.summary" ] && [ -f "$tdir/h_mget1.summary" ]; then
	read -r _ t64 _ k64 < "$tdir/h_mget64.summary"
	read -r _ t1 _ k1 < "$tdir/h_mget1.summary"
	echo "H_MGET: $(( (t64 - t1) / 63 )).$(( (t64 - t1) * 10 / 63 % 10 )) instructions a further key" \
		"($(( (k64 - k1) / 63 )) in kvstore), $(( t1 - (t64 - t1) / 63 )) a call"
fi

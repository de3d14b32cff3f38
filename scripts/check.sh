#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# "make check": every test, in order, each stage logged in build/check/:
#   lint, unit tests, VM suite on Debian 6.1, the debug kernel (built once
#   and cached), VM suite on it, and the planted-bug expected failures.
# "make check-all" (--all) adds the VM suite on 6.1-rt, 6.12 and 6.12-rt.
# Installs missing packages first. Ends with "check: N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
all=0
[ "${1:-}" = --all ] && all=1

"$top/scripts/deps.sh" --check 2>/dev/null || "$top/scripts/deps.sh" || exit 1

logs=$top/build/check
mkdir -p "$logs"
passed=0 failed=0 summary=
t0=$(date +%s)

# stage NAME CMD...: run CMD, show and log its output, and add its closing
# "N passed, N failed" line to the totals; a stage that fails without
# one counts as one failure.
stage() {
	local name=$1 log=$logs/$1.log s rc line p f
	shift
	s=$(date +%s)
	echo "=== $name: $*"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[A-Za-z0-9().:_-]*:? ?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	p=$(echo "$line" | sed -n 's/^\(.*[^0-9]\)\?\([0-9]\+\) passed, \([0-9]\+\) failed.*/\2/p')
	f=$(echo "$line" | sed -n 's/^\(.*[^0-9]\)\?\([0-9]\+\) passed, \([0-9]\+\) failed.*/\3/p')
	[ -n "$p" ] || { p=0; f=0; }
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		f=1
		echo "not ok - $name exited with status $rc"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	summary="$summary$(printf '%-28s %4d passed, %d failed, %4d s' "$name" "$p" "$f" $(( $(date +%s) - s )))\n"
}

# The debug kernel: built from linux-source-6.1 the first time, then
# taken from the cache.
debug_kernel() {
	local d
	if d=$(scripts/debug-kernel.sh); then
		echo "ok - debug kernel in $d"
		echo "debug-kernel: 1 passed, 0 failed"
	else
		echo "not ok - debug kernel build"
		echo "debug-kernel: 0 passed, 1 failed"
		return 1
	fi
}

stage lint scripts/lint.sh
stage unit make -s -C tests/unit check
stage vm-6.1 tests/vm/run.sh --kernel 6.1
stage debug-kernel debug_kernel
stage vm-debug tests/vm/run.sh --kernel debug
for bug in uaf sleep_in_atomic lock_inversion leak shift; do
	stage "planted-$bug" tests/vm/run.sh --kernel debug --planted "$bug"
done
if [ $all = 1 ]; then
	for k in 6.1-rt 6.12 6.12-rt; do
		stage "vm-$k" tests/vm/run.sh --kernel "$k"
	done
fi

echo "=== summary ($(( $(date +%s) - t0 )) s)"
printf "$summary"
echo "check: $passed passed, $failed failed"
[ "$failed" = 0 ]

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Judge one VM run from its logs:
#   judge.sh --name NAME --mode MODE [--bug BUG] [--qemu-rc RC] OUTDIR
#
# test mode: every TAP result counts; the run fails on any "not ok", on a
# guest that did not finish (timeout, crash), and on any kernel report in
# the console log, even when every test said ok.
# planted mode: one expected-failure test that passes only when the debug
# kernel reported the planted bug.
set -eu
name=vm mode=test bug=none qrc=0
while [ $# -gt 1 ]; do
	case "$1" in
	--name) name=$2 ;;
	--mode) mode=$2 ;;
	--bug) bug=$2 ;;
	--qemu-rc) qrc=$2 ;;
	*) break ;;
	esac
	shift 2
done
out=${1:?usage: judge.sh [options] OUTDIR}
console=$out/console.log
results=$out/results.tap
touch "$console" "$results"
tr -d '\r' < "$results" > "$out/results.clean"
tr -d '\r' < "$console" > "$out/console.clean"

# Kernel reports that fail a run. Each is a line the kernel prints only
# when something is wrong.
bad='WARNING:|BUG:|Oops|general protection fault|Kernel panic|KASAN|UBSAN'
bad="$bad"'|unreferenced object|suspected memory leak|possible recursive locking'
bad="$bad"'|inconsistent lock state|circular locking|sleeping function called from invalid context'
bad="$bad"'|scheduling while atomic|blocked for more than|detected stall|soft lockup|hard LOCKUP'
bad="$bad"'|Call Trace:|suspicious RCU usage|turning off the locking correctness validator'
bad="$bad"'|list_add corruption|list_del corruption|ODEBUG:|refcount_t:|double fault'

# Fault-injection tests make the kernel's own allocator report the
# failures it was told to produce (warn_alloc's stack dumps); between
# a test's "fault injection begins/ends" markers those dumps, and only
# those, are taken out before the log is judged.
awk '/kvs-vm: fault injection begins/ { fi = 1 }
     /kvs-vm: fault injection ends/ { fi = 0 }
     fi && /(vmalloc error:|page allocation failure:)/ { skip = 1; n++ }
     skip { if (/<\/TASK>/) skip = 0; next }
     { print }
     END { if (n) printf "# %d injected allocation-failure report(s) forgiven\n", n > "/dev/stderr" }' \
	"$out/console.clean" > "$out/console.judged"

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok - $*"; }
fail() { failed=$((failed + 1)); echo "not ok - $*"; }

case "$mode" in
planted)
	case "$bug" in
	uaf)		want='BUG: KASAN: [a-z-]*use-after-free' ;;
	sleep_in_atomic) want='BUG: (sleeping function called from invalid context|scheduling while atomic)' ;;
	lock_inversion)	want='WARNING: possible circular locking dependency detected' ;;
	leak)		want='unreferenced object' ;;
	shift)		want='UBSAN: shift-out-of-bounds' ;;
	*)		echo "judge: unknown planted bug '$bug'" >&2; exit 2 ;;
	esac
	# Both: the kernel reported this bug, and the judgement a test run
	# gets (below) would have failed the run for it.
	if ! line=$(grep -m1 -E "$want" "$out/console.clean"); then
		fail "planted $bug: no '$want' in the kernel log (see $console)"
	elif ! grep -qE "$bad" "$out/console.judged"; then
		fail "planted $bug: reported, but the test-run judge would not fail on it"
	else
		pass "planted $bug: the kernel reported it and a test run would fail: ${line#*] }"
	fi
	;;
*)
	grep -E '^(not )?ok ' "$out/results.clean" || true
	p=$(grep -c '^ok ' "$out/results.clean" || true)
	f=$(grep -c '^not ok ' "$out/results.clean" || true)
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
		fail "guest timed out (qemu killed); last console lines:"
		tail -n 20 "$out/console.clean" | sed 's/^/#   /'
	elif [ "$mode" = test ] && ! grep -q '^# kvs-vm: done' "$out/results.clean"; then
		fail "guest did not finish the suite (qemu exit $qrc); last console lines:"
		tail -n 20 "$out/console.clean" | sed 's/^/#   /'
	fi
	if grep -E "$bad" "$out/console.judged" > "$out/reports.txt"; then
		fail "kernel log holds $(wc -l < "$out/reports.txt") report line(s); first ones:"
		head -n 10 "$out/reports.txt" | sed 's/^/#   /'
	else
		pass "kernel log clean (no WARNING, BUG, Oops, KASAN, UBSAN, lockdep, kmemleak report)"
	fi
	;;
esac

echo "vm($name): $passed passed, $failed failed"
[ "$failed" = 0 ]

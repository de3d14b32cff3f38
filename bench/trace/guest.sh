#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Inside the VM (installed as /kvs/run.sh, run by /init in "run" mode, as
# root), for bench/trace/trace.sh: load kvstore, print what the host needs
# to name the addresses it will trace (the kernel's and the modules'
# symbols, from /proc/kallsyms), then run
# kvs_trace_prog on the ops in /kvs/trace.ops, which waits for the host's
# gdb before each traced call. Everything goes to the second serial port.
# shellcheck source=/dev/null # (tests/vm/lib.sh)
. /kvs/lib.sh
exec 3>/dev/ttyS1
exec >&3 2>&1

params=$(cat /kvs/bench.params 2>/dev/null)
ops=$(cat /kvs/trace.ops)

echo "TAP version 13"
echo "# kvs-bench: kernel $(uname -r), $(nproc) cpus"
if kvs_insmod; then
	echo "ok 1 - insmod kvstore.ko"
else
	echo "not ok 1 - insmod kvstore.ko"
fi
for f in meltdown spectre_v2; do
	echo "# $f: $(cat /sys/devices/system/cpu/vulnerabilities/$f 2>/dev/null)"
done
echo "# cpu flags: $(awk '/^flags/ { for (i = 3; i <= NF; i++) if ($i ~ /^(erms|fsrm|smap|smep|pti|rep_good)$/) printf "%s ", $i; exit }' /proc/cpuinfo)"
echo "# cmdline: $(cat /proc/cmdline)"

# The symbols, as the host cannot have them: Debian's System.map is a
# stub (the real one is in the -dbg package) and KASLR moves the kernel
# and the modules anyway. Every text symbol of /proc/kallsyms, compressed
# (~1.3 MB of base64); then the modules' extents and kvstore's sections,
# for addresses that no module symbol names.
start=$(date +%s)
echo "KALLSYMS-BEGIN"
awk '$2 ~ /^[tTwW]$/ { print $1, $3, $4 }' /proc/kallsyms | gzip -1 | base64
echo "KALLSYMS-END"
echo "# kallsyms sent in $(( $(date +%s) - start )) s"
echo "MODULES-BEGIN"
cat /proc/modules
for s in /sys/module/kvstore/sections/.text* /sys/module/kvstore/sections/.init.text \
	/sys/module/kvstore/sections/.exit.text; do
	[ -e "$s" ] && echo "section kvstore ${s##*/} $(cat "$s")"
done
echo "MODULES-END"

# shellcheck disable=SC2086
/kvs/bin/kvs_trace_prog $params $ops
rc=$?
if [ "$rc" = 0 ]; then
	echo "ok 2 - kvs_trace_prog exited 0"
else
	echo "not ok 2 - kvs_trace_prog exited $rc"
fi
if rmmod kvstore; then
	echo "ok 3 - rmmod kvstore"
else
	echo "not ok 3 - rmmod kvstore"
fi
echo "# kvs-bench: done"

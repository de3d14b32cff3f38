#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Inside the VM (installed as /kvs/run.sh, run by /init in "run" mode):
# load kvstore with room for the benchmark, run kvs_bench.ko (all its work
# happens at load), print its report as TAP comments and results on the
# second serial port, unload both.
. /kvs/lib.sh
exec 3>/dev/ttyS1
exec >&3 2>&1

params=$(cat /kvs/bench.params 2>/dev/null)
memtotal=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
# Three quarters of RAM for kvstore's tables (its default is a quarter).
maxmem=$((memtotal * 1024 * 3 / 4))

echo "TAP version 13"
echo "# kvs-bench: kernel $(uname -r), $(nproc) cpus, MemTotal $((memtotal / 1024)) MB"
if insmod /kvs/modules/kvstore.ko max_memory=$maxmem; then
	echo "ok 1 - insmod kvstore.ko max_memory=$maxmem"
else
	echo "not ok 1 - insmod kvstore.ko max_memory=$maxmem"
fi
marker="kvs-bench: kvs_bench begins $$"
kmsg_mark "$marker"
echo "# insmod kvs_bench.ko ${params:-(defaults)}"
start=$(date +%s)
# shellcheck disable=SC2086
if insmod /kvs/modules/kvs_bench.ko $params; then
	echo "ok 2 - insmod kvs_bench.ko ($(( $(date +%s) - start )) s)"
else
	echo "not ok 2 - insmod kvs_bench.ko"
fi
# The report: kvs_bench's lines of the kernel log, without the prefix.
# Its own "ok"/"not ok" lines are numbered on.
dmesg | sed 's/^\[[^]]*\] //' |
	awk -v m="$marker" 'found { print } index($0, m) { found = 1 }' |
	sed -n 's/^kvs_bench: //p' |
	awk 'BEGIN { n = 2 }
	     /^(not )?ok - / { sub(/ - /, " " ++n " - "); print; next }
	     /^#/ { print; next }
	     { print "#   " $0 }' > /tmp/report
cat /tmp/report
n=$(grep -cE '^(not )?ok ' /tmp/report)
n=$((n + 2))
if rmmod kvs_bench; then
	echo "ok $((n + 1)) - rmmod kvs_bench"
else
	echo "not ok $((n + 1)) - rmmod kvs_bench"
fi
if rmmod kvstore; then
	echo "ok $((n + 2)) - rmmod kvstore"
else
	echo "not ok $((n + 2)) - rmmod kvstore"
fi
kvs_kmemleak_scan
echo "1..$((n + 2))"
echo "# kvs-bench: done"

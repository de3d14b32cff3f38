#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Inside the VM (installed as /kvs/run.sh, run by /init in "run" mode, as
# root): load kvstore with room for the benchmark, run kvs_ioctl_bench,
# print its report as TAP comments and results on the second serial port,
# unload kvstore.
. /kvs/lib.sh
exec 3>/dev/ttyS1
exec >&3 2>&1

params=$(cat /kvs/bench.params 2>/dev/null)
memtotal=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
# A third of RAM for kvstore's tables (its default is a quarter); the BPF
# map and the program's keys need their own.
maxmem=$((memtotal * 1024 / 3))

echo "TAP version 13"
echo "# kvs-bench: kernel $(uname -r), $(nproc) cpus, MemTotal $((memtotal / 1024)) MB"
if kvs_insmod max_memory=$maxmem; then
	echo "ok 1 - insmod kvstore.ko max_memory=$maxmem"
else
	echo "not ok 1 - insmod kvstore.ko max_memory=$maxmem"
fi
echo "# kvs_ioctl_bench ${params:-(defaults)}"
start=$(date +%s)
# shellcheck disable=SC2086
/kvs/bin/kvs_ioctl_bench $params > /tmp/report 2>&1
rc=$?
# Its "ok"/"not ok" lines are numbered on; table lines become comments.
awk 'BEGIN { n = 1 }
     /^(not )?ok - / { sub(/ - /, " " ++n " - "); print; next }
     /^#/ { print; next }
     { print "#   " $0 }' /tmp/report
n=$(grep -cE '^(not )?ok ' /tmp/report)
n=$((n + 1))
if [ "$rc" = 0 ]; then
	echo "ok $((n + 1)) - kvs_ioctl_bench exited 0 ($(( $(date +%s) - start )) s)"
else
	echo "not ok $((n + 1)) - kvs_ioctl_bench exited $rc"
fi
if rmmod kvstore; then
	echo "ok $((n + 2)) - rmmod kvstore"
else
	echo "not ok $((n + 2)) - rmmod kvstore"
fi
kvs_kmemleak_scan
echo "1..$((n + 2))"
echo "# kvs-bench: done"

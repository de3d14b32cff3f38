#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The example module kmod/examples/kvs_nfblock.c: a netfilter hook that
# drops loopback traffic to destinations listed in a kvstore table, while
# another process keeps writing other keys of that table; its counters,
# reload with the table kept, unload between bursts of traffic, and modprobe
# pulling in kvstore. t_nfblock (tests/vm/progs) is the client, server and
# writer; kvctl sets and deletes the keys.
. /kvs/lib.sh
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
ko=/kvs/modules/kvs_nfblock.ko
stats=/sys/kernel/debug/kvs_nfblock/stats
P=7201		# a port to block
Q=7202		# a port never blocked
pids=

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	rmmod kvs_nfblock 2>/dev/null
}
trap cleanup EXIT

# What an administrator types: kvctl (tools/kvctl.c).
put() { kvctl put nfblock "$1" 1; }
del() { kvctl del nfblock "$1"; }
counter() { awk -v k="$1" '$1 == k { print $2 }' "$stats" 2>/dev/null; }

# expect WANT PROTO ADDR PORT TEXT: WANT 0 = answered, 1 = dropped (no
# answer within 1.5 s, or EPERM on send).
expect() {
	ms=5000
	[ "$1" = 1 ] && ms=1500
	out=$(t_nfblock connect "$2" "$3" "$4" "$ms")
	[ $? = "$1" ]; ok $? "$5 ($out)"
}

modinfo -F depends kvs_nfblock | grep -qx kvstore
ok $? "modinfo: kvs_nfblock depends on kvstore"

marker="kvs-vm: nfblock begins $$"
echo "$marker" > /dev/kmsg
insmod "$ko"; ok $? "insmod kvs_nfblock.ko"
dmesg | awk -v m="$marker" 'f; index($0, m) { f = 1 }' > /tmp/nfb.log
grep -q "kvs_nfblock: created table 'nfblock'" /tmp/nfb.log; ok $? "created table 'nfblock'"
[ "$(counter table)" = nfblock ]; ok $? "counters in $stats"
info=$(kvctl table info nfblock)
echo "$info" | grep -q '^mode: *0644$' && echo "$info" | grep -q '^owner: *uid 0, gid 0$'
ok $? "table is root's, mode 0644"

for port in $P $Q; do
	p=$(t_nfblock serve $port) && pids="$pids $p"
	ok $? "servers on port $port"
done

expect 0 tcp 127.0.0.1 $P "TCP 127.0.0.1:$P answers before anything is listed"
expect 0 tcp ::1 $P "TCP [::1]:$P answers before anything is listed"
expect 0 udp 127.0.0.1 $P "UDP 127.0.0.1:$P answers before anything is listed"

# From here on another process keeps writing other keys of the table.
t_nfblock writer nfblock > /tmp/nfb.writer 2>&1 &
wpid=$!
pids="$pids $wpid"

d0=$(counter dropped)
put tcp:$P; ok $? "put tcp:$P"
expect 1 tcp 127.0.0.1 $P "TCP 127.0.0.1:$P dropped (SYN never answered)"
expect 1 tcp ::1 $P "TCP [::1]:$P dropped"
expect 0 udp 127.0.0.1 $P "UDP 127.0.0.1:$P still answers"
expect 0 tcp 127.0.0.1 $Q "TCP 127.0.0.1:$Q still answers"
d1=$(counter dropped)
[ "$d1" -gt "$d0" ]; ok $? "drop counter went up ($d0 -> $d1)"
del tcp:$P; ok $? "del tcp:$P"
expect 0 tcp 127.0.0.1 $P "TCP 127.0.0.1:$P answers again"
expect 0 tcp ::1 $P "TCP [::1]:$P answers again"

put udp:$P; ok $? "put udp:$P"
expect 1 udp 127.0.0.1 $P "UDP 127.0.0.1:$P dropped"
expect 1 udp ::1 $P "UDP [::1]:$P dropped"
expect 0 tcp 127.0.0.1 $P "TCP 127.0.0.1:$P still answers"
del udp:$P; ok $? "del udp:$P"
expect 0 udp 127.0.0.1 $P "UDP 127.0.0.1:$P answers again"

put ip:127.0.0.2; ok $? "put ip:127.0.0.2"
expect 1 tcp 127.0.0.2 $Q "TCP 127.0.0.2:$Q dropped"
expect 0 tcp 127.0.0.1 $Q "TCP 127.0.0.1:$Q still answers"
del ip:127.0.0.2; ok $? "del ip:127.0.0.2"
expect 0 tcp 127.0.0.2 $Q "TCP 127.0.0.2:$Q answers again"

put ip:::1; ok $? "put ip:::1"
expect 1 tcp ::1 $Q "TCP [::1]:$Q dropped"
expect 1 udp ::1 $Q "UDP [::1]:$Q dropped"
expect 0 tcp 127.0.0.1 $Q "TCP 127.0.0.1:$Q still answers"
del ip:::1; ok $? "del ip:::1"
expect 0 tcp ::1 $Q "TCP [::1]:$Q answers again"

kill "$wpid"; wait "$wpid"; rc=$?
out=$(cat /tmp/nfb.writer)
[ $rc = 0 ] && echo "$out" | grep -q '^writer: [1-9][0-9]* writes, 0 errors'
ok $? "concurrent writer: no errors ($out)"

# The table and its keys outlive the module; a reload takes them up again.
put tcp:$P
rmmod kvs_nfblock; ok $? "rmmod kvs_nfblock"
expect 0 tcp 127.0.0.1 $P "TCP 127.0.0.1:$P answers without the module"
insmod "$ko"; ok $? "insmod again"
[ "$(dmesg | grep -c "kvs_nfblock: created table")" = 1 ]
ok $? "reload uses the existing table"
expect 1 tcp 127.0.0.1 $P "TCP 127.0.0.1:$P dropped again: the key was kept"

# Inbound only: loopback packets leave freely and are judged on arrival,
# at LOCAL_IN, in softirq context.
rmmod kvs_nfblock
insmod "$ko" outbound=0; ok $? "insmod outbound=0 (LOCAL_IN hooks only)"
d0=$(counter dropped)
expect 1 tcp 127.0.0.1 $P "TCP 127.0.0.1:$P dropped on arrival"
put udp:$P
expect 1 udp ::1 $P "UDP [::1]:$P dropped on arrival"
echo "$out" | grep -q "timed out"; ok $? "UDP send succeeded: the drop was on arrival"
expect 0 tcp 127.0.0.1 $Q "TCP 127.0.0.1:$Q still answers"
d1=$(counter dropped)
[ "$d1" -gt "$d0" ]; ok $? "drop counter went up ($d0 -> $d1)"
del udp:$P
rmmod kvs_nfblock
insmod "$ko" outbound=0 inbound=0 2>/dev/null; rc=$?
[ $rc != 0 ] && [ ! -d /sys/module/kvs_nfblock ]; ok $? "insmod outbound=0 inbound=0 refused"
insmod "$ko"; ok $? "insmod with both directions"
del tcp:$P

# Unload and reload while the table is written, between bursts of
# packets (half of them dropped). Not while packets flow: registering the
# first hook of a kind and unregistering the last flip netfilter's static
# keys, and qemu's TCG does not make that cross-CPU code patching
# coherent - a CPU inside ip_local_deliver() met a stale int3 (6.12,
# "Oops: int3"), which no module can cause or prevent.
put udp:$P
t_nfblock writer nfblock > /tmp/nfb.writer 2>&1 &
wpid=$!
pids="$pids $wpid"
fail=0
floods=0
i=0
while [ $i -lt 5 ]; do
	fpids=
	for a in 127.0.0.1 ::1; do
		t_nfblock flood $a $P > /tmp/nfb.flood.$a 2>&1 &
		fpids="$fpids $!"
	done
	usleep 500000
	for p in $fpids; do kill "$p"; wait "$p"; done
	grep -q "^flood: [1-9]" /tmp/nfb.flood.127.0.0.1 &&
		grep -q "^flood: [1-9]" /tmp/nfb.flood.::1 && floods=$((floods + 1))
	rmmod kvs_nfblock || fail=1
	usleep 300000
	insmod "$ko" || fail=1
	i=$((i + 1))
done
ok $fail "5 unload/load cycles between bursts of packets, the table written meanwhile"
[ $floods = 5 ]; ok $? "each burst ran ($floods of 5; last: $(cat /tmp/nfb.flood.127.0.0.1) / $(cat /tmp/nfb.flood.::1))"
rmmod kvs_nfblock; ok $? "rmmod while the table is written"
kill "$wpid"; wait "$wpid"
grep -q '^writer: [1-9][0-9]* writes, 0 errors' /tmp/nfb.writer
ok $? "writer during the cycles: $(cat /tmp/nfb.writer)"
del udp:$P

insmod "$ko" table=no/such 2>/dev/null; rc=$?
[ $rc != 0 ] && [ ! -d /sys/module/kvs_nfblock ]; ok $? "insmod with a bad table name fails cleanly"

# The dependency recorded by modpost: modprobe loads kvstore first, and
# kvstore cannot go while kvs_nfblock uses it.
rmmod kvstore; ok $? "rmmod kvstore"
modprobe kvs_nfblock && [ -d /sys/module/kvstore ]; ok $? "modprobe kvs_nfblock loads kvstore first"
kvs_devnode	# as udev would, for the tests after this one
rmmod kvstore 2>/dev/null; rc=$?
[ $rc != 0 ] && [ -d /sys/module/kvstore ]; ok $? "rmmod kvstore refused while kvs_nfblock is loaded"
rmmod kvs_nfblock; ok $? "rmmod kvs_nfblock"
[ -d /sys/module/kvstore ]; ok $? "kvstore stays loaded"
echo "1..$n"

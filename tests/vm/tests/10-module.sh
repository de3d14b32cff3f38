#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Module load, parameters, refcounting and unload.
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
ko=/kvs/modules/kvstore.ko
. /kvs/lib.sh

[ -c /dev/kvstore ]; ok $? "/dev/kvstore exists"
[ "$(cat /sys/module/kvstore/parameters/max_key_size)" = 512 ]; ok $? "max_key_size defaults to 512"
[ "$(cat /sys/module/kvstore/parameters/max_value_size)" = 65536 ]; ok $? "max_value_size defaults to 65536"
modinfo kvstore | grep -q '^parm:.*max_key_size:Largest key'; ok $? "modinfo describes max_key_size"
modinfo kvstore | grep -q '^parm:.*max_value_size:Largest value'; ok $? "modinfo describes max_value_size"
modinfo kvstore | grep -q '^license:.*GPL'; ok $? "modinfo: GPL license"

# An open file pins the module.
exec 4<>/dev/kvstore
rmmod kvstore 2>/dev/null; rc=$?
[ $rc != 0 ] && [ -c /dev/kvstore ]; ok $? "rmmod refused while /dev/kvstore is open"
exec 4>&-

rmmod kvstore; ok $? "rmmod after close"
[ ! -e /dev/kvstore ]; ok $? "/dev/kvstore gone after unload"

for bad in "max_key_size=100" "max_key_size=5000" "max_value_size=1" "max_value_size=4294967295"; do
	insmod "$ko" "$bad" 2>/dev/null; rc=$?
	[ $rc != 0 ] && [ ! -d /sys/module/kvstore ]; ok $? "insmod $bad refused"
	dmesg | tail -n 3 | grep -q "kvstore: ${bad%%=*}=.* is outside"; ok $? "insmod $bad names the parameter in the log"
done

insmod "$ko" max_key_size=1024 max_value_size=1048576; ok $? "insmod with max_key_size=1024 max_value_size=1048576"
[ "$(stat -c '%a %U %G' /dev/kvstore)" = "600 root root" ]; ok $? "the module makes /dev/kvstore 0600 root:root (udev widens it)"
kvctl version | grep -q 'max key size:   1024 bytes'; ok $? "version reports max_key_size 1024"
kvctl version | grep -q 'max value size: 1048576 bytes'; ok $? "version reports max_value_size 1048576"
rmmod kvstore; ok $? "rmmod"

# Load/unload cycles: nothing may leak or warn.
i=0; fail=0
while [ $i -lt 20 ]; do
	insmod "$ko" || fail=1
	kvctl version >/dev/null || fail=1
	rmmod kvstore || fail=1
	i=$((i + 1))
done
ok $fail "20 load/use/unload cycles"

kvs_insmod; ok $? "reload with defaults, /dev/kvstore root:kvstore 0660"
echo "1..$n"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What "make run" shows inside the VM: the module loaded, a table created,
# values put, read, scanned and changed in one transaction with kvctl, an
# unprivileged user kept out, and the module unloaded cleanly.
. /kvs/lib.sh
set -ex
kvs_insmod		# insmod, then the group and mode the udev rule gives
grep kvstore /proc/modules
ls -l /dev/kvstore
modinfo kvstore | grep -E '^(version|description|parm):'
kvctl version

kvctl table create --ordered --mode 0640 --max-value 4K accounts
kvctl table list
kvctl put --insert accounts alice 100
kvctl put --insert accounts bob 50
kvctl put --insert accounts carol 75
kvctl get accounts alice
kvctl --json get accounts bob
kvctl scan accounts
kvctl scan --prefix b accounts
kvctl scan --reverse --limit 2 accounts
# Move 30 from alice to bob in one transaction.
printf 'get accounts alice\nget accounts bob\nput accounts alice 70\nput accounts bob 80\n' |
	kvctl txn --retry 5
kvctl scan accounts
kvctl put --insert accounts alice 1 || echo "insert of a present key: exit $?"
kvctl get accounts dave || echo "absent key: exit $?"
su kvsother -s /bin/sh -c 'kvctl get accounts alice' || echo "kvsother: exit $?"
kvctl table info accounts
kvctl stats
kvctl table drop accounts
set +e
rmmod kvstore
dmesg | grep kvstore | tail -n 3

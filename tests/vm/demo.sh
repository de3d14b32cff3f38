#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What "make run" shows inside the VM: the module loaded and answering.
. /kvs/lib.sh
set -x
kvs_insmod		# insmod, then the group and mode the udev rule gives
grep kvstore /proc/modules
ls -l /dev/kvstore
modinfo kvstore | grep -E '^(version|description|parm):'
kvctl version
kvctl --json version
dmesg | grep kvstore
rmmod kvstore
dmesg | tail -n 1

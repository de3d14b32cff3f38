#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# What "make run" shows inside the VM: the module loaded and answering.
set -x
insmod /kvs/modules/kvstore.ko
grep kvstore /proc/modules
ls -l /dev/kvstore
modinfo kvstore | grep -E '^(version|description|parm):'
kvctl version
kvctl --json version
dmesg | grep kvstore
rmmod kvstore
dmesg | tail -n 1

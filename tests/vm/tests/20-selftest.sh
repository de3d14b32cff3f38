#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The in-kernel self-test module: it runs the shared test bodies at load
# time and prints KTAP to the kernel log; report those results as ours.
. /kvs/lib.sh
marker="kvs-vm: kvs_selftest begins $$"
kmsg_mark "$marker"
if ! insmod /kvs/modules/kvs_selftest.ko; then
	echo "not ok 1 - insmod kvs_selftest.ko"
	exit 1
fi
ktap_since "$marker"
rmmod kvs_selftest || { echo "not ok - rmmod kvs_selftest"; exit 1; }

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kvstore's exported API used by another module from hardirq, softirq and
# process context at once (tests/kmod/kvs_ctxtest.c); its KTAP report.
. /kvs/lib.sh
ktap_module kvs_ctxtest

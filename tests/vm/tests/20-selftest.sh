#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The in-kernel self-test module: it runs the shared test bodies at load
# time and prints KTAP to the kernel log; report those results as ours.
. /kvs/lib.sh
ktap_module kvs_selftest

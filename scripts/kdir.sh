#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print the default KDIR: the running kernel's build directory when it
# exists, else the newest installed generic (non-rt) Debian headers, else
# the newest headers of any flavour.
set -eu
run=/lib/modules/$(uname -r)/build
if [ -d "$run" ] && [ -f "$run/Makefile" ]; then
	echo "$run"
	exit 0
fi
k=$(ls -d /usr/src/linux-headers-* 2>/dev/null | grep -v -e -common -e -rt- |
	sort -V | tail -n 1)
[ -n "$k" ] || k=$(ls -d /usr/src/linux-headers-* 2>/dev/null | grep -v -e -common |
		   sort -V | tail -n 1)
[ -n "$k" ] || { echo "kdir: no kernel headers found; run 'make deps' or set KDIR" >&2; exit 1; }
echo "$k"

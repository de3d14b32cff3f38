#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install every Debian package that building and testing kvstore needs.
# Harmless when all is there: it only calls apt when a package is missing.
#
#   scripts/deps.sh           install what is missing (needs root or sudo)
#   scripts/deps.sh --check   exit 1 if anything is missing, install nothing
#
# The 6.12 kernels come from bookworm-backports of the mirror the machine
# already uses; a sources file of its own is added for it.
set -eu

PKGS="build-essential make gcc gcc-multilib bc flex bison kmod cpio gzip xz-utils zstd
      libelf-dev libssl-dev dwarves sparse perl python3 rsync
      qemu-system-x86 busybox-static
      liburcu-dev libcmocka-dev pkg-config fio
      linux-headers-amd64 linux-image-amd64
      linux-headers-rt-amd64 linux-image-rt-amd64
      linux-source-6.1"
BPO_PKGS="linux-image-amd64 linux-headers-amd64 linux-image-rt-amd64 linux-headers-rt-amd64"

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

missing() {
	local p
	for p in $PKGS; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed' || echo "$p"
	done
	# backports kernels: any installed 6.12 image and headers of each flavour
	for f in amd64 rt-amd64; do
		ls -d /usr/src/linux-headers-6.12*-"$f" >/dev/null 2>&1 ||
			echo "bpo:linux-headers-$f"
		ls /boot/vmlinuz-6.12*-"$f" >/dev/null 2>&1 ||
			echo "bpo:linux-image-$f"
	done
}

if [ "${1:-}" = --check ]; then
	m=$(missing)
	[ -z "$m" ] && exit 0
	echo "missing packages:" $m >&2
	exit 1
fi

[ -z "$(missing)" ] && { echo "deps: all packages present"; exit 0; }

# Add bookworm-backports from the mirror already configured.
bpo=/etc/apt/sources.list.d/kvstore-backports.sources
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	uri=$(grep -hoE '^URIs: *[^ ]*debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null |
	      head -n1 | sed 's/^URIs: *//')
	[ -n "$uri" ] || uri=$(grep -hoE '^deb +[^ ]+/debian/? +bookworm ' /etc/apt/sources.list 2>/dev/null |
			      head -n1 | awk '{print $2}')
	[ -n "$uri" ] || uri=http://deb.debian.org/debian
	printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$uri" | $SUDO tee "$bpo" >/dev/null
fi

$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends $PKGS

# The 6.12 images and headers: resolve the backports metapackages to their
# versioned packages so they install beside the 6.1 ones.
bpo_names=
for meta in $BPO_PKGS; do
	dep=$(apt-cache depends -t bookworm-backports "$meta=$(apt-cache policy "$meta" |
		awk '/bookworm-backports/{print prev} {prev=$1}' | head -n1)" 2>/dev/null |
		awk '/Depends: linux-(image|headers)-6\.12/{print $2; exit}')
	[ -n "$dep" ] || { echo "deps: cannot resolve $meta in bookworm-backports" >&2; exit 1; }
	bpo_names="$bpo_names $dep"
done
$SUDO apt-get install -y -q --no-install-recommends -t bookworm-backports $bpo_names
echo "deps: done"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build a debug kernel (KASAN, lockdep, kmemleak, UBSAN, ...) for testing
# kvstore in qemu, once, and cache it outside the repo.
#
#   scripts/debug-kernel.sh          build if needed, then print the cache dir
#                                    (the only line on stdout)
#   scripts/debug-kernel.sh --path   print the cache dir the current key uses;
#                                    exit 1 if it is not built (yet)
#   scripts/debug-kernel.sh --key    print the cache key
#
# A finished cache dir holds:
#   bzImage          boot it with qemu -kernel
#   build/           KDIR for "make -C DIR/build M=$PWD modules"
#   config           the kernel's .config
#   kernel.release   e.g. 6.1.192-kvs-debug
#   System.map, inputs (what the key hashes), build.log
#   done             written last
#
# The cache root is $KVS_CACHE, else $XDG_CACHE_HOME/kvstore, else
# ~/.cache/kvstore; the kernel lives in <root>/debug-kernel/<key>/.  The key
# hashes the linux-source-6.1 package version, the config fragment below,
# the compiler's version line and RECIPE.  A build happens in a temporary
# dir next to it and is renamed into place only when complete, so an
# interrupted build is never taken for a finished one.  Other keys' dirs are
# removed after a successful build.  The source comes from Debian's
# linux-source-6.1 package (scripts/deps.sh installs it).
#
# In the guest, "echo o > /proc/sysrq-trigger" powers off (ACPI is built in,
# since without it the guest finds only one CPU); "echo b" with qemu's
# -no-reboot works too.
set -eu

SRC_PKG=linux-source-6.1
SRC_TAR=/usr/src/linux-source-6.1.tar.xz
# Bump when the build steps (not the config) change what lands in the cache.
RECIPE=1

# The configuration, applied on top of "make tinyconfig" with scripts/config.
# "CONFIG_X=y" enables, "# CONFIG_X is not set" disables, CONFIG_X="s" sets
# a string.  After "make olddefconfig" every line must hold in .config, or
# the build stops and names the options that did not stick.  Other lines
# starting with "#" are comments.
FRAGMENT=$(cat <<'EOF'
## Base system: enough to boot a busybox initramfs on a serial console
CONFIG_64BIT=y
CONFIG_SMP=y
CONFIG_EXPERT=y
CONFIG_MODULES=y
CONFIG_MODULE_UNLOAD=y
CONFIG_PRINTK=y
CONFIG_PRINTK_TIME=y
CONFIG_BUG=y
CONFIG_TTY=y
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_GZIP=y
CONFIG_DEVTMPFS=y
CONFIG_DEVTMPFS_MOUNT=y
CONFIG_PROC_FS=y
CONFIG_SYSFS=y
CONFIG_BINFMT_ELF=y
CONFIG_BINFMT_SCRIPT=y
CONFIG_MULTIUSER=y
CONFIG_FUTEX=y
CONFIG_EPOLL=y
CONFIG_SIGNALFD=y
CONFIG_TIMERFD=y
CONFIG_EVENTFD=y
CONFIG_AIO=y
CONFIG_FILE_LOCKING=y
CONFIG_POSIX_TIMERS=y
CONFIG_SHMEM=y
CONFIG_TMPFS=y
CONFIG_INOTIFY_USER=y
CONFIG_FHANDLE=y
CONFIG_MAGIC_SYSRQ=y
CONFIG_DEBUG_FS=y
CONFIG_KALLSYMS=y
CONFIG_KALLSYMS_ALL=y
CONFIG_BPF_SYSCALL=y
CONFIG_IO_URING=y
CONFIG_HYPERVISOR_GUEST=y
CONFIG_PARAVIRT=y
CONFIG_KVM_GUEST=y
CONFIG_HIGH_RES_TIMERS=y
# 32-bit programs (t_abi32, t_client32: the compat ioctl path)
CONFIG_IA32_EMULATION=y
CONFIG_COMPAT_32BIT_TIME=y
## Without ACPI (its MADT) the guest sees only one CPU whatever -smp says;
## without PCI, ACPI fails to load qemu's tables (and kmemleak then reports)
CONFIG_ACPI=y
CONFIG_PCI=y
CONFIG_LOCALVERSION="-kvs-debug"
## Networking: loopback TCP/UDP, netfilter hooks, packet sockets
CONFIG_NET=y
CONFIG_UNIX=y
CONFIG_INET=y
CONFIG_IPV6=y
CONFIG_PACKET=y
CONFIG_NETFILTER=y
CONFIG_NETFILTER_ADVANCED=y
## Choices: SLUB not SLOB, ORC unwinder, gzip image, full preemption
# CONFIG_SLOB is not set
CONFIG_SLUB=y
CONFIG_SLUB_DEBUG=y
# CONFIG_UNWINDER_GUESS is not set
CONFIG_UNWINDER_ORC=y
# CONFIG_KERNEL_XZ is not set
CONFIG_KERNEL_GZIP=y
# CONFIG_PREEMPT_NONE is not set
CONFIG_PREEMPT=y
CONFIG_PREEMPT_RCU=y
## Debugging
CONFIG_DEBUG_KERNEL=y
CONFIG_STACKTRACE=y
CONFIG_KASAN=y
CONFIG_KASAN_GENERIC=y
CONFIG_KASAN_INLINE=y
CONFIG_KASAN_STACK=y
CONFIG_KASAN_VMALLOC=y
CONFIG_PROVE_LOCKING=y
CONFIG_DEBUG_ATOMIC_SLEEP=y
CONFIG_DEBUG_PREEMPT=y
CONFIG_PROVE_RCU=y
CONFIG_RCU_EXPERT=y
CONFIG_PROVE_RCU_LIST=y
CONFIG_DEBUG_LOCKDEP=y
CONFIG_DEBUG_SPINLOCK=y
CONFIG_DEBUG_MUTEXES=y
CONFIG_DEBUG_RWSEMS=y
CONFIG_DEBUG_KMEMLEAK=y
# CONFIG_DEBUG_KMEMLEAK_DEFAULT_OFF is not set
# CONFIG_DEBUG_KMEMLEAK_AUTO_SCAN is not set
CONFIG_DEBUG_LIST=y
CONFIG_DEBUG_OBJECTS=y
CONFIG_DEBUG_OBJECTS_FREE=y
CONFIG_DEBUG_OBJECTS_TIMERS=y
CONFIG_DEBUG_OBJECTS_WORK=y
CONFIG_DEBUG_OBJECTS_RCU_HEAD=y
CONFIG_DETECT_HUNG_TASK=y
CONFIG_SOFTLOCKUP_DETECTOR=y
CONFIG_KUNIT=y
CONFIG_KUNIT_DEBUGFS=y
CONFIG_FAULT_INJECTION=y
CONFIG_FAILSLAB=y
CONFIG_FAIL_PAGE_ALLOC=y
CONFIG_FAULT_INJECTION_DEBUG_FS=y
CONFIG_UBSAN=y
CONFIG_UBSAN_BOUNDS=y
CONFIG_UBSAN_SHIFT=y
CONFIG_UBSAN_DIV_ZERO=y
EOF
)

CACHE=${KVS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvstore}
TOP=$CACHE/debug-kernel

# Everything but the final path goes to stderr; fd 3 is the real stdout.
exec 3>&1 1>&2

die() {
	echo "debug-kernel: error: $*" >&2
	exit 1
}

usage() {
	sed -n '7,12p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

src_version() {
	dpkg-query -W -f='${Status} ${Version}\n' "$SRC_PKG" 2>/dev/null |
		awk '/^install ok installed /{print $4}'
}

# The text the key hashes; also saved as DIR/inputs.
key_inputs() {
	local ver

	ver=$(src_version)
	[ -n "$ver" ] || die "$SRC_PKG is not installed (run scripts/deps.sh)"
	printf 'recipe %s\n' "$RECIPE"
	printf 'source %s %s\n' "$SRC_PKG" "$ver"
	printf 'cc %s\n' "$(gcc --version | head -n1)"
	printf '%s\n' "$FRAGMENT"
}

compute_key() {
	local inputs

	inputs=$(key_inputs) || exit 1
	printf '%s\n' "$inputs" | sha256sum | cut -c1-12
}

# Turn the fragment into scripts/config arguments.
fragment_args() {
	local line name

	while IFS= read -r line; do
		case $line in
		CONFIG_*=y)
			name=${line%%=*}
			printf '%s\n' --enable "${name#CONFIG_}"
			;;
		CONFIG_*=\"*\")
			name=${line%%=*}
			line=${line#*=\"}
			printf '%s\n' --set-str "${name#CONFIG_}" "${line%\"}"
			;;
		"# CONFIG_"*" is not set")
			name=${line#"# CONFIG_"}
			printf '%s\n' --disable "${name%" is not set"}"
			;;
		""|"#"*)
			;;
		*)
			die "bad config fragment line: $line"
			;;
		esac
	done <<<"$FRAGMENT"
}

# Print each fragment line that the final .config ($1) does not satisfy.
fragment_misses() {
	local config=$1 line name

	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF -- "$line" "$config" || printf '  %s (got: %s)\n' "$line" \
				"$(grep -E "^(# )?${line%%=*}[= ]" "$config" || echo absent)"
			;;
		"# CONFIG_"*" is not set")
			name=${line#"# "}
			name=${name%" is not set"}
			! grep -q "^$name=" "$config" ||
				printf '  %s (got: %s)\n' "$line" "$(grep "^$name=" "$config")"
			;;
		esac
	done <<<"$FRAGMENT"
}

# Copy what "make M=... modules" needs from the built tree $1 to $2: the
# file list Debian's linux-headers packages use (scripts/package/builddeb).
copy_kdir() {
	local src=$1 dst=$2

	mkdir -p "$dst"
	(
		cd "$src"
		find . arch/x86 -maxdepth 1 -name 'Makefile*'
		find include scripts -type f -o -type l
		find arch/x86 -name Kbuild.platforms -o -name Platform
		# shellcheck disable=SC2046
		find $(find arch/x86 -name include -o -name scripts -type d) -type f
		find Module.symvers .config -type f
		[ ! -e tools/objtool/objtool ] || echo tools/objtool/objtool
	) | sort -u >"$dst.list"
	tar -C "$src" -cf - -T "$dst.list" | tar -C "$dst" -xf -
	rm -f "$dst.list"
}

# Build an empty module against KDIR $1 in scratch dir $2, as a check.
selftest_kdir() {
	local kdir=$1 dir=$2

	mkdir -p "$dir"
	cat >"$dir/kvs_selftest.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
static int __init kvs_selftest_init(void) { return 0; }
static void __exit kvs_selftest_exit(void) { }
module_init(kvs_selftest_init);
module_exit(kvs_selftest_exit);
MODULE_LICENSE("GPL");
EOF
	echo 'obj-m := kvs_selftest.o' >"$dir/Makefile"
	make -C "$kdir" M="$dir" modules
	[ -f "$dir/kvs_selftest.ko" ]
}

TMP=
LOG=
on_exit() {
	local rc=$?

	if [ "$rc" != 0 ] && [ -n "$LOG" ] && [ -f "$LOG" ]; then
		echo "debug-kernel: build failed; last lines of $LOG:" >&2
		tail -n 40 "$LOG" >&2
	fi
	if [ -n "$TMP" ] && [ -d "$TMP" ]; then
		rm -rf "$TMP"
	fi
}

build() {
	local key=$1 dir=$2 src jobs misses start avail t argv
	local -a args

	[ -r "$SRC_TAR" ] || die "$SRC_TAR missing (run scripts/deps.sh)"
	for t in make gcc flex bison bc perl tar xz sha256sum flock; do
		command -v "$t" >/dev/null || die "$t not found (run scripts/deps.sh)"
	done
	[ -e /usr/include/libelf.h ] || die "libelf-dev missing (run scripts/deps.sh)"

	mkdir -p "$TOP"
	exec 9>"$TOP/.lock"
	if ! flock -n 9; then
		echo "debug-kernel: another build holds $TOP/.lock; waiting" >&2
		flock 9
	fi
	# Someone else may have finished it while we waited.
	[ ! -f "$dir/done" ] || return 0

	# We hold the lock: leftovers are from builds that were killed.
	rm -rf "$TOP"/.tmp-* "$dir"

	avail=$(df -Pk "$TOP" | awk 'NR == 2 {print $4}')
	[ "$avail" -ge 4000000 ] ||
		die "need about 4 GB free in $TOP for the build, have $((avail / 1024)) MB"

	TMP=$TOP/.tmp-$key-$$
	LOG=$TOP/build-$key.log
	src=$TMP/linux
	jobs=$(( $(nproc) + 1 ))
	start=$(date +%s)
	mkdir -p "$src"
	: >"$LOG"
	key_inputs >"$TMP/inputs"
	echo "debug-kernel: building $(src_version) into $dir" \
		"(about 6 min on 2 cores); log: $LOG" >&2

	tar -C "$src" -xf "$SRC_TAR" --strip-components=1
	make -C "$src" tinyconfig >>"$LOG" 2>&1
	argv=$(fragment_args)
	mapfile -t args <<<"$argv"
	"$src/scripts/config" --file "$src/.config" "${args[@]}"
	make -C "$src" olddefconfig >>"$LOG" 2>&1

	misses=$(fragment_misses "$src/.config")
	if [ -n "$misses" ]; then
		LOG=
		die "these options did not end up as requested after olddefconfig" \
			"(missing dependency?):"$'\n'"$misses"
	fi

	# LOCALVERSION= keeps setlocalversion from appending "+".
	echo "debug-kernel: make -j$jobs all" >&2
	make -C "$src" -j"$jobs" LOCALVERSION= all >>"$LOG" 2>&1

	cp "$src/arch/x86/boot/bzImage" "$src/System.map" "$TMP/"
	cp "$src/.config" "$TMP/config"
	cp "$src/include/config/kernel.release" "$TMP/kernel.release"
	copy_kdir "$src" "$TMP/build"
	rm -rf "$src"

	echo "debug-kernel: checking that an M= module builds against it" >&2
	selftest_kdir "$TMP/build" "$TMP/selftest" >>"$LOG" 2>&1
	rm -rf "$TMP/selftest"

	echo "debug-kernel: built in $(( $(date +%s) - start )) s" >&2
	mv "$LOG" "$TMP/build.log"
	LOG=$TMP/build.log
	date -u +%FT%TZ >"$TMP/done"
	mv -T "$TMP" "$dir"
	TMP=
	LOG=

	# Drop kernels and logs of other keys.
	find "$TOP" -mindepth 1 -maxdepth 1 ! -name "$key" ! -name .lock \
		-exec rm -rf {} +
}

main() {
	local key dir

	case ${1:-} in
	--key)
		compute_key >&3
		return
		;;
	--path|"")
		;;
	*)
		usage
		;;
	esac

	key=$(compute_key)
	dir=$TOP/$key
	if [ "${1:-}" = --path ]; then
		echo "$dir" >&3
		[ -f "$dir/done" ]
		return
	fi

	if [ ! -f "$dir/done" ]; then
		trap on_exit EXIT
		trap 'exit 130' INT TERM HUP
		build "$key" "$dir"
	fi
	echo "$dir" >&3
}

main "$@"

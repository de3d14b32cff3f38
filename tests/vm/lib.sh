# SPDX-License-Identifier: GPL-2.0
#
# Shell helpers inside the test VM, sourced by /init and usable by tests
# (". /kvs/lib.sh"). busybox sh and awk only.

KMEMLEAK=/sys/kernel/debug/kmemleak
KVS_TEST_TIMEOUT=${KVS_TEST_TIMEOUT:-300}

# ktap_since MARKER: the TAP/KTAP lines the kernel logged after MARKER was
# written to /dev/kmsg, without timestamps. A module's self-test prints
# its KTAP report at load time; this turns it back into test output.
ktap_since() {
	dmesg | sed 's/^\[[^]]*\] //' |
		awk -v m="$1" 'found { print } index($0, m) { found = 1 }' |
		grep -E '^ *(ok |not ok |1\.\.|# |KTAP version)' |
		grep -v '^ *KTAP version'
}

# kmsg_mark TEXT: write a marker line into the kernel log.
kmsg_mark() {
	echo "$1" > /dev/kmsg
}

# Two kmemleak scans (the second confirms what the first suspects), then
# the report into the kernel console log, where the judge looks for it.
kvs_kmemleak_scan() {
	[ -w "$KMEMLEAK" ] || return 0
	sleep 6		# objects younger than 5 s are never reported
	echo scan > "$KMEMLEAK"
	echo scan > "$KMEMLEAK"
	echo "kvs-vm: kmemleak report follows" > /dev/kmsg
	cat "$KMEMLEAK" > /dev/console
	echo "kvs-vm: kmemleak report ends" > /dev/kmsg
	echo "# kmemleak scanned"
}

# run_one NAME CMD...: run a test, fold its TAP lines into the suite's
# numbering as "ok N - NAME: text", and report a crash, a timeout, a plan
# mismatch or a silent test as a failure of its own.
run_one() {
	name=$1
	shift
	out=/tmp/out.$$
	start=$(date +%s)
	timeout "$KVS_TEST_TIMEOUT" "$@" > "$out" 2>&1
	rc=$?
	end=$(date +%s)
	awk -v name="$name" -v rc="$rc" -v n="$KVS_N" -v secs=$((end - start)) '
	/^ *not ok / { sub(/^ *not ok [0-9]* *-? */, ""); printf "not ok %d - %s: %s\n", ++n, name, $0; fail++; ran++; next }
	/^ *ok / { sub(/^ *ok [0-9]* *-? */, ""); printf "ok %d - %s: %s\n", ++n, name, $0; ran++; next }
	/^1\.\.[0-9]+/ { plan = substr($0, 4) + 0; planned = 1; next }
	{ print "# " name ": " $0 }
	END {
		if (planned && plan != ran) {
			printf "not ok %d - %s: planned %d tests, ran %d\n", ++n, name, plan, ran; fail++
		}
		if (!ran) {
			printf "not ok %d - %s: reported no results\n", ++n, name; fail++
		}
		if (rc == 124 || rc == 143) {
			printf "not ok %d - %s: timed out after %d s\n", ++n, name, secs; fail++
		} else if (rc != 0 && !fail) {
			printf "not ok %d - %s: exited with status %d\n", ++n, name, rc; fail++
		}
		printf "# %s: %d s\n", name, secs
		print n > "/tmp/kvs_n"
	}' "$out"
	KVS_N=$(cat /tmp/kvs_n)
	rm -f "$out"
}

# kvs_devnode: what tools/60-kvstore.rules has udev do on a real system
# (the VM has no udev): /dev/kvstore for root and the group kvstore.
kvs_devnode() {
	chgrp kvstore /dev/kvstore && chmod 0660 /dev/kvstore
}

# kvs_insmod [PARAMS...]: load kvstore.ko, then set its node as udev would.
kvs_insmod() {
	insmod /kvs/modules/kvstore.ko "$@" && kvs_devnode
}

# The whole suite: load, every test in /kvs/tests in name order, unload,
# then kmemleak. Each test may reload the module but must leave it loaded;
# the node gets the udev rule's group and mode again after each test.
kvs_run_suite() {
	KVS_N=0
	echo "TAP version 13"
	echo "# kvs-vm: kernel $(uname -r), $(nproc) cpus"
	run_one load sh -c '. /kvs/lib.sh; kvs_insmod && echo "ok - insmod kvstore.ko, /dev/kvstore root:kvstore 0660" || echo "not ok - insmod kvstore.ko"'
	for t in /kvs/tests/*; do
		[ -x "$t" ] || continue
		run_one "$(basename "$t")" "$t"
		# As udev would for a test that reloaded the module its own way.
		[ -c /dev/kvstore ] && kvs_devnode
	done
	run_one unload sh -c 'rmmod kvstore && echo "ok - rmmod kvstore" || echo "not ok - rmmod kvstore"'
	kvs_kmemleak_scan
	echo "1..$KVS_N"
	echo "# kvs-vm: done"
}

# ktap_module NAME [PARAMS...]: load /kvs/modules/NAME.ko, which runs its
# tests at load and prints KTAP, print that report, and unload it.
ktap_module() {
	name=$1
	shift
	marker="kvs-vm: $name begins $$"
	kmsg_mark "$marker"
	if ! insmod "/kvs/modules/$name.ko" "$@"; then
		echo "not ok 1 - insmod $name.ko"
		return 1
	fi
	ktap_since "$marker"
	rmmod "$name" || { echo "not ok - rmmod $name"; return 1; }
}

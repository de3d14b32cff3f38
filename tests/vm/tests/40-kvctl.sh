#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kvctl: output, JSON, usage errors and exit codes.
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }

out=$(kvctl version); rc=$?
[ $rc = 0 ]; ok $? "kvctl version exits 0"
echo "$out" | grep -q '^kvstore module 0.1.0, ABI 1.1'; ok $? "kvctl version: human output"
out=$(kvctl --json version)
[ "$out" = '{"abi_major":1,"abi_minor":1,"features":255,"max_key_size":512,"max_value_size":65536,"module_version":"0.1.0"}' ]
ok $? "kvctl --json version: exact JSON"
kvctl --help | grep -q '^usage: kvctl'; ok $? "kvctl --help"
kvctl frobnicate 2>/tmp/err; rc=$?
[ $rc = 64 ] && grep -q "unknown command 'frobnicate'" /tmp/err; ok $? "unknown command: exit 64 and names it"
kvctl version extra 2>/tmp/err; rc=$?
[ $rc = 64 ] && grep -q "takes no arguments" /tmp/err; ok $? "extra argument: exit 64"
kvctl --device /dev/nonexistent version 2>/tmp/err; rc=$?
[ $rc = 2 ] && grep -q "does not exist: is the kvstore module loaded" /tmp/err; ok $? "missing device: exit 2 (ENOENT) with a hint"
kvctl --device /dev/null version 2>/tmp/err; rc=$?
[ $rc = 25 ] && grep -q "cannot open /dev/null" /tmp/err; ok $? "not a kvstore device: exit 25 (ENOTTY)"
# The node is root's and the group kvstore's, as the udev rule makes it.
[ "$(stat -c '%A %U %G' /dev/kvstore)" = "crw-rw---- root kvstore" ]; ok $? "/dev/kvstore is crw-rw---- root kvstore"
su kvsuser -s /bin/sh -c 'kvctl version' >/dev/null 2>/tmp/err; rc=$?
[ $rc = 0 ]; ok $? "kvsuser (group kvstore) may open /dev/kvstore"
su kvsother -s /bin/sh -c 'kvctl version' 2>/tmp/err; rc=$?
[ $rc = 13 ] && grep -q "no permission to open /dev/kvstore" /tmp/err; ok $? "kvsother (not in the group): exit 13 (EACCES) with a message"
echo "1..$n"

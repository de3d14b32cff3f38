#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kvctl against the store: every command with its text and JSON output, its
# errors and exit codes; binary keys and values in hex and base64; txn; as
# root and as kvsuser (in the group kvstore, so it may open the device)
# against root's tables.
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
# r CMD...: run it; stdout in $out, stderr in $err, status in $rc
r() { out=$("$@" 2>/tmp/err); rc=$?; err=$(cat /tmp/err); }
# u 'COMMAND LINE': the same, as kvsuser
u() { out=$(su kvsuser -s /bin/sh -c "$1" 2>/tmp/err); rc=$?; err=$(cat /tmp/err); }
why() { echo "# exit $rc; stdout: $out"; echo "# stderr: $err"; }
# is TEXT DESC: the last command exited 0 and printed exactly TEXT
is() {
	if [ "$rc" = 0 ] && [ "$out" = "$1" ]; then ok 0 "$2"; else ok 1 "$2"; why; echo "# wanted: $1"; fi
}
# has PATTERN DESC: ... exited 0 and its output matches the shell PATTERN
has() {
	# shellcheck disable=SC2254
	case "$out" in $1) m=0 ;; *) m=1 ;; esac
	if [ "$rc" = 0 ] && [ $m = 0 ]; then ok 0 "$2"; else ok 1 "$2"; why; fi
}
# fails RC TEXT DESC: ... exited RC and its message contains TEXT
fails() {
	case "$err" in *"$2"*) m=0 ;; *) m=1 ;; esac
	if [ "$rc" = "$1" ] && [ $m = 0 ]; then ok 0 "$3"; else ok 1 "$3"; why; fi
}
# versions in JSON made predictable
nover() { echo "$out" | sed 's/"version":[0-9]*/"version":V/g'; }
tab=$(printf '\t')

# --- help ---------------------------------------------------------------
r kvctl --help
m=0
for c in "table create NAME" "table drop NAME" "table list" "table info NAME" "get TABLE KEY" \
	"put TABLE KEY VALUE" "del TABLE KEY" "scan TABLE" "txn [FILE]" "stats" "version"; do
	case "$out" in *"  $c "*) ;; *) m=1; echo "# --help lacks '$c'" ;; esac
done
[ $rc = 0 ] && [ $m = 0 ]; ok $? "kvctl --help lists every command"
r kvctl help put; h=$out
r kvctl put --help
[ "$out" = "$h" ]; ok $? "'kvctl put --help' is 'kvctl help put'"
has "usage: kvctl put *--insert*--replace*--cas VERSION*--value-file*--hex*" "help put: modes, --value-file, common options"
r kvctl help table create; h=$out
has "usage: kvctl table create*--ordered*--max-key*--max-value*--max-entries*--max-bytes*--mode*--durability*--owner UID:GID*" \
	"help table create: every option"
r kvctl table create --help
[ "$out" = "$h" ]; ok $? "'kvctl table create --help' is 'kvctl help table create'"
r kvctl help table
has "usage: kvctl table create*usage: kvctl table drop*usage: kvctl table list*usage: kvctl table info*" "help table: its four commands"
r kvctl help txn
has "*put ?--insert|--replace|--cas VERSION? TABLE KEY VALUE*--retry N*" "help txn: the line format and --retry"
m=0
for c in get del scan stats version; do
	r kvctl help $c; h=$out
	r kvctl $c --help
	[ "$rc" = 0 ] && [ "$out" = "$h" ] && [ -n "$h" ] || { m=1; echo "# $c --help differs"; }
done
ok $m "help get, del, scan, stats, version: as 'COMMAND --help'"
r kvctl help frob; fails 64 "no command 'frob'" "help of an unknown command: exit 64"
r kvctl put t1; fails 64 "put: takes TABLE KEY VALUE, got 1 argument" "put with one argument: exit 64, says what it takes"
r kvctl get --bogus t1 k; fails 64 "get: unknown option '--bogus'" "unknown option: exit 64, names it"
r kvctl put --cas t1 k v; fails 64 "--cas 't1' is not a version" "--cas without a number: exit 64"
r kvctl put --insert --replace t1 k v; fails 64 "give one of --insert, --replace and --cas" "two put modes: exit 64"
r kvctl table; fails 64 "which one: create, drop, list or info" "table without a command: exit 64"
r kvctl table frob; fails 64 "unknown command 'table frob'" "table frob: exit 64"

# --- tables -------------------------------------------------------------
r kvctl table create --ordered t1; is "" "table create --ordered t1"
r kvctl table create t1; fails 17 "table 't1' already exists" "create again: exit 17 (EEXIST), names the table"
r kvctl table create 'bad/name'; fails 22 "invalid table name 'bad/name'" "bad table name: exit 22 (EINVAL)"
r kvctl table create .dot; fails 22 "not starting with '.'" "name starting with a dot: exit 22"
long=$(head -c 65 /dev/zero | tr '\0' n)
r kvctl table create "$long"; fails 36 "is 65 characters; the limit is 64" "65-character name: exit 36 (ENAMETOOLONG)"
r kvctl table create --max-key 5000 big; fails 22 "--max-key 5000 is more than the module's max_key_size 512" \
	"--max-key over the module's: exit 22, says the limit"
r kvctl table create --max-value 1M big; fails 22 "--max-value 1048576 is more than the module's max_value_size 65536" \
	"--max-value 1M over the module's: exit 22"
r kvctl table create --durability forever big; fails 64 "--durability 'forever': volatile, async or sync" "bad --durability: exit 64"
r kvctl table create --mode 0800 big; fails 64 "--mode '0800' is not an octal mode" "bad --mode: exit 64"
r kvctl table create --owner root big; fails 64 "--owner 'root' is not UID:GID" "bad --owner: exit 64"
r kvctl table create --max-entries 2 --max-value 100 --max-key 16 --mode 0640 --durability sync small
is "" "table create small with limits, mode 0640, durability sync"
r kvctl --json table info small
has '{"name":"small","ordered":false,"durability":"sync","uid":0,"gid":0,"mode":"0640","max_key_size":16,"max_value_size":100,"max_entries":2,"max_bytes":0,"entries":0,"bytes":[0-9]*,"records":0,"retained_versions":0}' \
	"table info --json: every field"
r kvctl table info t1
has "table:             t1?index:             hash and ordered?owner:             uid 0, gid 0?mode:              0600?durability:        volatile?max key size:      512 bytes?max value size:    65536 bytes?max entries:       no limit?max bytes:         the module's max_memory?entries:           0?*" \
	"table info: human output, defaults (0600, volatile, module limits)"
r kvctl table list; is "small
t1" "table list: names in order"
r kvctl --json table list; is '{"tables":["small","t1"],"total":2}' "table list --json"
r kvctl table list --long
has "NAME * INDEX * OWNER * MODE * ENTRIES * BYTES?small * hash * 0:0 * 0640 * 0 *?t1 * ordered * 0:0 * 0600 * 0 *" "table list --long"
r kvctl --json table create --max-value 2K --max-bytes 1M kib; is '{"table":"kib","created":true}' "table create --json; K and M suffixes"
r kvctl --json table info kib; has '*"max_value_size":2048,"max_entries":0,"max_bytes":1048576,*' "--max-value 2K is 2048, --max-bytes 1M is 1048576"
r kvctl --json table drop kib; is '{"table":"kib","dropped":true}' "table drop --json"
r kvctl table drop kib; fails 2 "table 'kib' does not exist" "drop a missing table: exit 2 (ENOENT)"
r kvctl table info kib; fails 2 "table 'kib' does not exist" "info of a missing table: exit 2"

# --- get, put, del ------------------------------------------------------
r kvctl put t1 k1 hello; is "" "put t1 k1 hello"
r kvctl get t1 k1; is "hello" "get t1 k1: the value"
r kvctl --json get t1 k1; has '{"table":"t1","key":"k1","value":"hello","version":[1-9]*}' "get --json"
v1=$(echo "$out" | sed 's/.*"version":\([0-9]*\)}$/\1/')
r kvctl get -V t1 k1; is "version $v1
hello" "get --show-version"
r kvctl get t1 nokey; fails 2 "key 'nokey' does not exist in table 't1'" "get of an absent key: exit 2, names key and table"
r kvctl get acl k; fails 2 "table 'acl' does not exist" "get from a missing table: exit 2, says the table does not exist"
r kvctl put acl k v; fails 2 "table 'acl' does not exist" "put into a missing table: exit 2"
r kvctl put --insert t1 k1 x; fails 17 "key 'k1' already exists in table 't1'" "put --insert of a present key: exit 17"
r kvctl put --replace t1 k2 x; fails 2 "key 'k2' does not exist in table 't1'" "put --replace of an absent key: exit 2"
r kvctl put --cas $((v1 + 100)) t1 k1 x; fails 11 "key 'k1' in table 't1' is not at version $((v1 + 100))" \
	"put --cas with a stale version: exit 11 (EAGAIN)"
r kvctl put --cas 0 t1 k1 x; fails 17 "key 'k1' already exists" "put --cas 0 of a present key: exit 17"
r kvctl put -V --cas "$v1" t1 k1 world; has "version [0-9]*" "put --cas with the right version, -V prints the new one"
v2=${out#version }
[ "$v2" -gt "$v1" ]; ok $? "the new version is larger"
r kvctl get t1 k1; is world "the CAS took effect"
r kvctl put --replace t1 k1 again; is "" "put --replace of a present key"
r kvctl put --insert t1 k2 two; is "" "put --insert of an absent key"
r kvctl --json put t1 k3 three; has '{"table":"t1","key":"k3","version":[1-9]*}' "put --json: the new version"
v3=$(echo "$out" | sed 's/.*"version":\([0-9]*\)}$/\1/')
r kvctl del --cas $((v3 + 1)) t1 k3; fails 11 "key 'k3' in table 't1' is not at version $((v3 + 1))" "del --cas stale: exit 11"
r kvctl --json del --cas "$v3" t1 k3; is '{"table":"t1","key":"k3","deleted":true}' "del --cas right version, --json"
r kvctl del t1 k3; fails 2 "key 'k3' does not exist in table 't1'" "del of an absent key: exit 2"
r kvctl del t1 k2; is "" "del t1 k2"
r kvctl put t1 '' v; fails 22 "the key is empty" "empty key: exit 22"
r kvctl put t1 empty ''; is "" "an empty value"
r kvctl --json get t1 empty; has '{"table":"t1","key":"empty","value":"","version":*}' "get of an empty value"
r kvctl put t1 -- -dash -5; is "" "put -- with a key and value starting with '-'"
r kvctl get t1 -- -dash; is "-5" "get -- -dash"
r kvctl put --device /dev/null t1 k v; fails 25 "cannot open /dev/null" "--device after the command"

# --- limits -------------------------------------------------------------
head -c 70000 /dev/zero > /tmp/big
r kvctl put --value-file /tmp/big t1 big; fails 7 "value is 70000 bytes; the table's limit is 65536" \
	"70000-byte value: exit 7 (E2BIG), says the size and the limit"
r sh -c 'kvctl put t1 big - < /tmp/big'; fails 7 "value is 70000 bytes; the table's limit is 65536" "the same from stdin"
r kvctl put t1 "$(head -c 600 /dev/zero | tr '\0' k)" v; fails 7 "key is 600 bytes; the table's limit is 512" "600-byte key: exit 7"
r kvctl put small k "$(head -c 101 /dev/zero | tr '\0' v)"; fails 7 "value is 101 bytes; the table's limit is 100" "--max-value 100"
r kvctl put small 0123456789abcdefg v; fails 7 "key is 17 bytes; the table's limit is 16" "--max-key 16"
kvctl put small a 1 && kvctl put small b 2; ok $? "two keys into small (--max-entries 2)"
r kvctl put small c 3; fails 28 "table 'small' is full: it has 2 entries" "a third: exit 28 (ENOSPC), table full"
r kvctl put small a 11; is "" "overwriting a key of a full table"
r kvctl put --value-file /tmp/nonexistent t1 k; fails 2 "cannot open /tmp/nonexistent" "missing --value-file: exit 2"

# --- text, binary, JSON -------------------------------------------------
printf 'a\nb\tc\\d\001' > /tmp/v1
r kvctl put --value-file /tmp/v1 t1 esc; is "" "put --value-file with control bytes"
r kvctl get t1 esc; is 'a\nb\tc\\d\x01' "get escapes newline, tab, backslash, control bytes"
kvctl get --raw t1 esc > /tmp/v1.out && cmp -s /tmp/v1 /tmp/v1.out; ok $? "get --raw: the exact bytes"
r kvctl --json get t1 esc; has '{"table":"t1","key":"esc","value":"a\\nb\\tc\\\\d\\u0001","version":*}' "JSON escapes \\n \\t \\\\ \\u0001"
r kvctl put t1 q 'say "hi" \ ok'; r kvctl --json get t1 q
has '*"value":"say \\"hi\\" \\\\ ok"*' "JSON escapes quotes and backslashes"
r kvctl put t1 u 'héllo ✓'; r kvctl --json get t1 u; has '*"value":"héllo ✓"*' "UTF-8 stays as it is in JSON"
r kvctl get t1 u; is 'héllo ✓' "UTF-8 stays as it is in text"
hex=
i=0
while [ $i -lt 256 ]; do hex=$hex$(printf %02x $i); i=$((i + 1)); done
echo "$hex" | xxd -r -p > /tmp/all
b64=$(base64 -w 0 /tmp/all)
r kvctl --hex put t1 00ff10 "$hex"; is "" "--hex put: a binary key, all 256 byte values"
r kvctl --hex get t1 00ff10; is "$hex" "--hex get: the same bytes"
r kvctl --base64 get t1 AP8Q; is "$b64" "--base64 get of the same key: base64 of the bytes"
r kvctl --base64 put t1 AP8R "$b64"; is "" "--base64 put"
kvctl --hex get --raw t1 00ff11 > /tmp/all.out && cmp -s /tmp/all /tmp/all.out; ok $? "base64 in, raw out: the bytes"
r kvctl get --hex t1 00ff11; is "$hex" "--hex after the command"
r kvctl put --value-file /tmp/all t1 allbytes; is "" "--value-file of all 256 bytes"
kvctl get --raw t1 allbytes | cmp -s - /tmp/all; ok $? "--value-file in, --raw out: the bytes"
r kvctl --json get t1 allbytes
[ "$(nover)" = "{\"table\":\"t1\",\"key\":\"allbytes\",\"value_base64\":\"$b64\",\"version\":V}" ]
ok $? "JSON of data that is not UTF-8: value_base64"
r kvctl --json --hex get t1 00ff10; has "{\"table\":\"t1\",\"key\":\"00ff10\",\"value\":\"$hex\",\"version\":*}" "JSON with --hex: hex strings"
r kvctl --json --base64 get t1 AP8Q; has "{\"table\":\"t1\",\"key\":\"AP8Q\",\"value\":\"$b64\",\"version\":*}" "JSON with --base64: base64 strings"
r kvctl --hex put t1 00 0000; is "" "--hex: a one-byte NUL key"
r kvctl get t1 "$(printf '\377')"; fails 2 "key '\xff' does not exist" "messages escape keys"
r kvctl --hex get t1 00ff12; fails 2 "key '00ff12' does not exist in table 't1'" "messages show keys in hex with --hex"
r kvctl --hex get t1 0g; fails 64 "key '0g' is not valid hex" "bad hex: exit 64"
r kvctl --hex get t1 abc; fails 64 "key 'abc' is not valid hex" "odd hex: exit 64"
r kvctl --base64 get t1 'A'; fails 64 "key 'A' is not valid base64" "bad base64: exit 64"
r kvctl --base64 get t1 'AP8Q='; fails 64 "not valid base64" "wrong base64 padding: exit 64"
head -c 65536 /dev/urandom > /tmp/rnd
r sh -c 'kvctl put t1 rnd - < /tmp/rnd'; is "" "a 64 KiB value from stdin"
kvctl get --raw t1 rnd | cmp -s - /tmp/rnd; ok $? "get --raw of 64 KiB: the bytes"

# --- scan ---------------------------------------------------------------
kvctl table create --ordered s1
for k in bb a c ab b ba; do kvctl put s1 $k "v$k"; done
r kvctl scan s1; is "a${tab}va
ab${tab}vab
b${tab}vb
ba${tab}vba
bb${tab}vbb
c${tab}vc" "scan: every key in order, KEY<tab>VALUE"
r kvctl scan -k --prefix b s1; is "b
ba
bb" "scan --prefix b --keys-only"
r kvctl scan -k --from ab --to bb s1; is "ab
b
ba" "scan --from ab --to bb: from included, to excluded"
r kvctl scan -k --after ab --through bb s1; is "b
ba
bb" "scan --after ab --through bb"
r kvctl scan -k --reverse --limit 2 s1; is "c
bb" "scan --reverse --limit 2"
r kvctl scan -k -r -p b s1; is "bb
ba
b" "scan -r -p b"
r kvctl scan -k --prefix zz s1; is "" "scan of an empty range"
r kvctl --json scan -k --prefix zz s1; is '{"table":"s1","entries":[],"count":0}' "scan --json of an empty range"
r kvctl --json scan --prefix a s1
[ "$(nover)" = '{"table":"s1","entries":[{"key":"a","value":"va","version":V},{"key":"ab","value":"vab","version":V}],"count":2}' ]
ok $? "scan --json"
r kvctl --json scan -k --limit 1 s1; [ "$(nover)" = '{"table":"s1","entries":[{"key":"a","version":V}],"count":1}' ]; ok $? "scan --json --keys-only"
r kvctl scan -V --limit 1 s1; has "a${tab}va${tab}[1-9]*" "scan --show-version: a third column"
r kvctl scan --from a --after b s1; fails 64 "give one of --from and --after" "--from with --after: exit 64"
r kvctl scan --limit x s1; fails 64 "--limit 'x'" "bad --limit: exit 64"
r kvctl scan small; fails 95 "table 'small' is not ordered" "scan of a hash-only table: exit 95 (EOPNOTSUPP)"
r kvctl scan nosuch; fails 2 "table 'nosuch' does not exist" "scan of a missing table: exit 2"
r kvctl --hex scan --prefix 00ff t1; is "00ff10${tab}$hex
00ff11${tab}$hex" "scan --hex --prefix"
r kvctl --json scan -k --prefix "$(printf '\377')" t1; is '{"table":"t1","entries":[],"count":0}' "a binary prefix"
r kvctl --json scan --from 00 --to 0001 --hex t1; [ "$(nover)" = '{"table":"t1","entries":[{"key":"00","value":"0000","version":V}],"count":1}' ]
ok $? "a NUL key in a --hex JSON scan"

# Many pages: 300 keys of 1000 bytes, put by one txn.
kvctl table create --ordered s2
kb=$(head -c 1000 /dev/zero | tr '\0' x)
i=0
while [ $i -lt 300 ]; do printf 'put s2 key%03d %s\n' $i "$kb"; i=$((i + 1)); done > /tmp/many
r kvctl txn /tmp/many; has "*300: put s2 key299: ok?committed: version [1-9]*" "txn of 300 puts"
r kvctl --json table info s2; has '*"entries":300,*' "300 entries"
[ "$(kvctl scan -k s2 | wc -l)" = 300 ] && [ "$(kvctl scan -k s2 | head -n 1)" = key000 ] &&
	[ "$(kvctl scan -k s2 | tail -n 1)" = key299 ]; ok $? "scan over pages: 300 keys in order"
[ "$(kvctl scan s2 | wc -c)" = $((300 * (6 + 1 + 1000 + 1))) ]; ok $? "scan over pages: every value whole"
[ "$(kvctl scan -k -r --limit 250 s2 | wc -l)" = 250 ] && [ "$(kvctl scan -k -r s2 | head -n 1)" = key299 ]
ok $? "scan --reverse --limit 250 over pages"

# --- as kvsuser, against root's tables ----------------------------------
kvctl table create --mode 0600 p600 && kvctl put p600 k secret
kvctl table create --ordered --mode 0644 p644 && kvctl put p644 k public
u 'kvctl get p600 k'; fails 13 "no permission to read table 'p600'" "kvsuser: get from a 0600 table: exit 13, no permission to read"
u 'kvctl put p600 k x'; fails 13 "no permission to write table 'p600'" "kvsuser: put into a 0600 table: exit 13, no permission to write"
u 'kvctl scan p600'; fails 13 "no permission to read table 'p600'" "kvsuser: scan of a 0600 table: exit 13"
u 'kvctl table info p600'; fails 13 "no permission to read table 'p600'" "kvsuser: info of a 0600 table: exit 13"
u 'kvctl get p600 nokey'; fails 13 "no permission to read table 'p600'" "kvsuser: no permission comes before an absent key"
u 'kvctl get p644 k'; is public "kvsuser: get from a 0644 table"
u 'kvctl scan p644'; is "k${tab}public" "kvsuser: scan of a 0644 table"
u 'kvctl --json table info p644'; has '{"name":"p644",*"uid":0,"gid":0,"mode":"0644",*' "kvsuser: info of a 0644 table"
u 'kvctl put p644 k x'; fails 13 "no permission to write table 'p644'" "kvsuser: put into a 0644 table: exit 13"
u 'kvctl del p644 k'; fails 13 "no permission to write table 'p644'" "kvsuser: del from a 0644 table: exit 13"
u 'kvctl get p644 nokey'; fails 2 "key 'nokey' does not exist in table 'p644'" "kvsuser: absent key of a readable table: exit 2"
u 'kvctl get nosuch k'; fails 2 "table 'nosuch' does not exist" "kvsuser: missing table: exit 2"
u 'kvctl table drop p644'; fails 1 "no permission to drop table 'p644': only its owner or an admin" \
	"kvsuser: drop of root's table: exit 1 (EPERM)"
r kvctl get p644 k; is public "root's table and key still there"
u 'kvctl table create --owner 0:0 theirs'; fails 1 "only an admin (CAP_SYS_ADMIN) may create a table for another owner" \
	"kvsuser: create --owner: exit 1 (EPERM)"
u 'printf "get p644 k\nput p644 k x\n" | kvctl txn'; fails 13 "txn line 2: no permission to write table 'p644'" \
	"kvsuser: txn writing a 0644 table: exit 13 at line 2"
kvctl table create --mode 0660 --owner 0:999 grp; ok $? "table create --owner 0:999 (group kvstore), mode 0660"
u 'kvctl put grp k v && kvctl get grp k'; is v "kvsuser: write and read through the table's group"
u 'kvctl table create --ordered mine'; is "" "kvsuser: create a table of its own"
u 'kvctl --json table info mine'; has '*"uid":1000,"gid":1000,"mode":"0600",*' "kvsuser's table: owned by 1000:1000, 0600"
u 'kvctl put mine k v'; is "" "kvsuser: put into its own table"
r kvctl get mine k; is v "root reads kvsuser's 0600 table (CAP_SYS_ADMIN)"
u 'kvctl table drop mine'; is "" "kvsuser: drop its own table"
kvctl table create --owner 1000:1000 theirs; r kvctl table drop theirs; is "" "root drops another owner's table"

# --- txn ----------------------------------------------------------------
r sh -c 'printf "put t1 x 1\nput t1 y 2\nget t1 x\n" | kvctl txn'
has "1: put t1 x: ok?2: put t1 y: ok?3: get t1 x: 1?committed: version [1-9]*" "txn from stdin: results per line, reads its own write, commit"
r kvctl get t1 y; is 2 "txn: applied"
r sh -c 'printf "get t1 x\nput t1 x 3\n# a comment\n\n  del t1 y\nscan s1 --prefix b -k\n" | kvctl --json txn'
[ "$(nover)" = '{"results":[{"line":1,"op":"get","table":"t1","key":"x","value":"1","version":V},{"line":2,"op":"put","table":"t1","key":"x"},{"line":5,"op":"del","table":"t1","key":"y","deleted":true},{"line":6,"op":"scan","table":"s1","entries":[{"key":"b","version":V},{"key":"ba","version":V},{"key":"bb","version":V}],"count":3}],"version":V}' ]
ok $? "txn --json: results with line numbers, comments and blank lines skipped"
r kvctl get t1 x; is 3 "txn --json: applied"
printf 'scan s1 --prefix a\nget t1 x\n' > /tmp/t0
r kvctl txn /tmp/t0; is "1: scan s1: 2 keys
${tab}a${tab}va
${tab}ab${tab}vab
2: get t1 x: 3
committed: version ${out##*committed: version }" "txn: a scan's human result"
cat > /tmp/t3 <<'EOF'
put t1 f1 a
put t1 f2 b
put --insert t1 k1 c
put t1 f3 d
EOF
r kvctl txn /tmp/t3; fails 17 "txn line 3: key 'k1' already exists in table 't1'" "txn file failing at line 3: exit 17, names the line"
case "$err" in *"aborted; nothing was applied"*) [ -z "$out" ] ;; *) false ;; esac; ok $? "... says nothing was applied, prints no results"
r kvctl get t1 f1; fails 2 "key 'f1' does not exist" "... and lines 1 and 2 were not applied"
r sh -c 'printf "put t1 g1 a\nfrob t1 x\n" | kvctl txn'; fails 64 "txn line 2: unknown operation 'frob'" "txn: unknown operation: exit 64, names the line"
r kvctl get t1 g1; fails 2 "key 'g1' does not exist" "... nothing applied"
r sh -c 'printf "put --bogus t1 x y\n" | kvctl txn'; fails 64 "txn line 1: put: unknown option '--bogus'" "txn: bad option in a line: exit 64"
r sh -c 'printf "get --json t1 x\n" | kvctl txn'; fails 64 "--json is an option of txn itself" "txn: a common option in a line: exit 64"
r sh -c 'printf "put t1 x -\n" | kvctl txn'; fails 64 "txn line 1: put: the value cannot come from stdin" "txn: '-' value while stdin is the script"
r sh -c 'printf "put t1 x \"open\n" | kvctl txn'; fails 64 "txn line 1: unterminated" "txn: unterminated quote: exit 64"
r sh -c 'printf "get t1 x\nget t1 zz\n" | kvctl txn'; fails 2 "txn line 2: key 'zz' does not exist in table 't1'" "txn: get of an absent key fails the txn"
r sh -c 'printf "put t1 x 1\n" | kvctl txn --read-only'; fails 30 "txn line 1: put in a read-only transaction" "txn --read-only: a put: exit 30 (EROFS)"
r sh -c 'printf "get t1 x\n" | kvctl txn --read-only'; has "1: get t1 x: 3?committed*" "txn --read-only: reads"
printf 'put t1 "a b" "x\\ty"\n'"put t1 q2 'lit\\\\n'\n" > /tmp/tq
r kvctl txn /tmp/tq; has "1: put t1 a b: ok?2: put t1 q2: ok?*" "txn: quoted words"
r kvctl get t1 "a b"; is 'x\ty' "txn: \"...\" with an escape"
r kvctl get t1 q2; is 'lit\\n' "txn: '...' taken literally"
r sh -c 'printf "put t1 00ff20 0001\nget t1 00ff20\n" | kvctl --hex txn'; has "1: put t1 00ff20: ok?2: get t1 00ff20: 0001?committed*" "txn --hex"
printf 'put t1 k1 %s\n' "$(head -c 70000 /dev/zero | tr '\0' v)" > /tmp/tbig
r kvctl txn /tmp/tbig
fails 7 "txn line 1: value is 70000 bytes; the table's limit is 65536" "txn: a value too big names the line and the limit"
r kvctl txn /tmp/nonexistent; fails 2 "cannot open /tmp/nonexistent" "txn of a missing file: exit 2"

# A conflict: the txn's snapshot is taken before its first line is read;
# a put commits in between; the txn read the key, so its commit fails.
wait_snapshot() {
	i=0
	while [ $i -lt 200 ]; do
		kvctl --json stats | grep -q '"snapshots":[1-9]' && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}
kvctl put t1 c 0
rm -f /tmp/fifo && mkfifo /tmp/fifo
kvctl txn /tmp/fifo > /tmp/txn.out 2> /tmp/txn.err &
pid=$!
exec 5> /tmp/fifo
wait_snapshot; ok $? "txn: its snapshot is open (stats) before a line is read"
kvctl put t1 c 2
echo "get t1 c" >&5
echo "put t1 c 1" >&5
exec 5>&-
wait $pid; rc=$?; out=$(cat /tmp/txn.out); err=$(cat /tmp/txn.err)
fails 11 "the commit conflicted with another transaction (--retry N runs it again)" "txn conflict: exit 11 (EAGAIN), says so"
case "$err" in *"nothing was applied"*) [ -z "$out" ] ;; *) false ;; esac; ok $? "txn conflict: nothing applied, no results printed"
r kvctl get t1 c; is 2 "txn conflict: the other put stays"
kvctl txn --retry 3 /tmp/fifo > /tmp/txn.out 2> /tmp/txn.err &
pid=$!
exec 5> /tmp/fifo
wait_snapshot; ok $? "txn --retry: its snapshot is open"
kvctl put t1 c 3
echo "get t1 c" >&5
echo "put t1 c 1" >&5
exec 5>&-
wait $pid; rc=$?; out=$(cat /tmp/txn.out); err=$(cat /tmp/txn.err)
has "1: get t1 c: 3?2: put t1 c: ok?committed: version [1-9]*" "txn --retry 3: the conflict runs it again, reading the new value"
r kvctl get t1 c; is 1 "txn --retry: applied"

# --- stats --------------------------------------------------------------
ntab=$(kvctl table list | wc -l)
r kvctl --json stats; has "{\"tables\":$ntab,\"bytes\":[1-9]*,\"max_bytes\":[1-9]*,\"snapshots\":0}" "stats --json: tables, bytes, max_bytes, snapshots"
r kvctl stats; has "tables:    $ntab?bytes:     [1-9]*?max bytes: [1-9]*?snapshots: 0" "stats: human output"
r kvctl stats extra; fails 64 "stats: takes no arguments" "stats with an argument: exit 64"
u 'kvctl stats'; has "tables:    $ntab?*" "kvsuser: stats"

# --- clean up -----------------------------------------------------------
for t in $(kvctl table list); do kvctl table drop "$t" || echo "# cannot drop $t"; done
r kvctl --json table list; is '{"tables":[],"total":0}' "every table dropped"
r kvctl --json stats; has '{"tables":0,"bytes":*,"snapshots":0}' "stats: no tables left"
echo "1..$n"

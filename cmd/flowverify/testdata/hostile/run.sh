#!/usr/bin/env bash
# Hostile-input table: every row runs flowverify on an input an attacker
# or an unlucky user could hand it, under a memory ceiling (ulimit -v) and
# a time limit (timeout), and checks the documented exit code and what it
# must (or must not) print. .ci/run runs it; locally:
#   bash cmd/flowverify/testdata/hostile/run.sh
# Generated inputs (too large to commit) come from cmd/flowverify/testdata/hostile/gen.
set -uo pipefail
cd "$(dirname "$0")/../../../.."

MEM_KB=${HOSTILE_MEM_KB:-2097152} # 2 GiB of address space per row
SECS=${HOSTILE_SECS:-60}          # per row; each takes a few seconds at most

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# HOSTILE_BIN runs the table against another build (an older one, to see
# its rows fail).
fv=${HOSTILE_BIN:-$work/flowverify}
[ -n "${HOSTILE_BIN:-}" ] || go build -o "$fv" ./cmd/flowverify || exit 2
go build -o "$work/gen" ./cmd/flowverify/testdata/hostile/gen && "$work/gen" "$work" || exit 2
nacl=pcaps/webserver.nacl
pcap=pcaps/webserver.pcap

pass=0
failed=0
# row NAME WANT_EXIT CHECK COMMAND: runs COMMAND (bash, stdout to
# $work/out, stderr to $work/err) under the limits; WANT_EXIT is a regex
# of acceptable exit codes; CHECK is a bash test of the output.
row() {
	local name=$1 want=$2 check=$3 cmd=$4 code
	(
		ulimit -v "$MEM_KB"
		timeout -k 5 "$SECS" bash -c "$cmd" >"$work/out" 2>"$work/err"
	)
	code=$?
	if [[ ! $code =~ ^($want)$ ]]; then
		echo "FAIL $name: exit $code, want $want"
		head -c 600 "$work/err"
		failed=$((failed + 1))
	elif ! (cd "$work" && eval "$check"); then
		echo "FAIL $name: exit $code but the check failed: $check"
		head -c 600 "$work/out"
		head -c 600 "$work/err"
		failed=$((failed + 1))
	else
		echo "ok   $name (exit $code)"
		pass=$((pass + 1))
	fi
}

row "100,000 first IP fragments with distinct IDs" 0 \
	'grep -q "packets read: 100000" out' \
	"$fv flows $work/fragments.pcap"
row "synth on 20,000 distinct-port conversations" '0|1' \
	'grep -q "20000 conversation(s) produced rules" err' \
	"$fv synth --subnet 10.0.1.0/24 $work/ports.pcap"
row "lint on 30,000 rules in one direction" '0|1' \
	'grep -q "analysis-incomplete" out' \
	"$fv lint --nacl $work/rules.nacl"
row "check --packets on a process substitution" 1 \
	'[ "$(wc -l <out)" = 192 ]' \
	"$fv check --nacl $nacl --subnet 10.0.1.0/24 --packets --format jsonl <(cat $pcap)"
row "check on a process substitution (flow-log sniffing must not consume it)" 1 \
	'grep -q "Summary: 194 records read" out' \
	"$fv check --nacl $nacl --subnet 10.0.1.0/24 <(cat $pcap)"
row "check --packets on a named FIFO" 1 \
	'[ "$(wc -l <out)" = 192 ]' \
	"mkfifo $work/fifo && { cat $pcap >$work/fifo & } && $fv check --nacl $nacl --subnet 10.0.1.0/24 --packets --format jsonl $work/fifo"
row "stdout closed" 2 \
	'grep -q "standard output is closed" err' \
	"$fv lint --nacl $nacl >&-"
row "stdout full" 2 \
	'grep -q "no space left on device" err' \
	"$fv check --nacl $nacl --subnet 10.0.1.0/24 $pcap >/dev/full"
row "classic pcap timestamp fraction out of range" 0 \
	'grep -q "frame 2 (offset 80) timestamp out of range" err' \
	"$fv flows $work/badtime.pcap"
# A busy host's day in miniature: 1,000,000 short connections (600 a
# second: 28 minutes) from a pipe. Memory follows the connections live at
# once (about 20 MB), not the connections seen (180 MB and growing before).
if [ -x /usr/bin/time ]; then
	row "flows on 1,000,000 short connections from a pipe: memory flat" 0 \
		'[ "$(cat out)" = 1000000 ] && [ "$(cat rss)" -lt 100000 ]' \
		"$work/gen -short 1000000 | /usr/bin/time -f %M -o $work/rss $fv flows --format jsonl - | wc -l"
else
	echo "skip the short-connections memory row (needs GNU time: apt-get install time)"
fi
for cmd in "lint --nacl $work/evil.json" "lint --format json --nacl $work/evil.json" \
	"explain --nacl $work/evil.json --subnet 10.0.1.0/24 'tcp 198.51.100.1:40000 > 10.0.1.10:22'" \
	"check --nacl $work/evil.json --subnet 10.0.1.0/24 $pcap"; do
	args=${cmd%%--nacl*}
	row "control characters in ACL ID and Name: $args" '0|1' \
		'! grep -q $'"'"'[\x01-\x08\x0b-\x1f\x7f]'"'"' out err && ! LC_ALL=C grep -qP "\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]" out err && grep -q "\\\\u001b" out' \
		"$fv $cmd"
done

# Live capture (a -tags pcap build, root, the loopback interface): SIGTERM
# and SIGHUP end it like Ctrl-C: the report, then exit 128+signal.
if { [ -f /usr/include/pcap.h ] || [ -f /usr/include/pcap/pcap.h ]; } && [ "$(id -u)" = 0 ] && [ -z "${HOSTILE_BIN:-}" ] &&
	go build -tags pcap -o "$work/flowverify-pcap" ./cmd/flowverify; then
	for sig in TERM:143 HUP:129 INT:130; do
		row "SIG${sig%%:*} during --live" "${sig##*:}" \
			'grep -q "packets read:" out && grep -q "live capture ended by SIG'"${sig%%:*}"'" err' \
			"timeout --preserve-status -s ${sig%%:*} 2 $work/flowverify-pcap flows --live lo"
	done
else
	echo "skip --live signal rows (needs libpcap headers and root)"
fi

echo "hostile: $pass passed, $failed failed"
[ "$failed" = 0 ]

#!/usr/bin/env bash
# Times flowverify against tcpdump (plain copy) and tshark (TCP conversation
# table) on the same large generated capture, and prints the ratios and
# flowverify's peak memory.
#
#   bash bench/bench.sh [SIZE] [RUNS] [FLOOD]   e.g. bash bench/bench.sh 2GB 3 5000000
#   (SHORT=N sets the long run of short connections, default 3 M; FLOWLOG_RECORDS the flow logs)
#
# Besides the mixed capture it times, each against tcpdump on the same
# file: the mixed capture copied to pcapng (editcap -F pcapng), check in
# every format, synth and diff, and a SYN flood of FLOOD packets (default
# 5 M; 0 skips it), every packet its own conversation, all still live at
# the end (TCP idle 5 min): its peak RSS per conversation is the memory per
# live conversation.
#
# Needs: go, tcpdump, tshark (editcap), GNU time (Debian: tcpdump tshark time).
# The capture is generated once into bench/out/ (git-ignored) with a fixed
# seed, so every run measures the same file. Each tool reads the file from
# the page cache (it is read once before timing). Wall times are the median
# of RUNS runs (default 3); every run is listed in bench/out/runs.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-2GB}
runs=${2:-3}
flood=${3:-5000000}
out=bench/out
mkdir -p "$out"
file=$out/synthetic-$size.pcap
for tool in tcpdump tshark editcap /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install tcpdump tshark time)" >&2; exit 2; }
done
go build -o "$out/flowverify" ./cmd/flowverify
if [ ! -s "$file" ]; then
  "$out/flowverify" gencap --out "$file" --size "$size" --seed 1
fi
ngfile=$out/synthetic-$size.pcapng
[ -s "$ngfile" ] || editcap -F pcapng "$file" "$ngfile"
floodfile=$out/flood-$flood.pcap
if [ "$flood" -gt 0 ] && [ ! -s "$floodfile" ]; then
  "$out/flowverify" gencap --out "$floodfile" --flood "$flood" --seed 1
fi
cat "$file" "$ngfile" > /dev/null

# median_of CMD...: prints "SECONDS MAXRSS_KB" of the median of $runs runs
# (the issue's goals are ratios of medians; the lower middle run for an
# even count) and appends every run's time to $out/runs.txt.
median_of() {
  local times=() rsss=()
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$out/time.txt" "$@" > /dev/null 2> "$out/stderr.txt" || {
      code=$?; [ $code -le 1 ] || { echo "bench: '$*' failed ($code):" >&2; cat "$out/stderr.txt" >&2; exit 2; }; }
    read -r t m < <(tail -n 1 "$out/time.txt")
    times+=("$t"); rsss+=("$m")
  done
  echo "${GOMAXPROCS:+GOMAXPROCS=$GOMAXPROCS }$*: ${times[*]}" >> "$out/runs.txt"
  local i
  i=$(for k in "${!times[@]}"; do echo "${times[$k]} $k"; done | sort -g | awk -v n="$runs" 'NR == int((n + 1) / 2) {print $2}')
  echo "${times[$i]} ${rsss[$i]}"
}
: > "$out/runs.txt"

read -r t_tcpdump m_tcpdump < <(median_of tcpdump -r "$file" -w /dev/null)
read -r t_flows m_flows < <(median_of "$out/flowverify" flows --format jsonl "$file")
# check against an allow-all NACL prints the same conversation table as
# flows (the pure cost of judging); against the sample web-server NACL it
# also explains every broken conversation (most of this traffic is denied).
printf 'in 100 allow all 0.0.0.0/0\nin 101 allow all ::/0\nout 100 allow all 0.0.0.0/0\nout 101 allow all ::/0\n' > "$out/allow-all.nacl"
read -r t_flowstext m_flowstext < <(median_of "$out/flowverify" flows "$file")
read -r t_flowscsv m_flowscsv < <(median_of "$out/flowverify" flows --format csv "$file")
read -r t_check m_check < <(median_of "$out/flowverify" check --subnet 10.0.1.0/24 --nacl "$out/allow-all.nacl" "$file")
read -r t_checkweb m_checkweb < <(median_of "$out/flowverify" check --fail-on never --subnet 10.0.1.0/24 --nacl pcaps/webserver.nacl "$file")
read -r t_tshark m_tshark < <(runs=1 median_of tshark -n -q -z conv,tcp -r "$file")

# The other commands and formats on the same capture.
read -r t_checkjl m_checkjl < <(median_of "$out/flowverify" check --fail-on never --format jsonl --subnet 10.0.1.0/24 --nacl pcaps/webserver.nacl "$file")
read -r t_checkjson m_checkjson < <(median_of "$out/flowverify" check --fail-on never --format json --subnet 10.0.1.0/24 --nacl pcaps/webserver.nacl "$file")
read -r t_checkcsv m_checkcsv < <(median_of "$out/flowverify" check --fail-on never --format csv --subnet 10.0.1.0/24 --nacl pcaps/webserver.nacl "$file")
read -r t_checkjla m_checkjla < <(median_of "$out/flowverify" check --format jsonl --subnet 10.0.1.0/24 --nacl "$out/allow-all.nacl" "$file")
read -r t_synth m_synth < <(median_of "$out/flowverify" synth --subnet 10.0.1.0/24 --vpc-cidr 10.0.0.0/16 "$file")
read -r t_diff m_diff < <(median_of "$out/flowverify" diff --fail-on never --subnet 10.0.1.0/24 --nacl pcaps/webserver.nacl --nacl-new "$out/allow-all.nacl" "$file")
# pcapng copy of the same capture.
read -r t_ngtcpdump m_ngtcpdump < <(median_of tcpdump -r "$ngfile" -w /dev/null)
read -r t_ngflows m_ngflows < <(median_of "$out/flowverify" flows --format jsonl "$ngfile")
# SYN flood: every packet a new conversation.
if [ "$flood" -gt 0 ]; then
  cat "$floodfile" > /dev/null
  read -r t_fltcpdump m_fltcpdump < <(median_of tcpdump -r "$floodfile" -w /dev/null)
  read -r t_flflows m_flflows < <(median_of "$out/flowverify" flows --format jsonl "$floodfile")
  read -r t_flflowstext m_flflowstext < <(median_of "$out/flowverify" flows "$floodfile")
  read -r t_flcheck m_flcheck < <(median_of "$out/flowverify" check --format jsonl --subnet 10.0.1.0/24 --nacl "$out/allow-all.nacl" "$floodfile")
  read -r t_flchecktext m_flchecktext < <(median_of "$out/flowverify" check --subnet 10.0.1.0/24 --nacl "$out/allow-all.nacl" "$floodfile")
fi

# Cores: the same commands with GOMAXPROCS 1, 2, 4, ... up to the
# machine's cores (read-ahead, decoding, the conversation table, judging
# and formatting run on goroutines of their own).
cores=$(nproc)
core_counts=()
for ((c = 1; c <= cores; c *= 2)); do core_counts+=("$c"); done
[ "${core_counts[-1]}" = "$cores" ] || core_counts+=("$cores")
declare -A t_cores
for c in "${core_counts[@]}"; do
  read -r t_cores[flows,$c] _ < <(GOMAXPROCS=$c median_of "$out/flowverify" flows --format jsonl "$file")
  read -r t_cores[check,$c] _ < <(GOMAXPROCS=$c median_of "$out/flowverify" check --fail-on never --format jsonl --subnet 10.0.1.0/24 --nacl pcaps/webserver.nacl "$file")
  if [ "$flood" -gt 0 ]; then
    read -r t_cores[flood,$c] _ < <(GOMAXPROCS=$c median_of "$out/flowverify" flows --format jsonl "$floodfile")
  fi
done

# A long run of short connections (600 a second, each its own 5-tuple,
# the hostile table's generator), piped in as --live reads an interface:
# the peak memory of runs of SHORT/10 and SHORT connections shows whether
# memory follows the connections live at once (flat) or those seen.
short=${SHORT:-3000000}
go build -o "$out/shortgen" ./cmd/flowverify/testdata/hostile/gen
for n in $((short / 10)) "$short"; do
  /usr/bin/time -f "%e %M" -o "$out/short-$n.txt" bash -c "'$out/shortgen' -short $n | '$out/flowverify' flows --format jsonl - >/dev/null"
done
read -r t_short1 m_short1 < <(tail -n 1 "$out/short-$((short / 10)).txt")
read -r t_short2 m_short2 < <(tail -n 1 "$out/short-$short.txt")

convs=$("$out/flowverify" flows --format jsonl "$file" | grep -c '"id":' || true)
bytes=$(stat -c %s "$file")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b == 0) print "inf"; else printf "%.2f", a/b }'; }
row() { printf '%-58s %8s s  %9s KiB peak RSS  %6s x tcpdump\n' "$1" "$2" "$3" "$(ratio "$2" "$4")"; }
echo "capture: $file ($bytes bytes, $convs conversations), median of $runs runs (tshark: 1 run; every run: $out/runs.txt)"
printf '%-58s %8s s  %9s KiB peak RSS\n' "tcpdump -r FILE -w /dev/null" "$t_tcpdump" "$m_tcpdump"
row "tshark -n -q -z conv,tcp -r FILE" "$t_tshark" "$m_tshark" "$t_tcpdump"
row "flowverify flows --format jsonl FILE" "$t_flows" "$m_flows" "$t_tcpdump"
row "flowverify flows FILE (text)" "$t_flowstext" "$m_flowstext" "$t_tcpdump"
row "flowverify flows --format csv FILE" "$t_flowscsv" "$m_flowscsv" "$t_tcpdump"
row "flowverify check (allow-all NACL) FILE" "$t_check" "$m_check" "$t_tcpdump"
row "flowverify check --format jsonl (allow-all NACL) FILE" "$t_checkjla" "$m_checkjla" "$t_tcpdump"
row "flowverify check (webserver.nacl) FILE" "$t_checkweb" "$m_checkweb" "$t_tcpdump"
row "flowverify check --format jsonl (webserver.nacl) FILE" "$t_checkjl" "$m_checkjl" "$t_tcpdump"
row "flowverify check --format json (webserver.nacl) FILE" "$t_checkjson" "$m_checkjson" "$t_tcpdump"
row "flowverify check --format csv (webserver.nacl) FILE" "$t_checkcsv" "$m_checkcsv" "$t_tcpdump"
row "flowverify synth FILE" "$t_synth" "$m_synth" "$t_tcpdump"
row "flowverify diff (webserver -> allow-all) FILE" "$t_diff" "$m_diff" "$t_tcpdump"
echo "pcapng copy: $ngfile"
printf '%-58s %8s s  %9s KiB peak RSS\n' "tcpdump -r PCAPNG -w /dev/null" "$t_ngtcpdump" "$m_ngtcpdump"
row "flowverify flows --format jsonl PCAPNG" "$t_ngflows" "$m_ngflows" "$t_ngtcpdump"
if [ "$flood" -gt 0 ]; then
  echo "SYN flood: $floodfile ($flood packets, $flood conversations, all live at the end)"
  printf '%-58s %8s s  %9s KiB peak RSS\n' "tcpdump -r FLOOD -w /dev/null" "$t_fltcpdump" "$m_fltcpdump"
  row "flowverify flows --format jsonl FLOOD" "$t_flflows" "$m_flflows" "$t_fltcpdump"
  row "flowverify flows FLOOD (text)" "$t_flflowstext" "$m_flflowstext" "$t_fltcpdump"
  row "flowverify check --format jsonl (allow-all) FLOOD" "$t_flcheck" "$m_flcheck" "$t_fltcpdump"
  row "flowverify check (allow-all, text) FLOOD" "$t_flchecktext" "$m_flchecktext" "$t_fltcpdump"
fi
echo "cores (GOMAXPROCS): wall time in seconds"
printf '  %-40s' "GOMAXPROCS"; for c in "${core_counts[@]}"; do printf ' %7s' "$c"; done; echo
printf '  %-40s' "flows --format jsonl FILE"; for c in "${core_counts[@]}"; do printf ' %7s' "${t_cores[flows,$c]}"; done; echo
printf '  %-40s' "check --format jsonl (webserver) FILE"; for c in "${core_counts[@]}"; do printf ' %7s' "${t_cores[check,$c]}"; done; echo
if [ "$flood" -gt 0 ]; then
  printf '  %-40s' "flows --format jsonl FLOOD"; for c in "${core_counts[@]}"; do printf ' %7s' "${t_cores[flood,$c]}"; done; echo
fi
echo "short connections from a pipe (generator | flows --format jsonl -, 600 a second):"
printf '%-58s %8s s  %9s KiB peak RSS\n' "  $((short / 10)) connections ($((short / 360000)) min of traffic)" "$t_short1" "$m_short1"
printf '%-58s %8s s  %9s KiB peak RSS\n' "  $short connections ($((short / 36000)) min of traffic)" "$t_short2" "$m_short2"
echo "flows jsonl / tcpdump wall time:        $(ratio "$t_flows" "$t_tcpdump")  (goal <= 1.00)"
echo "tshark / flows jsonl wall time:         $(ratio "$t_tshark" "$t_flows")  (goal > 10)"
echo "check allow-all / flows text wall time: $(ratio "$t_check" "$t_flowstext")  (goal <= 1.20)"
echo "check webserver / flows text wall time: $(ratio "$t_checkweb" "$t_flowstext")  (every broken conversation explained)"
worst=$(printf '%s\n' "$t_flows" "$t_flowstext" "$t_flowscsv" "$t_check" "$t_checkjla" "$t_checkweb" "$t_checkjl" "$t_checkjson" "$t_checkcsv" "$t_synth" "$t_diff" | sort -g | tail -n 1)
echo "short connections: peak RSS x10 connections / x1:  $(ratio "$m_short2" "$m_short1")  (goal: flat, 1.00)"
echo "slowest command / tcpdump wall time:    $(ratio "$worst" "$t_tcpdump")  (goal <= 1.00 for every command)"
echo "pcapng flows jsonl / tcpdump on pcapng: $(ratio "$t_ngflows" "$t_ngtcpdump")  (goal <= 1.00)"
if [ "$flood" -gt 0 ]; then
  echo "flood flows jsonl / tcpdump:            $(ratio "$t_flflows" "$t_fltcpdump")  (goal <= 2.00)"
  echo "flood check jsonl / tcpdump:            $(ratio "$t_flcheck" "$t_fltcpdump")  (goal <= 2.00)"
  echo "flood peak RSS per live conversation:   $(awk -v m="$m_flflows" -v c="$flood" 'BEGIN{printf "%.0f", m*1024/c}') bytes (flows jsonl; check jsonl $(awk -v m="$m_flcheck" -v c="$flood" 'BEGIN{printf "%.0f", m*1024/c}'); goal < 200)"
fi

# A generated day of VPC Flow Logs for a busy VPC (S3 layout, 288 .log.gz
# files; FLOWLOG_RECORDS records, default 20 M), judged against the sample
# VPC's ACLs: reading, parsing, pairing and attributing every record.
flrecs=${FLOWLOG_RECORDS:-20000000}
fldir=$out/flowlogs-$flrecs
if [ ! -d "$fldir/AWSLogs" ]; then
  go run ./bench/flowloggen -out "$fldir" -records "$flrecs" -seed 1
fi
cat "$fldir"/AWSLogs/*/vpcflowlogs/*/*/*/*/*.log.gz > /dev/null
read -r t_fl m_fl < <(median_of "$out/flowverify" check --fail-on never --nacl pcaps/vpc-acls.json --subnets pcaps/vpc-subnets.json --vpc-cidr 10.0.0.0/16 "$fldir")
flcount=$("$out/flowverify" check --fail-on never --format json --nacl pcaps/vpc-acls.json --subnets pcaps/vpc-subnets.json --vpc-cidr 10.0.0.0/16 "$fldir" | sed -n '/"summary"/,/}/p' | awk -F': ' '/"records":/ {gsub(/,/,"",$2); print $2; exit}')
printf '%-44s %8s s  %9s KiB peak RSS\n' "flowverify check FLOW-LOGS (a day, S3 layout)" "$t_fl" "$m_fl"
echo "flow-log records per second (check, wall):  $(awk -v n="$flcount" -v t="$t_fl" 'BEGIN{ if (t == 0) print "inf"; else printf "%.0f", n/t }')  ($flcount records; goal >= 1 M/s per core)"

if [ "$convs" -gt 0 ]; then
  echo "flowverify peak memory per conversation: $(awk -v m="$m_flows" -v c="$convs" 'BEGIN{printf "%.0f", m*1024/c}') bytes (whole process RSS / conversations; goal < 200)"
fi

# shellcheck shell=bash
# pcaps/lib.sh - shared helpers for the flowverify sample-capture scripts.
#
# Source this file from a recording script; do not run it. It builds a small
# lab out of network namespaces on this machine only:
#
#   fvp-rtr   router namespace (ip_forward on), one veth per host namespace
#   fvp-web   EC2-like instance(s) in 10.0.1.0/24 (subnet "web")
#   fvp-db    database/cache instances in 10.0.2.0/24 (subnet "db")
#   fvp-svc   VPC services: Amazon DNS 10.0.0.2 and 169.254.169.253,
#             IMDS 169.254.169.254, Time Sync 169.254.169.123
#   fvp-inet  "internet" hosts in TEST-NET ranges (clients and a mirror)
#   fvp-win   a Windows-like internet client (ephemeral ports 49152-65535)
#
# Every address used is one this library creates inside its namespaces; no
# packet leaves the machine. Everything started is stopped by fv_cleanup
# (installed as an EXIT trap), even when a step fails. Set FV_KEEP=1 to keep
# the work directory (server configs and logs) for debugging.

set -euo pipefail
export LC_ALL=C

# FV_P (default fvp) prefixes every namespace and interface name, so that two
# recordings on one machine can run side by side (FV_P=fv8 bash ...).
FV_P=${FV_P:-fvp}
# FV_MIRROR is the package mirror's address (mirror.example.com).
FV_MIRROR=${FV_MIRROR:-192.0.2.80}
PCAPS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FV_WORK=$(mktemp -d /tmp/fvp-rec.XXXXXX)
chmod 755 "$FV_WORK"
FV_PIDS=()
FV_NSES=()
FV_PY=/usr/bin/python3

fv_log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }

# fv_cleanup stops every process this run started (by pid, then any process
# left inside our own namespaces), deletes the namespaces and the work dir.
fv_cleanup() {
	local rc=$? pid ns
	trap - EXIT INT TERM
	for pid in "${FV_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	sleep 0.3
	for pid in "${FV_PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
	for ns in "${FV_NSES[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
	done
	sleep 0.2
	for ns in "${FV_NSES[@]}"; do
		ip netns del "$ns" 2>/dev/null || true
		rm -rf "/etc/netns/$ns"
	done
	rmdir /etc/netns 2>/dev/null || true
	if [ -n "${FV_KEEP:-}" ]; then fv_log "kept $FV_WORK"; else rm -rf "$FV_WORK"; fi
	[ "$rc" -eq 0 ] || fv_log "FAILED (exit $rc)"
	exit "$rc"
}
trap fv_cleanup EXIT
trap 'exit 130' INT TERM

# fv_in HOST CMD... runs CMD inside namespace fvp-HOST.
fv_in() { local h=$1; shift; ip netns exec "$FV_P-$h" "$@"; }

# fv_bg HOST LOG CMD... starts CMD in the background inside fvp-HOST.
fv_bg() {
	local h=$1 log=$2; shift 2
	ip netns exec "$FV_P-$h" "$@" >"$log" 2>&1 &
	FV_PIDS+=("$!")
}

# fv_ns HOST [v6] creates namespace fvp-HOST; IPv6 stays disabled unless
# the second argument is "v6" (so IPv4 samples carry no MLD/RS noise).
fv_ns() {
	local h=$1 v6=${2:-} ns=$FV_P-$1 dis=1
	[ "$v6" = v6 ] && dis=0
	ip netns del "$ns" 2>/dev/null || true
	ip netns add "$ns"
	FV_NSES+=("$ns")
	ip -n "$ns" link set lo up
	fv_in "$h" sysctl -qw net.ipv6.conf.all.disable_ipv6=$dis net.ipv6.conf.default.disable_ipv6=$dis
	fv_in "$h" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	fv_in "$h" sysctl -qw net.ipv6.conf.default.accept_ra=0 net.ipv6.conf.default.router_solicitations=0
	fv_in "$h" sysctl -qw net.ipv4.ip_local_port_range="32768 60999"
}

# fv_router [v6] creates the router namespace with forwarding on.
fv_router() {
	fv_ns rtr "${1:-}"
	fv_in rtr sysctl -qw net.ipv4.ip_forward=1
	[ "${1:-}" = v6 ] && fv_in rtr sysctl -qw net.ipv6.conf.all.forwarding=1
	return 0
}

# fv_link HOST RIF N creates veth eth0 in fvp-HOST and RIF in the router,
# with deterministic MACs 0a:00:00:00:N:01 (host) / 0a:00:00:00:N:fe (router)
# and checksum/segmentation offloads off, so captures show wire-size frames
# with valid checksums.
fv_link() {
	local h=$1 rif=$2 n=$3 tmp="$FV_P-t$3"
	ip link add "$tmp" type veth peer name "$FV_P-$rif"
	ip link set "$tmp" netns "$FV_P-$h"
	ip -n "$FV_P-$h" link set "$tmp" name eth0
	ip link set "$FV_P-$rif" netns "$FV_P-rtr"
	ip -n "$FV_P-rtr" link set "$FV_P-$rif" name "$rif"
	ip -n "$FV_P-$h" link set eth0 address "0a:00:00:00:$n:01"
	ip -n "$FV_P-rtr" link set "$rif" address "0a:00:00:00:$n:fe"
	fv_in "$h" ethtool -K eth0 tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
	fv_in rtr ethtool -K "$rif" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
	ip -n "$FV_P-$h" link set eth0 up
	ip -n "$FV_P-rtr" link set "$rif" up
}

# fv_addr NS IF ADDR... adds addresses (IPv6 ones without DAD).
fv_addr() {
	local ns=$1 dev=$2 a; shift 2
	for a in "$@"; do
		case $a in
		*:*) ip -n "$FV_P-$ns" addr add "$a" dev "$dev" nodad ;;
		*) ip -n "$FV_P-$ns" addr add "$a" dev "$dev" ;;
		esac
	done
}

# fv_gw HOST GW [GW6] sets default routes in fvp-HOST.
fv_gw() {
	ip -n "$FV_P-$1" route add default via "$2" dev eth0
	[ -n "${3:-}" ] && ip -n "$FV_P-$1" -6 route add default via "$3" dev eth0
	return 0
}

# fv_resolver HOST ADDR makes glibc in fvp-HOST use ADDR as its resolver
# (ip netns exec bind-mounts /etc/netns/NS/resolv.conf over /etc/resolv.conf).
fv_resolver() {
	mkdir -p "/etc/netns/$FV_P-$1"
	printf 'nameserver %s\nsearch ec2.internal\noptions timeout:2 attempts:1\n' "$2" >"/etc/netns/$FV_P-$1/resolv.conf"
}

# fv_wait_listen HOST tcp|udp PORT waits (at most 5 s) for a listener.
fv_wait_listen() {
	local h=$1 proto=$2 port=$3 i flag=-ltnH
	[ "$proto" = udp ] && flag=-lunH
	for i in $(seq 1 50); do
		if fv_in "$h" ss "$flag" "sport = :$port" | grep -q .; then return 0; fi
		sleep 0.1
	done
	fv_log "no $proto listener on port $port in $h"
	return 1
}

# ---------------------------------------------------------------- content

# fv_content DIR writes the deterministic files the web servers serve.
fv_content() {
	local d=$1
	mkdir -p "$d/debian/dists/bookworm" "$d/debian/pool/main/h/hello" "$d/healthz"
	printf '<!doctype html>\n<html><head><title>flowverify sample</title></head>\n<body><h1>It works</h1></body></html>\n' >"$d/index.html"
	printf 'ok\n' >"$d/healthz/index.html"
	"$FV_PY" - "$d" <<'EOF'
import random, sys
d = sys.argv[1]
r = random.Random(20260601)
with open(d + "/debian/dists/bookworm/InRelease", "w") as f:
    f.write("Origin: Debian\nLabel: Debian\nSuite: stable\nCodename: bookworm\nSHA256:\n")
    for i in range(40):
        f.write(" %064x %8d main/binary-amd64/Packages.%d\n" % (r.getrandbits(256), r.randrange(10**7), i))
with open(d + "/debian/pool/main/h/hello/hello_2.10-3_amd64.deb", "wb") as f:
    f.write(bytes(r.getrandbits(8) for _ in range(24000)))
EOF
}

# fv_cert DIR CN makes a self-signed P-256 certificate (record time).
fv_cert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$1/key.pem" -out "$1/cert.pem" -days 30 -subj "/CN=$2" >/dev/null 2>&1
}

# ---------------------------------------------------------------- servers

# fv_nginx HOST NAME SERVER-BLOCKS starts nginx in fvp-HOST with the given
# server { } blocks; $FV_WORK/NAME is its prefix (cert.pem/key.pem there).
fv_nginx() {
	local h=$1 name=$2 servers=$3 d=$FV_WORK/$2
	local ssl=""
	mkdir -p "$d"
	[ -f "$d/cert.pem" ] && ssl="    ssl_certificate $d/cert.pem; ssl_certificate_key $d/key.pem;"
	cat >"$d/nginx.conf" <<EOF
user root;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 64; }
http {
    access_log $d/access.log;
    client_body_temp_path $d/body;
    proxy_temp_path $d/proxy;
    fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi;
    scgi_temp_path $d/scgi;
    server_tokens off;
    types { text/html html; text/plain txt; application/vnd.debian.binary-package deb; }
    default_type application/octet-stream;
$ssl
$servers
}
EOF
	fv_bg "$h" "$d/stderr.log" nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf" -g 'daemon off;'
}

# fv_sshd HOST ADDR starts OpenSSH on ADDR:22 accepting root with a key
# made at record time ($FV_WORK/ssh/client_key).
fv_sshd() {
	local h=$1 addr=$2 d=$FV_WORK/ssh
	mkdir -p "$d" /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
	ssh-keygen -q -t ed25519 -N '' -f "$d/client_key"
	cp "$d/client_key.pub" "$d/authorized_keys"
	cat >"$d/sshd_config" <<EOF
Port 22
ListenAddress $addr
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PrintMotd no
EOF
	fv_bg "$h" "$d/sshd.log" /usr/sbin/sshd -D -e -f "$d/sshd_config"
}

# fv_ssh HOST SRC DST CMD runs one ssh login from SRC to DST.
fv_ssh() {
	fv_in "$1" timeout 20 ssh -F /dev/null -i "$FV_WORK/ssh/client_key" -b "$2" \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
		-o LogLevel=ERROR "root@$3" "$4"
}

# fv_named HOST ADDR... starts BIND (authoritative only, recursion off) on
# the given IPv4 addresses with zones example.com, ec2.internal and
# 0.10.in-addr.arpa.
fv_named() {
	local h=$1 d=$FV_WORK/named; shift
	local listen; listen=$(printf '%s; ' "$@")
	mkdir -p "$d"
	cat >"$d/named.conf" <<EOF
options {
    directory "$d";
    pid-file "$d/named.pid";
    listen-on port 53 { $listen};
    listen-on-v6 { none; };
    recursion no;
    allow-query { any; };
    dnssec-validation no;
    notify no;
};
controls { };
zone "example.com" { type primary; file "$d/db.example.com"; };
zone "ec2.internal" { type primary; file "$d/db.ec2.internal"; };
zone "0.10.in-addr.arpa" { type primary; file "$d/db.10.0"; };
EOF
	cat >"$d/db.example.com" <<'EOF'
$TTL 300
@       IN SOA ns1.example.com. hostmaster.example.com. 2026060101 3600 600 86400 300
@       IN NS  ns1.example.com.
ns1     IN A   10.0.0.2
mirror  IN AAAA 2001:db8:80::80
deb     IN CNAME mirror
www     IN A   10.0.1.10
EOF
	cat >"$d/db.ec2.internal" <<'EOF'
$TTL 300
@             IN SOA ns1.example.com. hostmaster.example.com. 2026060101 3600 600 86400 300
@             IN NS  ns1.example.com.
ip-10-0-1-10  IN A   10.0.1.10
ip-10-0-2-20  IN A   10.0.2.20
EOF
	cat >"$d/db.10.0" <<'EOF'
$TTL 300
@        IN SOA ns1.example.com. hostmaster.example.com. 2026060101 3600 600 86400 300
@        IN NS  ns1.example.com.
10.1     IN PTR ip-10-0-1-10.ec2.internal.
20.2     IN PTR ip-10-0-2-20.ec2.internal.
EOF
	printf 'mirror  IN A   %s\n' "$FV_MIRROR" >>"$d/db.example.com"
	fv_bg "$h" "$d/named.log" named -g -c "$d/named.conf"
}

# fv_chrony_server HOST ADDR starts chronyd serving NTP on ADDR:123
# without touching the (shared) system clock.
fv_chrony_server() {
	local h=$1 d=$FV_WORK/chrony-srv
	mkdir -p "$d"
	cat >"$d/chrony.conf" <<EOF
bindaddress $2
port 123
cmdport 0
allow all
local stratum 3
pidfile $d/chronyd.pid
EOF
	fv_bg "$h" "$d/chronyd.log" chronyd -x -d -u root -f "$d/chrony.conf"
}

# fv_ntp_query HOST SERVER runs one chronyd -Q measurement (clock untouched).
fv_ntp_query() {
	local d=$FV_WORK/chrony-cli-$1
	mkdir -p "$d"
	printf 'server %s iburst maxsamples 4\ncmdport 0\npidfile %s/chronyd.pid\n' "$2" "$d" >"$d/chrony.conf"
	fv_in "$1" timeout 30 chronyd -Q -u root -f "$d/chrony.conf" 2>&1 | sed 's/^/    ntp: /' >&2 || true
}

# ---------------------------------------------------------------- capture

# fv_capture_start HOST IFACE NAME [BPF...] starts tcpdump (-s 0 -U) and
# waits until it is listening. The pcap goes to $FV_WORK/NAME.
fv_capture_start() {
	local h=$1 dev=$2 name=$3 i; shift 3
	fv_bg "$h" "$FV_WORK/$name.tcpdump.log" tcpdump -i "$dev" -s 0 -U -n -Z root -w "$FV_WORK/$name" "$@"
	FV_CAP_PID=$!
	for i in $(seq 1 50); do
		grep -q 'listening on' "$FV_WORK/$name.tcpdump.log" 2>/dev/null && return 0
		sleep 0.1
	done
	fv_log "tcpdump did not start: $(cat "$FV_WORK/$name.tcpdump.log")"
	return 1
}

# fv_capture_stop PID NAME stops tcpdump with SIGINT after a short pause and
# installs $FV_WORK/NAME as pcaps/NAME.
fv_capture_stop() {
	sleep 1
	kill -INT "$1"
	wait "$1" || true
	cat "$FV_WORK/$2.tcpdump.log" | grep -E 'captured|dropped' | sed 's/^/    tcpdump: /' >&2 || true
}

fv_install() {
	cp "$FV_WORK/$1" "$PCAPS_DIR/$1"
	chmod 644 "$PCAPS_DIR/$1"
	fv_log "wrote pcaps/$1 ($(stat -c %s "$PCAPS_DIR/$1") bytes)"
}

# fv_curl HOST SRC ARGS... runs curl (-k: self-signed certs) bound to source
# address SRC; bodies are discarded, one status line per URL goes to stderr.
fv_curl() {
	local h=$1 src=$2; shift 2
	fv_in "$h" timeout 20 curl -sS -k --max-time 15 --interface "$src" \
		-w '%{stderr}    curl %{http_code} %{size_download}B %{url_effective}\n' "$@" >/dev/null
}

# ---------------------------------------------------------------- topology

# fv_lab_web INET-CLIENTS WIN-CLIENT builds the common lab: router, the web
# instance 10.0.1.10, the VPC services namespace, the internet namespace
# (clients INET-CLIENTS, e.g. "198.51.100.23/24 203.0.113.14/25", plus the
# package mirror $FV_MIRROR, default 192.0.2.80) and the Windows-like client WIN-CLIENT
# (an address in 203.0.113.128/25, or empty for none).
fv_lab_web() {
	local inet_clients=$1 win=${2:-} a
	fv_router
	fv_ns web
	fv_link web r-web 01
	fv_addr rtr r-web 10.0.1.1/24
	fv_addr web eth0 10.0.1.10/24
	fv_gw web 10.0.1.1

	fv_ns svc
	fv_link svc r-svc 02
	fv_addr rtr r-svc 10.0.0.1/24
	fv_addr svc eth0 10.0.0.2/24 169.254.169.123/32 169.254.169.253/32 169.254.169.254/32
	ip -n "$FV_P-rtr" route add 169.254.169.0/24 dev r-svc
	fv_gw svc 10.0.0.1

	fv_ns inet
	fv_link inet r-inet 03
	fv_addr rtr r-inet 198.51.100.1/24 203.0.113.1/25 192.0.2.1/24
	# shellcheck disable=SC2086
	fv_addr inet eth0 "$FV_MIRROR/24" $inet_clients
	fv_gw inet 198.51.100.1

	if [ -n "$win" ]; then
		fv_ns win
		fv_link win r-win 04
		fv_addr rtr r-win 203.0.113.129/25
		fv_addr win eth0 "$win/25"
		fv_gw win 203.0.113.129
		fv_in win sysctl -qw net.ipv4.ip_local_port_range="49152 65535"
	fi
	fv_resolver web 10.0.0.2
}

# fv_mirror_nginx starts the package mirror ($FV_MIRROR:80 and :443).
fv_mirror_nginx() {
	local d=$FV_WORK/mirror
	mkdir -p "$d/www"
	fv_content "$d/www"
	fv_cert "$d" mirror.example.com
	fv_nginx inet mirror "
    server { listen $FV_MIRROR:80; listen $FV_MIRROR:443 ssl; server_name mirror.example.com; root $d/www; }"
	fv_wait_listen inet tcp 443
}

# fv_web_nginx ADDR-LISTEN... starts the web server's nginx (port 80 and
# 443 on each listen address, e.g. 10.0.1.10 or 127.0.0.1).
fv_web_nginx() {
	local d=$FV_WORK/web a listens=""
	mkdir -p "$d/www"
	fv_content "$d/www"
	fv_cert "$d" www.example.com
	for a in "$@"; do listens+="listen $a:80; listen $a:443 ssl; "; done
	fv_nginx web web "
    server { $listens server_name www.example.com; root $d/www; }"
	fv_wait_listen web tcp 443
}

#!/usr/bin/env bash
# Records pcaps/twotier.pcap (run 1, default) or pcaps/twotier-2.pcap
# (run 2: the same tiers another day: other app hosts, a new database
# replica and ALB node, new ephemeral ports).
#
# Three subnets of the VPC 10.0.0.0/16:
#   subnet-app 10.0.1.0/24: app instances (nginx on :8080) that query the
#     database tier and fetch from the package mirror 192.0.2.80 (HTTPS)
#   subnet-db  10.0.2.0/24: PostgreSQL-like listeners on :5432 (primary and
#     replica; socat request/response servers)
#   subnet-alb 10.0.3.0/24: ALB-like nodes sending health checks and HTTP
#     requests to the apps' :8080 from source ports spread over 1024-65535,
#     as Elastic Load Balancing does (one port drawn per band, seeded)
# Captured in the router on r-app (the app subnet's link: every packet the
# app subnet's NACL sees), Ethernet.
#
# Usage: sudo bash pcaps/twotier.sh [1|2]
source "$(dirname "$0")/lib.sh"

RUN=${1:-1}
case $RUN in
1) OUT=twotier.pcap APPS="10.0.1.11 10.0.1.12" DBS="10.0.2.20 10.0.2.21" ALBS="10.0.3.10 10.0.3.11" SEED=1 ;;
2) OUT=twotier-2.pcap APPS="10.0.1.13 10.0.1.14" DBS="10.0.2.20 10.0.2.22" ALBS="10.0.3.12 10.0.3.11" SEED=2 ;;
*) echo "usage: $0 [1|2]" >&2; exit 2 ;;
esac
read -r APP1 APP2 <<<"$APPS"
read -r DB1 DB2 <<<"$DBS"
read -r ALB1 ALB2 <<<"$ALBS"

fv_router
fv_ns app
fv_link app r-app 01
fv_addr rtr r-app 10.0.1.1/24
fv_addr app eth0 "$APP1/24" "$APP2/24"
fv_gw app 10.0.1.1
fv_ns db
fv_link db r-db 05
fv_addr rtr r-db 10.0.2.1/24
fv_addr db eth0 "$DB1/24" "$DB2/24"
fv_gw db 10.0.2.1
fv_ns alb
fv_link alb r-alb 06
fv_addr rtr r-alb 10.0.3.1/24
fv_addr alb eth0 "$ALB1/24" "$ALB2/24"
fv_gw alb 10.0.3.1
fv_ns inet
fv_link inet r-inet 03
fv_addr rtr r-inet 192.0.2.1/24
fv_addr inet eth0 "$FV_MIRROR/24"
fv_gw inet 192.0.2.1

fv_mirror_nginx
d=$FV_WORK/app
mkdir -p "$d/www"
fv_content "$d/www"
fv_nginx app app "
    server { listen $APP1:8080; listen $APP2:8080; root $d/www; }"
printf '#!/bin/sh\nread q\nprintf " id | name\\n----+------------\\n  1 | flowverify\\n(1 row)\\n"\n' >"$FV_WORK/pg.sh"
chmod 755 "$FV_WORK/pg.sh"
fv_bg db "$FV_WORK/pg1.log" socat "TCP-LISTEN:5432,bind=$DB1,reuseaddr,fork" "EXEC:$FV_WORK/pg.sh"
fv_bg db "$FV_WORK/pg2.log" socat "TCP-LISTEN:5432,bind=$DB2,reuseaddr,fork" "EXEC:$FV_WORK/pg.sh"
fv_wait_listen app tcp 8080
fv_wait_listen db tcp 5432

# query SRC DST: one request/response conversation to DST:5432.
query() {
	printf 'SELECT id, name FROM app;\n' | fv_in app timeout 10 socat -t 2 - "TCP:$2:5432,bind=$1" | sed 's/^/    reply: /' >&2
}

fv_capture_start rtr r-app "$OUT"
CAP=$FV_CAP_PID

fv_log "ALB-like nodes -> apps :8080 (source ports spread over 1024-65535)"
fv_in alb timeout 60 "$FV_PY" - "$SEED" "$ALB1,$ALB2" "$APP1,$APP2" >&2 <<'PY'
import random, socket, sys
seed, albs, apps = int(sys.argv[1]), sys.argv[2].split(","), sys.argv[3].split(",")
r = random.Random(seed)
bands = [(1024, 4999), (5000, 19999), (20000, 32767), (32768, 49151), (49152, 60999), (61000, 65535)]
paths = ["/healthz/", "/", "/index.html"]
n = 0
for i, (lo, hi) in enumerate(bands):   # bounded: 6 bands x 2 nodes
    for alb in albs:
        app = apps[n % len(apps)]
        port = r.randint(lo, hi)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(5)
        s.bind((alb, port))
        s.connect((app, 8080))
        s.sendall(("GET %s HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n" % paths[n % len(paths)]).encode())
        got = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            got += b
        s.close()
        print("    %s:%d -> %s:8080 %s" % (alb, port, app, got.split(b"\r\n", 1)[0].decode()))
        n += 1
PY

fv_log "apps -> database primary and replica"
query "$APP1" "$DB1"
query "$APP2" "$DB2"
query "$APP1" "$DB2"
query "$APP2" "$DB1"

fv_log "apps -> package mirror"
fv_curl app "$APP1" https://$FV_MIRROR/debian/dists/bookworm/InRelease
fv_curl app "$APP2" https://$FV_MIRROR/debian/dists/bookworm/InRelease

fv_capture_stop "$CAP" "$OUT"
fv_install "$OUT"

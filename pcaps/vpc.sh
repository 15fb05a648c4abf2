#!/usr/bin/env bash
# Records pcaps/vpc-two-subnets.pcap: two subnets of one VPC.
#   subnet-web 10.0.1.0/24: app instances 10.0.1.11 (also nginx :80 for
#     internet clients) and 10.0.1.12
#   subnet-db  10.0.2.0/24: PostgreSQL-like listener 10.0.2.20:5432 and a
#     Redis-like cache 10.0.2.21:6379 (socat request/response servers)
# Conversations: apps -> db and cache (cross-subnet), apps -> the mirror
# 192.0.2.80 (HTTP/HTTPS), internet clients -> 10.0.1.11:80, and the db
# host's own HTTPS download from the mirror.
# Captured in the router namespace: everything on r-web (the web subnet's
# link), plus on r-db only what does not also cross r-web, so each packet
# is in the file once; the two captures are merged by time (Ethernet).
# See vpc-acls.json / vpc-subnets.json for the matching ACLs and subnets.
#
# Usage: sudo bash pcaps/vpc.sh
source "$(dirname "$0")/lib.sh"

OUT=vpc-two-subnets.pcap
APP1=10.0.1.11 APP2=10.0.1.12 DB=10.0.2.20 CACHE=10.0.2.21
C1=198.51.100.23 C2=203.0.113.14

fv_router
fv_ns web
fv_link web r-web 01
fv_addr rtr r-web 10.0.1.1/24
fv_addr web eth0 "$APP1/24" "$APP2/24"
fv_gw web 10.0.1.1
fv_ns db
fv_link db r-db 05
fv_addr rtr r-db 10.0.2.1/24
fv_addr db eth0 "$DB/24" "$CACHE/24"
fv_gw db 10.0.2.1
fv_ns inet
fv_link inet r-inet 03
fv_addr rtr r-inet 198.51.100.1/24 203.0.113.1/25 192.0.2.1/24
fv_addr inet eth0 192.0.2.80/24 "$C1/24" "$C2/25"
fv_gw inet 198.51.100.1

fv_mirror_nginx
d=$FV_WORK/app
mkdir -p "$d/www"
fv_content "$d/www"
fv_nginx web app "
    server { listen $APP1:80; root $d/www; }"
# One request line in, a fixed answer out (scripts avoid socat quoting).
printf '#!/bin/sh\nread q\nprintf " id | name\\n----+------------\\n  1 | flowverify\\n(1 row)\\n"\n' >"$FV_WORK/pg.sh"
printf '#!/bin/sh\nread c\nprintf "+PONG\\r\\n"\n' >"$FV_WORK/redis.sh"
chmod 755 "$FV_WORK/pg.sh" "$FV_WORK/redis.sh"
fv_bg db "$FV_WORK/pg.log" socat "TCP-LISTEN:5432,bind=$DB,reuseaddr,fork" "EXEC:$FV_WORK/pg.sh"
fv_bg db "$FV_WORK/redis.log" socat "TCP-LISTEN:6379,bind=$CACHE,reuseaddr,fork" "EXEC:$FV_WORK/redis.sh"
fv_wait_listen web tcp 80
fv_wait_listen db tcp 5432
fv_wait_listen db tcp 6379

# ask SRC DST PORT REQUEST: one request/response conversation via socat.
ask() {
	printf '%s' "$4" | fv_in web timeout 10 socat -t 2 - "TCP:$2:$3,bind=$1" | tr -d '\r' | sed 's/^/    reply: /' >&2
}

fv_capture_start rtr r-web "$OUT.web"
CAPW=$FV_CAP_PID
fv_capture_start rtr r-db "$OUT.db" not net 10.0.1.0/24
CAPD=$FV_CAP_PID

fv_log "apps -> db and cache"
ask "$APP1" "$DB" 5432 $'SELECT id, name FROM app;\n'
ask "$APP1" "$CACHE" 6379 $'PING\r\n'
ask "$APP2" "$DB" 5432 $'SELECT id, name FROM app;\n'
ask "$APP2" "$CACHE" 6379 $'PING\r\n'
ask "$APP1" "$DB" 5432 $'SELECT id, name FROM app;\n'
ask "$APP2" "$CACHE" 6379 $'PING\r\n'
fv_log "apps -> internet mirror"
fv_curl web "$APP1" https://192.0.2.80/debian/dists/bookworm/InRelease
fv_curl web "$APP2" http://192.0.2.80/debian/dists/bookworm/InRelease
fv_log "internet clients -> app1:80"
fv_curl inet "$C1" "http://$APP1/"
fv_curl inet "$C2" "http://$APP1/index.html"
fv_log "db host's own update"
fv_curl db "$DB" https://192.0.2.80/debian/dists/bookworm/InRelease

fv_capture_stop "$CAPW" "$OUT.web"
fv_capture_stop "$CAPD" "$OUT.db"
mergecap -F pcap -w "$FV_WORK/$OUT" "$FV_WORK/$OUT.web" "$FV_WORK/$OUT.db"
fv_install "$OUT"

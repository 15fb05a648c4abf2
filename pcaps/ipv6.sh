#!/usr/bin/env bash
# Records pcaps/ipv6.pcap: IPv6-only web server 2001:db8:10:1::10 (nginx on
# [::]:80) with internet clients 2001:db8:beef::100 and
# 2001:db8:beef:1::200 (HTTP, ICMPv6 echo), and the server's own HTTP
# download from the mirror 2001:db8:80::80. Neighbour discovery between the
# server and its router (2001:db8:10:1::1) happens on first contact and is
# in the capture. Captured on the web server's eth0 (Ethernet).
#
# Usage: sudo bash pcaps/ipv6.sh
source "$(dirname "$0")/lib.sh"

OUT=ipv6.pcap
WEB=2001:db8:10:1::10 CA=2001:db8:beef::100 CB=2001:db8:beef:1::200 MIRROR=2001:db8:80::80

fv_router v6
fv_ns web v6
fv_link web r-web 01
fv_addr rtr r-web 2001:db8:10:1::1/64
fv_addr web eth0 "$WEB/64"
ip -n "$FV_P-web" -6 route add default via 2001:db8:10:1::1 dev eth0
fv_ns inet v6
fv_link inet r-inet 03
fv_addr rtr r-inet 2001:db8:beef::1/64 2001:db8:beef:1::1/64 2001:db8:80::1/64
fv_addr inet eth0 "$CA/64" "$CB/64" "$MIRROR/64"
ip -n "$FV_P-inet" -6 route add default via 2001:db8:beef::1 dev eth0

d=$FV_WORK/mirror
mkdir -p "$d/www"
fv_content "$d/www"
fv_cert "$d" mirror.example.com
fv_nginx inet mirror "
    server { listen [$MIRROR]:80; server_name mirror.example.com; root $d/www; }"
fv_wait_listen inet tcp 80
fv_web_nginx '[::]'
sleep 2 # let link-up MLD reports pass before the capture starts

fv_capture_start web eth0 "$OUT"
CAP=$FV_CAP_PID

fv_log "server's own download from the mirror"
fv_curl web "$WEB" -g "http://[$MIRROR]/debian/dists/bookworm/InRelease"
fv_log "clients: HTTP and ICMPv6 echo"
fv_curl inet "$CA" -g "http://[$WEB]/" "http://[$WEB]/healthz/"
fv_in inet ping -6 -n -q -c 3 -i 0.2 -W 1 -I "$CA" "$WEB" >&2
fv_curl inet "$CB" -g "http://[$WEB]/debian/dists/bookworm/InRelease"
fv_in inet ping -6 -n -q -c 2 -i 0.2 -W 1 -I "$CB" "$WEB" >&2

fv_capture_stop "$CAP" "$OUT"
fv_install "$OUT"

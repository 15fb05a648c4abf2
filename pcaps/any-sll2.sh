#!/usr/bin/env bash
# Records pcaps/any-sll2.pcap: web traffic on the web server 10.0.1.10
# captured with `tcpdump -i any`, which tcpdump 4.99 / libpcap 1.10 write as
# LINUX_SLL2 (link type 276: interface index, packet type, no MAC header).
# Contents: HTTP and HTTPS from internet clients, the server's own HTTP
# download from the mirror 192.0.2.80, and a local health check to
# 127.0.0.1 (loopback traffic appears on "lo" in an any-capture).
#
# Usage: sudo bash pcaps/any-sll2.sh
source "$(dirname "$0")/lib.sh"

OUT=any-sll2.pcap
C1=198.51.100.23 C2=203.0.113.14

fv_lab_web "$C1/24 $C2/25" ""
fv_mirror_nginx
fv_web_nginx 10.0.1.10 127.0.0.1

fv_capture_start web any "$OUT"
CAP=$FV_CAP_PID

fv_curl web 10.0.1.10 http://192.0.2.80/debian/dists/bookworm/InRelease
fv_curl inet "$C1" http://10.0.1.10/ http://10.0.1.10/index.html
fv_curl inet "$C2" https://10.0.1.10/
fv_curl web 127.0.0.1 http://127.0.0.1/healthz/

fv_capture_stop "$CAP" "$OUT"
fv_install "$OUT"

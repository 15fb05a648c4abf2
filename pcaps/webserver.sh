#!/usr/bin/env bash
# Records pcaps/webserver.pcap (run 1, default) or pcaps/webserver-2.pcap
# (run 2: same services and conversations, other client addresses in the
# same prefixes, new ephemeral ports) or pcaps/webserver-3.pcap (run 3: new
# clients again, a different package mirror 198.51.100.80, and a connect
# scan from 203.0.113.99 of open (22, 80, 443) and closed ports; the test
# of flowverify synth learns from run 1 and replays run 3).
#
# Web server 10.0.1.10 (nginx 80/443, OpenSSH 22) serves internet clients
# and updates itself: DNS to the VPC resolver 10.0.0.2, HTTP + HTTPS from
# the mirror 192.0.2.80, NTP to 169.254.169.123, ping to the mirror.
# Captured on the web server's eth0 (Ethernet).
#
# Usage: sudo bash pcaps/webserver.sh [1|2|3]
source "$(dirname "$0")/lib.sh"

RUN=${1:-1}
case $RUN in
1) OUT=webserver.pcap
   C1=198.51.100.23 C2=203.0.113.14 C3=198.51.100.57 WIN=203.0.113.200 ;;
2) OUT=webserver-2.pcap
   C1=198.51.100.31 C2=203.0.113.47 C3=198.51.100.99 WIN=203.0.113.150 ;;
3) OUT=webserver-3.pcap FV_MIRROR=198.51.100.80 SCANNER=203.0.113.99
   C1=198.51.100.140 C2=203.0.113.77 C3=198.51.100.201 WIN=203.0.113.222 ;;
*) echo "usage: $0 [1|2|3]" >&2; exit 2 ;;
esac

fv_lab_web "$C1/24 $C3/24 $C2/25${SCANNER:+ $SCANNER/25}" "$WIN"
fv_named svc 10.0.0.2
fv_chrony_server svc 169.254.169.123
fv_mirror_nginx
fv_web_nginx 10.0.1.10
fv_sshd web 10.0.1.10
fv_wait_listen svc udp 53
fv_wait_listen svc udp 123
fv_wait_listen web tcp 22

fv_capture_start web eth0 "$OUT"
CAP=$FV_CAP_PID

fv_log "self-update: DNS, HTTP/HTTPS from the mirror, NTP, ping"
fv_in web timeout 10 dig +short +tries=1 +time=2 @10.0.0.2 mirror.example.com A >&2
fv_curl web 10.0.1.10 -4 http://mirror.example.com/debian/dists/bookworm/InRelease
fv_curl web 10.0.1.10 -4 https://mirror.example.com/debian/pool/main/h/hello/hello_2.10-3_amd64.deb
fv_ntp_query web 169.254.169.123
fv_in web ping -n -q -c 3 -i 0.2 -W 1 "$FV_MIRROR" >&2

fv_log "internet clients: HTTP, HTTPS, SSH"
fv_curl inet "$C1" http://10.0.1.10/ http://10.0.1.10/healthz/
fv_curl inet "$C2" https://10.0.1.10/
fv_ssh inet "$C3" 10.0.1.10 'uname -s' >&2
fv_curl win "$WIN" http://10.0.1.10/index.html
fv_curl win "$WIN" https://10.0.1.10/index.html
fv_curl inet "$C1" https://10.0.1.10/debian/dists/bookworm/InRelease

if [ -n "${SCANNER:-}" ]; then
	fv_log "connect scan $SCANNER -> 10.0.1.10, open and closed ports"
	fv_in inet timeout 60 "$FV_PY" - "$SCANNER" 10.0.1.10 >&2 <<'PY'
import socket, sys
src, dst = sys.argv[1], sys.argv[2]
opened = []
for port in (21, 22, 23, 25, 80, 110, 443, 445, 3306, 3389, 5432, 8080, 8443):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(0.5)
    s.bind((src, 0))
    try:
        s.connect((dst, port))
        opened.append(port)
    except OSError:
        pass
    finally:
        s.close()
print("    open ports:", opened)
PY
fi

fv_capture_stop "$CAP" "$OUT"
fv_install "$OUT"

#!/usr/bin/env bash
# Records pcaps/portscan.pcap: a TCP connect() scan from 203.0.113.66 of
# ports 1-1024 on the web server 10.0.1.10, in ascending order, one new
# ephemeral source port per probe. Open: 22 (OpenSSH), 80 and 443 (nginx),
# answered with SYN-ACK (the scanner then closes the connection); every
# other port answers RST. Captured on the web server's eth0 (Ethernet).
#
# Usage: sudo bash pcaps/portscan.sh
source "$(dirname "$0")/lib.sh"

OUT=portscan.pcap
SCANNER=203.0.113.66

fv_lab_web "198.51.100.23/24 $SCANNER/25" ""
fv_web_nginx 10.0.1.10
fv_sshd web 10.0.1.10
fv_wait_listen web tcp 22

fv_capture_start web eth0 "$OUT"
CAP=$FV_CAP_PID

fv_log "connect scan $SCANNER -> 10.0.1.10 ports 1-1024"
fv_in inet timeout 120 "$FV_PY" - "$SCANNER" 10.0.1.10 1 1024 >&2 <<'PY'
import socket, sys
src, dst, lo, hi = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
opened = []
for port in range(lo, hi + 1):          # bounded: hi-lo+1 probes, 0.5 s each at most
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

fv_capture_stop "$CAP" "$OUT"
fv_install "$OUT"

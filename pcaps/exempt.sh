#!/usr/bin/env bash
# Records pcaps/exempt.pcap: traffic AWS network ACLs never filter, seen
# from the instance 10.0.1.10 (captured on its eth0, Ethernet):
#   - DNS to the Amazon-provided resolver at VPC base+2 (10.0.0.2), UDP and
#     TCP, and to its link-local alias 169.254.169.253
#   - instance metadata (IMDSv2: PUT token, then GETs) at 169.254.169.254:80
#   - Amazon Time Sync NTP at 169.254.169.123:123
# plus one ordinary HTTPS download from 192.0.2.80 for contrast (that one
# IS subject to NACLs).
#
# Usage: sudo bash pcaps/exempt.sh
source "$(dirname "$0")/lib.sh"

OUT=exempt.pcap

fv_lab_web "198.51.100.23/24" ""
fv_named svc 10.0.0.2 169.254.169.253
fv_chrony_server svc 169.254.169.123
fv_mirror_nginx

# IMDS: static answers for a few meta-data paths, a fixed IMDSv2 token.
d=$FV_WORK/imds
mkdir -p "$d/www/latest/meta-data/placement"
printf 'i-0123456789abcdef0' >"$d/www/latest/meta-data/instance-id"
printf '10.0.1.10' >"$d/www/latest/meta-data/local-ipv4"
printf 'us-east-1a' >"$d/www/latest/meta-data/placement/availability-zone"
printf 'ami-id\ninstance-id\nlocal-ipv4\nplacement/\n' >"$d/www/latest/meta-data/index.html"
fv_nginx svc imds "
    server { listen 169.254.169.254:80; root $d/www;
        location = /latest/api/token { default_type text/plain; return 200 'AQAEAFlowverifySampleTokenAAAAAAAAAAAAAAAAAAAAAA=='; } }"
fv_wait_listen svc tcp 80
fv_wait_listen svc udp 53
fv_wait_listen svc udp 123

fv_capture_start web eth0 "$OUT"
CAP=$FV_CAP_PID

fv_log "DNS to 10.0.0.2 (UDP, TCP) and 169.254.169.253"
fv_in web timeout 10 dig +short +tries=1 +time=2 @10.0.0.2 mirror.example.com A >&2
fv_in web timeout 10 dig +short +tries=1 +time=2 @10.0.0.2 -x 10.0.1.10 >&2
fv_in web timeout 10 dig +short +tcp +tries=1 +time=2 @10.0.0.2 ip-10-0-2-20.ec2.internal A >&2
fv_in web timeout 10 dig +short +tries=1 +time=2 @169.254.169.253 deb.example.com A >&2
fv_log "IMDSv2"
TOKEN=$(fv_in web timeout 10 curl -sS --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 21600' \
	http://169.254.169.254/latest/api/token)
fv_curl web 10.0.1.10 -H "X-aws-ec2-metadata-token: $TOKEN" \
	http://169.254.169.254/latest/meta-data/instance-id \
	http://169.254.169.254/latest/meta-data/local-ipv4 \
	http://169.254.169.254/latest/meta-data/placement/availability-zone
fv_log "Time Sync NTP"
fv_ntp_query web 169.254.169.123
fv_log "ordinary HTTPS download (filtered by NACLs)"
fv_curl web 10.0.1.10 https://192.0.2.80/debian/pool/main/h/hello/hello_2.10-3_amd64.deb

fv_capture_stop "$CAP" "$OUT"
fv_install "$OUT"

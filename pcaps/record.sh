#!/usr/bin/env bash
# Re-records every sample capture in pcaps/ (about a minute; needs root).
# Each per-sample script builds its own namespaces and removes them again.
# Debian packages: tcpdump tshark nginx-light bind9 dnsutils chrony
# openssh-server openssh-client socat curl iproute2 iputils-ping ethtool
# python3 openssl wireshark-common (mergecap, capinfos).
#
# Usage: sudo bash pcaps/record.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "record.sh: run as root (network namespaces)" >&2; exit 1; fi
for tool in tcpdump tshark mergecap capinfos nginx named chronyd sshd ssh socat curl dig ip ethtool openssl; do
	command -v "$tool" >/dev/null || { echo "record.sh: missing $tool" >&2; exit 1; }
done
bash "$here/webserver.sh" 1
bash "$here/webserver.sh" 2
bash "$here/webserver.sh" 3
bash "$here/portscan.sh"
bash "$here/ipv6.sh"
bash "$here/any-sll2.sh"
bash "$here/vpc.sh"
bash "$here/twotier.sh" 1
bash "$here/twotier.sh" 2
bash "$here/exempt.sh"
bash "$here/summary.sh"

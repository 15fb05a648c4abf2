#!/usr/bin/env bash
# Prints, for every sample capture in pcaps/, its link type, packet count
# and size (capinfos) and how many TCP/UDP conversations tshark finds;
# with -v also the conversation tables. Needs tshark/capinfos, not root.
#
# Usage: bash pcaps/summary.sh [-v]
set -euo pipefail
cd "$(dirname "$0")"
for f in webserver.pcap webserver-2.pcap webserver-3.pcap portscan.pcap ipv6.pcap any-sll2.pcap vpc-two-subnets.pcap twotier.pcap twotier-2.pcap exempt.pcap; do
	if [ ! -f "$f" ]; then echo "=== $f: missing"; continue; fi
	tcp=$(tshark -r "$f" -q -z conv,tcp 2>/dev/null | grep -c '<->' || true)
	udp=$(tshark -r "$f" -q -z conv,udp 2>/dev/null | grep -c '<->' || true)
	printf '=== %s: %s, %s packets, %s bytes, %s TCP / %s UDP conversations\n' "$f" \
		"$(capinfos -T -r -E "$f" | cut -f2)" "$(capinfos -T -r -c "$f" | cut -f2)" \
		"$(stat -c %s "$f")" "$tcp" "$udp"
	if [ "${1:-}" = -v ]; then tshark -r "$f" -q -z conv,tcp -z conv,udp 2>/dev/null | grep -E '<->' || true; fi
done

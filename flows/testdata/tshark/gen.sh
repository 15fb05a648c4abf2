#!/bin/sh
# Regenerates the tshark conversation tables the corpus tests compare
# against: for each capture below, `tshark -z conv,tcp -z conv,udp` output
# is stored as FILE.txt beside this script. The captures live outside the
# repository in ../shared/corpus (relative to the repository root) and
# are never copied in.
#
# Usage: flows/testdata/tshark/gen.sh [CORPUS_DIR]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
corpus=${1:-$here/../../../../shared/corpus}
files="
tcpdump/ssh.pcap
tcpdump/dns_tcp.pcap
tcpdump/dns_tcp_8053.pcap
tcpdump/dns_udp.pcap
tcpdump/ntp.pcap
tcpdump/tftp.pcap
tcpdump/syslog_udp.pcap
tcpdump/mptcp-v1.pcap
tcpdump/isakmp4500.pcap
tcpdump/quic_handshake.pcap
tcpdump/babel_rtt.pcap
tcpdump/dns-badcookie.pcap
tcpdump/of13_ericsson.pcapng
tcpdump/bgp-role.pcapng
tcpdump/tcp-handshake-nano.pcap
tcpdump/ipv4_tcp_http_xml.pcap
tcpdump/LINKTYPE_RAW_ipv4.pcap
zeek/tcp_syn-synack.pcap
zeek/tcp_no-handshake.pcap
zeek/udp-multiple-source-ports.pcap
zeek/communityid_ipv6.pcap
zeek/http-vlan-0.pcap
zeek/linux_dlt_sll2.pcap
"
for f in $files; do
	out="$here/$(basename "$f").txt"
	tshark -n -q -r "$corpus/$f" -z conv,tcp -z conv,udp 2>/dev/null >"$out"
	echo "wrote $out"
done

// Package synth generates the minimal AWS Network ACL that allows exactly
// the traffic of recorded conversations (flowverify synth). It is the
// algorithm only: cmd/flowverify/render prints its Result (the report in
// text and JSON).
//
// The algorithm, in order:
//
//  1. Every conversation is classified: traffic NACLs never filter (Amazon
//     DNS, metadata, Time Sync, ...), same-subnet traffic and conversations
//     that never worked (SYN answered by RST, SYN never answered, handshake
//     never completed, ping never answered) produce no rule and are listed
//     as excluded. Placement and exemptions come from nacl/replay, judged
//     with an allow-all ACL on the given subnets, so synth and replay agree.
//  2. Each observed leg of the remaining conversations becomes a
//     requirement in every NACL direction it crosses: the request leg on the
//     server's service port, the response leg on the client group's
//     ephemeral range (a profile from flows/ephemeral covering every
//     observed port of that client, never the observed ports themselves).
//     A forced range (Options.Ephemeral) is used as given: replies to
//     client ports outside it get no rule and are reported (OutsideForced).
//  3. Peers are generalised per service (direction, protocol, service
//     port; Options.Peers, see Intent and Decision): public peers of a
//     service of the subnet, and public peers of the subnet's own requests
//     on well-known ports, become 0.0.0.0/0 (::/0); several private peers
//     their smallest enclosing modelled prefix (PeerSubnets, Subnets,
//     VPCCIDRs); one private peer, unsure roles on a port in an ephemeral
//     range, and everything in PeersExact mode stay exact. The response
//     legs use the decision of their service. Ports are never generalised.
//     The resulting prefixes are aggregated (netipx), widened by
//     --peer-prefix when that is wider, and replaced by 0.0.0.0/0 (::/0)
//     above MaxPeers. Each prefix x port range is a box. Response ranges
//     hold for the next connection: public clients of unknown OS get
//     32768-65535 (1024-65535 when they used a lower port), senders whose
//     ports spread over 1024-65535 aws-managed, and windows-2003 or
//     freebsd are never picked from fewer than 16 conversations.
//  4. Boxes whose union is itself a box are merged for free (adjacent ports,
//     sibling prefixes, contained boxes). While a direction and IP family
//     holds more boxes than its budget, the pair whose merge admits the
//     least new address x service space is merged and the merge reported
//     (Result.Curve reads the rules-vs-over-permission trade-off off these
//     merges). A merge that would newly allow a server port a failed
//     conversation found closed is never made, even if the budget is then
//     exceeded (a warning says so).
//     The path-MTU-discovery rule (Options.PMTUD) is not observed traffic:
//     it is added after this step when a slot is left (or left out when an
//     observed rule already allows it), never merged lossily, and dropped
//     with a warning when the budget is full.
//  5. Kept deny rules come first, then allows in a deterministic order;
//     rule numbers start at First in steps of Step.
//
// Over-permission is measured in "address x service units": a TCP/UDP
// rule allows |CIDR| x |port range| units, an ICMP rule |CIDR| x 1 per
// type:code (256 for a type with any code, 65536 for all ICMP), another
// protocol |CIDR| x 65536 and protocol all |CIDR| x 65536 x 256. The
// intended space of a rule is what the observations asked for: one unit
// per distinct (peer address, service port or ICMP type:code) and
// |ephemeral range| units per distinct (client address, response range).
// A rule's over-permission is allowed minus intended; it is reported in
// bits, log2(1 + over-permission), per rule and for the total, and per
// peer decision (Decision.OverBits).
//
// Options.Learn leaves conversations out of the learning (--holdout);
// ReplayUnseen replays them, or another recording (--validate), against
// the result and says why each denied working conversation is denied
// (new peer, new port, new ephemeral port).
package synth

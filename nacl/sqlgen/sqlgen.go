// Package sqlgen turns flowverify's NACL model into SQL over the VPC Flow
// Logs table that AWS documents for Athena, so that the flow-log verdicts
// of nacl/flowcheck can be computed where the logs are: Athena, Trino,
// Spark SQL or DuckDB. The generated query returns, per record, the verdict
// at the logging interface, the deciding ACL and rule and the attribution
// of the logged action, with the same semantics as nacl/flowcheck (the
// DuckDB form is tested equal to it record by record).
//
// Addresses are matched as integers, portable to every dialect:
//
//   - IPv4: the 32-bit value as BIGINT (a*2^24 + b*2^16 + c*2^8 + d); a
//     CIDR is a BETWEEN over its first and last address.
//   - IPv6: the 128-bit value as a 32-character lower-case hexadecimal
//     string, zero-padded (the address with "::" expanded and every
//     group padded to 4 digits). Fixed-length hex strings order like the
//     numbers they write, so a CIDR is a BETWEEN over two such strings.
//
// Only split_part, strpos (instr in Spark), substr, length, replace, lower,
// lpad, CASE and string concatenation are used. ICMP type and code are not
// in flow logs: rules naming an ICMP type never match (as in flowcheck).
// IPv6 addresses written with an embedded dotted IPv4 part
// (::ffff:10.0.0.1) are not decoded correctly; flow logs write IPv6
// addresses in hexadecimal groups.
package sqlgen

import (
	"cmp"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

// Dialect is an SQL dialect.
type Dialect string

// Dialects.
const (
	Athena Dialect = "athena" // Athena engine version 3 (Trino)
	Trino  Dialect = "trino"
	Spark  Dialect = "spark" // Spark SQL 3.3 or later (split_part)
	DuckDB Dialect = "duckdb"
)

// ParseDialect parses a dialect name.
func ParseDialect(s string) (Dialect, error) {
	switch d := Dialect(strings.ToLower(s)); d {
	case Athena, Trino, Spark, DuckDB:
		return d, nil
	}
	return "", fmt.Errorf("unknown SQL dialect %q (want athena, trino, spark or duckdb)", s)
}

// Options configure the generated queries.
type Options struct {
	Dialect Dialect
	// Table is the flow-log table (default vpc_flow_logs, the name in
	// AWS's Athena guide).
	Table string
	// Where is an optional filter on the table (partition columns, e.g.
	// "day >= '2024/05/01'"), inserted as is.
	Where string
	// Version is the highest flow-log field version the table has columns
	// for: 2 (no subnet_id, pkt_srcaddr, flow_direction: placement by
	// address only) up to 5 (the default, AWS's Athena DDL).
	Version int
	// Interfaces place interfaces by ID (describe-network-interfaces).
	Interfaces []replay.InterfaceInfo
	// Top is how many rejected conversations the hits query lists
	// (default 20).
	Top int
	// ExtraColumns are further table columns to repeat in the output
	// (partition columns, a record ID).
	ExtraColumns []string
}

func (o *Options) defaults() error {
	if o.Dialect == "" {
		o.Dialect = Athena
	}
	if _, err := ParseDialect(string(o.Dialect)); err != nil {
		return err
	}
	if o.Table == "" {
		o.Table = "vpc_flow_logs"
	}
	if o.Version == 0 {
		o.Version = 5
	}
	if o.Version < 2 {
		return fmt.Errorf("flow-log version %d: want 2 or later", o.Version)
	}
	if o.Top <= 0 {
		o.Top = 20
	}
	return nil
}

// gen holds what one generation needs.
type gen struct {
	o       Options
	j       *replay.Judge
	t       *replay.Topology
	subnets map[string]bool
}

func newGen(j *replay.Judge, o Options) (*gen, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	g := &gen{o: o, j: j, t: j.Topology(), subnets: map[string]bool{}}
	for _, s := range g.t.Subnets {
		g.subnets[s.ID] = true
	}
	return g, nil
}

// q quotes an identifier.
func (g *gen) q(name string) string {
	if g.o.Dialect == Spark {
		return "`" + name + "`"
	}
	return `"` + name + `"`
}

func (g *gen) strpos(s, sub string) string {
	if g.o.Dialect == Spark {
		return "instr(" + s + ", " + sub + ")"
	}
	return "strpos(" + s + ", " + sub + ")"
}

// lit quotes a string literal.
func lit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// absent turns "-" into NULL for a string column.
func absent(col string) string { return "NULLIF(" + col + ", '-')" }

// v4Value and v6Hex give the encodings of an address.
func v4Value(a netip.Addr) uint64 {
	b := a.As4()
	return uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3])
}

func v6Hex(a netip.Addr) string {
	b := a.As16()
	return fmt.Sprintf("%x", b[:])
}

// lastAddr returns the last address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	bits := p.Bits()
	for i := range b {
		for k := 0; k < 8; k++ {
			if i*8+k >= bits {
				b[i] |= 0x80 >> k
			}
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// inPrefix is the condition "address X (encoded columns X4/X6, family
// flag X_v6) lies in p".
func inPrefix(x string, p netip.Prefix) string {
	p = p.Masked()
	if p.Addr().Is4() {
		return fmt.Sprintf("(NOT %s_v6 AND %s4 BETWEEN %d AND %d)", x, x, v4Value(p.Addr()), v4Value(lastAddr(p)))
	}
	return fmt.Sprintf("(%s_v6 AND %s6 BETWEEN '%s' AND '%s')", x, x, v6Hex(p.Addr()), v6Hex(lastAddr(p)))
}

// isAddr is the condition "address X equals a".
func isAddr(x string, a netip.Addr) string {
	if a.Is4() {
		return fmt.Sprintf("(NOT %s_v6 AND %s4 = %d)", x, x, v4Value(a))
	}
	return fmt.Sprintf("(%s_v6 AND %s6 = '%s')", x, x, v6Hex(a))
}

// linkScoped mirrors replay's link-scoped test: link-local unicast and
// multicast, interface-local multicast, unspecified, limited broadcast.
func linkScoped(x string) string {
	return "(" + strings.Join([]string{
		inPrefix(x, netip.MustParsePrefix("169.254.0.0/16")),
		inPrefix(x, netip.MustParsePrefix("224.0.0.0/24")),
		isAddr(x, netip.MustParseAddr("0.0.0.0")),
		isAddr(x, netip.MustParseAddr("255.255.255.255")),
		inPrefix(x, netip.MustParsePrefix("fe80::/10")),
		inPrefix(x, netip.MustParsePrefix("ff02::/16")),
		inPrefix(x, netip.MustParsePrefix("ff01::/16")),
		isAddr(x, netip.MustParseAddr("::")),
	}, " OR ") + ")"
}

// prefixRefs lists every subnet CIDR with its subnet, longest first (the
// judge's lookup order).
func (g *gen) prefixRefs() []struct {
	p  netip.Prefix
	id string
} {
	var out []struct {
		p  netip.Prefix
		id string
	}
	for _, s := range g.t.Subnets {
		for _, p := range s.CIDRs {
			out = append(out, struct {
				p  netip.Prefix
				id string
			}{p.Masked(), s.ID})
		}
	}
	slices.SortStableFunc(out, func(a, b struct {
		p  netip.Prefix
		id string
	}) int {
		return cmp.Compare(b.p.Bits(), a.p.Bits())
	})
	return out
}

// subnetOf is a CASE giving the subnet ID holding address X, or NULL.
func (g *gen) subnetOf(x string) string {
	var b strings.Builder
	b.WriteString("CASE")
	for _, pr := range g.prefixRefs() {
		fmt.Fprintf(&b, " WHEN %s THEN %s", inPrefix(x, pr.p), lit(pr.id))
	}
	b.WriteString(" END")
	return b.String()
}

// ruleCase is the signed deciding rule (+N allow, -N deny) of acl's dir
// rules for the packet (addresses p_src/p_dst, protocol, p_dport).
func ruleCase(acl *nacl.ACL, dir nacl.Direction) string {
	x := "s"
	if dir == nacl.Egress {
		x = "d"
	}
	fam := func(v6 bool) string {
		var b strings.Builder
		b.WriteString("CASE")
		for _, e := range nacl.SortedEntries(acl, dir) {
			if e.IsIPv6() != v6 {
				continue
			}
			useICMP := e.Protocol == nacl.ProtoICMP || (e.Protocol == nacl.ProtoICMPv6 && v6)
			if useICMP && e.ICMPType >= 0 {
				continue // flow logs carry no ICMP type: never matches
			}
			conds := []string{inPrefix(x, e.CIDR)}
			if e.Protocol != nacl.ProtoAll {
				conds = append(conds, fmt.Sprintf("protocol = %d", e.Protocol))
			}
			if e.UsesPorts() && !(e.Ports.From == 0 && e.Ports.To == 65535) {
				conds = append(conds, fmt.Sprintf("p_dport BETWEEN %d AND %d", e.Ports.From, e.Ports.To))
			}
			n := e.RuleNumber
			if e.Action == nacl.Deny {
				n = -n
			}
			fmt.Fprintf(&b, " WHEN %s THEN %d", strings.Join(conds, " AND "), n)
		}
		def := nacl.DefaultRuleIPv4
		if v6 {
			def = nacl.DefaultRuleIPv6
		}
		if b.Len() == len("CASE") {
			return strconv.Itoa(-def)
		}
		fmt.Fprintf(&b, " ELSE %d END", -def)
		return b.String()
	}
	return fmt.Sprintf("CASE WHEN %s_v6 THEN %s ELSE %s END", x, fam(true), fam(false))
}

// perSubnet is a CASE over a subnet-ID column giving f(subnet).
func (g *gen) perSubnet(col string, f func(s *replay.Subnet) string) string {
	var b strings.Builder
	b.WriteString("CASE " + col)
	for i := range g.t.Subnets {
		s := &g.t.Subnets[i]
		fmt.Fprintf(&b, " WHEN %s THEN %s", lit(s.ID), f(s))
	}
	b.WriteString(" END")
	return b.String()
}

// modelled is the condition "column col names a modelled subnet".
func (g *gen) modelled(col string) string {
	ids := make([]string, 0, len(g.t.Subnets))
	for _, s := range g.t.Subnets {
		ids = append(ids, lit(s.ID))
	}
	return col + " IN (" + strings.Join(ids, ", ") + ")"
}

// expand emits the columns encoding address column x: x_v6, x4, x6.
// Stage 1 splits at "::" (x_h, x_t), stage 2 counts the groups, stage 3
// builds the encodings.
func (g *gen) expandStages(addrs []string) (s1, s2, s3 []string) {
	for _, x := range addrs {
		dc := g.strpos(x+"_l", "'::'")
		s1 = append(s1,
			fmt.Sprintf("CASE WHEN %s > 0 THEN substr(%s_l, 1, %s - 1) ELSE %s_l END AS %s_h", dc, x, dc, x, x),
			fmt.Sprintf("CASE WHEN %s > 0 THEN substr(%s_l, %s + 2) ELSE '' END AS %s_t", dc, x, dc, x))
		cnt := func(c string) string {
			return fmt.Sprintf("CASE WHEN %s = '' THEN 0 ELSE length(%s) - length(replace(%s, ':', '')) + 1 END", c, c, c)
		}
		s2 = append(s2, cnt(x+"_h")+" AS "+x+"_nh", cnt(x+"_t")+" AS "+x+"_nt")
		var groups []string
		for i := 0; i < 8; i++ {
			groups = append(groups, fmt.Sprintf("lpad(CASE WHEN %d < %s_nh THEN split_part(%s_h, ':', %d) WHEN %d >= 8 - %s_nt THEN split_part(%s_t, ':', %d - (8 - %s_nt)) ELSE '0' END, 4, '0')",
				i, x, x, i+1, i, x, x, i+1, x))
		}
		v4 := fmt.Sprintf("CAST(split_part(%s_l, '.', 1) AS BIGINT) * 16777216 + CAST(split_part(%s_l, '.', 2) AS BIGINT) * 65536 + CAST(split_part(%s_l, '.', 3) AS BIGINT) * 256 + CAST(split_part(%s_l, '.', 4) AS BIGINT)", x, x, x, x)
		s3 = append(s3,
			fmt.Sprintf("CASE WHEN %s_v6 THEN NULL ELSE %s END AS %s4", x, v4, x),
			fmt.Sprintf("CASE WHEN %s_v6 THEN %s END AS %s6", x, strings.Join(groups, " || "), x))
	}
	return
}

// Records returns the per-record query: every column of the table, then
// verdict (allow, deny, exempt, not-filtered), reason (exempt and
// not-filtered: amazon-dns, same-subnet, ...), acl, rule, direction
// (inbound/outbound) of the deciding check, attribution (nacl, not-nacl,
// accept-would-deny, or NULL for an ACCEPT the NACL allows) and placement
// (subnet-id, interfaces, address, unknown, outside), as nacl/flowcheck
// returns them.
func Records(j *replay.Judge, o Options) (string, error) {
	g, err := newGen(j, o)
	if err != nil {
		return "", err
	}
	var w strings.Builder
	w.WriteString("-- flowverify: NACL verdict and attribution of every flow-log record\n")
	fmt.Fprintf(&w, "-- dialect %s; addresses: IPv4 as BIGINT, IPv6 as 32-digit lower-case hex (see the flowverify README)\n", g.o.Dialect)
	w.WriteString("WITH\n")
	w.WriteString(g.ctes())
	w.WriteString(g.finalSelect())
	return g.materialize(w.String()), nil
}

var cteStart = regexp.MustCompile(`(?m)^([a-z0-9]+) AS \(`)

// materialize marks every CTE MATERIALIZED for DuckDB, which otherwise
// inlines them and repeats the address decoding in every rule (the query
// then takes minutes instead of milliseconds). Trino and Spark keep a
// projection used several times.
func (g *gen) materialize(q string) string {
	if g.o.Dialect != DuckDB {
		return q
	}
	return cteStart.ReplaceAllString(q, "$1 AS MATERIALIZED (")
}

// Hits returns the second query: per-rule hit counts (kind 'rule': acl,
// direction, rule, action; records, packets, bytes, first_start,
// last_end, rejected, nacl_rejects, accept_would_deny) followed by the
// Top rejected conversations (kind 'rejected': interface_id, srcaddr,
// dstaddr, protocol, dstport with the same counts and the attribution and
// deciding rule), the rules ordered by ACL, direction and rule, the
// conversations by records, most first.
func Hits(j *replay.Judge, o Options) (string, error) {
	g, err := newGen(j, o)
	if err != nil {
		return "", err
	}
	str, big := "VARCHAR", "BIGINT"
	if g.o.Dialect == Spark {
		str = "STRING"
	}
	null := func(t string) string { return "CAST(NULL AS " + t + ")" }
	counts := "count(*) AS records, sum(packets) AS packets, sum(bytes) AS bytes, min(" + g.q("start") + ") AS first_start, max(" + g.q("end") + ") AS last_end,\n" +
		"    sum(CASE WHEN action = 'REJECT' THEN 1 ELSE 0 END) AS rejected, sum(CASE WHEN attribution = 'nacl' THEN 1 ELSE 0 END) AS nacl_rejects,\n" +
		"    sum(CASE WHEN attribution = 'accept-would-deny' THEN 1 ELSE 0 END) AS accept_would_deny"
	var w strings.Builder
	w.WriteString("-- flowverify: per-rule hits and top rejected conversations from flow logs\n")
	fmt.Fprintf(&w, "-- dialect %s\n", g.o.Dialect)
	w.WriteString("WITH\n")
	w.WriteString(g.ctes())
	w.WriteString(",\njudged AS (\n")
	w.WriteString(g.finalSelect())
	w.WriteString("),\nrules AS (\n")
	fmt.Fprintf(&w, "  SELECT 'rule' AS kind, acl, direction, rule, verdict AS action, %s AS attribution,\n    %s AS interface_id, %s AS srcaddr, %s AS dstaddr, %s AS protocol, %s AS dstport,\n    %s\n",
		null(str), null(str), null(str), null(str), null(big), null(big), counts)
	w.WriteString("  FROM judged WHERE acl IS NOT NULL GROUP BY acl, direction, rule, verdict\n),\n")
	w.WriteString("rejected AS (\n")
	fmt.Fprintf(&w, "  SELECT 'rejected' AS kind, acl, direction, rule, verdict AS action, attribution,\n    interface_id, srcaddr, dstaddr, CAST(protocol AS BIGINT) AS protocol, CAST(dstport AS BIGINT) AS dstport,\n    %s\n", counts)
	w.WriteString("  FROM judged WHERE action = 'REJECT'\n  GROUP BY acl, direction, rule, verdict, attribution, interface_id, srcaddr, dstaddr, protocol, dstport\n")
	fmt.Fprintf(&w, "  ORDER BY records DESC, interface_id, srcaddr, dstaddr, protocol, dstport LIMIT %d\n)\n", g.o.Top)
	w.WriteString("SELECT * FROM (SELECT * FROM rules UNION ALL SELECT * FROM rejected) h\n")
	w.WriteString("ORDER BY kind DESC, CASE WHEN kind = 'rule' THEN 0 ELSE -records END, acl, direction, rule, interface_id, srcaddr, dstaddr, protocol, dstport\n")
	return g.materialize(w.String()), nil
}

// ctes returns the common table expressions up to the verdict (v).
func (g *gen) ctes() string {
	v := g.o.Version
	col := func(name string, minVersion int) string {
		if v >= minVersion {
			return absent(g.q(name))
		}
		return "CAST(NULL AS VARCHAR)"
	}
	if g.o.Dialect == Spark {
		col = func(name string, minVersion int) string {
			if v >= minVersion {
				return absent(g.q(name))
			}
			return "CAST(NULL AS STRING)"
		}
	}
	src, dst := absent("srcaddr"), absent("dstaddr")
	psrc, pdst := col("pkt_srcaddr", 3), col("pkt_dstaddr", 3)
	usePkt := fmt.Sprintf("%s IS NOT NULL AND %s IS NOT NULL AND (%s > 0) = (%s > 0)", psrc, pdst, g.strpos(psrc, "':'"), g.strpos(pdst, "':'"))
	fdir := col("flow_direction", 5)
	subnetID := col("subnet_id", 3)

	var w strings.Builder
	w.WriteString("fl AS (\n  SELECT f.*,\n")
	fmt.Fprintf(&w, "    lower(CASE WHEN %s THEN %s ELSE %s END) AS s_l,\n", usePkt, psrc, src)
	fmt.Fprintf(&w, "    lower(CASE WHEN %s THEN %s ELSE %s END) AS d_l,\n", usePkt, pdst, dst)
	fmt.Fprintf(&w, "    lower(CASE %s WHEN 'ingress' THEN %s WHEN 'egress' THEN %s END) AS e_l,\n", fdir, dst, src)
	fmt.Fprintf(&w, "    %s AS fdir,\n", fdir)
	fmt.Fprintf(&w, "    %s AS rec_subnet,\n", subnetID)
	fmt.Fprintf(&w, "    %s AS iface_subnet,\n", g.ifaceCase())
	w.WriteString("    CASE WHEN protocol IN (6, 17) AND srcport IS NOT NULL AND dstport IS NOT NULL THEN dstport END AS p_dport\n")
	fmt.Fprintf(&w, "  FROM %s f\n", g.o.Table)
	if g.o.Where != "" {
		fmt.Fprintf(&w, "  WHERE %s\n", g.o.Where)
	}
	w.WriteString("),\n")
	addrs := []string{"s", "d", "e"}
	s1, s2, s3 := g.expandStages(addrs)
	var v6flags []string
	for _, x := range addrs {
		v6flags = append(v6flags, fmt.Sprintf("%s > 0 AS %s_v6", g.strpos(x+"_l", "':'"), x))
	}
	fmt.Fprintf(&w, "a1 AS (SELECT fl.*, %s, %s FROM fl),\n", strings.Join(v6flags, ", "), strings.Join(s1, ", "))
	fmt.Fprintf(&w, "a2 AS (SELECT a1.*, %s FROM a1),\n", strings.Join(s2, ", "))
	fmt.Fprintf(&w, "a3 AS (SELECT a2.*, %s FROM a2),\n", strings.Join(s3, ", "))

	// Exemptions, in the judge's order.
	special := g.j.SpecialAddrs()
	var dhcpEnds []string
	for _, x := range []string{"s", "d"} {
		ends := []string{
			isAddr(x, netip.MustParseAddr("255.255.255.255")), isAddr(x, netip.MustParseAddr("0.0.0.0")), isAddr(x, netip.MustParseAddr("::")),
			inPrefix(x, netip.MustParsePrefix("169.254.0.0/16")), inPrefix(x, netip.MustParsePrefix("fe80::/10")),
			inPrefix(x, netip.MustParsePrefix("224.0.0.0/24")), inPrefix(x, netip.MustParsePrefix("ff02::/16")),
		}
		for _, s := range special {
			if s.Reason == replay.ReasonVPCRouter {
				ends = append(ends, isAddr(x, s.Addr))
			}
		}
		dhcpEnds = append(dhcpEnds, ends...)
	}
	dhcp := fmt.Sprintf("protocol = 17 AND p_dport IS NOT NULL AND ((NOT d_v6 AND p_dport IN (67, 68)) OR (d_v6 AND p_dport IN (546, 547))) AND (%s)", strings.Join(dhcpEnds, " OR "))
	var reason strings.Builder
	fmt.Fprintf(&reason, "CASE WHEN %s THEN %s", dhcp, lit(replay.ReasonDHCP))
	for _, s := range special {
		fmt.Fprintf(&reason, " WHEN %s OR %s THEN %s", isAddr("s", s.Addr), isAddr("d", s.Addr), lit(s.Reason))
	}
	fmt.Fprintf(&reason, " WHEN %s OR %s THEN %s", linkScoped("s"), linkScoped("d"), lit(replay.ReasonLinkLocal))
	reason.WriteString(" END")

	fmt.Fprintf(&w, "b AS (SELECT a3.*, %s AS ex_reason, %s AS s_sub, %s AS d_sub, %s AS e_sub FROM a3),\n",
		reason.String(), g.subnetOf("s"), g.subnetOf("d"), g.subnetOf("e"))
	// Checks: source subnet outbound, destination subnet inbound.
	fmt.Fprintf(&w, "c AS (SELECT b.*,\n")
	w.WriteString("    CASE WHEN ex_reason IS NOT NULL THEN ex_reason WHEN s_sub IS NULL AND d_sub IS NULL THEN 'not-crossing' WHEN s_sub = d_sub THEN 'same-subnet' END AS reason\n  FROM b),\n")
	fmt.Fprintf(&w, "k AS (SELECT c.*,\n")
	fmt.Fprintf(&w, "    CASE WHEN reason IS NULL THEN %s END AS s_rule,\n", g.perSubnet("s_sub", func(s *replay.Subnet) string { return ruleCase(s.ACL, nacl.Egress) }))
	fmt.Fprintf(&w, "    CASE WHEN reason IS NULL THEN %s END AS d_rule,\n", g.perSubnet("d_sub", func(s *replay.Subnet) string { return ruleCase(s.ACL, nacl.Ingress) }))
	fmt.Fprintf(&w, "    CASE WHEN reason IS NULL THEN %s END AS s_acl,\n", g.perSubnet("s_sub", func(s *replay.Subnet) string { return lit(s.ACL.ID) }))
	fmt.Fprintf(&w, "    CASE WHEN reason IS NULL THEN %s END AS d_acl\n", g.perSubnet("d_sub", func(s *replay.Subnet) string { return lit(s.ACL.ID) }))
	w.WriteString("  FROM c),\n")
	// Placement: which check the logging interface saw.
	w.WriteString("p AS (SELECT k.*,\n    CASE\n")
	w.WriteString("      WHEN s_rule IS NULL AND d_rule IS NULL THEN 'none/outside'\n")
	for _, pl := range []struct{ col, name string }{{"rec_subnet", "subnet-id"}, {"iface_subnet", "interfaces"}} {
		fmt.Fprintf(&w, "      WHEN %s THEN CASE WHEN s_rule IS NOT NULL AND s_sub = %s THEN 'src/%s' WHEN d_rule IS NOT NULL AND d_sub = %s THEN 'dst/%s' ELSE 'none/outside' END\n",
			g.modelled(pl.col), pl.col, pl.name, pl.col, pl.name)
	}
	w.WriteString("      WHEN fdir = 'ingress' THEN CASE WHEN d_rule IS NOT NULL AND d_sub = e_sub THEN 'dst/address' ELSE 'none/outside' END\n")
	w.WriteString("      WHEN fdir = 'egress' THEN CASE WHEN s_rule IS NOT NULL AND s_sub = e_sub THEN 'src/address' ELSE 'none/outside' END\n")
	w.WriteString("      WHEN s_rule IS NULL THEN 'dst/address' WHEN d_rule IS NULL THEN 'src/address'\n")
	// Unknown side: the first denying check, else the first check.
	w.WriteString("      WHEN s_rule < 0 THEN 'src/unknown' WHEN d_rule < 0 THEN 'dst/unknown' ELSE 'src/unknown' END AS loc\n  FROM k),\n")
	// Decision.
	w.WriteString("q AS (SELECT p.*,\n")
	w.WriteString("    CASE WHEN loc LIKE 'src/%' THEN s_rule WHEN loc LIKE 'dst/%' THEN d_rule END AS dec_rule,\n")
	w.WriteString("    CASE WHEN loc LIKE 'src/%' THEN s_acl WHEN loc LIKE 'dst/%' THEN d_acl END AS dec_acl,\n")
	w.WriteString("    CASE WHEN loc LIKE 'src/%' THEN 'outbound' WHEN loc LIKE 'dst/%' THEN 'inbound' END AS dec_dir\n  FROM p),\n")
	w.WriteString("v AS (SELECT q.*,\n")
	fmt.Fprintf(&w, "    CASE WHEN reason = '%s' OR reason = '%s' OR reason = '%s' OR reason = '%s' OR reason = '%s' OR reason = '%s' OR reason = '%s' THEN 'exempt'\n",
		replay.ReasonAmazonDNS, replay.ReasonMetadata, replay.ReasonTimeSync, replay.ReasonWindowsActivation, replay.ReasonDHCP, replay.ReasonVPCRouter, replay.ReasonECSMetadata)
	w.WriteString("      WHEN reason IS NOT NULL OR loc = 'none/outside' THEN 'not-filtered'\n")
	w.WriteString("      WHEN dec_rule < 0 THEN 'deny' ELSE 'allow' END AS verdict\n  FROM q)\n")
	return w.String()
}

// finalSelect selects the table's columns and the verdict columns from v.
func (g *gen) finalSelect() string {
	var w strings.Builder
	// Output: the table's columns and the verdict columns.
	var cols []string
	for _, c := range g.columns() {
		cols = append(cols, g.q(c))
	}
	fmt.Fprintf(&w, "SELECT %s,\n", strings.Join(cols, ", "))
	w.WriteString("  verdict, reason, dec_acl AS acl, abs(dec_rule) AS rule, dec_dir AS direction,\n")
	w.WriteString("  CASE WHEN action = 'REJECT' AND verdict = 'deny' THEN 'nacl' WHEN action = 'REJECT' THEN 'not-nacl'\n")
	w.WriteString("       WHEN action = 'ACCEPT' AND verdict = 'deny' THEN 'accept-would-deny' END AS attribution,\n")
	w.WriteString("  CASE WHEN loc = 'none/outside' THEN 'outside' ELSE substr(loc, 5) END AS placement\n")
	w.WriteString("FROM v\n")
	return w.String()
}

// ifaceCase maps interface IDs to their subnets (only modelled ones).
func (g *gen) ifaceCase() string {
	var whens []string
	for _, in := range g.o.Interfaces {
		if g.subnets[in.SubnetID] {
			whens = append(whens, fmt.Sprintf("WHEN %s THEN %s", lit(in.ID), lit(in.SubnetID)))
		}
	}
	if len(whens) == 0 {
		if g.o.Dialect == Spark {
			return "CAST(NULL AS STRING)"
		}
		return "CAST(NULL AS VARCHAR)"
	}
	return "CASE interface_id " + strings.Join(whens, " ") + " END"
}

// columnsByVersion are the columns of AWS's Athena flow-log table, by the
// version that introduced them.
var columnsByVersion = [][]string{
	2: {"version", "account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end", "action", "log_status"},
	3: {"vpc_id", "subnet_id", "instance_id", "tcp_flags", "type", "pkt_srcaddr", "pkt_dstaddr"},
	4: {"region", "az_id", "sublocation_type", "sublocation_id"},
	5: {"pkt_src_aws_service", "pkt_dst_aws_service", "flow_direction", "traffic_path"},
}

// columns returns the table columns the output repeats.
func (g *gen) columns() []string {
	var out []string
	for v := 2; v <= min(g.o.Version, 5); v++ {
		out = append(out, columnsByVersion[v]...)
	}
	return append(out, g.o.ExtraColumns...)
}

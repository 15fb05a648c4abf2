package duckdbtest

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/flowverify/flowverify/flows/flowlog"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/flowcheck"
	"github.com/flowverify/flowverify/nacl/replay"
	"github.com/flowverify/flowverify/nacl/sqlgen"
)

// The address space: three modelled subnets (one dual-stack), addresses
// outside, and the addresses NACLs never filter.
var (
	subnetDefs = []struct {
		id    string
		cidrs []string
	}{
		{"subnet-a", []string{"10.0.1.0/24", "2001:db8:0:1::/64"}},
		{"subnet-b", []string{"10.0.2.0/24"}},
		{"subnet-c", []string{"10.0.3.0/25", "2001:db8:0:3::/64"}},
	}
	vpcCIDRs = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}
	v4Addrs  = []string{"10.0.1.5", "10.0.1.200", "10.0.2.9", "10.0.2.77", "10.0.3.4", "10.0.3.130", "198.51.100.7",
		"10.0.0.2", "10.0.1.1", "198.51.100.7", "203.0.113.12", "8.8.8.8", "169.254.169.123", "169.254.169.254", "169.254.10.1",
		"255.255.255.255", "0.0.0.0", "224.0.0.5", "10.0.9.1", "192.0.2.80"}
	v6Addrs = []string{"2001:db8:0:1::5", "2001:db8:0:1:abcd::1", "2001:db8:0:3::9", "2001:DB8:0:3:0:0:0:AA", "2001:db8::1",
		"2600:1f18::1", "2001:db8:0:2::1", "fe80::1", "fd00:ec2::123", "ff02::1:2", "::", "2001:0db8:0000:0001:0000:0000:0000:0007", "::1", "2001:db8:0:1:1:2:3:4"}
	cidrPool4 = []string{"0.0.0.0/0", "10.0.0.0/16", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/25", "198.51.100.0/24", "10.0.1.128/25", "203.0.113.12/32", "8.0.0.0/7"}
	cidrPool6 = []string{"::/0", "2001:db8::/32", "2001:db8:0:1::/64", "2001:db8:0:3::/64", "2600::/12", "2001:db8:0:1:8000::/65"}
	protos    = []int{nacl.ProtoAll, nacl.ProtoTCP, nacl.ProtoUDP, nacl.ProtoICMP, nacl.ProtoICMPv6, 47}
	portPool  = []uint16{0, 22, 53, 67, 68, 80, 123, 443, 546, 547, 1023, 1024, 32768, 49152, 61000, 65535}
)

func randomACL(r *rand.Rand, id string, n int) *nacl.ACL {
	acl := &nacl.ACL{ID: id}
	for dir := nacl.Ingress; dir <= nacl.Egress; dir++ {
		nums := r.Perm(n * 3)
		for i := 0; i < n; i++ {
			e := nacl.Entry{RuleNumber: nums[i]*10 + 1, Direction: dir, Action: nacl.Action(r.IntN(2)), Protocol: protos[r.IntN(len(protos))], ICMPType: -1, ICMPCode: -1}
			if r.IntN(3) == 0 {
				e.CIDR = netip.MustParsePrefix(cidrPool6[r.IntN(len(cidrPool6))])
			} else {
				e.CIDR = netip.MustParsePrefix(cidrPool4[r.IntN(len(cidrPool4))])
			}
			a, b := portPool[r.IntN(len(portPool))], portPool[r.IntN(len(portPool))]
			if r.IntN(4) == 0 {
				a, b = 0, 65535
			}
			e.Ports = nacl.PortRange{From: min(a, b), To: max(a, b)}
			if r.IntN(3) == 0 {
				e.ICMPType = r.IntN(4) - 1
			}
			acl.Entries = append(acl.Entries, e)
		}
	}
	return acl
}

const format = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path"

// randomLine returns one v5 record.
func randomLine(r *rand.Rand, i int) string {
	v6 := r.IntN(3) == 0
	pool := v4Addrs
	if v6 {
		pool = v6Addrs
	}
	// The first 7 (IPv4) or 6 (IPv6) addresses are ordinary hosts in or
	// out of the subnets: favour them so that most records meet rules.
	ordinary := 7
	if v6 {
		ordinary = 6
	}
	pick := func() string {
		if r.IntN(5) != 0 {
			return pool[r.IntN(ordinary)]
		}
		return pool[r.IntN(len(pool))]
	}
	src, dst := pick(), pick()
	proto := []int{6, 6, 17, 17, 1, 58, 47}[r.IntN(7)]
	sport, dport := "-", "-"
	if (proto == 6 || proto == 17) && r.IntN(10) != 0 {
		sport = strconv.Itoa(min(int(portPool[r.IntN(len(portPool))])+r.IntN(2), 65535))
		dport = strconv.Itoa(min(int(portPool[r.IntN(len(portPool))])+r.IntN(2), 65535))
	} else if proto == 1 || proto == 58 {
		sport, dport = "0", "0"
	}
	psrc, pdst := "-", "-"
	if r.IntN(4) == 0 {
		psrc, pdst = pick(), pick()
		if r.IntN(5) == 0 {
			pdst = v4Addrs[r.IntN(len(v4Addrs))] // mixed families: ignored
		}
	}
	subnet := "-"
	switch r.IntN(5) {
	case 0:
		subnet = subnetDefs[r.IntN(len(subnetDefs))].id
	case 1:
		subnet = "subnet-elsewhere"
	}
	fdir := []string{"-", "ingress", "egress"}[r.IntN(3)]
	eni := fmt.Sprintf("eni-%d", r.IntN(6))
	action := []string{"ACCEPT", "REJECT"}[r.IntN(2)]
	start := 1714557600 + i
	return fmt.Sprintf("5 123456789012 %s %s %s %s %s %d %d %d %d %d %s OK vpc-1 %s i-1 %d IPv%s %s %s us-east-1 use1-az1 - - - - %s -",
		eni, src, dst, sport, dport, proto, 1+r.IntN(9), 40+r.IntN(1000), start, start+60, action, subnet, r.IntN(20), map[bool]string{false: "4", true: "6"}[v6], psrc, pdst, fdir)
}

// athenaColumns is AWS's Athena DDL for flow logs (v2-v5), with rid.
const athenaColumns = `version INTEGER, account_id VARCHAR, interface_id VARCHAR, srcaddr VARCHAR, dstaddr VARCHAR, srcport INTEGER, dstport INTEGER,
protocol BIGINT, packets BIGINT, bytes BIGINT, start BIGINT, "end" BIGINT, action VARCHAR, log_status VARCHAR, vpc_id VARCHAR, subnet_id VARCHAR,
instance_id VARCHAR, tcp_flags INTEGER, type VARCHAR, pkt_srcaddr VARCHAR, pkt_dstaddr VARCHAR, region VARCHAR, az_id VARCHAR,
sublocation_type VARCHAR, sublocation_id VARCHAR, pkt_src_aws_service VARCHAR, pkt_dst_aws_service VARCHAR, flow_direction VARCHAR,
traffic_path INTEGER, rid BIGINT`

var intCols = map[int]bool{0: true, 5: true, 6: true, 7: true, 8: true, 9: true, 10: true, 11: true, 17: true, 28: true}

type row struct {
	verdict, reason, acl, direction, attribution, placement string
	rule                                                    int
}

func str(s sql.NullString) string { return s.String }

func TestDuckDBEqualsFlowcheck(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seeds := 12
	perSeed := 1500
	// Every outcome must occur, or the comparison proves little.
	seen := map[string]int{}
	defer func() {
		for _, k := range []string{"verdict allow", "verdict deny", "verdict exempt", "verdict not-filtered",
			"attribution nacl", "attribution not-nacl", "attribution accept-would-deny",
			"placement subnet-id", "placement interfaces", "placement address", "placement unknown", "placement outside",
			"reason same-subnet", "reason not-crossing", "reason link-local", "reason dhcp", "reason amazon-dns", "reason vpc-router"} {
			if seen[k] == 0 && !t.Failed() {
				t.Errorf("no record with %s", k)
			}
		}
		t.Logf("outcomes: %v", seen)
	}()
	for seed := 0; seed < seeds; seed++ {
		r := rand.New(rand.NewPCG(uint64(seed), 99))
		var subnets []replay.SubnetInfo
		var acls []*nacl.ACL
		for k, sd := range subnetDefs {
			var ps []netip.Prefix
			for _, c := range sd.cidrs {
				ps = append(ps, netip.MustParsePrefix(c))
			}
			subnets = append(subnets, replay.SubnetInfo{ID: sd.id, CIDRs: ps})
			acl := randomACL(r, fmt.Sprintf("acl-%d", k), 4+r.IntN(8))
			acl.Subnets = []string{sd.id}
			acls = append(acls, acl)
		}
		topo, _, err := replay.VPCTopology(acls, subnets, vpcCIDRs)
		if err != nil {
			t.Fatal(err)
		}
		judge, err := replay.NewJudge(topo)
		if err != nil {
			t.Fatal(err)
		}
		ifaces := []replay.InterfaceInfo{{ID: "eni-1", SubnetID: "subnet-a"}, {ID: "eni-2", SubnetID: "subnet-b"}, {ID: "eni-3", SubnetID: "subnet-elsewhere"}}

		// Generate, parse natively, judge natively.
		lines := []string{format}
		for i := 0; i < perSeed; i++ {
			lines = append(lines, randomLine(r, i))
		}
		path := filepath.Join(t.TempDir(), "flows.log")
		os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
		rd, err := flowlog.Open([]string{path}, flowlog.Options{})
		if err != nil {
			t.Fatal(err)
		}
		checker := flowcheck.New(judge, ifaces)
		native := map[int64]row{}
		for rec := rd.Next(); rec != nil; rec = rd.Next() {
			res := checker.Check(rec)
			w := row{verdict: string(res.Verdict), reason: res.Judgement.Reason, attribution: string(res.Attribution), placement: string(res.Placement)}
			if ch := res.Check(); ch != nil {
				w.acl, w.rule, w.direction = ch.ACL, ch.Rule, ch.Direction.String()
			}
			native[rec.Line] = w
			seen["verdict "+w.verdict]++
			seen["attribution "+w.attribution]++
			seen["placement "+w.placement]++
			seen["reason "+w.reason]++
		}
		rd.Close()
		if len(rd.Problems()) != 0 || len(native) != perSeed {
			t.Fatalf("seed %d: native read %d records, problems %v", seed, len(native), rd.Problems())
		}

		// Load the same lines into an Athena-shaped table.
		db.Exec("DROP TABLE IF EXISTS vpc_flow_logs")
		if _, err := db.Exec("CREATE TABLE vpc_flow_logs (" + athenaColumns + ")"); err != nil {
			t.Fatal(err)
		}
		tx, _ := db.Begin()
		stmt, err := tx.Prepare("INSERT INTO vpc_flow_logs VALUES (" + strings.TrimSuffix(strings.Repeat("?, ", 30), ", ") + ")")
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range lines[1:] {
			f := strings.Fields(line)
			args := make([]any, 30)
			for k, v := range f {
				switch {
				case intCols[k] && v == "-":
					args[k] = nil
				case intCols[k]:
					n, _ := strconv.ParseInt(v, 10, 64)
					args[k] = n
				default:
					args[k] = v
				}
			}
			args[29] = int64(i + 2) // the line number, as flowlog reports it
			if _, err := stmt.Exec(args...); err != nil {
				t.Fatal(err)
			}
		}
		stmt.Close()
		tx.Commit()

		q, err := sqlgen.Records(judge, sqlgen.Options{Dialect: sqlgen.DuckDB, Interfaces: ifaces, ExtraColumns: []string{"rid"}})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.Query("SELECT rid, verdict, reason, acl, rule, direction, attribution, placement FROM (" + q + ") x ORDER BY rid")
		if err != nil {
			t.Fatalf("seed %d: query failed: %v", seed, err)
		}
		n, bad := 0, 0
		for rows.Next() {
			var rid int64
			var verdict, reason, acl, direction, attribution, placement sql.NullString
			var rule sql.NullInt64
			if err := rows.Scan(&rid, &verdict, &reason, &acl, &rule, &direction, &attribution, &placement); err != nil {
				t.Fatal(err)
			}
			got := row{str(verdict), str(reason), str(acl), str(direction), str(attribution), str(placement), int(rule.Int64)}
			if want := native[rid]; got != want {
				bad++
				if bad <= 5 {
					t.Errorf("seed %d line %d: %s\n  sql    %+v\n  native %+v", seed, rid, lines[rid-1], got, want)
				}
			}
			n++
		}
		rows.Close()
		if n != perSeed {
			t.Fatalf("seed %d: SQL returned %d rows, want %d", seed, n, perSeed)
		}
		if bad > 0 {
			t.Fatalf("seed %d: %d of %d records differ", seed, bad, n)
		}

		// Per-rule hits agree too.
		hq, err := sqlgen.Hits(judge, sqlgen.Options{Dialect: sqlgen.DuckDB, Interfaces: ifaces, Top: 5})
		if err != nil {
			t.Fatal(err)
		}
		hrows, err := db.Query("SELECT acl, direction, rule, records, packets, bytes, first_start, last_end, rejected, nacl_rejects, accept_would_deny FROM (" + hq + ") h WHERE kind = 'rule'")
		if err != nil {
			t.Fatalf("seed %d: hits query failed: %v", seed, err)
		}
		want := map[string]string{}
		for _, h := range checker.Hits() {
			want[fmt.Sprintf("%s %s %d", h.ACL, h.Direction, h.Rule)] = fmt.Sprintf("%d %d %d %d %d %d %d %d", h.Records, h.Packets, h.Bytes, h.First, h.Last, h.Rejected, h.AttributedNACL, h.AcceptWouldDeny)
		}
		got := map[string]string{}
		for hrows.Next() {
			var acl, dir string
			var rule, recs, pk, by, first, last, rej, nr, awd int64
			if err := hrows.Scan(&acl, &dir, &rule, &recs, &pk, &by, &first, &last, &rej, &nr, &awd); err != nil {
				t.Fatal(err)
			}
			got[fmt.Sprintf("%s %s %d", acl, dir, rule)] = fmt.Sprintf("%d %d %d %d %d %d %d %d", recs, pk, by, first, last, rej, nr, awd)
		}
		hrows.Close()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("seed %d: hits differ\n sql    %v\n native %v", seed, got, want)
		}
	}
}

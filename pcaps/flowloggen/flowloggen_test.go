package flowloggen

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/flowverify/flowverify/flows/flowlog"
	"github.com/flowverify/flowverify/nacl/aclfile"
	"github.com/flowverify/flowverify/nacl/flowcheck"
	"github.com/flowverify/flowverify/nacl/replay"
	"github.com/flowverify/flowverify/pcaps"
)

var update = flag.Bool("update", false, "rewrite pcaps/flowlogs/*.log")

type sample struct {
	out      string
	captures []string
	judge    func(t *testing.T) *replay.Judge
	subnets  map[string]string
}

func dir() string { return pcaps.Dir() }

func vpcJudge(t *testing.T, aclPath string) *replay.Judge {
	t.Helper()
	f, err := aclfile.Read(filepath.Join(dir(), aclPath), aclfile.FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	subnets, err := replay.ReadSubnets(filepath.Join(dir(), "vpc-subnets.json"))
	if err != nil {
		t.Fatal(err)
	}
	topo, _, err := replay.VPCTopology(f.ACLs, subnets, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	j, err := replay.NewJudge(topo)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func simpleJudge(t *testing.T, aclPath, subnet string) *replay.Judge {
	t.Helper()
	f, err := aclfile.Read(filepath.Join(dir(), aclPath), aclfile.FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	topo, err := replay.SimpleTopology(f.ACLs[0], []netip.Prefix{netip.MustParsePrefix(subnet)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	j, err := replay.NewJudge(topo)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

var samples = []sample{
	{"webserver.log", []string{"webserver.pcap"}, func(t *testing.T) *replay.Judge { return vpcJudge(t, "webserver.nacl") }, nil},
	{"vpc-two-subnets.log", []string{"vpc-two-subnets.pcap"}, func(t *testing.T) *replay.Judge { return vpcJudge(t, "vpc-acls.json") }, nil},
	{"ipv6.log", []string{"ipv6.pcap"}, func(t *testing.T) *replay.Judge { return simpleJudge(t, "ipv6.nacl", "2001:db8:10:1::/64") },
		map[string]string{"2001:db8:10:1::/64": "subnet-ipv6"}},
}

// TestCommittedLogs regenerates every committed log (go test -update
// rewrites them), then replays each through the flow-log reader and
// nacl/flowcheck with the same NACLs: every REJECT the generator wrote
// is the NACL's, so it must be attributed to the NACL (the rule that
// decided it), and no ACCEPT may be one the NACL denies, unless the
// verdict is flagged uncertain (an ICMP rule naming a type).
func TestCommittedLogs(t *testing.T) {
	for _, s := range samples {
		t.Run(s.out, func(t *testing.T) {
			var caps []string
			for _, c := range s.captures {
				caps = append(caps, filepath.Join(dir(), c))
			}
			j := s.judge(t)
			var buf bytes.Buffer
			st, err := Generate(&buf, caps, j, Options{Account: "111122223333", VPCID: "vpc-0a1b2c3d4e5f60010", SubnetIDs: s.subnets})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir(), "flowlogs", s.out)
			if *update {
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			committed, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./pcaps/flowloggen -update)", err)
			}
			if !bytes.Equal(committed, buf.Bytes()) {
				t.Fatalf("%s differs from what the generator writes now (go test ./pcaps/flowloggen -update)", path)
			}
			if st.Records == 0 || st.Reject == 0 && s.out != "vpc-two-subnets.log" {
				t.Errorf("stats %+v", st)
			}
			rd, err := flowlog.Open([]string{path}, flowlog.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer rd.Close()
			c := flowcheck.New(j, nil)
			n := 0
			for rec := rd.Next(); rec != nil; rec = rd.Next() {
				n++
				res := c.Check(rec)
				switch {
				case rec.Action == flowlog.ActionReject && res.Attribution != flowcheck.AttrNACL:
					t.Errorf("line %d: REJECT attributed %q (%+v)", rec.Line, res.Attribution, res)
				case rec.Action == flowlog.ActionAccept && res.Attribution != flowcheck.AttrNone && !res.Uncertain:
					// Uncertain: ICMP records carry no type, so a rule
					// allowing one ICMP type (ipv6.nacl's echo rules)
					// cannot be matched.
					t.Errorf("line %d: ACCEPT attributed %q", rec.Line, res.Attribution)
				case res.Placement == flowcheck.PlacedUnknown:
					t.Errorf("line %d: placement unknown despite flow-direction", rec.Line)
				}
			}
			if n != st.Records || len(rd.Problems()) != 0 {
				t.Errorf("read %d records of %d, problems %v", n, st.Records, rd.Problems())
			}
		})
	}
}

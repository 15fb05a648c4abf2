package replay

import (
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/aclfile"
	"github.com/flowverify/flowverify/pcaps"
)

// sampleJudge builds the judge for a committed sample: VPC mode when the
// sample has a subnets file, else its NACL on the web subnet.
func sampleJudge(t *testing.T, s pcaps.Sample) *Judge {
	t.Helper()
	vpc := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}
	var aclPath, subnetsPath string
	for _, f := range s.ACLFiles {
		if strings.Contains(f, "subnets") {
			subnetsPath = pcaps.Path(f)
		} else {
			aclPath = pcaps.Path(f)
		}
	}
	file, err := aclfile.Read(aclPath, aclfile.FormatAuto)
	if err != nil {
		t.Fatalf("%s: %v", aclPath, err)
	}
	var topo *Topology
	if subnetsPath != "" {
		infos, err := ReadSubnets(subnetsPath)
		if err != nil {
			t.Fatal(err)
		}
		if topo, _, err = VPCTopology(file.ACLs, infos, vpc); err != nil {
			t.Fatal(err)
		}
	} else {
		acl, err := file.Select("")
		if err != nil {
			t.Fatal(err)
		}
		cidrs := []netip.Prefix{netip.MustParsePrefix("10.0.1.0/24"), netip.MustParsePrefix("2001:db8:10:1::/64")}
		if topo, err = SimpleTopology(acl, cidrs, vpc); err != nil {
			t.Fatal(err)
		}
	}
	return mustJudge(t, topo)
}

type legKey struct {
	id   int
	role Role
}

// TestCachedVerdictsEqualPerPacket replays every committed sample twice:
// the report judges each conversation direction once per distinct NACL
// view; the second pass judges every packet on its own. Counts, verdicts
// and conversation IDs must agree packet for packet.
func TestCachedVerdictsEqualPerPacket(t *testing.T) {
	for _, s := range pcaps.Samples {
		t.Run(s.File, func(t *testing.T) {
			j := sampleJudge(t, s)
			cfg := flows.DefaultConfig()
			var refs []flows.Ref
			rec := NewRecorder(cfg, Window{})
			readAll(t, s.File, func(p *capture.Packet) {
				r := rec.Add(p)
				if p.Kind == capture.KindIP {
					refs = append(refs, r)
				}
			})
			recording := rec.Finish()
			rep := BuildReport(j, recording)
			if rep.Summary.Evaluated == 0 {
				t.Fatal("no packet evaluated")
			}
			legs := map[legKey]*Leg{}
			for _, cr := range rep.Conversations {
				legs[legKey{cr.Conv.ID, RoleRequest}] = &cr.Request
				legs[legKey{cr.Conv.ID, RoleResponse}] = &cr.Response
			}
			got := map[legKey]*Tally{}
			var total Tally
			pp := NewPacketPass(j, cfg, recording)
			i := 0
			readAll(t, s.File, func(p *capture.Packet) {
				r, ok := pp.Next(p)
				if !ok {
					return
				}
				if r.Ref != refs[i] {
					t.Fatalf("packet %d (frame %d): pass 2 ref %+v, pass 1 %+v", i, p.Frame, r.Ref, refs[i])
				}
				i++
				key := FromCapture(p)
				if own := j.Judge(&key); own != r.Judgement {
					t.Fatalf("frame %d: judgement differs", p.Frame)
				}
				total.add(r.Judgement.Verdict, 1, r.Judgement.Uncertain())
				if r.Ref.ID == 0 {
					return
				}
				lk := legKey{r.Ref.ID, r.Role}
				if got[lk] == nil {
					got[lk] = &Tally{}
				}
				got[lk].add(r.Judgement.Verdict, 1, r.Judgement.Uncertain())
				leg := legs[lk]
				if leg == nil {
					t.Fatalf("frame %d: conversation %d %s not in the report", p.Frame, r.Ref.ID, r.Role)
				}
				if r.Judgement.Verdict == Deny && leg.FirstDenied.After(p.Time) {
					t.Errorf("frame %d denied before the leg's first denied time %v", p.Frame, leg.FirstDenied)
				}
			})
			if total != rep.Summary.Tally {
				t.Errorf("per-packet totals %+v, report %+v", total, rep.Summary.Tally)
			}
			for lk, leg := range legs {
				want := Tally{}
				if g := got[lk]; g != nil {
					want = *g
				}
				if leg.Tally != want {
					t.Errorf("conversation %d %s: cached %+v, per packet %+v", lk.id, lk.role, leg.Tally, want)
				}
			}
		})
	}
}

// readAll streams one sample through fn.
func readAll(t *testing.T, name string, fn func(*capture.Packet)) {
	t.Helper()
	s, err := capture.Open([]string{pcaps.Path(name)}, capture.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var p capture.Packet
	for s.Next(&p) == nil {
		fn(&p)
	}
	if !s.Complete() {
		t.Fatalf("%s: incomplete: %v", name, s.Problems())
	}
}

// TestSampleVerdicts checks the facts the issue names on the samples.
func TestSampleVerdicts(t *testing.T) {
	type want struct {
		server  string // server address:port or address
		status  Status
		blocked string // "in#130" style of the response or request leg's deciding check, "" for none
	}
	cases := map[string][]want{
		"webserver.pcap": {
			{"192.0.2.80:80", StatusResponseDenied, "in#130"},
			{"192.0.2.80:443", StatusResponseDenied, "in#130"},
			{"10.0.1.10:80", StatusOK, ""},
			{"10.0.1.10:443", StatusOK, ""},
			{"10.0.1.10:22", StatusOK, ""},
			{"10.0.0.2:53", StatusExempt, ""},
			{"169.254.169.123:123", StatusExempt, ""},
		},
		"ipv6.pcap": {
			{"[2001:db8:10:1::10]:80", StatusResponseDenied, "out#32768"},
			{"[2001:db8:80::80]:80", StatusOK, ""},
		},
		"exempt.pcap": {
			{"169.254.169.254:80", StatusExempt, ""},
			{"169.254.169.253:53", StatusExempt, ""},
			{"10.0.0.2:53", StatusExempt, ""},
			{"192.0.2.80:443", StatusOK, ""},
		},
		"vpc-two-subnets.pcap": {
			{"10.0.2.20:5432", StatusResponseDenied, "acl-db out#32767:deny, acl-web in#110:allow"},
			{"10.0.2.21:6379", StatusResponseDenied, "acl-db out#32767:deny, acl-web in#110:allow"},
			{"10.0.1.11:80", StatusOK, ""},
		},
	}
	for _, s := range pcaps.Samples {
		ws, ok := cases[s.File]
		if !ok {
			continue
		}
		t.Run(s.File, func(t *testing.T) {
			rep := BuildReport(sampleJudge(t, s), recordSample(t, s.File))
			for _, w := range ws {
				n := 0
				for _, cr := range rep.Conversations {
					if netip.AddrPortFrom(cr.Conv.Server.Addr, cr.Conv.Server.Port).String() != w.server {
						continue
					}
					n++
					if cr.Status != w.status {
						t.Errorf("conversation %d to %s: status %s, want %s", cr.Conv.ID, w.server, cr.Status, w.status)
					}
					if w.blocked != "" {
						l := &cr.Response
						if cr.Status == StatusRequestDenied {
							l = &cr.Request
						}
						withACL := strings.HasPrefix(w.blocked, "acl-")
						if got := checksText(l.Checks, withACL); got != w.blocked {
							t.Errorf("conversation %d to %s: checks %q, want %q", cr.Conv.ID, w.server, got, w.blocked)
						}
						if len(cr.Denials) == 0 || len(cr.Fixes) == 0 {
							t.Errorf("conversation %d: no denial or fix", cr.Conv.ID)
						}
					}
				}
				if n == 0 {
					t.Errorf("no conversation to %s", w.server)
				}
			}
		})
	}
}

func recordSample(t *testing.T, name string) *Recording {
	rec := NewRecorder(flows.DefaultConfig(), Window{})
	readAll(t, name, func(p *capture.Packet) { rec.Add(p) })
	return rec.Finish()
}

// TestSampleWebserverFix checks the suggested rule for the web server's
// broken updates: below rule 130, from the mirror, over an ephemeral range.
func TestSampleWebserverFix(t *testing.T) {
	s, _ := pcaps.Find("webserver.pcap")
	rep := BuildReport(sampleJudge(t, s), recordSample(t, s.File))
	var lines []string
	for _, f := range rep.Fixes {
		lines = append(lines, f.Line)
	}
	want := "in 125 allow tcp 192.0.2.80/32 32768-65535"
	if !slices.Contains(lines, want) {
		t.Errorf("fixes %q, want one %q", lines, want)
	}
	for _, cr := range rep.Conversations {
		for _, d := range cr.Denials {
			if d.Role == RoleResponse && cr.Conv.Server.Addr.String() == "192.0.2.80" && cr.Conv.Server.Port == 80 && (d.Check.Rule != 130 || d.Check.Direction != nacl.Ingress) {
				t.Errorf("conversation %d: denial %+v", cr.Conv.ID, d)
			}
		}
	}
}

// TestAddBatchMatchesAdd records every sample packet by packet and in
// batches of uneven size; the recordings must be identical.
func TestAddBatchMatchesAdd(t *testing.T) {
	for _, smp := range pcaps.Samples {
		one := recordSample(t, smp.File)
		rec := NewRecorder(flows.DefaultConfig(), Window{})
		var batch []capture.Packet
		sizes, next := []int{1, 5, 32, 33, 100}, 0
		readAll(t, smp.File, func(p *capture.Packet) {
			batch = append(batch, *p)
			if len(batch) == sizes[next] {
				rec.AddBatch(batch)
				batch, next = batch[:0], (next+1)%len(sizes)
			}
		})
		rec.AddBatch(batch)
		if got := rec.Finish(); !reflect.DeepEqual(got, one) {
			t.Errorf("%s: AddBatch recording differs from Add", smp.File)
		}
	}
}

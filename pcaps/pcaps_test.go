package pcaps

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const (
	maxSampleBytes = 300 * 1024
	maxDirBytes    = 2 * 1024 * 1024
)

// pcapInfo is what walkPcap learns from a classic pcap file.
type pcapInfo struct {
	linkType uint32
	records  int
	// sorted is false when a record's timestamp is before the previous one.
	sorted bool
}

// walkPcap checks a classic pcap file record by record (test helper).
func walkPcap(data []byte) (pcapInfo, error) {
	var info pcapInfo
	if len(data) < 24 {
		return info, fmt.Errorf("global header: %d bytes, want 24", len(data))
	}
	var bo binary.ByteOrder
	nano := false
	switch binary.LittleEndian.Uint32(data) {
	case 0xa1b2c3d4:
		bo = binary.LittleEndian
	case 0xa1b23c4d:
		bo, nano = binary.LittleEndian, true
	default:
		switch binary.BigEndian.Uint32(data) {
		case 0xa1b2c3d4:
			bo = binary.BigEndian
		case 0xa1b23c4d:
			bo, nano = binary.BigEndian, true
		default:
			return info, fmt.Errorf("magic %#08x: not a classic pcap file", binary.LittleEndian.Uint32(data))
		}
	}
	snap := bo.Uint32(data[16:])
	info.linkType = bo.Uint32(data[20:]) & 0x0fffffff
	info.sorted = true
	var prev uint64
	for off := 24; off < len(data); {
		if len(data)-off < 16 {
			return info, fmt.Errorf("record %d at offset %d: header truncated (%d bytes)", info.records+1, off, len(data)-off)
		}
		sec, frac := uint64(bo.Uint32(data[off:])), uint64(bo.Uint32(data[off+4:]))
		incl, orig := bo.Uint32(data[off+8:]), bo.Uint32(data[off+12:])
		if (!nano && frac >= 1e6) || (nano && frac >= 1e9) {
			return info, fmt.Errorf("record %d at offset %d: sub-second field %d out of range", info.records+1, off, frac)
		}
		if incl > orig || (snap != 0 && incl > snap) {
			return info, fmt.Errorf("record %d at offset %d: captured length %d (original %d, snaplen %d)", info.records+1, off, incl, orig, snap)
		}
		if uint64(len(data)-off-16) < uint64(incl) {
			return info, fmt.Errorf("record %d at offset %d: data truncated (%d of %d bytes)", info.records+1, off, len(data)-off-16, incl)
		}
		ts := sec * 1e9
		if nano {
			ts += frac
		} else {
			ts += frac * 1e3
		}
		if ts < prev {
			info.sorted = false
		}
		prev = ts
		off += 16 + int(incl)
		info.records++
	}
	return info, nil
}

func TestSamplesMatchFiles(t *testing.T) {
	for _, s := range Samples {
		t.Run(s.File, func(t *testing.T) {
			data, err := os.ReadFile(Path(s.File))
			if err != nil {
				t.Fatal(err)
			}
			if len(data) > maxSampleBytes {
				t.Errorf("%s: %d bytes, limit %d", s.File, len(data), maxSampleBytes)
			}
			info, err := walkPcap(data)
			if err != nil {
				t.Fatalf("%s: %v", s.File, err)
			}
			if info.linkType != s.LinkType {
				t.Errorf("%s: link type %d, catalogue says %d", s.File, info.linkType, s.LinkType)
			}
			if info.records != s.Packets {
				t.Errorf("%s: %d packets, catalogue says %d", s.File, info.records, s.Packets)
			}
			if !info.sorted {
				t.Errorf("%s: timestamps go backwards", s.File)
			}
			for _, f := range append([]string{s.Script}, s.ACLFiles...) {
				if _, err := os.Stat(Path(f)); err != nil {
					t.Errorf("%s: companion file: %v", s.File, err)
				}
			}
		})
	}
}

func TestEveryCaptureIsCatalogued(t *testing.T) {
	entries, err := os.ReadDir(Dir())
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if e.Type().IsRegular() {
			total += fi.Size()
		}
		ext := filepath.Ext(e.Name())
		if ext != ".pcap" && ext != ".pcapng" {
			continue
		}
		if _, ok := Find(e.Name()); !ok {
			t.Errorf("%s is not in Samples", e.Name())
		}
	}
	if total > maxDirBytes {
		t.Errorf("pcaps/ holds %d bytes, limit %d", total, maxDirBytes)
	}
	if _, ok := Find("no-such.pcap"); ok {
		t.Error("Find reported a file that is not catalogued")
	}
}

func TestReadmeDocumentsEverySample(t *testing.T) {
	data, err := os.ReadFile(Path("README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	for _, s := range Samples {
		row := fmt.Sprintf("| %s |", s.File)
		if !strings.Contains(readme, row) {
			t.Errorf("README.md has no table row starting %q", row)
		}
		if !strings.Contains(readme, fmt.Sprintf("| %d |", s.Packets)) {
			t.Errorf("README.md does not give %s's packet count %d", s.File, s.Packets)
		}
	}
}

// nativeRules returns the rule lines of a native-format NACL file with
// comments dropped and whitespace collapsed.
func nativeRules(t *testing.T, name string) []string {
	t.Helper()
	data, err := os.ReadFile(Path(name))
	if err != nil {
		t.Fatal(err)
	}
	var rules []string
	for _, line := range strings.Split(string(data), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 || f[0] == "acl" {
			continue
		}
		rules = append(rules, strings.Join(f, " "))
	}
	return rules
}

func TestWebserverNACLIsTheIssueACL(t *testing.T) {
	want := []string{
		"in 100 allow tcp 0.0.0.0/0 22",
		"in 110 allow tcp 0.0.0.0/0 80",
		"in 120 allow tcp 0.0.0.0/0 443",
		"in 130 deny tcp 0.0.0.0/0 1024-65535",
		"out 100 allow tcp 0.0.0.0/0 22",
		"out 110 allow tcp 0.0.0.0/0 80",
		"out 120 allow tcp 0.0.0.0/0 443",
		"out 130 allow tcp 0.0.0.0/0 1024-65535",
	}
	if got := nativeRules(t, "webserver.nacl"); !slices.Equal(got, want) {
		t.Errorf("webserver.nacl rules:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestIPv6NACLMissesOutboundEphemeral(t *testing.T) {
	rules := nativeRules(t, "ipv6.nacl")
	if len(rules) == 0 {
		t.Fatal("ipv6.nacl has no rules")
	}
	for _, r := range rules {
		f := strings.Fields(r)
		if len(f) < 5 || !strings.Contains(f[4], ":") {
			t.Errorf("ipv6.nacl rule %q: want an IPv6 CIDR", r)
		}
		if f[0] == "out" && f[3] == "tcp" && len(f) > 5 && f[5] == "1024-65535" {
			t.Errorf("ipv6.nacl has %q; the sample relies on that rule being missing", r)
		}
	}
	if !slices.Contains(rules, "in 100 allow tcp ::/0 80") {
		t.Error("ipv6.nacl does not allow inbound HTTP")
	}
}

type awsEntry struct {
	CidrBlock  string
	Egress     bool
	Protocol   string
	RuleAction string
	RuleNumber int
	PortRange  *struct{ From, To int }
}

type awsACL struct {
	NetworkAclId string
	Associations []struct{ SubnetId string }
	Entries      []awsEntry
}

func TestVPCFiles(t *testing.T) {
	var acls struct{ NetworkAcls []awsACL }
	data, err := os.ReadFile(Path("vpc-acls.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &acls); err != nil {
		t.Fatalf("vpc-acls.json: %v", err)
	}
	assoc := map[string]string{}
	for _, a := range acls.NetworkAcls {
		for _, as := range a.Associations {
			assoc[as.SubnetId] = a.NetworkAclId
		}
		if a.NetworkAclId != "acl-db" {
			continue
		}
		for _, e := range a.Entries {
			// Any egress allow reaching the apps' ephemeral ports would
			// defeat the sample's point.
			if e.Egress && e.RuleAction == "allow" && e.RuleNumber < 32767 &&
				(e.PortRange == nil || e.PortRange.To >= 32768) {
				t.Errorf("acl-db egress rule %d allows replies to ephemeral ports", e.RuleNumber)
			}
		}
	}
	if want := map[string]string{"subnet-web": "acl-web", "subnet-db": "acl-db"}; !mapsEqual(assoc, want) {
		t.Errorf("associations %v, want %v", assoc, want)
	}

	var subnets struct {
		Subnets []struct{ SubnetId, CidrBlock, VpcId string }
	}
	data, err = os.ReadFile(Path("vpc-subnets.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &subnets); err != nil {
		t.Fatalf("vpc-subnets.json: %v", err)
	}
	got := map[string]string{}
	for _, s := range subnets.Subnets {
		got[s.SubnetId] = s.CidrBlock
		if !strings.HasPrefix(s.VpcId, "vpc-") {
			t.Errorf("subnet %s: VpcId %q", s.SubnetId, s.VpcId)
		}
	}
	if want := map[string]string{"subnet-web": "10.0.1.0/24", "subnet-db": "10.0.2.0/24"}; !mapsEqual(got, want) {
		t.Errorf("subnets %v, want %v", got, want)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestWalkPcapRejectsDamage(t *testing.T) {
	data, err := os.ReadFile(Path("ipv6.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := walkPcap(data[:len(data)-3]); err == nil || !strings.Contains(err.Error(), "record 56") {
		t.Errorf("truncated last record: err = %v, want one naming record 56", err)
	}
	if _, err := walkPcap(data[:10]); err == nil {
		t.Error("10-byte file accepted")
	}
	bad := slices.Clone(data)
	bad[0] = 0
	if _, err := walkPcap(bad); err == nil || !strings.Contains(err.Error(), "magic") {
		t.Errorf("bad magic: err = %v", err)
	}
}

func FuzzWalkPcap(f *testing.F) {
	if data, err := os.ReadFile(Path("any-sll2.pcap")); err == nil {
		f.Add(data[:min(len(data), 600)])
	}
	f.Add([]byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0})
	f.Add([]byte{0xa1, 0xb2, 0x3c, 0x4d})
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := walkPcap(data)
		if err == nil && 24+16*info.records > len(data) {
			t.Fatalf("%d records cannot fit in %d bytes", info.records, len(data))
		}
	})
}

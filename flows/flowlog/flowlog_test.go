package flowlog

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readAll reads every record of paths, copying them.
func readAll(t *testing.T, opts Options, paths ...string) ([]Record, *Reader) {
	t.Helper()
	r, err := Open(paths, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []Record
	for rec := r.Next(); rec != nil; rec = r.Next() {
		out = append(out, *rec)
	}
	return out, r
}

func TestAWSDocDefaultRecords(t *testing.T) {
	recs, r := readAll(t, Options{}, "testdata/aws-doc-default.log")
	if len(recs) != 5 {
		t.Fatalf("got %d records, want 5 (NODATA and SKIPDATA skipped)", len(recs))
	}
	s := r.Summary()
	if s.NoData != 1 || s.SkipData != 1 || s.Bad != 0 || s.Records != 5 {
		t.Errorf("summary %+v", s)
	}
	if f := s.Files[0]; f.Version != 2 || f.Format != DefaultFormat || f.Kind != "text" || !f.Complete {
		t.Errorf("file summary %+v", f)
	}
	// Merged by start time: the records of 1418530010 come first, in file order.
	first := recs[0]
	want := Record{File: "testdata/aws-doc-default.log", Line: 2, Version: 2, AccountID: "123456789010",
		InterfaceID: "eni-1235b8ca123456789", Src: netip.MustParseAddr("172.31.16.139"), Dst: netip.MustParseAddr("172.31.16.21"),
		SrcPort: 20641, DstPort: 22, Proto: 6, Packets: 20, Bytes: 4249, Start: 1418530010, End: 1418530070,
		Action: ActionAccept, Status: "OK"}
	want.present = first.present
	if first != want {
		t.Errorf("first record\n got %+v\nwant %+v", first, want)
	}
	if !first.Has(FieldSrcPort) || first.Has(FieldTCPFlags) {
		t.Error("Has: srcport should be present, tcp-flags absent")
	}
	if recs[1].Action != ActionReject || recs[1].DstPort != 3389 || recs[1].Line != 3 {
		t.Errorf("second record %+v", recs[1])
	}
	icmp := recs[2]
	if icmp.Proto != 1 || icmp.Line != 6 || icmp.Src.String() != "203.0.113.12" {
		t.Errorf("ping request %+v", icmp)
	}
	v6 := recs[4]
	if !v6.Src.Is6() || v6.Line != 8 || v6.DstPort != 22 {
		t.Errorf("IPv6 record %+v", v6)
	}
}

func TestAWSDocV3CustomFormat(t *testing.T) {
	recs, r := readAll(t, Options{}, "testdata/aws-doc-v3-custom.log")
	if len(recs) != 1 {
		t.Fatalf("got %d records", len(recs))
	}
	x := recs[0]
	if x.Version != 3 || x.VPCID != "vpc-abcdefab012345678" || x.SubnetID != "subnet-aaaaaaaa012345678" ||
		x.InstanceID != "i-01234567890123456" || x.Type != "IPv4" || x.TCPFlags != TCPFlagSYN ||
		x.PktSrc.String() != "52.213.180.42" || x.PktDst.String() != "10.0.0.62" || x.Bytes != 568 || x.Packets != 8 ||
		x.SrcPort != 43416 || x.DstPort != 5001 {
		t.Errorf("record %+v", x)
	}
	if v := r.Summary().Files[0].Version; v != 3 {
		t.Errorf("format version %d, want 3", v)
	}
}

func TestBrokenLinesAreReportedAndSkipped(t *testing.T) {
	recs, r := readAll(t, Options{}, "testdata/broken.log")
	if len(recs) != 2 {
		t.Fatalf("got %d good records, want 2", len(recs))
	}
	if recs[0].Line != 2 || recs[1].Line != 9 {
		t.Errorf("good lines %d, %d; want 2, 9", recs[0].Line, recs[1].Line)
	}
	want := []string{
		"testdata/broken.log: line 3: has 13 fields, the log format has 14",
		`testdata/broken.log: line 4: srcaddr: "10.0.0.300": not an IP address`,
		`testdata/broken.log: line 5: srcport: "70000": not a port (0-65535)`,
		`testdata/broken.log: line 6: action: "MAYBE": want ACCEPT or REJECT`,
		"testdata/broken.log: line 7: srcaddr 10.0.0.1 and dstaddr 2001:db8::1 are of different IP families",
		"testdata/broken.log: line 8: end 1418530010 is before start 1418530070",
	}
	var got []string
	for _, p := range r.Problems() {
		got = append(got, p.Error())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("problems\n got %q\nwant %q", got, want)
	}
	if s := r.Summary(); s.Bad != 6 || !s.Complete() {
		t.Errorf("summary %+v", s)
	}
}

func TestHeaderlessUsesConfiguredFormat(t *testing.T) {
	recs, _ := readAll(t, Options{}, "testdata/headerless-default.log")
	if len(recs) != 1 || recs[0].Line != 1 || recs[0].DstPort != 22 {
		t.Fatalf("default format: %+v", recs)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "custom.log")
	os.WriteFile(p, []byte("eni-1 10.0.0.1 10.0.0.2 6 443 18 egress\n"), 0o644)
	recs, r := readAll(t, Options{Format: "${interface-id} ${srcaddr} ${dstaddr} ${protocol} ${srcport} ${tcp-flags} ${flow-direction}"}, p)
	if len(recs) != 1 || recs[0].SrcPort != 443 || recs[0].TCPFlags != TCPFlagSYNACK || recs[0].Direction != DirEgress {
		t.Fatalf("custom format: %+v %v", recs, r.Problems())
	}
	if r.Summary().Files[0].Version != 5 {
		t.Errorf("version %d, want 5", r.Summary().Files[0].Version)
	}
}

func TestCloudWatchExports(t *testing.T) {
	recs, r := readAll(t, Options{}, "testdata/cwl-filter-log-events.json")
	if len(recs) != 2 {
		t.Fatalf("got %d records: %v", len(recs), r.Problems())
	}
	if recs[0].Line != 3 || recs[1].Line != 10 || recs[1].Action != ActionReject {
		t.Errorf("lines %d %d", recs[0].Line, recs[1].Line)
	}
	ps := r.Problems()
	if len(ps) != 1 || ps[0].Error() != `testdata/cwl-filter-log-events.json: line 17 $.events[2]: dstaddr: "garbage": not an IP address` {
		t.Errorf("problems %v", ps)
	}
	if k := r.Summary().Files[0].Kind; k != "cloudwatch-json" {
		t.Errorf("kind %q", k)
	}
	recs, r = readAll(t, Options{}, "testdata/cwl-export.txt")
	if len(recs) != 2 || recs[1].Line != 2 || r.Summary().Files[0].Kind != "cloudwatch-text" {
		t.Errorf("cloudwatch text export: %+v %+v", recs, r.Summary())
	}
	// Subscription payloads and one object per line.
	dir := t.TempDir()
	p := filepath.Join(dir, "sub.json")
	os.WriteFile(p, []byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","timestamp":1,"message":"2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 10 20 ACCEPT OK"}]}
{"message":"2 1 eni-1 10.0.0.2 10.0.0.1 2 1 6 1 40 11 20 ACCEPT OK"}
`), 0o644)
	recs, r = readAll(t, Options{}, p)
	if len(recs) != 2 || recs[1].Line != 2 || len(r.Problems()) != 0 {
		t.Errorf("subscription/json lines: %+v %v", recs, r.Problems())
	}
}

func gz(t *testing.T, data string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(data))
	w.Close()
	return b.Bytes()
}

// TestS3LayoutMergedByTime writes an S3-layout tree with two delivery
// windows and two files in the first, and checks the order of the records.
func TestS3LayoutMergedByTime(t *testing.T) {
	root := t.TempDir()
	day := filepath.Join(root, "AWSLogs", "123456789012", "vpcflowlogs", "us-east-1", "2024", "05", "01")
	os.MkdirAll(day, 0o755)
	hdr := DefaultFormat + "\n"
	rec := func(src string, start int) string {
		return fmt.Sprintf("2 123456789012 eni-1 %s 10.0.1.5 40000 443 6 3 180 %d %d ACCEPT OK\n", src, start, start+30)
	}
	files := map[string]string{
		"123456789012_vpcflowlogs_us-east-1_fl-1_20240501T1005Z_aaaa.log.gz": hdr + rec("10.0.0.3", 1714558000),
		"123456789012_vpcflowlogs_us-east-1_fl-1_20240501T1000Z_bbbb.log.gz": hdr + rec("10.0.0.1", 1714557600) + rec("10.0.0.2", 1714557700),
		"123456789012_vpcflowlogs_us-east-1_fl-1_20240501T1000Z_cccc.log.gz": hdr + rec("10.0.0.9", 1714557650),
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(day, name), gz(t, content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(day, "README.md"), []byte("not a log"), 0o644)
	ok, err := Detect(root)
	if !ok || err != nil {
		t.Fatalf("Detect(dir) = %v, %v", ok, err)
	}
	recs, r := readAll(t, Options{}, root)
	var order []string
	for _, x := range recs {
		order = append(order, x.Src.String())
	}
	if got := strings.Join(order, " "); got != "10.0.0.1 10.0.0.9 10.0.0.2 10.0.0.3" {
		t.Errorf("order %s", got)
	}
	s := r.Summary()
	if len(s.Files) != 3 || !s.Files[0].Gzip || s.Records != 4 {
		t.Errorf("summary %+v", s)
	}
}

func TestMissingAndNonLogFiles(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.log")
	os.WriteFile(empty, nil, 0o644)
	recs, r := readAll(t, Options{}, filepath.Join(dir, "nope.log"), empty, "testdata/headerless-default.log")
	if len(recs) != 1 {
		t.Fatalf("the readable file must still be read: %d records", len(recs))
	}
	ps := r.Problems()
	if len(ps) != 2 || !strings.Contains(ps[0].Error(), "nope.log: cannot open: no such file or directory") || !strings.Contains(ps[1].Error(), "empty.log: empty file") {
		t.Errorf("problems %v", ps)
	}
	if r.Summary().Complete() {
		t.Error("summary should be incomplete")
	}
}

func TestSniff(t *testing.T) {
	cases := []struct {
		head string
		want Kind
	}{
		{DefaultFormat + "\n", KindText},
		{"2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 10 20 ACCEPT OK\n", KindText},
		{"2015-05-29T16:30:27.000Z 2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 10 20 ACCEPT OK\n", KindCloudWatchText},
		{`{"events":[`, KindCloudWatchJSON},
		{"PAR1....", KindParquet},
		{"\xd4\xc3\xb2\xa1\x02\x00\x04\x00", KindNone}, // pcap
		{"\x0a\x0d\x0d\x0a", KindNone},                 // pcapng
		{"hello world\n", KindNone},
		{`{"NetworkAcls": []}`, KindNone},
	}
	for _, c := range cases {
		if got := Sniff([]byte(c.head)); got != c.want {
			t.Errorf("Sniff(%q) = %v, want %v", c.head, got, c.want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	f, err := ParseFormat("${version} ${srcaddr} ${dstaddr} ${ecs-task-id} ${future-field} ${reject-reason}")
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != 8 || len(f.Unknown) != 1 || f.Unknown[0] != "future-field" || f.Fields[3] != FieldSkipped {
		t.Errorf("%+v", f)
	}
	for _, bad := range []string{"", "version packets", "srcaddr srcaddr"} {
		if _, err := ParseFormat(bad); err == nil {
			t.Errorf("ParseFormat(%q) should fail", bad)
		}
	}
}

// A CloudWatch JSON export larger than the line counter's window: line
// numbers stay right to the end.
func TestCloudWatchJSONLarge(t *testing.T) {
	var b strings.Builder
	b.WriteString("{\"events\": [\n")
	const n = 30000
	for i := 0; i < n; i++ {
		src := "10.0.0.1"
		if i == n-1 {
			src = "bad"
		}
		fmt.Fprintf(&b, "  {\"timestamp\": %d,\n   \"message\": \"2 1 eni-1 %s 10.0.0.2 1 2 6 1 40 %d %d ACCEPT OK\"}", i, src, 100+i, 200+i)
		if i < n-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("]}\n")
	p := filepath.Join(t.TempDir(), "big.json")
	os.WriteFile(p, []byte(b.String()), 0o644)
	recs, r := readAll(t, Options{}, p)
	if len(recs) != n-1 || recs[n-2].Line != int64(2+2*(n-2)) {
		t.Fatalf("%d records, last line %d", len(recs), recs[len(recs)-1].Line)
	}
	ps := r.Problems()
	if len(ps) != 1 || ps[0].Line != int64(2+2*(n-1)) || ps[0].Path != fmt.Sprintf("$.events[%d]", n-1) {
		t.Errorf("problems %v", ps)
	}
}

// Concatenated files: a header line in the middle switches the format.
func TestConcatenatedHeaders(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cat.log")
	os.WriteFile(p, []byte(DefaultFormat+"\n2 1 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 40 10 20 ACCEPT OK\n"+
		"version srcaddr dstaddr action\n3 10.0.0.3 10.0.0.4 REJECT\n"), 0o644)
	recs, r := readAll(t, Options{}, p)
	if len(recs) != 2 || recs[1].Src.String() != "10.0.0.3" || recs[1].Action != ActionReject || len(r.Problems()) != 0 {
		t.Errorf("%+v %v", recs, r.Problems())
	}
}

// Every field of every version in one custom format (v11, the newest):
// the fields flowverify keeps are read, the others skipped.
func TestAllVersionsFields(t *testing.T) {
	var names, values []string
	val := map[string]string{
		"version": "11", "account-id": "123456789012", "interface-id": "eni-0a", "srcaddr": "10.0.1.5", "dstaddr": "10.0.2.9",
		"srcport": "40000", "dstport": "5432", "protocol": "6", "packets": "3", "bytes": "180", "start": "100", "end": "160",
		"action": "REJECT", "log-status": "OK", "vpc-id": "vpc-1", "subnet-id": "subnet-web", "instance-id": "i-1", "tcp-flags": "2",
		"type": "IPv4", "pkt-srcaddr": "10.0.1.5", "pkt-dstaddr": "10.0.2.9", "region": "us-east-1", "az-id": "use1-az1",
		"sublocation-type": "-", "sublocation-id": "-", "pkt-src-aws-service": "-", "pkt-dst-aws-service": "S3",
		"flow-direction": "egress", "traffic-path": "1", "reject-reason": "-", "resource-id": "-", "interface-type": "nat_gateway",
	}
	seenVersion := map[int]bool{}
	for _, f := range knownFields {
		names = append(names, f.name)
		seenVersion[f.version] = true
		v, ok := val[f.name]
		if !ok {
			v = "x%2Fy" // ECS, tag, next-hop, encryption fields: skipped
		}
		values = append(values, v)
	}
	for _, v := range []int{2, 3, 4, 5, 7, 8, 9, 10, 11} {
		if !seenVersion[v] {
			t.Errorf("no field of version %d in the table", v)
		}
	}
	p := filepath.Join(t.TempDir(), "all.log")
	os.WriteFile(p, []byte(strings.Join(names, " ")+"\n"+strings.Join(values, " ")+"\n"), 0o644)
	recs, r := readAll(t, Options{}, p)
	if len(recs) != 1 {
		t.Fatalf("%v", r.Problems())
	}
	x := recs[0]
	if x.Version != 11 || x.Region != "us-east-1" || x.AZID != "use1-az1" || x.PktDstAWSService != "S3" || x.Direction != DirEgress ||
		x.TrafficPath != 1 || x.InterfaceType != "nat_gateway" || x.Has(FieldRejectReason) || x.SubnetID != "subnet-web" || x.TCPFlags != 2 {
		t.Errorf("%+v", x)
	}
	if v := r.Summary().Files[0].Version; v != 11 {
		t.Errorf("format version %d", v)
	}
}

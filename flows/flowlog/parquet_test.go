package flowlog

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// awsParquetRow has the column names and types AWS uses for flow logs in
// Parquet (INT_32 version, ports, protocol and tcp-flags, INT_64 counters
// and times, strings for the rest; absent values are nulls).
type awsParquetRow struct {
	Version       int32   `parquet:"version"`
	AccountID     *string `parquet:"account_id,optional"`
	InterfaceID   *string `parquet:"interface_id,optional"`
	SrcAddr       *string `parquet:"srcaddr,optional"`
	DstAddr       *string `parquet:"dstaddr,optional"`
	SrcPort       *int32  `parquet:"srcport,optional"`
	DstPort       *int32  `parquet:"dstport,optional"`
	Protocol      *int32  `parquet:"protocol,optional"`
	Packets       *int64  `parquet:"packets,optional"`
	Bytes         *int64  `parquet:"bytes,optional"`
	Start         int64   `parquet:"start"`
	End           int64   `parquet:"end"`
	Action        *string `parquet:"action,optional"`
	LogStatus     string  `parquet:"log_status"`
	SubnetID      *string `parquet:"subnet_id,optional"`
	TCPFlags      *int32  `parquet:"tcp_flags,optional"`
	FlowDirection *string `parquet:"flow_direction,optional"`
}

func ptr[T any](v T) *T { return &v }

func TestParquetStreamsRowGroups(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "123456789012_vpcflowlogs_us-east-1_fl-1_20240501T1000Z_abcd.log.parquet")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[awsParquetRow](f)
	row := func(src string, sport int32, flags int32, dir string) awsParquetRow {
		return awsParquetRow{Version: 5, AccountID: ptr("123456789012"), InterfaceID: ptr("eni-1"), SrcAddr: ptr(src), DstAddr: ptr("10.0.1.5"),
			SrcPort: ptr(sport), DstPort: ptr(int32(443)), Protocol: ptr(int32(6)), Packets: ptr(int64(3)), Bytes: ptr(int64(180)),
			Start: 1714557600, End: 1714557660, Action: ptr("ACCEPT"), LogStatus: "OK", SubnetID: ptr("subnet-1"), TCPFlags: ptr(flags), FlowDirection: ptr(dir)}
	}
	if _, err := w.Write([]awsParquetRow{row("10.0.0.1", 40000, 2, "ingress"), row("10.0.0.2", 40001, 3, "ingress")}); err != nil {
		t.Fatal(err)
	}
	w.Flush() // second row group
	bad := row("10.0.0.300", 40002, 2, "ingress")
	nodata := awsParquetRow{Version: 5, Start: 1714557600, End: 1714557660, LogStatus: "NODATA", InterfaceID: ptr("eni-1")}
	absent := row("10.0.0.4", 40003, 0, "egress")
	absent.TCPFlags = nil
	if _, err := w.Write([]awsParquetRow{bad, nodata, absent}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if ok, _ := Detect(p); !ok {
		t.Fatal("Detect: parquet not recognised")
	}
	recs, r := readAll(t, Options{}, p)
	if len(recs) != 3 {
		t.Fatalf("got %d records, problems %v", len(recs), r.Problems())
	}
	x := recs[1]
	if x.Line != 2 || x.Src.String() != "10.0.0.2" || x.SrcPort != 40001 || x.TCPFlags != 3 || x.Direction != DirIngress ||
		x.SubnetID != "subnet-1" || x.Bytes != 180 || x.Version != 5 || x.Action != ActionAccept {
		t.Errorf("row 2: %+v", x)
	}
	if y := recs[2]; y.Line != 5 || y.Has(FieldTCPFlags) || y.Direction != DirEgress {
		t.Errorf("row 5: %+v", y)
	}
	ps := r.Problems()
	if len(ps) != 1 || ps[0].Error() != p+`: row 3: srcaddr: "10.0.0.300": not an IP address` {
		t.Errorf("problems %v", ps)
	}
	s := r.Summary()
	if s.NoData != 1 || s.Bad != 1 || s.Files[0].Kind != "parquet" || s.Files[0].Version != 5 {
		t.Errorf("summary %+v", s)
	}
}

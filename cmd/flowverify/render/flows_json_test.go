package render

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/flows"
	"github.com/flowverify/flowverify/flows/ephemeral"
	"github.com/flowverify/flowverify/pcaps"
)

// checkConvJSON compares appendConvJSON with encoding/json on c, in both
// escaping modes (jsonl: Encoder without HTML escaping; json: Marshal).
func checkConvJSON(t *testing.T, r *flowsFormat, c *flows.Conversation) {
	t.Helper()
	v := r.convJSON(c)
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.appendConvJSON(nil, c, true); !bytes.Equal(got, want) {
		t.Fatalf("escapeHTML: got\n%s\nwant\n%s", got, want)
	}
	wantIndent, err := json.MarshalIndent(v, "    ", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if got := appendIndentJSON(nil, want, "    ", "  "); !bytes.Equal(got, wantIndent) {
		t.Fatalf("indent: got\n%s\nwant\n%s", got, wantIndent)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	if got := append(r.appendConvJSON(nil, c, false), '\n'); !bytes.Equal(got, buf.Bytes()) {
		t.Fatalf("no escapeHTML: got\n%s\nwant\n%s", got, buf.Bytes())
	}
}

func TestConvJSONMatchesEncodingJSONOnSamples(t *testing.T) {
	paths, _ := filepath.Glob(filepath.Join(pcaps.Dir(), "*.pcap*"))
	if len(paths) == 0 {
		t.Skip("no samples")
	}
	n := 0
	for _, p := range paths {
		s, err := capture.Open([]string{p}, capture.Options{})
		if err != nil {
			t.Fatal(err)
		}
		convs := classify(s)
		for _, nano := range []bool{false, true} {
			r := newFlowsFormat(s.Files(), nano)
			for c := range convs.Conversations() {
				checkConvJSON(t, r, c)
				checkConvCSV(t, r, c)
				n++
			}
		}
		s.Close()
	}
	if n == 0 {
		t.Fatal("no conversations in the samples")
	}
}

func TestConvJSONMatchesEncodingJSONRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"a.pcap", "dir/<b>&c.pcap", "tab\there\"q\\", "ctl\x01\x1f\x7f", "utf8 é ü \u2028 \u2029 \xff\xfe bad", ""}
	evid := []flows.Evidence{flows.EvidenceSYN, flows.EvidenceICMPEcho, flows.EvidenceFanIn, flows.EvidenceNone}
	conf := []flows.Confidence{flows.Certain, flows.High, flows.Medium, flows.Low}
	states := []flows.State{flows.StateEstablished, flows.StateOneWay, flows.StateClosedRST, ""}
	protos := []uint8{capture.ProtoTCP, capture.ProtoUDP, capture.ProtoICMP, capture.ProtoICMPv6, 47, 0, 255}
	addr := func() netip.Addr {
		switch rng.IntN(4) {
		case 0:
			return netip.AddrFrom4([4]byte{byte(rng.Uint32()), byte(rng.Uint32()), 0, byte(rng.Uint32())})
		case 1:
			var b [16]byte
			for i := range b {
				if rng.IntN(3) == 0 {
					b[i] = byte(rng.Uint32())
				}
			}
			return netip.AddrFrom16(b)
		case 2:
			return netip.AddrFrom16([16]byte{0: 0xfe, 1: 0x80, 15: 1}).WithZone("eth0<&>\"")
		}
		return netip.Addr{}
	}
	tm := func() time.Time {
		switch rng.IntN(6) {
		case 0:
			return time.Time{}
		case 1:
			return time.Unix(0, rng.Int64())
		}
		return time.Unix(1700000000+rng.Int64N(1000), rng.Int64N(1e9))
	}
	dir := func() flows.DirStats {
		return flows.DirStats{Packets: rng.Uint64() >> rng.IntN(64), Bytes: rng.Uint64() >> rng.IntN(64), First: tm(), Last: tm(),
			FirstFrame: flows.FrameRef{File: rng.IntN(len(names) + 1), Frame: rng.Int64N(math.MaxInt64)}}
	}
	files := make([]capture.FileInfo, len(names))
	for i, n := range names {
		files[i].Name = n
	}
	for i := 0; i < 20000; i++ {
		c := &flows.Conversation{
			ID: rng.IntN(1 << 30), Proto: protos[rng.IntN(len(protos))], Version: uint8(4 + 2*rng.IntN(2)),
			Client: flows.Endpoint{Addr: addr(), Port: uint16(rng.Uint32())}, Server: flows.Endpoint{Addr: addr(), Port: uint16(rng.Uint32())},
			EchoID: uint16(rng.Uint32()), ToServer: dir(), ToClient: dir(), ICMPErrors: rng.Uint64() >> rng.IntN(64), Fragments: uint64(rng.Uint32()),
			State: states[rng.IntN(len(states))], HandshakeSeen: rng.IntN(2) == 0,
			Evidence: evid[rng.IntN(len(evid))], Confidence: conf[rng.IntN(len(conf))],
		}
		if rng.IntN(2) == 0 {
			c.ClientProfiles = ephemeral.Matching(uint16(rng.Uint32()))
		}
		if rng.IntN(50) == 0 {
			c.ClientProfiles = []string{"x<y", strings.Repeat("é", 3)}
		}
		f := newFlowsFormat(files, false)
		f.nano = rng.IntN(2) == 0
		checkConvJSON(t, f, c)
		checkConvCSV(t, f, c)
	}
}

func TestAppendJSONFloat(t *testing.T) {
	for _, f := range []float64{0, 1, -1, 1e-7, 1.5e-6, 1e-6, 123456.789, 1e20, 1e21, 1.234e25, -3e-9, math.SmallestNonzeroFloat64, math.MaxFloat64, 0.1 + 0.2} {
		want, _ := json.Marshal(f)
		if got := appendJSONFloat(nil, f); string(got) != string(want) {
			t.Errorf("%v: got %s want %s", f, got, want)
		}
	}
}

func TestAppendRFC3339(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	times := []time.Time{{}, time.Unix(0, 0), time.Unix(-1, 999), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 1, time.UTC), time.Date(-5, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 29, 1, 2, 3, 4000, time.FixedZone("x", 3600))}
	for i := 0; i < 10000; i++ {
		times = append(times, time.Unix(rng.Int64N(1<<36)-1<<35, rng.Int64N(1e9)))
	}
	for _, tm := range times {
		for _, nano := range []bool{false, true} {
			if got, want := string(AppendTime(nil, tm, nano)), rfc3339(tm, nano); got != want {
				t.Fatalf("%v nano=%v: got %q want %q", tm, nano, got, want)
			}
		}
	}
}

func TestAppendIndentJSON(t *testing.T) {
	for _, src := range []string{`{}`, `[]`, `{"a":[]}`, `{"a":{},"b":[1,2,{"c":"x\\\"]},{"}],"d":null}`, `"s"`, `[[],[{}],{"k":[true,false]}]`, `{"\u003c":"\\"}`} {
		var want bytes.Buffer
		if err := json.Indent(&want, []byte(src), ">", "\t"); err != nil {
			t.Fatal(src, err)
		}
		if got := appendIndentJSON(nil, []byte(src), ">", "\t"); string(got) != want.String() {
			t.Errorf("%s: got\n%s\nwant\n%s", src, got, want.String())
		}
	}
}

// classify reads a stream into a classified conversation table.
func classify(s *capture.Stream) *flows.Classified {
	t := flows.NewTable(flows.DefaultConfig())
	var p capture.Packet
	for s.Next(&p) == nil {
		t.Add(&p)
	}
	return t.Classify()
}

// convJSON is the slow reference of appendConvJSON: the conversation as
// the value encoding/json encodes.
func (r *flowsFormat) convJSON(c *flows.Conversation) FlowsConvJSON {
	j := FlowsConvJSON{
		ID:             c.ID,
		Proto:          flows.ProtoName(c.Proto),
		IPVersion:      c.Version,
		Client:         EndpointJSON{Addr: c.Client.Addr.String()},
		Server:         EndpointJSON{Addr: c.Server.Addr.String()},
		Evidence:       string(c.Evidence),
		Confidence:     string(c.Confidence),
		ClientProfiles: c.ClientProfiles,
		State:          string(c.State),
		Handshake:      c.HandshakeSeen,
		First:          rfc3339(c.First(), r.nano),
		Last:           rfc3339(c.Last(), r.nano),
		DurationSec:    c.Duration().Seconds(),
		FirstFrame:     FrameJSON{File: r.fileName(c.FirstFrame().File), Frame: c.FirstFrame().Frame},
		ToServer:       DirJSON{c.ToServer.Packets, c.ToServer.Bytes},
		ToClient:       DirJSON{c.ToClient.Packets, c.ToClient.Bytes},
		ICMPErrors:     c.ICMPErrors,
		Fragments:      c.Fragments,
	}
	if j.ClientProfiles == nil {
		j.ClientProfiles = []string{}
	}
	if c.HasPorts() {
		cp, sp := c.Client.Port, c.Server.Port
		j.Client.Port, j.Server.Port, j.ServicePort = &cp, &sp, &sp
	}
	if (c.Proto == capture.ProtoICMP || c.Proto == capture.ProtoICMPv6) && c.Evidence == flows.EvidenceICMPEcho {
		id := c.EchoID
		j.EchoID = &id
	}
	return j
}

// csvRow is the slow reference of appendConvCSV: the record as
// encoding/csv's Writer takes it.
func (r *flowsFormat) csvRow(c *flows.Conversation) []string {
	cp, sp := "", ""
	if c.HasPorts() {
		cp, sp = strconv.Itoa(int(c.Client.Port)), strconv.Itoa(int(c.Server.Port))
	}
	ff := c.FirstFrame()
	return []string{
		strconv.Itoa(c.ID), flows.ProtoName(c.Proto), c.Client.Addr.String(), cp, c.Server.Addr.String(), sp,
		strings.Join(c.ClientProfiles, " "),
		u64(c.ToServer.Packets), u64(c.ToServer.Bytes), u64(c.ToClient.Packets), u64(c.ToClient.Bytes),
		string(c.State), strconv.FormatBool(c.HandshakeSeen), string(c.Evidence), string(c.Confidence),
		FormatTime(c.First(), r.nano), FormatTime(c.Last(), r.nano),
		strconv.FormatFloat(c.Duration().Seconds(), 'f', -1, 64), r.fileName(ff.File), strconv.FormatInt(ff.Frame, 10),
	}
}

// checkConvCSV compares appendConvCSV with encoding/csv on c.
func checkConvCSV(t *testing.T, r *flowsFormat, c *flows.Conversation) {
	t.Helper()
	var want bytes.Buffer
	w := csv.NewWriter(&want)
	if err := w.Write(r.csvRow(c)); err != nil {
		t.Fatal(err)
	}
	w.Flush()
	if got := r.appendConvCSV(nil, c); !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("csv: got\n%s\nwant\n%s", got, want.Bytes())
	}
}

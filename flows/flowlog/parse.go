package flowlog

import (
	"net/netip"
	"strconv"
)

// interner returns one shared string per distinct value of the string
// fields (interface, subnet and account IDs repeat on every record), so
// that reading does not allocate per record.
// Consecutive records mostly repeat the last value of a field (account,
// VPC, subnet, type), which is checked first.
type interner struct {
	m    map[string]string
	last [numFields]string
}

const maxInterned = 1 << 16

func newInterner() *interner { return &interner{m: map[string]string{}} }

func (in *interner) get(f Field, b []byte) string {
	if string(b) == in.last[f] {
		return in.last[f]
	}
	s, ok := in.m[string(b)]
	if !ok {
		s = string(b)
		if len(in.m) < maxInterned {
			in.m[s] = s
		}
	}
	in.last[f] = s
	return s
}

// parseError is the reason a record could not be read.
type parseError struct {
	field string
	msg   string
}

func (e *parseError) Error() string {
	if e.field == "" {
		return e.msg
	}
	return e.field + ": " + e.msg
}

// lineParser parses text records of one format.
type lineParser struct {
	format *Format
	in     *interner
	toks   [][]byte
}

func newLineParser(f *Format, in *interner) *lineParser {
	return &lineParser{format: f, in: in, toks: make([][]byte, 0, len(f.Fields)+4)}
}

// split cuts line at runs of spaces or tabs.
func (p *lineParser) split(line []byte) [][]byte {
	toks := p.toks[:0]
	i := 0
	for i < len(line) {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			break
		}
		j := i
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		toks = append(toks, line[i:j])
		i = j
	}
	p.toks = toks
	return toks
}

// parse fills r from one record line (without the line end). r's File and
// Line are left alone.
func (p *lineParser) parse(line []byte, r *Record) error {
	toks := p.split(line)
	if len(toks) != len(p.format.Fields) {
		return &parseError{msg: "has " + strconv.Itoa(len(toks)) + " fields, the log format has " + strconv.Itoa(len(p.format.Fields))}
	}
	resetRecord(r)
	for i, tok := range toks {
		if err := setField(r, p.format.Fields[i], tok, p.in); err != nil {
			err.field = p.format.Names[i]
			return err
		}
	}
	return checkRecord(r)
}

// resetRecord clears everything but File and Line.
func resetRecord(r *Record) {
	file, line := r.File, r.Line
	*r = Record{File: file, Line: line}
}

// setField stores one text value. "-" leaves the field absent.
func setField(r *Record, f Field, v []byte, in *interner) *parseError {
	if len(v) == 1 && v[0] == '-' {
		return nil
	}
	switch f {
	case FieldUnknown, FieldSkipped:
		return nil
	case FieldVersion:
		n, ok := atoi(v, 1<<16)
		if !ok {
			return badValue(v, "not a version number")
		}
		r.Version = n
	case FieldAccountID:
		r.AccountID = in.get(f, v)
	case FieldInterfaceID:
		r.InterfaceID = in.get(f, v)
	case FieldSrcAddr, FieldDstAddr, FieldPktSrcAddr, FieldPktDstAddr:
		a, ok := parseAddr(v)
		if !ok {
			return badValue(v, "not an IP address")
		}
		switch f {
		case FieldSrcAddr:
			r.Src = a
		case FieldDstAddr:
			r.Dst = a
		case FieldPktSrcAddr:
			r.PktSrc = a
		default:
			r.PktDst = a
		}
	case FieldSrcPort, FieldDstPort:
		n, ok := atoi(v, 65535)
		if !ok {
			return badValue(v, "not a port (0-65535)")
		}
		if f == FieldSrcPort {
			r.SrcPort = uint16(n)
		} else {
			r.DstPort = uint16(n)
		}
	case FieldProtocol:
		n, ok := atoi(v, 255)
		if !ok {
			return badValue(v, "not a protocol number (0-255)")
		}
		r.Proto = uint8(n)
	case FieldPackets, FieldBytes, FieldStart, FieldEnd:
		n, ok := atoi64(v)
		if !ok {
			return badValue(v, "not a non-negative integer")
		}
		switch f {
		case FieldPackets:
			r.Packets = n
		case FieldBytes:
			r.Bytes = n
		case FieldStart:
			r.Start = n
		default:
			r.End = n
		}
	case FieldAction:
		switch string(v) {
		case "ACCEPT":
			r.Action = ActionAccept
		case "REJECT":
			r.Action = ActionReject
		default:
			return badValue(v, "want ACCEPT or REJECT")
		}
	case FieldLogStatus:
		switch string(v) {
		case "OK":
			r.Status = "OK"
		case "NODATA":
			r.Status = "NODATA"
		case "SKIPDATA":
			r.Status = "SKIPDATA"
		default:
			return badValue(v, "want OK, NODATA or SKIPDATA")
		}
	case FieldTCPFlags, FieldTrafficPath:
		n, ok := atoi(v, 65535)
		if !ok {
			return badValue(v, "not a non-negative integer")
		}
		if f == FieldTCPFlags {
			r.TCPFlags = n
		} else {
			r.TrafficPath = n
		}
	case FieldFlowDirection:
		switch string(v) {
		case "ingress":
			r.Direction = DirIngress
		case "egress":
			r.Direction = DirEgress
		default:
			return badValue(v, "want ingress or egress")
		}
	case FieldType:
		r.Type = in.get(f, v)
	case FieldVPCID:
		r.VPCID = in.get(f, v)
	case FieldSubnetID:
		r.SubnetID = in.get(f, v)
	case FieldInstanceID:
		r.InstanceID = in.get(f, v)
	case FieldRegion:
		r.Region = in.get(f, v)
	case FieldAZID:
		r.AZID = in.get(f, v)
	case FieldSublocationType:
		r.SublocationType = in.get(f, v)
	case FieldSublocationID:
		r.SublocationID = in.get(f, v)
	case FieldPktSrcAWSService:
		r.PktSrcAWSService = in.get(f, v)
	case FieldPktDstAWSService:
		r.PktDstAWSService = in.get(f, v)
	case FieldRejectReason:
		r.RejectReason = in.get(f, v)
	case FieldResourceID:
		r.ResourceID = in.get(f, v)
	case FieldInterfaceType:
		r.InterfaceType = in.get(f, v)
	}
	r.set(f)
	return nil
}

func badValue(v []byte, why string) *parseError {
	const maxShown = 64
	s := string(v)
	if len(s) > maxShown {
		s = s[:maxShown] + "..."
	}
	return &parseError{msg: strconv.Quote(s) + ": " + why}
}

// checkRecord validates a parsed OK record: it needs both addresses, of
// one family, and end not before start. NODATA and SKIPDATA records are
// not checked (their fields are "-").
func checkRecord(r *Record) error {
	if r.Status == "NODATA" || r.Status == "SKIPDATA" {
		return nil
	}
	if !r.Has(FieldSrcAddr) || !r.Has(FieldDstAddr) {
		return &parseError{msg: "srcaddr or dstaddr is missing"}
	}
	if r.Src.Is4() != r.Dst.Is4() {
		return &parseError{msg: "srcaddr " + r.Src.String() + " and dstaddr " + r.Dst.String() + " are of different IP families"}
	}
	if r.Has(FieldStart) && r.Has(FieldEnd) && r.End < r.Start {
		return &parseError{msg: "end " + strconv.FormatInt(r.End, 10) + " is before start " + strconv.FormatInt(r.Start, 10)}
	}
	return nil
}

// atoi parses a decimal integer 0..limit.
func atoi(b []byte, limit int) (int, bool) {
	if len(b) == 0 || len(b) > 10 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
		if n > limit {
			return 0, false
		}
	}
	return n, true
}

// atoi64 parses a non-negative decimal int64.
func atoi64(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parseAddr parses an IPv4 address quickly and anything else with netip.
func parseAddr(b []byte) (netip.Addr, bool) {
	var v4 [4]byte
	part, n, digits := 0, 0, 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			if digits > 0 && n == 0 { // leading zero
				return slowAddr(b)
			}
			n = n*10 + int(c-'0')
			digits++
			if n > 255 || digits > 3 {
				return slowAddr(b)
			}
		case c == '.':
			if digits == 0 || part == 3 {
				return slowAddr(b)
			}
			v4[part] = byte(n)
			part++
			n, digits = 0, 0
		default:
			return slowAddr(b)
		}
	}
	if part != 3 || digits == 0 {
		return slowAddr(b)
	}
	v4[3] = byte(n)
	return netip.AddrFrom4(v4), true
}

func slowAddr(b []byte) (netip.Addr, bool) {
	a, err := netip.ParseAddr(string(b))
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a, true
}

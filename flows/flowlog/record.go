package flowlog

import (
	"fmt"
	"net/netip"
	"time"
)

// Action is the logged action of a record.
type Action uint8

// Actions as logged.
const (
	ActionNone   Action = iota // "-" (NODATA/SKIPDATA) or field absent
	ActionAccept               // ACCEPT
	ActionReject               // REJECT
)

// String returns "ACCEPT", "REJECT" or "-".
func (a Action) String() string {
	switch a {
	case ActionAccept:
		return "ACCEPT"
	case ActionReject:
		return "REJECT"
	}
	return "-"
}

// Direction is the logged flow-direction (version 5) of a record.
type Direction uint8

// Flow directions.
const (
	DirUnknown Direction = iota // field absent or "-"
	DirIngress                  // into the network interface
	DirEgress                   // out of the network interface
)

// String returns "ingress", "egress" or "-".
func (d Direction) String() string {
	switch d {
	case DirIngress:
		return "ingress"
	case DirEgress:
		return "egress"
	}
	return "-"
}

// TCP flag bits as flow logs report them (OR-ed over the aggregation
// interval; ACK and PSH are never logged, a SYN-ACK is reported as 18).
const (
	TCPFlagFIN    = 1
	TCPFlagSYN    = 2
	TCPFlagRST    = 4
	TCPFlagSYNACK = 18
)

// Record is one flow-log record: one direction of one 5-tuple on one
// network interface over one aggregation interval. Fields absent from the
// log format or logged as "-" are zero, and Has reports them.
type Record struct {
	// File is the file the record was read from, as named by the caller
	// (paths inside a directory are joined to it); Line is the 1-based
	// line after decompression (text and CloudWatch exports) or the
	// 1-based row (Parquet).
	File string
	Line int64
	// Version is the record's version field (0 when absent).
	Version int
	// AccountID, InterfaceID, VPCID, SubnetID, InstanceID, Type, Region,
	// AZID, PktSrcAWSService, PktDstAWSService, RejectReason, ResourceID
	// and InterfaceType are the logged strings ("" for "-").
	AccountID, InterfaceID, VPCID, SubnetID, InstanceID string
	Type, Region, AZID, SublocationType, SublocationID  string
	PktSrcAWSService, PktDstAWSService                  string
	RejectReason, ResourceID, InterfaceType             string
	// Src and Dst are srcaddr and dstaddr; PktSrc and PktDst the
	// pkt-srcaddr and pkt-dstaddr fields (version 3).
	Src, Dst, PktSrc, PktDst netip.Addr
	SrcPort, DstPort         uint16
	Proto                    uint8
	Packets, Bytes           int64
	// Start and End are Unix seconds.
	Start, End int64
	Action     Action
	// Status is the log-status: "OK", "NODATA" or "SKIPDATA" ("" when absent).
	Status    string
	TCPFlags  int
	Direction Direction
	// TrafficPath is the traffic-path code 1-8 (0 when absent).
	TrafficPath int
	present     uint64
}

// Has reports whether the record has a value (not "-") for f.
func (r *Record) Has(f Field) bool { return r.present&(1<<f) != 0 }

func (r *Record) set(f Field) { r.present |= 1 << f }

// MarkPresent records that fields have values, for records built in code
// (generators, tests).
func (r *Record) MarkPresent(fields ...Field) {
	for _, f := range fields {
		r.set(f)
	}
}

// StartTime and EndTime return Start and End as UTC times.
func (r *Record) StartTime() time.Time { return time.Unix(r.Start, 0).UTC() }

// EndTime returns End as a UTC time.
func (r *Record) EndTime() time.Time { return time.Unix(r.End, 0).UTC() }

// HasPorts reports whether the record carries ports (TCP or UDP with both
// port fields present).
func (r *Record) HasPorts() bool {
	return (r.Proto == 6 || r.Proto == 17) && r.Has(FieldSrcPort) && r.Has(FieldDstPort)
}

// Problem is a record or file that could not be read.
type Problem struct {
	// File is the path; Line the 1-based line (or Parquet row, see Row),
	// 0 when the problem concerns the whole file.
	File string
	Line int64
	// Row is true when Line is a Parquet row number.
	Row bool
	// Path is a JSON path (CloudWatch Logs exports), e.g. "$.events[3]".
	Path string
	// Reason says what is wrong.
	Reason string
	// Fatal is true when reading of the file stopped here (the rest of the
	// file, if any, was not read).
	Fatal bool
}

// Error formats the problem as "FILE: line N: REASON" ("row N" for Parquet).
func (p *Problem) Error() string {
	s := p.File
	if p.Line > 0 {
		unit := "line"
		if p.Row {
			unit = "row"
		}
		s += fmt.Sprintf(": %s %d", unit, p.Line)
	}
	if p.Path != "" {
		if p.Line == 0 {
			s += ":"
		}
		s += " " + p.Path
	}
	return s + ": " + p.Reason
}

// FileSummary describes one input file.
type FileSummary struct {
	// Name is the file's path.
	Name string
	// Kind is how it was read: "text", "cloudwatch-json", "cloudwatch-text", "parquet".
	Kind string
	// Gzip is true when the file was gzip-compressed.
	Gzip bool
	// Format is the field list used (from the header line, the Parquet
	// schema, or the configured/default format).
	Format string
	// Version is the highest field version of the format.
	Version int
	// Records counts the records delivered; NoData and SkipData the
	// NODATA and SKIPDATA records (counted, not delivered); Bad the
	// records that could not be read.
	Records, NoData, SkipData, Bad int64
	// Complete is false when reading stopped before the end of the file.
	Complete bool
}

// Summary totals a read.
type Summary struct {
	Files                          []FileSummary
	Records, NoData, SkipData, Bad int64
}

// Complete reports whether every file was read to its end.
func (s Summary) Complete() bool {
	for _, f := range s.Files {
		if !f.Complete {
			return false
		}
	}
	return true
}

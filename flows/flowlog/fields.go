// Package flowlog reads Amazon VPC Flow Logs: text records as delivered to
// Amazon S3 (plain or gzip, with the header line naming the fields, in the
// default or any custom format, versions 2 and later), directories in the
// S3 layout (AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/...), Parquet
// files as AWS delivers them, and CloudWatch Logs exports (one record per
// "message"). Several files are merged by time. Bad records are reported
// with their file, line (or Parquet row) and reason, and reading goes on.
//
// Records are delivered one at a time (streaming): memory does not grow
// with the number of records. The package returns data only; it knows
// nothing about NACLs.
package flowlog

import "strings"

// Field identifies one flow-log field (a ${field-id} of the log format).
type Field uint8

// Fields flowverify reads. Fields of later versions that a NACL replay
// does not need (ECS metadata, tags, next hop, encryption status) are
// recognised and skipped.
const (
	FieldUnknown Field = iota
	FieldVersion
	FieldAccountID
	FieldInterfaceID
	FieldSrcAddr
	FieldDstAddr
	FieldSrcPort
	FieldDstPort
	FieldProtocol
	FieldPackets
	FieldBytes
	FieldStart
	FieldEnd
	FieldAction
	FieldLogStatus
	FieldVPCID
	FieldSubnetID
	FieldInstanceID
	FieldTCPFlags
	FieldType
	FieldPktSrcAddr
	FieldPktDstAddr
	FieldRegion
	FieldAZID
	FieldSublocationType
	FieldSublocationID
	FieldPktSrcAWSService
	FieldPktDstAWSService
	FieldFlowDirection
	FieldTrafficPath
	FieldRejectReason
	FieldResourceID
	FieldInterfaceType
	// FieldSkipped is a known field whose value is not kept.
	FieldSkipped
	numFields
)

// fieldInfo is one known field: its name in the log format, the version
// that introduced it and the Field it is read into.
type fieldInfo struct {
	name    string
	version int
	field   Field
}

// knownFields lists every VPC flow-log field by version (AWS "Available
// fields" table; see ../shared/docs/flow_logs.md §1).
var knownFields = []fieldInfo{
	{"version", 2, FieldVersion},
	{"account-id", 2, FieldAccountID},
	{"interface-id", 2, FieldInterfaceID},
	{"srcaddr", 2, FieldSrcAddr},
	{"dstaddr", 2, FieldDstAddr},
	{"srcport", 2, FieldSrcPort},
	{"dstport", 2, FieldDstPort},
	{"protocol", 2, FieldProtocol},
	{"packets", 2, FieldPackets},
	{"bytes", 2, FieldBytes},
	{"start", 2, FieldStart},
	{"end", 2, FieldEnd},
	{"action", 2, FieldAction},
	{"log-status", 2, FieldLogStatus},
	{"vpc-id", 3, FieldVPCID},
	{"subnet-id", 3, FieldSubnetID},
	{"instance-id", 3, FieldInstanceID},
	{"tcp-flags", 3, FieldTCPFlags},
	{"type", 3, FieldType},
	{"pkt-srcaddr", 3, FieldPktSrcAddr},
	{"pkt-dstaddr", 3, FieldPktDstAddr},
	{"region", 4, FieldRegion},
	{"az-id", 4, FieldAZID},
	{"sublocation-type", 4, FieldSublocationType},
	{"sublocation-id", 4, FieldSublocationID},
	{"pkt-src-aws-service", 5, FieldPktSrcAWSService},
	{"pkt-dst-aws-service", 5, FieldPktDstAWSService},
	{"flow-direction", 5, FieldFlowDirection},
	{"traffic-path", 5, FieldTrafficPath},
	{"ecs-cluster-arn", 7, FieldSkipped},
	{"ecs-cluster-name", 7, FieldSkipped},
	{"ecs-container-instance-arn", 7, FieldSkipped},
	{"ecs-container-instance-id", 7, FieldSkipped},
	{"ecs-container-id", 7, FieldSkipped},
	{"ecs-second-container-id", 7, FieldSkipped},
	{"ecs-service-name", 7, FieldSkipped},
	{"ecs-task-definition-arn", 7, FieldSkipped},
	{"ecs-task-arn", 7, FieldSkipped},
	{"ecs-task-id", 7, FieldSkipped},
	{"reject-reason", 8, FieldRejectReason},
	{"resource-id", 9, FieldResourceID},
	{"encryption-status", 10, FieldSkipped},
	{"instance-tag", 11, FieldSkipped},
	{"instance-tag-2", 11, FieldSkipped},
	{"interface-tag", 11, FieldSkipped},
	{"interface-tag-2", 11, FieldSkipped},
	{"asg-tag", 11, FieldSkipped},
	{"asg-tag-2", 11, FieldSkipped},
	{"interface-type", 11, FieldInterfaceType},
	{"next-hop-interface-id", 11, FieldSkipped},
	{"next-hop-subnet-id", 11, FieldSkipped},
	{"next-hop-az-id", 11, FieldSkipped},
	{"next-hop-vpc-id", 11, FieldSkipped},
	{"next-hop-interface-type", 11, FieldSkipped},
}

var fieldByName = func() map[string]fieldInfo {
	m := make(map[string]fieldInfo, 2*len(knownFields))
	for _, f := range knownFields {
		m[f.name] = f
		// Parquet and Athena column names use underscores.
		m[strings.ReplaceAll(f.name, "-", "_")] = f
	}
	return m
}()

var fieldNames = func() [numFields]string {
	var out [numFields]string
	for _, f := range knownFields {
		if f.field != FieldSkipped && out[f.field] == "" {
			out[f.field] = f.name
		}
	}
	out[FieldUnknown] = "unknown"
	out[FieldSkipped] = "skipped"
	return out
}()

// String returns the field's name in the log format ("srcaddr", "tcp-flags").
func (f Field) String() string {
	if f < numFields {
		return fieldNames[f]
	}
	return "unknown"
}

// DefaultFormat is the field list of the default (version 2) format, which
// AWS uses when a flow log has no custom format.
const DefaultFormat = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"

// Format is the ordered list of fields of a log format.
type Format struct {
	// Names are the field names as given (without ${ }).
	Names []string
	// Fields are the corresponding Field values (FieldUnknown for names
	// flowverify does not know: they are skipped).
	Fields []Field
	// Version is the highest version among the known fields (the version
	// AWS writes in the records).
	Version int
	// Unknown lists the names that are not known fields.
	Unknown []string
}

// ParseFormat parses a log format: field names separated by spaces, each
// either bare ("srcaddr") or as AWS writes it in LogFormat ("${srcaddr}").
// Underscores are accepted for hyphens (Parquet column names). It fails
// when the format is empty, names a field twice, or has neither srcaddr
// nor dstaddr.
func ParseFormat(s string) (*Format, error) {
	f := &Format{}
	seen := map[Field]bool{}
	for _, tok := range strings.Fields(s) {
		name := strings.TrimSuffix(strings.TrimPrefix(tok, "${"), "}")
		info, ok := fieldByName[strings.ToLower(name)]
		fld := FieldUnknown
		if ok {
			fld = info.field
			f.Version = max(f.Version, info.version)
		} else {
			f.Unknown = append(f.Unknown, name)
		}
		if fld != FieldUnknown && fld != FieldSkipped {
			if seen[fld] {
				return nil, &formatError{"field " + name + " appears twice"}
			}
			seen[fld] = true
		}
		f.Names = append(f.Names, name)
		f.Fields = append(f.Fields, fld)
	}
	if len(f.Fields) == 0 {
		return nil, &formatError{"empty log format"}
	}
	if !seen[FieldSrcAddr] && !seen[FieldDstAddr] {
		return nil, &formatError{"log format has neither srcaddr nor dstaddr: " + s}
	}
	return f, nil
}

// Has reports whether the format includes fld.
func (f *Format) Has(fld Field) bool {
	for _, x := range f.Fields {
		if x == fld {
			return true
		}
	}
	return false
}

type formatError struct{ msg string }

func (e *formatError) Error() string { return e.msg }

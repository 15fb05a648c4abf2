package replay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
)

// SubnetInfo is one subnet read from `aws ec2 describe-subnets` output.
type SubnetInfo struct {
	ID    string
	VPCID string
	Name  string
	// CIDRs are the IPv4 CidrBlock (absent on IPv6-only subnets) and the
	// associated IPv6 blocks, canonical.
	CIDRs []netip.Prefix
	// Path is the JSON path of the subnet object, e.g. "$.Subnets[2]".
	Path string
}

// ipv6Association is one IPv6 block of a subnet or VPC.
type ipv6Association struct {
	Ipv6CidrBlock      *string `json:"Ipv6CidrBlock"`
	Ipv6CidrBlockState *struct {
		State string `json:"State"`
	} `json:"Ipv6CidrBlockState"`
}

type rawSubnet struct {
	SubnetID                    *string           `json:"SubnetId"`
	VpcID                       string            `json:"VpcId"`
	CidrBlock                   *string           `json:"CidrBlock"`
	Ipv6CidrBlockAssociationSet []ipv6Association `json:"Ipv6CidrBlockAssociationSet"`
	Tags                        []struct {
		Key   string `json:"Key"`
		Value string `json:"Value"`
	} `json:"Tags"`
}

// ReadSubnets reads a describe-subnets JSON file.
func ReadSubnets(path string) ([]SubnetInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading subnets: %w", err)
	}
	return ParseSubnets(path, data)
}

// ParseSubnets parses `aws ec2 describe-subnets` output ({"Subnets": [...]}),
// a single {"Subnet": {...}} (create-subnet output) or a bare array of
// subnet objects. Errors name the file, the line and column or JSON path,
// and the field. IPv6 blocks whose association state is disassociating,
// disassociated, failing or failed are skipped.
func ParseSubnets(name string, data []byte) ([]SubnetInfo, error) {
	return parseAWSObjects(name, data, "Subnets", "Subnet", "describe-subnets", "SubnetId",
		func(path string, r *rawSubnet) (SubnetInfo, string, error) {
			si, err := convertSubnet(name, path, r)
			return si, si.ID, err
		})
}

// parseAWSObjects reads AWS CLI output listing objects (see parseAWSList)
// and converts each; convert returns the object and its ID, which must be
// unique (idField names it in the message).
func parseAWSObjects[T, R any](name string, data []byte, plural, singular, what, idField string, convert func(path string, raw *T) (R, string, error)) ([]R, error) {
	raws, paths, err := parseAWSList[T](name, data, plural, singular, what)
	if err != nil {
		return nil, err
	}
	out := make([]R, 0, len(raws))
	ids := map[string]string{}
	for i := range raws {
		path := paths[i]
		v, id, err := convert(path, &raws[i])
		if err != nil {
			return nil, err
		}
		if prev, dup := ids[id]; dup {
			return nil, fmt.Errorf("%s: %s.%s: %s is listed twice (also at %s)", name, path, idField, id, prev)
		}
		ids[id] = path
		out = append(out, v)
	}
	return out, nil
}

// parseAWSList decodes AWS CLI output that lists objects: {"PLURAL":
// [...]} (describe output), {"SINGULAR": {...}} (create output) or a bare
// array. It returns the objects and the JSON path of each.
func parseAWSList[T any](name string, data []byte, plural, singular, what string) ([]T, []string, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, nil, fmt.Errorf("%s: empty file, want %s JSON", name, what)
	}
	var raws []T
	base := "$"
	if trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, nil, jsonError(name, data, base, err)
		}
	} else {
		// Syntax errors as Unmarshal reports them; then walk the
		// object's members so that type errors keep their offsets.
		if !json.Valid(trimmed) {
			var probe any
			return nil, nil, jsonError(name, data, "$", json.Unmarshal(trimmed, &probe))
		}
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		found := false
		if _, err := dec.Token(); err != nil { // {
			return nil, nil, jsonError(name, data, "$", err)
		}
		for dec.More() && !found {
			tok, err := dec.Token()
			if err != nil {
				return nil, nil, jsonError(name, data, "$", err)
			}
			key, _ := tok.(string)
			switch key {
			case plural:
				base = "$." + plural
				if err := dec.Decode(&raws); err != nil {
					return nil, nil, jsonError(name, data, base, err)
				}
				found = raws != nil
			case singular:
				var v *T
				if err := dec.Decode(&v); err != nil {
					return nil, nil, jsonError(name, data, "$."+singular, err)
				}
				if v != nil {
					return []T{*v}, []string{"$." + singular}, nil
				}
			default:
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return nil, nil, jsonError(name, data, "$", err)
				}
			}
		}
		if !found {
			return nil, nil, fmt.Errorf("%s: $: no %q array: not %s output", name, plural, what)
		}
	}
	paths := make([]string, len(raws))
	for i := range raws {
		paths[i] = fmt.Sprintf("%s[%d]", base, i)
	}
	return raws, paths, nil
}

func convertSubnet(name, path string, r *rawSubnet) (SubnetInfo, error) {
	s := SubnetInfo{VPCID: r.VpcID, Path: path}
	if r.SubnetID == nil || *r.SubnetID == "" {
		return s, fmt.Errorf("%s: %s.SubnetId: missing", name, path)
	}
	s.ID = *r.SubnetID
	for _, t := range r.Tags {
		if t.Key == "Name" {
			s.Name = t.Value
		}
	}
	if r.CidrBlock != nil && *r.CidrBlock != "" {
		p, err := netip.ParsePrefix(*r.CidrBlock)
		if err != nil || !p.Addr().Is4() {
			return s, fmt.Errorf("%s: %s.CidrBlock: %q is not an IPv4 CIDR", name, path, *r.CidrBlock)
		}
		s.CIDRs = append(s.CIDRs, p.Masked())
	}
	for k, a := range r.Ipv6CidrBlockAssociationSet {
		if a.Ipv6CidrBlockState != nil && inactiveBlock(a.Ipv6CidrBlockState.State) {
			continue
		}
		if a.Ipv6CidrBlock == nil {
			return s, fmt.Errorf("%s: %s.Ipv6CidrBlockAssociationSet[%d].Ipv6CidrBlock: missing", name, path, k)
		}
		p, err := netip.ParsePrefix(*a.Ipv6CidrBlock)
		if err != nil || !p.Addr().Is6() || p.Addr().Is4In6() {
			return s, fmt.Errorf("%s: %s.Ipv6CidrBlockAssociationSet[%d].Ipv6CidrBlock: %q is not an IPv6 CIDR", name, path, k, *a.Ipv6CidrBlock)
		}
		s.CIDRs = append(s.CIDRs, p.Masked())
	}
	if len(s.CIDRs) == 0 {
		return s, fmt.Errorf("%s: %s: subnet %s has neither CidrBlock nor an associated Ipv6CidrBlock", name, path, s.ID)
	}
	return s, nil
}

// jsonError wraps a decoding error with the file name, line and column
// (syntax errors) or the JSON path of the offending field (type errors).
func jsonError(name string, data []byte, base string, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line, col := lineCol(data, se.Offset)
		return fmt.Errorf("%s:%d:%d: invalid JSON: %w", name, line, col, err)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		line, col := lineCol(data, te.Offset)
		field := te.Field
		if field == "" {
			field = "(document)"
		}
		return fmt.Errorf("%s:%d:%d: %s.%s: got JSON %s, want %s", name, line, col, base, field, te.Value, te.Type)
	}
	return fmt.Errorf("%s: %w", name, err)
}

// lineCol converts a byte offset to a 1-based line and column.
func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	line, col := 1, 1
	for _, c := range data[:off] {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

package replay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
)

// InterfaceInfo is one network interface read from `aws ec2
// describe-network-interfaces` output: where flow-log records of its ID
// were logged.
type InterfaceInfo struct {
	ID       string
	SubnetID string
	VPCID    string
	// Type is the InterfaceType ("interface", "nat_gateway",
	// "network_load_balancer", "vpc_endpoint", ...).
	Type string
	// Addrs are the private IPv4 addresses (primary first) and the IPv6
	// addresses.
	Addrs []netip.Addr
	// Path is the JSON path of the interface object, e.g. "$.NetworkInterfaces[2]".
	Path string
}

type rawInterface struct {
	NetworkInterfaceID *string `json:"NetworkInterfaceId"`
	SubnetID           string  `json:"SubnetId"`
	VpcID              string  `json:"VpcId"`
	InterfaceType      string  `json:"InterfaceType"`
	PrivateIPAddress   string  `json:"PrivateIpAddress"`
	PrivateIPAddresses []struct {
		PrivateIPAddress string `json:"PrivateIpAddress"`
	} `json:"PrivateIpAddresses"`
	Ipv6Addresses []struct {
		Ipv6Address string `json:"Ipv6Address"`
	} `json:"Ipv6Addresses"`
}

// ReadInterfaces reads a describe-network-interfaces JSON file.
func ReadInterfaces(path string) ([]InterfaceInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading network interfaces: %w", err)
	}
	return ParseInterfaces(path, data)
}

// ParseInterfaces parses `aws ec2 describe-network-interfaces` output
// ({"NetworkInterfaces": [...]}) or a bare array of interface objects.
// Errors name the file, the line and column or JSON path, and the field.
func ParseInterfaces(name string, data []byte) ([]InterfaceInfo, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, fmt.Errorf("%s: empty file, want describe-network-interfaces JSON", name)
	}
	var raws []rawInterface
	base := "$"
	if trimmed[0] == '[' {
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			return nil, jsonError(name, data, base, err)
		}
	} else {
		var doc struct {
			NetworkInterfaces []rawInterface `json:"NetworkInterfaces"`
		}
		if err := json.Unmarshal(trimmed, &doc); err != nil {
			return nil, jsonError(name, data, base, err)
		}
		if doc.NetworkInterfaces == nil {
			return nil, fmt.Errorf("%s: $: no \"NetworkInterfaces\" array: not describe-network-interfaces output", name)
		}
		raws, base = doc.NetworkInterfaces, "$.NetworkInterfaces"
	}
	out := make([]InterfaceInfo, 0, len(raws))
	seen := map[string]string{}
	for i, r := range raws {
		path := fmt.Sprintf("%s[%d]", base, i)
		if r.NetworkInterfaceID == nil || *r.NetworkInterfaceID == "" {
			return nil, fmt.Errorf("%s: %s.NetworkInterfaceId: missing", name, path)
		}
		if prev, dup := seen[*r.NetworkInterfaceID]; dup {
			return nil, fmt.Errorf("%s: %s.NetworkInterfaceId: %s is listed twice (also at %s)", name, path, *r.NetworkInterfaceID, prev)
		}
		seen[*r.NetworkInterfaceID] = path
		if r.SubnetID == "" {
			return nil, fmt.Errorf("%s: %s.SubnetId: missing", name, path)
		}
		in := InterfaceInfo{ID: *r.NetworkInterfaceID, SubnetID: r.SubnetID, VPCID: r.VpcID, Type: r.InterfaceType, Path: path}
		add := func(field, s string) error {
			if s == "" {
				return nil
			}
			a, err := netip.ParseAddr(s)
			if err != nil {
				return fmt.Errorf("%s: %s.%s: %q is not an IP address", name, path, field, s)
			}
			for _, x := range in.Addrs {
				if x == a {
					return nil
				}
			}
			in.Addrs = append(in.Addrs, a)
			return nil
		}
		if err := add("PrivateIpAddress", r.PrivateIPAddress); err != nil {
			return nil, err
		}
		for k, p := range r.PrivateIPAddresses {
			if err := add(fmt.Sprintf("PrivateIpAddresses[%d].PrivateIpAddress", k), p.PrivateIPAddress); err != nil {
				return nil, err
			}
		}
		for k, p := range r.Ipv6Addresses {
			if err := add(fmt.Sprintf("Ipv6Addresses[%d].Ipv6Address", k), p.Ipv6Address); err != nil {
				return nil, err
			}
		}
		out = append(out, in)
	}
	return out, nil
}

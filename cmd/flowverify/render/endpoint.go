package render

import (
	"net/netip"

	"github.com/flowverify/flowverify/flows"
)

// AppendEndpoint appends an endpoint as every output prints it:
// "198.51.100.20:80", "[2001:db8::1]:443", or the address alone when the
// protocol has no ports. It is the one endpoint formatter of flowverify.
// An invalid address prints as netip's String methods print it.
func AppendEndpoint(b []byte, a netip.Addr, port uint16, hasPorts bool) []byte {
	switch {
	case !a.IsValid() && hasPorts:
		return append(b, "invalid AddrPort"...)
	case !a.IsValid():
		return append(b, "invalid IP"...)
	case !hasPorts:
		return a.AppendTo(b)
	}
	return netip.AddrPortFrom(a, port).AppendTo(b)
}

// Endpoint returns AppendEndpoint(nil, e.Addr, e.Port, hasPorts) as a string.
func Endpoint(e flows.Endpoint, hasPorts bool) string {
	var buf [64]byte
	return string(appendEndpoint(buf[:0], e, hasPorts))
}

// appendEndpoint appends a conversation endpoint (see AppendEndpoint).
func appendEndpoint(b []byte, e flows.Endpoint, hasPorts bool) []byte {
	return AppendEndpoint(b, e.Addr, e.Port, hasPorts)
}

// endpoint is Endpoint.
func endpoint(e flows.Endpoint, hasPorts bool) string { return Endpoint(e, hasPorts) }

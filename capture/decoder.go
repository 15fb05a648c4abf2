package capture

import (
	"net/netip"
	"time"
)

// maxTunnelDepth bounds nested VXLAN/GENEVE decapsulation.
const maxTunnelDepth = 4

// decoder turns one link-layer frame into a Packet. It keeps no reference
// to the frame bytes and allocates nothing on the path of ordinary
// Ethernet/IP/TCP/UDP packets.
type decoder struct {
	noDecap bool
	// vxlan holds the UDP destination ports decoded as VXLAN (4789 and extras).
	vxlan []uint16
	// cut is how many bytes of the frame being decoded the capture
	// dropped (wire length minus captured length).
	cut int
	// depth counts the tunnels entered for the current packet.
	depth int
	frags fragTable
	names nameCache
}

// newDecoder returns a decoder for opts.
func newDecoder(opts Options) *decoder {
	d := &decoder{noDecap: opts.NoDecap, vxlan: []uint16{4789}}
	for _, port := range opts.VXLANPorts {
		if !d.isVXLAN(port) {
			d.vxlan = append(d.vxlan, port)
		}
	}
	timeout := opts.FragmentTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	d.frags.init(timeout)
	return d
}

// decode fills p (whose File, Frame, Time, WireLen, CapLen and LinkType
// are already set) from the frame data.
func (d *decoder) decode(p *Packet, data []byte) {
	d.cut = max(p.WireLen-len(data), 0)
	d.depth = 0
	d.frags.now = p.Time
	d.decodeLink(p, p.LinkType, data)
}

// isVXLAN reports whether port is decoded as VXLAN.
func (d *decoder) isVXLAN(port uint16) bool {
	for _, v := range d.vxlan {
		if v == port {
			return true
		}
	}
	return false
}

// resetLayers clears everything decoded from the network layer up.
func resetLayers(p *Packet) {
	file, frame, t, wl, cl, lt := p.File, p.Frame, p.Time, p.WireLen, p.CapLen, p.LinkType
	*p = Packet{File: file, Frame: frame, Time: t, WireLen: wl, CapLen: cl, LinkType: lt}
}

// undecodable marks p as a record whose headers could not be decoded or
// contradict the lengths (fields decoded so far are left in place).
func (d *decoder) undecodable(p *Packet, reason string) {
	p.Kind = KindUndecodable
	p.Reason = reason
}

// markTrunc marks p as cut by the capture's snaplen inside a needed header.
func (d *decoder) markTrunc(p *Packet, reason string) {
	p.Truncated = true
	p.Reason = reason
}

// cutOrBad marks p as malformed when bad, as truncated otherwise.
func (d *decoder) cutOrBad(p *Packet, bad bool, reason string) {
	if bad {
		d.undecodable(p, reason)
	} else {
		d.markTrunc(p, reason)
	}
}

func addr4(b []byte) netip.Addr  { return netip.AddrFrom4([4]byte(b)) }
func addr16(b []byte) netip.Addr { return netip.AddrFrom16([16]byte(b)) }

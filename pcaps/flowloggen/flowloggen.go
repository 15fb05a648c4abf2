// Package flowloggen turns recorded captures into realistic VPC Flow Logs:
// the records AWS would have written for the network interfaces of the
// modelled subnets, with the action the given NACLs decide. Packets are
// aggregated per interface, 5-tuple, direction and 60-second window, as a
// flow log with a 1-minute aggregation interval does. The committed logs
// in pcaps/flowlogs were made by it (see TestCommittedLogs).
//
// Rules, as AWS logs traffic:
//   - every address inside a modelled subnet is one network interface
//     (eni-<hex of the address>); a packet is logged egress at its
//     source's interface and ingress at its destination's;
//   - traffic NACLs never filter and flow logs never record (Amazon DNS,
//     metadata, Time Sync, DHCP, link-local) is left out;
//   - the egress record's action is the source subnet's outbound verdict;
//     a packet denied there never reaches the destination, so it has no
//     ingress record; the ingress record's action is the destination
//     subnet's inbound verdict. Same-subnet traffic is ACCEPTed.
//
// The captures were recorded without NACLs, so replies to requests a NACL
// would have dropped are still present (logged with their own verdict).
package flowloggen

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/replay"
)

// Format is the log format of the generated records (version 5 fields).
const Format = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id tcp-flags type pkt-srcaddr pkt-dstaddr flow-direction"

// Options configure generation.
type Options struct {
	// Account and VPCID are written in every record.
	Account, VPCID string
	// Window is the aggregation interval (default 60 s).
	Window time.Duration
	// SubnetIDs names subnets for the subnet-id field when the topology's
	// IDs are CIDRs (simple mode); "-" when absent.
	SubnetIDs map[string]string
}

type aggKey struct {
	eni      netip.Addr
	src, dst netip.Addr
	sp, dp   uint16
	proto    uint8
	egress   bool
	window   int64
	accept   bool
}

type agg struct {
	key            aggKey
	subnet         string
	packets, bytes int64
	start, end     int64
	flags          int
}

// Stats counts what was generated.
type Stats struct {
	Packets, Logged, Unlogged int64
	Records                   int
	Accept, Reject            int
}

// Generate reads the captures and writes a header line and the records.
func Generate(w io.Writer, captures []string, j *replay.Judge, o Options) (Stats, error) {
	if o.Window <= 0 {
		o.Window = time.Minute
	}
	win := int64(o.Window / time.Second)
	s, err := capture.Open(captures, capture.Options{})
	if err != nil {
		return Stats{}, err
	}
	defer s.Close()
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, Format)
	var st Stats
	aggs := map[aggKey]*agg{}
	var order []*agg
	flush := func(before int64) {
		keep := order[:0]
		for _, a := range order {
			if a.key.window < before {
				writeRecord(bw, a, o)
				delete(aggs, a.key)
				st.Records++
				if a.key.accept {
					st.Accept++
				} else {
					st.Reject++
				}
				continue
			}
			keep = append(keep, a)
		}
		order = keep
	}
	var p capture.Packet
	cur := int64(-1)
	for {
		if err := s.Next(&p); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return st, err
		}
		if p.Kind != capture.KindIP {
			continue
		}
		st.Packets++
		sec := p.Time.Unix()
		w0 := sec - sec%win
		if w0 != cur {
			flush(w0)
			cur = w0
		}
		np := nacl.Packet{Src: p.Src, Dst: p.Dst, Proto: p.Proto, DstPort: p.DstPort, HasPort: p.HasPorts,
			ICMPType: p.ICMPType, ICMPCode: p.ICMPCode, HasICMP: p.HasICMP}
		jd := j.Judge(&np)
		if jd.Verdict == replay.Exempt || (jd.Verdict == replay.NotFiltered && jd.Reason != replay.ReasonSameSubnet) {
			st.Unlogged++
			continue
		}
		st.Logged++
		add := func(eni netip.Addr, egress, accept bool, subnet string) {
			sp, dp := uint16(0), uint16(0)
			if p.HasPorts {
				sp, dp = p.SrcPort, p.DstPort
			}
			k := aggKey{eni: eni, src: p.Src, dst: p.Dst, sp: sp, dp: dp, proto: p.Proto, egress: egress, window: w0, accept: accept}
			a := aggs[k]
			if a == nil {
				a = &agg{key: k, subnet: subnet, start: sec}
				aggs[k] = a
				order = append(order, a)
			}
			a.packets++
			a.bytes += int64(p.IPLen)
			a.end = sec
			if p.Proto == capture.ProtoTCP {
				switch f := p.TCPFlags; {
				case f&capture.TCPSyn != 0 && f&capture.TCPAck != 0:
					a.flags |= 18
				case f&capture.TCPSyn != 0:
					a.flags |= 2
				}
				if p.TCPFlags&capture.TCPFin != 0 {
					a.flags |= 1
				}
				if p.TCPFlags&capture.TCPRst != 0 {
					a.flags |= 4
				}
			}
		}
		if jd.Verdict == replay.NotFiltered { // same subnet
			id, _, _ := j.SubnetOf(p.Src)
			add(p.Src, true, true, id)
			add(p.Dst, false, true, id)
			continue
		}
		passed := true
		for i := 0; i < jd.NCheck; i++ {
			c := &jd.Checks[i]
			if c.Direction == nacl.Egress {
				passed = c.Action == nacl.Allow
				add(p.Src, true, passed, c.SubnetID)
			} else if passed {
				add(p.Dst, false, c.Action == nacl.Allow, c.SubnetID)
			}
		}
	}
	flush(1 << 62)
	if err := bw.Flush(); err != nil {
		return st, err
	}
	for _, pr := range s.Problems() {
		if pr.Fatal {
			return st, fmt.Errorf("%s", pr.Error())
		}
	}
	return st, nil
}

// eniID names the interface of address a: "eni-" and 17 hex digits of
// the address's last 8 bytes (IPv4: its 4 bytes).
func eniID(a netip.Addr) string {
	b := a.AsSlice()
	if len(b) > 8 {
		b = b[len(b)-8:]
	}
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return fmt.Sprintf("eni-%017x", v)
}

func writeRecord(w *bufio.Writer, a *agg, o Options) {
	k := &a.key
	sp, dp := "-", "-"
	if k.proto == capture.ProtoTCP || k.proto == capture.ProtoUDP {
		sp, dp = fmt.Sprint(k.sp), fmt.Sprint(k.dp)
	} else if k.proto == capture.ProtoICMP || k.proto == capture.ProtoICMPv6 {
		sp, dp = "0", "0"
	}
	action := "REJECT"
	if k.accept {
		action = "ACCEPT"
	}
	subnet := a.subnet
	if id, ok := o.SubnetIDs[subnet]; ok {
		subnet = id
	}
	if subnet == "" {
		subnet = "-"
	}
	flags := "-"
	if k.proto == capture.ProtoTCP {
		flags = fmt.Sprint(a.flags)
	}
	typ := "IPv4"
	if k.src.Is6() {
		typ = "IPv6"
	}
	dir := "ingress"
	if k.egress {
		dir = "egress"
	}
	fmt.Fprintf(w, "5 %s %s %s %s %s %s %d %d %d %d %d %s OK %s %s %s %s %s %s %s\n",
		o.Account, eniID(k.eni), k.src, k.dst, sp, dp, k.proto, a.packets, a.bytes, a.start, a.end, action,
		o.VPCID, subnet, flags, typ, k.src, k.dst, dir)
}

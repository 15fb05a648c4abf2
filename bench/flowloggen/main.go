// Command flowloggen writes a generated day of VPC Flow Logs for a busy
// VPC in the S3 layout (AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/
// <account>_vpcflowlogs_<region>_<id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz, one
// file per 5-minute delivery window), for benchmarks (bench/bench.sh):
//
//	go run ./bench/flowloggen -out bench/out/flowlogs -records 10000000
//
// The VPC is the one of pcaps/vpc-acls.json and pcaps/vpc-subnets.json:
// app instances in subnet-web (10.0.1.0/24) talk to databases and caches in
// subnet-db (10.0.2.0/24) and to the internet, and internet clients reach
// the web tier. Every conversation gives a request record at the client's
// interface and a response record at the server's (and the peer's records
// when both ends are in the VPC), in version-5 format with tcp-flags,
// subnet-id and flow-direction. Actions are the NACLs' verdicts (acl-db
// rejects the replies to the apps' ephemeral ports), so REJECTs are
// explained by the NACL. The seed is fixed: the same flags give the same
// files.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/aclfile"
	"github.com/flowverify/flowverify/nacl/replay"
)

const header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status vpc-id subnet-id tcp-flags type pkt-srcaddr pkt-dstaddr flow-direction\n"

func main() {
	out := flag.String("out", "bench/out/flowlogs", "output directory (AWSLogs/... is created inside)")
	records := flag.Int("records", 10_000_000, "approximate number of records")
	acls := flag.String("nacl", "pcaps/vpc-acls.json", "describe-network-acls JSON")
	subnets := flag.String("subnets", "pcaps/vpc-subnets.json", "describe-subnets JSON")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := run(*out, *records, *acls, *subnets, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "flowloggen:", err)
		os.Exit(1)
	}
}

func run(out string, records int, aclPath, subnetPath string, seed uint64) error {
	f, err := aclfile.Read(aclPath, aclfile.FormatAuto)
	if err != nil {
		return err
	}
	infos, err := replay.ReadSubnets(subnetPath)
	if err != nil {
		return err
	}
	topo, _, err := replay.VPCTopology(f.ACLs, infos, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")})
	if err != nil {
		return err
	}
	j, err := replay.NewJudge(topo)
	if err != nil {
		return err
	}
	const account, region, vpc = "111122223333", "us-east-1", "vpc-0a1b2c3d4e5f60010"
	day := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	dir := filepath.Join(out, "AWSLogs", account, "vpcflowlogs", region, day.Format("2006/01/02"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(seed, 7))
	windows := 288
	perWindow := max(records/windows, 1)
	web := func() netip.Addr { return netip.AddrFrom4([4]byte{10, 0, 1, byte(10 + r.IntN(200))}) }
	db := func() netip.Addr { return netip.AddrFrom4([4]byte{10, 0, 2, byte(10 + r.IntN(40))}) }
	inet := func() netip.Addr {
		return netip.AddrFrom4([4]byte{byte(1 + r.IntN(200)), byte(r.IntN(256)), byte(r.IntN(256)), byte(1 + r.IntN(254))})
	}
	for w := 0; w < windows; w++ {
		t0 := day.Add(time.Duration(w) * 5 * time.Minute)
		name := fmt.Sprintf("%s_vpcflowlogs_%s_fl-0123456789abcdef0_%s_%08x.log.gz", account, region, t0.Format("20060102T1504Z"), r.Uint32())
		fh, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		zw := gzip.NewWriter(fh)
		bw := bufio.NewWriterSize(zw, 1<<20)
		bw.WriteString(header)
		for n := 0; n < perWindow; {
			var cli, srv netip.Addr
			var port uint16
			switch k := r.IntN(10); {
			case k < 5: // app -> db/cache
				cli, srv, port = web(), db(), []uint16{5432, 6379}[r.IntN(2)]
			case k < 8: // internet -> web
				cli, srv, port = inet(), web(), 80
			default: // app -> internet (HTTPS)
				cli, srv, port = web(), inet(), 443
			}
			sport := uint16(32768 + r.IntN(28232))
			start := t0.Unix() + int64(r.IntN(240))
			end := start + int64(r.IntN(60))
			pk := 2 + r.IntN(40)
			// The request leg, then the response leg, at each end in the VPC.
			n += emit(bw, j, cli, sport, srv, port, start, end, pk, 40+r.IntN(2000), 2, vpc, account)
			n += emit(bw, j, srv, port, cli, sport, start, end, pk, 40+r.IntN(60000), 18, vpc, account)
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		if err := fh.Close(); err != nil {
			return err
		}
	}
	return nil
}

// emit writes the records AWS logs for one direction: egress at the
// source's interface (if in the VPC), ingress at the destination's (if in
// the VPC and the packet left the source subnet). It returns the count.
func emit(w *bufio.Writer, j *replay.Judge, src netip.Addr, sp uint16, dst netip.Addr, dp uint16, start, end int64, packets, bytes, flags int, vpc, account string) int {
	p := nacl.Packet{Src: src, Dst: dst, Proto: 6, DstPort: dp, HasPort: true}
	jd := j.Judge(&p)
	n := 0
	line := func(eni netip.Addr, subnet, dir string, accept bool) {
		action := "REJECT"
		if accept {
			action = "ACCEPT"
		}
		b := eni.As4()
		fmt.Fprintf(w, "5 %s eni-%017x %s %s %d %d 6 %d %d %d %d %s OK %s %s %d IPv4 %s %s %s\n",
			account, uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3]), src, dst, sp, dp, packets, bytes, start, end, action, vpc, subnet, flags, src, dst, dir)
		n++
	}
	passed := true
	for i := 0; i < jd.NCheck; i++ {
		c := &jd.Checks[i]
		if c.Direction == nacl.Egress {
			passed = c.Action == nacl.Allow
			line(src, c.SubnetID, "egress", passed)
		} else if passed {
			line(dst, c.SubnetID, "ingress", c.Action == nacl.Allow)
		}
	}
	return n
}

package main

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"runtime"
	"strings"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/aclfile"
	"github.com/flowverify/flowverify/nacl/replay"
	"github.com/spf13/pflag"
)

// replayFlags are the flags check and diff share: where the NACL sits and
// which part of the capture is judged.
type replayFlags struct {
	naclFormat  string
	acl         string
	subnets     []string
	subnetsFile string
	vpcCIDRs    []string
	since       string
	until       string
}

// addReplayFlags registers the topology and window flags on fs.
func addReplayFlags(fs *pflag.FlagSet) *replayFlags {
	rf := &replayFlags{}
	fs.StringVar(&rf.naclFormat, "nacl-format", "auto", "NACL file format: auto, aws-json, terraform, terraform-json, cloudformation, text")
	fs.StringVar(&rf.acl, "acl", "", "ACL ID or Name to use when the NACL file holds several (simple mode)")
	fs.StringArrayVar(&rf.subnets, "subnet", nil, "CIDR of a subnet behind the NACL (repeatable: each CIDR is its own subnet, except one IPv4 plus one IPv6 CIDR, which form one dual-stack subnet); default: the detected capture host as /32 or /128")
	fs.StringVar(&rf.subnetsFile, "subnets", "", "VPC mode: 'aws ec2 describe-subnets' JSON; each subnet gets its associated ACL from --nacl (describe-network-acls JSON)")
	fs.StringArrayVar(&rf.vpcCIDRs, "vpc-cidr", nil, "VPC CIDR (repeatable): the first IPv4 one is the primary CIDR, whose base+2 address is the Amazon DNS resolver, which NACLs never filter")
	fs.StringVar(&rf.since, "since", "", "judge only packets at or after this time: RFC 3339, or a duration after the capture start (5m, +90s)")
	fs.StringVar(&rf.until, "until", "", "judge only packets at or before this time: RFC 3339, or a duration after the capture start")
	return rf
}

// window parses --since/--until.
func (rf *replayFlags) window() (replay.Window, error) {
	var w replay.Window
	var err error
	if w.Since, err = replay.ParseTimeBound(rf.since); err != nil {
		return w, fmt.Errorf("--since: %w", err)
	}
	if w.Until, err = replay.ParseTimeBound(rf.until); err != nil {
		return w, fmt.Errorf("--until: %w", err)
	}
	return w, nil
}

// parsePrefixes parses repeatable, comma-separated CIDR (or bare address)
// flags such as --subnet and --vpc-cidr.
func parsePrefixes(flag string, vals []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			p, err := netip.ParsePrefix(s)
			if err != nil {
				a, aerr := netip.ParseAddr(s)
				if aerr != nil {
					return nil, fmt.Errorf("--%s %q: not a CIDR", flag, s)
				}
				p = replay.HostPrefix(a)
			}
			out = append(out, p.Masked())
		}
	}
	return out, nil
}

// readNACL reads a NACL file and prints its warnings on stderr; on a read
// or validation error it prints every error diagnostic too (the returned
// error names only the first).
func readNACL(env *runEnv, cmd, path, format string) (*aclfile.File, error) {
	f, err := aclfile.ParseFormat(format)
	if err != nil {
		return nil, fmt.Errorf("--nacl-format: %w", err)
	}
	file, err := aclfile.Read(path, f)
	if file != nil {
		for _, d := range file.Diagnostics {
			if d.Severity != nacl.SevError || err != nil {
				fmt.Fprintf(env.stderr, "flowverify %s: %s: %s\n", cmd, d.Severity, d.Error())
			}
		}
	}
	if err != nil {
		return nil, err
	}
	return file, nil
}

// topology places the ACL(s) of file as the flags say; in host-detection
// mode it uses rec's conversations and prints a notice on stderr.
func (rf *replayFlags) topology(env *runEnv, cmd string, file *aclfile.File, sel string, rec *replay.Recording) (*replay.Topology, []string, error) {
	vpc, err := parsePrefixes("vpc-cidr", rf.vpcCIDRs)
	if err != nil {
		return nil, nil, err
	}
	var notes []string
	if rf.subnetsFile != "" {
		if len(rf.subnets) > 0 {
			return nil, nil, errors.New("--subnet and --subnets are exclusive (simple mode or VPC mode)")
		}
		infos, err := replay.ReadSubnets(rf.subnetsFile)
		if err != nil {
			return nil, nil, err
		}
		topo, skipped, err := replay.VPCTopology(file.ACLs, infos, vpc)
		if err != nil {
			return nil, nil, fmt.Errorf("%s with %s: %w", file.Path, rf.subnetsFile, err)
		}
		for _, s := range skipped {
			fmt.Fprintf(env.stderr, "flowverify %s: warning: subnet %s: left out\n", cmd, s)
		}
		if len(vpc) == 0 {
			notes = append(notes, "no --vpc-cidr given: describe-subnets does not hold the VPC CIDR, so the Amazon DNS resolver at VPC base+2 is not exempted (169.254.169.253 still is)")
		}
		return topo, notes, nil
	}
	acl, err := file.Select(sel)
	if err != nil {
		return nil, nil, err
	}
	cidrs, err := parsePrefixes("subnet", rf.subnets)
	if err != nil {
		return nil, nil, err
	}
	if len(cidrs) == 0 {
		host, n, ok := replay.DetectHostIn(rec)
		if !ok {
			return nil, nil, errors.New("no --subnet given and no capture host could be detected (no unicast conversation): give --subnet CIDR")
		}
		hp := replay.HostPrefix(host)
		fmt.Fprintf(env.stderr, "flowverify %s: notice: no --subnet given: using the capture host %s (in %d of %d conversations) as %s; override with --subnet CIDR or --subnets FILE\n",
			cmd, host, n, rec.NumConversations(), hp)
		notes = append(notes, fmt.Sprintf("subnet %s is the detected capture host (no --subnet given)", hp))
		cidrs = []netip.Prefix{hp}
	}
	if len(vpc) == 0 {
		notes = append(notes, "no --vpc-cidr given: the Amazon DNS resolver at VPC base+2 is not exempted (169.254.169.253 still is)")
	}
	topo, err := replay.SimpleTopology(acl, cidrs, vpc)
	return topo, notes, err
}

// replayInput is the capture side of a replay: the paths to read (inputs
// that cannot be read twice spooled to files when they must be) and the
// first pass.
type replayInput struct {
	paths   []string
	names   []string // as given, for output ("-" for stdin)
	files   []capture.FileInfo
	nano    []bool
	spools  []string
	rec     *replay.Recording
	stream  *capture.Stream
	twoPass bool
}

// close removes the spool files.
func (in *replayInput) close() {
	for _, p := range in.spools {
		os.Remove(p)
	}
}

// openReplayInput prepares the inputs. With twoPass, every input that
// cannot be read twice is copied to a temporary file first: standard
// input, named pipes (FIFOs) and process substitutions (`<(cat x.pcap)`,
// a pipe behind /dev/fd/N); reopening those for the second pass would
// hang or read nothing. "-" given twice is one spool.
func openReplayInput(env *runEnv, cf *captureFlags, paths []string, twoPass bool) (*replayInput, error) {
	in := &replayInput{paths: append([]string(nil), paths...), names: paths, twoPass: twoPass}
	if twoPass && cf.live != "" {
		return nil, errors.New("--packets needs capture files: a live capture cannot be read twice")
	}
	if !twoPass {
		return in, nil
	}
	stdinSpool := ""
	for i, p := range in.paths {
		if p == "-" && stdinSpool != "" {
			in.paths[i] = stdinSpool
			continue
		}
		if p != "-" && !mustSpool(p) {
			continue
		}
		spool, err := in.spool(env, p)
		if err != nil {
			in.close()
			return nil, err
		}
		if p == "-" {
			stdinSpool = spool
		}
		in.paths[i] = spool
	}
	return in, nil
}

// mustSpool reports whether path must be spooled before a second
// pass: it is not a regular file (a FIFO, a pipe, a character device).
// A path that cannot be examined is left to the capture reader, which
// reports it.
func mustSpool(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.Mode().IsRegular()
}

// spool copies input p ("-": standard input) to a temporary file, removed
// by close, and returns its path.
func (in *replayInput) spool(env *runEnv, p string) (string, error) {
	what, src := "standard input", env.stdin
	if p != "-" {
		what = p
		f, err := os.Open(p)
		if err != nil {
			return "", fmt.Errorf("opening %s to spool it (it cannot be read twice): %w", p, err)
		}
		defer f.Close()
		src = f
	}
	f, err := os.CreateTemp("", "flowverify-spool-*.pcap")
	if err != nil {
		return "", fmt.Errorf("spooling %s: %w", what, err)
	}
	in.spools = append(in.spools, f.Name())
	_, err = io.Copy(f, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("spooling %s to %s: %w", what, f.Name(), err)
	}
	return f.Name(), nil
}

// recordAll feeds every packet of s to r in batches (the table's batched
// lookups are faster on large captures). It sets a low GC target first:
// like the flows table, the recorder's memory is almost all live.
func recordAll(s *capture.Stream, r *replay.Recorder) error {
	lowGCHeadroom()
	for {
		ps, err := s.NextBatch(256)
		if len(ps) > 0 {
			r.AddBatch(ps)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// record runs the first pass.
func (in *replayInput) record(cf *captureFlags, w replay.Window) error {
	s, err := cf.openStream(in.paths)
	if err != nil {
		return err
	}
	in.stream = s
	stopOnInterrupt(s, cf.live != "")
	r := replay.NewRecorder(cf.cfg, w)
	if err := recordAll(s, r); err != nil {
		return err
	}
	in.rec = r.Classify()
	// The table's index and the classifier's temporaries are garbage now:
	// collect them so that the heap goal follows the (much smaller) live
	// heap of the report phase rather than the peak of the first pass.
	runtime.GC()
	in.files = s.Files()
	for i := range in.files {
		if i < len(in.names) && in.paths[i] != in.names[i] {
			in.files[i].Name = in.names[i]
		}
		in.nano = append(in.nano, in.files[i].Nanosecond)
	}
	return nil
}

// anyNano reports whether any file has nanosecond timestamps.
func (in *replayInput) anyNano() bool {
	for _, n := range in.nano {
		if n {
			return true
		}
	}
	return false
}

// fileName returns the name of file i as given.
func (in *replayInput) fileName(i int) string {
	if i >= 0 && i < len(in.files) {
		return in.files[i].Name
	}
	return ""
}

// problems prints the capture problems and reports whether the input is incomplete.
func (in *replayInput) problems(env *runEnv, cmd string) bool {
	if in.stream == nil {
		return false
	}
	return reportProblems(env.stderr, cmd, in.stream)
}

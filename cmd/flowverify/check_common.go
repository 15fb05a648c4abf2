package main

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/flowverify/flowverify/capture"
	"github.com/flowverify/flowverify/cmd/flowverify/render"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/aclfile"
	"github.com/flowverify/flowverify/nacl/formats/limits"
	"github.com/flowverify/flowverify/nacl/replay"
	"github.com/spf13/pflag"
)

// replayFlags are the flags check and diff share: where the NACL sits and
// which part of the capture is judged.
type replayFlags struct {
	naclFormat  string
	naclIn      naclFlags
	acl         string
	subnets     []string
	subnetsFile string
	vpcCIDRs    []string
	since       string
	until       string
	vpcsFile    string
}

// addReplayFlags registers the topology and window flags on fs.
func addReplayFlags(fs *pflag.FlagSet) *replayFlags {
	rf := &replayFlags{}
	fs.StringVar(&rf.naclFormat, "nacl-format", "auto", "NACL file format: auto, aws-json, terraform, terraform-json, cloudformation, text")
	fs.StringVar(&rf.acl, "acl", "", "ACL ID or Name to use when the NACL file holds several (simple mode)")
	fs.StringArrayVar(&rf.subnets, "subnet", nil, "CIDR of a subnet behind the NACL (repeatable: each CIDR is its own subnet, except one IPv4 plus one IPv6 CIDR, which form one dual-stack subnet); default: the detected capture host as /32 or /128")
	fs.StringVar(&rf.subnetsFile, "subnets", "", "VPC mode: 'aws ec2 describe-subnets' JSON; each subnet gets its associated ACL from --nacl (describe-network-acls JSON)")
	fs.StringArrayVar(&rf.vpcCIDRs, "vpc-cidr", nil, "VPC CIDR (repeatable): the first IPv4 one is the primary CIDR, whose base+2 address is the Amazon DNS resolver, which NACLs never filter")
	fs.StringVar(&rf.vpcsFile, "vpcs", "", "'aws ec2 describe-vpcs' JSON: the VPC CIDRs (the base+2 of each VPC's primary CIDR is the Amazon DNS resolver); in VPC mode only the VPCs of the subnets are used")
	fs.StringVar(&rf.since, "since", "", "judge only packets at or after this time: RFC 3339, or a duration after the capture start (5m, +90s)")
	fs.StringVar(&rf.until, "until", "", "judge only packets at or before this time: RFC 3339, or a duration after the capture start")
	addNACLFlags(fs, &rf.naclIn)
	return rf
}

// naclFlags say how to read --nacl files written as Terraform or
// CloudFormation: variable and parameter values, evaluation limits.
type naclFlags struct {
	vars, varFiles, params []string
	limits                 limits.Limits
}

// addNACLFlags registers --var, --var-file, --parameter and the
// evaluation limits on fs.
func addNACLFlags(fs *pflag.FlagSet, nf *naclFlags) {
	fs.StringArrayVar(&nf.vars, "var", nil, "Terraform: set a root module variable, NAME=VALUE (repeatable; as terraform plan -var)")
	fs.StringArrayVar(&nf.varFiles, "var-file", nil, "Terraform: read variable values from a .tfvars or .tfvars.json file (repeatable; after terraform.tfvars and *.auto.tfvars)")
	fs.StringArrayVar(&nf.params, "parameter", nil, "CloudFormation: set a template parameter, Key=Value (repeatable; as aws cloudformation deploy --parameter-overrides)")
	fs.Int64Var(&nf.limits.Bytes, "max-expr-bytes", limits.Defaults.Bytes, "Terraform/CloudFormation: largest value an expression may build, in bytes")
	fs.Int64Var(&nf.limits.Elements, "max-expr-elements", limits.Defaults.Elements, "Terraform/CloudFormation: largest collection an expression may build (and largest count/for_each)")
	fs.Int64Var(&nf.limits.Steps, "max-expr-steps", limits.Defaults.Steps, "Terraform/CloudFormation: evaluation steps allowed for one NACL file")
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

// readNACL reads a NACL file ("-": standard input; a directory: a
// Terraform module) and prints its warnings on stderr; on a read or
// validation error it prints every error diagnostic once and returns an
// error that repeats none of them. Unless forLint, an ACL that AWS would
// reject (duplicate rule numbers) is refused: evaluating it means nothing.
func readNACL(env *runEnv, cmd, path, format string, nf *naclFlags, forLint bool) (*aclfile.File, error) {
	f, err := aclfile.ParseFormat(format)
	if err != nil {
		return nil, fmt.Errorf("--nacl-format: %w", err)
	}
	o := aclfile.Options{Format: f, Stdin: env.stdin, KeepRejected: forLint}
	if nf != nil {
		o.Vars, o.VarFiles, o.Parameters, o.Limits = nf.vars, nf.varFiles, nf.params, nf.limits
	}
	file, err := aclfile.ReadWith(path, o)
	if file == nil {
		if err != nil && looksLikeCIDR(path) {
			err = fmt.Errorf("%w (%s is a CIDR: --nacl takes a NACL file)", err, path)
		}
		return nil, err
	}
	nerr := 0
	for _, d := range file.Diagnostics {
		if d.Severity == nacl.SevError {
			nerr++
		}
		if d.Severity != nacl.SevError || err != nil {
			fmt.Fprintf(env.stderr, "flowverify %s: %s: %s\n", cmd, d.Severity, d.Error())
		}
	}
	if err != nil {
		if nerr == 0 {
			return nil, err
		}
		what := "1 error"
		if nerr > 1 {
			what = fmt.Sprintf("%d errors", nerr)
		}
		return nil, fmt.Errorf("%s: %s in the NACL file (listed above); nothing was evaluated", file.Path, what)
	}
	return file, nil
}

// looksLikeCIDR reports whether s parses as a CIDR or an address.
func looksLikeCIDR(s string) bool {
	if _, err := netip.ParsePrefix(s); err == nil {
		return true
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

// printPlacement writes p's stderr lines as "flowverify CMD: PREFIXLINE",
// leaving out those of skip (already printed; may be nil).
func printPlacement(env *runEnv, cmd, prefix string, p, skip *replay.Placement) {
	var done []string
	if skip != nil {
		done = render.PlacementStderr(skip)
	}
	for _, l := range render.PlacementStderr(p) {
		if !slices.Contains(done, l) {
			fmt.Fprintf(env.stderr, "flowverify %s: %s%s\n", cmd, prefix, l)
		}
	}
}

// topology places the ACL(s) of file as the flags say (sel picks the ACL
// in simple mode); in host-detection mode it uses rec's conversations.
// It prints nothing: what it has to say is in the placement.
func (rf *replayFlags) topology(file *aclfile.File, sel string, rec *replay.Recording) (*replay.Topology, *replay.Placement, error) {
	vpc, err := parsePrefixes("vpc-cidr", rf.vpcCIDRs)
	if err != nil {
		return nil, nil, err
	}
	o := replay.PlaceOptions{VPCCIDRs: vpc, Rec: rec, ACLs: file.ACLs}
	if rf.vpcsFile != "" {
		if o.VPCs, err = replay.ReadVPCs(rf.vpcsFile); err != nil {
			return nil, nil, err
		}
	}
	if rf.subnetsFile == "" {
		if o.ACL, err = file.Select(sel); err != nil {
			return nil, nil, err
		}
		if o.CIDRs, err = parsePrefixes("subnet", rf.subnets); err != nil {
			return nil, nil, err
		}
		return replay.Place(o)
	}
	if len(rf.subnets) > 0 {
		return nil, nil, errors.New("--subnet and --subnets are exclusive (simple mode or VPC mode)")
	}
	if _, statErr := os.Stat(rf.subnetsFile); statErr != nil && looksLikeCIDR(strings.Split(rf.subnetsFile, ",")[0]) {
		return nil, nil, fmt.Errorf("--subnets takes an 'aws ec2 describe-subnets' JSON file, and %s is a CIDR: did you mean --subnet %s?", rf.subnetsFile, rf.subnetsFile)
	}
	if o.Subnets, err = replay.ReadSubnets(rf.subnetsFile); err != nil {
		return nil, nil, err
	}
	if o.Subnets == nil {
		o.Subnets = []replay.SubnetInfo{}
	}
	topo, pl, err := replay.Place(o)
	if err != nil {
		return nil, nil, fmt.Errorf("%s with %s: %w", file.Path, rf.subnetsFile, err)
	}
	return topo, pl, nil
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

// mustSpool reports whether path cannot be read twice: a FIFO, a pipe
// (a process substitution's /dev/fd/N), a socket or a device. Regular
// files and directories can; a path that cannot be examined is left to
// the reader, which reports it.
func mustSpool(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode()&(os.ModeNamedPipe|os.ModeSocket|os.ModeDevice|os.ModeCharDevice) != 0
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

// recordAll feeds every packet of s to r. It sets a low GC target first:
// like the flows table, the recorder's memory is almost all live.
func recordAll(s *capture.Stream, r *replay.Recorder) error {
	lowGCHeadroom()
	return r.AddStream(s)
}

// reportGOGC is the garbage collector's headroom (GOGC) in the report
// phase, after the first pass (see reportPhaseGC).
const reportGOGC = 25

// reportPhaseGC sets the garbage collector up for the report phase. The
// first pass runs with a low headroom (lowGCHeadroom: GOGC=10, its heap is
// almost all live, and the first pass sets the peak memory); the report
// phase makes short-lived garbage (each conversation's result and output)
// over a live heap that is mostly the recording, and with a tenth of that
// heap as headroom it collected every few megabytes, scanning the whole
// recording each time: about a hundred collections on the 2 GB benchmark
// capture. A quarter makes them fewer by more than half: 7-10% less CPU
// for check on that capture, for 12-16% more peak memory there (whose
// report phase outgrows the first pass) and none on a SYN flood (whose
// first pass sets the peak). GOGC set by the user wins.
func reportPhaseGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(reportGOGC)
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
	reportPhaseGC()
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

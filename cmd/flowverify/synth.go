package main

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"runtime"
	"strings"

	"github.com/flowverify/flowverify/cmd/flowverify/render"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/aclfile"
	"github.com/flowverify/flowverify/nacl/replay"
	"github.com/flowverify/flowverify/nacl/synth"
	"github.com/spf13/pflag"
)

// synthFlags are the flags of flowverify synth.
type synthFlags struct {
	subnets, vpcCIDRs []string
	subnetIDs         []string
	includeFailed     bool
	ephemeral         []string
	peers             string
	peerSubnets       []string
	subnetsFile       string
	holdout           string
	validate          []string
	peerPrefix        int
	peerPrefix6       int
	maxPeers          int
	noPMTUD           bool
	maxRules          int
	first, step       int
	publicPorts       []uint
	keepDenies        string
	keepDeniesFormat  string
	keepDeniesACL     string
	format            string
	output            string
	report            string
	reportFormat      string
	aclID, aclName    string
}

func addSynthFlags(fs *pflag.FlagSet) *synthFlags {
	sf := &synthFlags{}
	d := synth.DefaultOptions()
	fs.StringArrayVar(&sf.subnets, "subnet", nil, "CIDR of the subnet the ACL protects (repeatable; each is its own subnet); default: the detected capture host as /32 or /128")
	fs.StringArrayVar(&sf.vpcCIDRs, "vpc-cidr", nil, "VPC CIDR (repeatable): the first IPv4 one is the primary CIDR, whose base+2 address is the Amazon DNS resolver, whose traffic needs no rule")
	fs.StringArrayVar(&sf.subnetIDs, "subnet-id", nil, "subnet ID to associate the generated ACL with in the output (repeatable)")
	fs.BoolVar(&sf.includeFailed, "include-failed", false, "also allow conversations that never worked (SYN answered by RST or unanswered, incomplete handshake, unanswered ping)")
	fs.StringArrayVar(&sf.ephemeral, "ephemeral", nil, "force the response port range: a profile (linux, aws-doc-linux, windows, iana, windows-2003, freebsd, aws-managed) or FROM-TO for every client, or CIDR=PROFILE for the clients in CIDR (repeatable, e.g. a load balancer subnet =aws-managed); observed client ports outside it get no rule (their replies are reported as denied, exit 1); default: chosen per client from the observations")
	fs.StringVar(&sf.peers, "peers", synth.PeersIntent.String(), "how peers become CIDRs: intent (per service: public -> 0.0.0.0/0, private -> the enclosing modelled subnet or VPC CIDR, one fixed peer exact), subnet (every peer -> its enclosing modelled subnet or VPC CIDR) or exact (the observed peers)")
	fs.UintSliceVar(&sf.publicPorts, "public-port", nil, "administrative or database port (22, 3389, 3306, 5432, ...) that --peers intent may open to 0.0.0.0/0 when public peers reach it; without it such ports keep their observed peers (repeatable or comma-separated)")
	fs.StringArrayVar(&sf.peerSubnets, "peer-subnet", nil, "CIDR of another subnet of the VPC (repeatable): private peers inside it are generalised to it")
	fs.StringVar(&sf.subnetsFile, "subnets", "", "'aws ec2 describe-subnets' JSON: its subnets are modelled like --peer-subnet")
	fs.StringVar(&sf.holdout, "holdout", "", "learn from the first part of the capture time and replay the last PERCENT (e.g. 20%) against the result, reporting what it denies and why")
	fs.StringArrayVar(&sf.validate, "validate", nil, "capture file to replay against the result (repeatable): what it denies and why (new peer, new port, new ephemeral port)")
	fs.IntVar(&sf.peerPrefix, "peer-prefix", d.PeerPrefix4, "widen each IPv4 peer to its /N before aggregation")
	fs.IntVar(&sf.peerPrefix6, "peer-prefix6", d.PeerPrefix6, "widen each IPv6 peer to its /N before aggregation")
	fs.IntVar(&sf.maxPeers, "max-peers", d.MaxPeers, "a service with more distinct peers than this allows 0.0.0.0/0 (::/0)")
	fs.BoolVar(&sf.noPMTUD, "no-pmtud", false, "omit the inbound ICMP 3:4 / ICMPv6 2 rule for path MTU discovery")
	fs.IntVar(&sf.maxRules, "max-rules", d.MaxRules, "rule quota per direction and IP family, including the default deny rule (AWS default 20, at most 40)")
	fs.IntVar(&sf.first, "first", d.First, "number of the first rule in each direction")
	fs.IntVar(&sf.step, "step", d.Step, "step between rule numbers")
	fs.StringVar(&sf.keepDenies, "keep-denies", "", "existing NACL file whose deny rules are carried over, numbered before the allows")
	fs.StringVar(&sf.keepDeniesFormat, "keep-denies-format", "auto", "format of --keep-denies: auto, aws-json, terraform, terraform-json, cloudformation, text")
	fs.StringVar(&sf.keepDeniesACL, "keep-denies-acl", "", "ACL ID or Name in --keep-denies when it holds several")
	fs.StringVar(&sf.format, "format", "text", "output format: aws-json, cli, terraform, cloudformation, text")
	fs.StringVarP(&sf.output, "output", "o", "", "write the ACL to this file instead of standard output")
	fs.StringVar(&sf.report, "report", "", "write the report to this file instead of standard error")
	fs.StringVar(&sf.reportFormat, "report-format", "text", "report format: text or json")
	fs.StringVar(&sf.aclID, "acl-id", d.ID, "ID (resource name) of the generated ACL; without it, --format cli uses \"$ACL_ID\"")
	fs.StringVar(&sf.aclName, "acl-name", d.Name, "Name tag of the generated ACL")
	return sf
}

// options converts the flags (except the subnets) to synth.Options.
func (sf *synthFlags) options(env *runEnv) (synth.Options, error) {
	o := synth.DefaultOptions()
	var err error
	if o.VPCCIDRs, err = parsePrefixes("vpc-cidr", sf.vpcCIDRs); err != nil {
		return o, err
	}
	for _, e := range sf.ephemeral {
		if strings.Contains(e, "=") {
			ef, err := synth.ParseEphemeralFor(e)
			if err != nil {
				return o, fmt.Errorf("--ephemeral: %w", err)
			}
			o.EphemeralFor = append(o.EphemeralFor, ef)
			continue
		}
		if o.Ephemeral != nil {
			return o, fmt.Errorf("--ephemeral %q: a range for every client was already given (%s); use CIDR=PROFILE for more", e, o.Ephemeral.Name)
		}
		if o.Ephemeral, err = synth.ParseEphemeral(e); err != nil {
			return o, fmt.Errorf("--ephemeral: %w", err)
		}
	}
	if o.Peers, err = synth.ParsePeerMode(sf.peers); err != nil {
		return o, fmt.Errorf("--peers: %w", err)
	}
	for _, p := range sf.publicPorts {
		if p > 65535 {
			return o, fmt.Errorf("--public-port %d: not a port", p)
		}
		o.PublicPorts = append(o.PublicPorts, uint16(p))
	}
	if o.PeerSubnets, err = parsePrefixes("peer-subnet", sf.peerSubnets); err != nil {
		return o, err
	}
	if sf.subnetsFile != "" {
		infos, err := replay.ReadSubnets(sf.subnetsFile)
		if err != nil {
			return o, fmt.Errorf("--subnets: %w", err)
		}
		for _, si := range infos {
			o.PeerSubnets = append(o.PeerSubnets, si.CIDRs...)
		}
	}
	o.IncludeFailed, o.PMTUD = sf.includeFailed, !sf.noPMTUD
	o.PeerPrefix4, o.PeerPrefix6, o.MaxPeers = sf.peerPrefix, sf.peerPrefix6, sf.maxPeers
	o.MaxRules, o.First, o.Step = sf.maxRules, sf.first, sf.step
	o.ID, o.Name, o.SubnetIDs = sf.aclID, sf.aclName, sf.subnetIDs
	if sf.maxRules > synth.HardMaxRules {
		return o, fmt.Errorf("--max-rules %d: AWS allows at most %d rules per direction and family (including the default rule)", sf.maxRules, synth.HardMaxRules)
	}
	if sf.keepDenies != "" {
		if _, err := aclfile.ParseFormat(sf.keepDeniesFormat); err != nil {
			return o, fmt.Errorf("--keep-denies-format: %w", err)
		}
		// readNACL prints the file's warnings (a non-canonical CIDR, ...).
		file, err := readNACL(env, "synth", sf.keepDenies, sf.keepDeniesFormat, nil, false)
		if err != nil {
			return o, fmt.Errorf("--keep-denies: %w", err)
		}
		if o.KeepDenies, err = file.Select(sf.keepDeniesACL); err != nil {
			return o, fmt.Errorf("--keep-denies %s: %w", sf.keepDenies, err)
		}
	}
	return o, nil
}

func runSynth(env *runEnv, args []string) int {
	fs := newFlagSet(env, "synth", "[flags] CAPTURE... (- for standard input) | FLOW-LOGS...")
	cf := addCaptureFlags(fs)
	sf := addSynthFlags(fs)
	logFormat := fs.String("flowlog-format", "", "flow logs: the log format of files without a header line (CloudWatch Logs exports)")
	if code, ok := parseFlags(env, fs, args); !ok {
		return code
	}
	if err := checkFormat(sf.format, "aws-json", "cli", "terraform", "cloudformation", "text"); err != nil {
		return fail(env, "synth", err)
	}
	if err := checkFormat(sf.reportFormat, "text", "json"); err != nil {
		return fail(env, "synth", fmt.Errorf("--report-format: %w", err))
	}
	opts, err := sf.options(env)
	if err != nil {
		return fail(env, "synth", err)
	}
	if opts.Subnets, err = parsePrefixes("subnet", sf.subnets); err != nil {
		return fail(env, "synth", err)
	}
	if isFlowLog, err := flowLogInputs(fs.Args()); err != nil {
		return fail(env, "synth", err)
	} else if isFlowLog {
		return runSynthFlowLogs(env, sf, opts, *logFormat, fs.Args())
	}
	stream, err := cf.openStream(fs.Args())
	if err != nil {
		return fail(env, "synth", err)
	}
	defer stream.Close()
	rec := replay.NewRecorder(cf.cfg, replay.Window{})
	if err := recordAll(stream, rec); err != nil {
		return fail(env, "synth", err)
	}
	incomplete := reportProblems(env.stderr, "synth", stream)
	recording := rec.Classify()
	// As in check (replayInput.record): collect the first pass's garbage,
	// then synthesize with the report phase's headroom (the syntheses
	// grow maps over a live heap that is mostly the recording).
	runtime.GC()
	reportPhaseGC()
	pl := replay.Placement{NoVPCCIDR: len(opts.VPCCIDRs) == 0}
	if len(opts.Subnets) == 0 {
		host, n, ok := replay.DetectHostIn(recording)
		if !ok {
			return fail(env, "synth", errors.New("no --subnet given and no capture host could be detected (no unicast conversation): give --subnet CIDR"))
		}
		pl.Host, pl.HostConvs, pl.Convs, pl.HostPrefix = host, n, recording.NumConversations(), replay.HostPrefix(host)
		opts.Subnets = []netip.Prefix{pl.HostPrefix}
	}
	for _, l := range render.SynthPlacementStderr(&pl) {
		fmt.Fprintf(env.stderr, "flowverify synth: %s\n", l)
	}
	opts.Observations = synth.FromRecording(recording)
	// --holdout learns from the first part of the capture time and replays
	// the rest; without it the ACL is learned from everything, and a
	// second synthesis from the first 80% estimates how such rules hold on
	// later traffic (--holdout off skips it).
	h := synth.Holdout{Share: synth.DefaultHoldout, Estimate: true}
	if sf.holdout != "" {
		if h.Share, err = synth.ParseHoldout(sf.holdout); err != nil {
			return fail(env, "synth", fmt.Errorf("--holdout: %w", err))
		}
		h.Estimate = false
	}
	res, check, err := synth.SynthesizeChecked(recording, opts, h)
	if err != nil {
		if errors.Is(err, synth.ErrNoTimeToSplit) {
			err = fmt.Errorf("--holdout: %w", err)
		}
		return fail(env, "synth", err)
	}
	for i := range res.Unseen {
		res.Unseen[i].Files = fs.Args()
	}
	for _, path := range sf.validate {
		u, bad, err := replayValidation(env, cf, res, path)
		if err != nil {
			return fail(env, "synth", fmt.Errorf("--validate %s: %w", path, err))
		}
		incomplete = incomplete || bad
		u.Files = []string{path}
		res.Unseen = append(res.Unseen, *u)
	}
	if err := writeSynthReport(env, sf, res, check); err != nil {
		return fail(env, "synth", err)
	}
	if !check.OK() {
		return fail(env, "synth", fmt.Errorf("BUG: the self-check replay denied %d packets of conversations the generated ACL should allow; no ACL written (please report this with the capture)", check.FailedPackets))
	}
	if err := writeSynthACL(env, sf, res.ACL); err != nil {
		return fail(env, "synth", err)
	}
	if incomplete {
		fmt.Fprintln(env.stderr, "flowverify synth: error: the input is incomplete (see above): rules cover only what was read")
		return exitError
	}
	if res.HasConflicts() || !res.UnseenOK() {
		return exitFindings
	}
	return exitOK
}

// replayValidation reads one --validate capture and replays it against
// the generated ACL; bad reports an incomplete capture (its problems are
// printed).
func replayValidation(env *runEnv, cf *captureFlags, res *synth.Result, path string) (*synth.Unseen, bool, error) {
	stream, err := cf.openStream([]string{path})
	if err != nil {
		return nil, false, err
	}
	defer stream.Close()
	rec := replay.NewRecorder(cf.cfg, replay.Window{})
	if err := recordAll(stream, rec); err != nil {
		return nil, false, err
	}
	bad := reportProblems(env.stderr, "synth", stream)
	u, err := synth.ReplayUnseen(res, rec.Classify(), nil, path)
	if u != nil {
		u.Incomplete = bad
	}
	return u, bad, err
}

// writeSynthACL writes the ACL to --output or standard output.
func writeSynthACL(env *runEnv, sf *synthFlags, acl *nacl.ACL) error {
	return writeTo(sf.output, env.stdout, func(w io.Writer) error {
		if sf.format == "cli" && acl.ID == synth.DefaultOptions().ID {
			fmt.Fprintf(env.stderr, "flowverify synth: notice: no --acl-id given: the cli commands use --network-acl-id \"$%s\"; set it to the target ACL before running them\n", render.ACLIDVar)
			return render.WriteSynthCLIPlaceholder(w, acl)
		}
		if err := aclfile.Write(w, []*nacl.ACL{acl}, aclfile.Format(sf.format)); err != nil {
			return fmt.Errorf("writing the ACL as %s: %w", sf.format, err)
		}
		return nil
	})
}

// writeSynthReport writes the report to --report or standard error.
func writeSynthReport(env *runEnv, sf *synthFlags, res *synth.Result, check *synth.CheckResult) error {
	return writeTo(sf.report, env.stderr, func(w io.Writer) error {
		if sf.reportFormat == "json" {
			return render.WriteJSON(w, render.NewSynthJSON(res, check))
		}
		return render.WriteSynthText(w, res, check)
	})
}

// writeTo calls write with the file path, created (its Close checked:
// a full disk may only show there), or with std when path is "".
func writeTo(path string, std io.Writer, write func(io.Writer) error) error {
	if path == "" {
		return write(std)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = write(f)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("writing %s: %w", path, cerr)
	}
	return err
}

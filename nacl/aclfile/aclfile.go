// Package aclfile reads and writes NACL files in every supported format,
// detecting the format when not given.
package aclfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/awsjson"
	"github.com/flowverify/flowverify/nacl/formats/cfn"
	"github.com/flowverify/flowverify/nacl/formats/cli"
	"github.com/flowverify/flowverify/nacl/formats/limits"
	"github.com/flowverify/flowverify/nacl/formats/terraform"
	"github.com/flowverify/flowverify/nacl/formats/text"
)

// Format names a NACL file format.
type Format string

// Supported formats. FormatCLI is write-only.
const (
	FormatAuto           Format = ""
	FormatAWSJSON        Format = "aws-json"       // aws ec2 describe-network-acls output, or one NetworkAcl object
	FormatTerraform      Format = "terraform"      // .tf (HCL)
	FormatTerraformJSON  Format = "terraform-json" // terraform show -json (state or plan)
	FormatCloudFormation Format = "cloudformation" // CFN template, YAML or JSON
	FormatText           Format = "text"           // flowverify's native one-rule-a-line format
	FormatCLI            Format = "cli"            // aws ec2 create-network-acl-entry commands (write only)
)

// ReadFormats lists the formats Read accepts, for flag help.
var ReadFormats = []Format{FormatAWSJSON, FormatTerraform, FormatTerraformJSON, FormatCloudFormation, FormatText}

// WriteFormats lists the formats Write accepts, for flag help.
var WriteFormats = []Format{FormatAWSJSON, FormatCLI, FormatText, FormatTerraform, FormatCloudFormation}

// ParseFormat converts a flag value to a Format. "" and "auto" mean
// FormatAuto; "json"/"aws" mean aws-json, "tf" terraform, "cfn"
// cloudformation, "native" text.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return FormatAuto, nil
	case "aws-json", "awsjson", "aws", "json", "describe":
		return FormatAWSJSON, nil
	case "terraform", "tf", "hcl":
		return FormatTerraform, nil
	case "terraform-json", "tfjson", "tf-json":
		return FormatTerraformJSON, nil
	case "cloudformation", "cfn", "cloud-formation":
		return FormatCloudFormation, nil
	case "text", "native", "txt":
		return FormatText, nil
	case "cli", "aws-cli":
		return FormatCLI, nil
	}
	return FormatAuto, fmt.Errorf("unknown NACL format %q (want auto, aws-json, terraform, terraform-json, cloudformation, text or cli)", s)
}

// File is the result of reading one NACL file.
type File struct {
	Path   string
	Format Format
	ACLs   []*nacl.ACL
	// Diagnostics holds warnings (e.g. a non-canonical CIDR that was
	// canonicalised) and, when Read returned an error, the errors too.
	Diagnostics []nacl.Diagnostic
	// Rejected holds the problems for which AWS would refuse the ACL but
	// which do not stop reading it: duplicate rule numbers (see
	// nacl.DuplicateRuleNumbers). Read returns them as an error unless
	// Options.KeepRejected (lint, which reports them as findings).
	Rejected []nacl.Diagnostic
}

// Options says how to read a NACL file beyond its format: variable and
// parameter values for Terraform and CloudFormation, and the limits of
// expression evaluation.
type Options struct {
	Format Format
	// Vars and VarFiles are Terraform variable values, as terraform plan's
	// -var NAME=VALUE and -var-file FILE.
	Vars, VarFiles []string
	// Parameters are CloudFormation parameter values, Key=Value, as aws
	// cloudformation deploy --parameter-overrides.
	Parameters []string
	// Limits bound expression evaluation (zero fields: the defaults).
	Limits limits.Limits
	// Stdin is read for the path "-" (nil: os.Stdin).
	Stdin io.Reader
	// KeepRejected reads an ACL that AWS would reject (duplicate rule
	// numbers) without an error, File.Rejected saying why: for lint, which
	// reports the problems as findings. Otherwise such a file is an error
	// (AWSAccepts), since evaluating it means nothing.
	KeepRejected bool
}

// StdinName is the name standard input gets in messages.
const StdinName = "<stdin>"

// maxFileSize bounds what is read from one NACL file or standard input.
const maxFileSize = 64 << 20

// Read reads and validates the file at path. It returns an error naming
// file, line/column or JSON path and field for syntax errors and for
// validation errors (all of them are also in File.Diagnostics when File is
// non-nil).
func Read(path string, format Format) (*File, error) {
	return ReadWith(path, Options{Format: format})
}

// ReadWith is Read with options. path may be "-" (standard input) or, for
// Terraform, a module directory: every .tf and .tf.json file, its tfvars
// and local child modules are read (terraform.ReadDir).
func ReadWith(path string, o Options) (*File, error) {
	if path == "-" {
		in := o.Stdin
		if in == nil {
			in = os.Stdin
		}
		data, err := readLimited(in)
		if err != nil {
			return nil, fmt.Errorf("reading NACL from standard input: %w", err)
		}
		return parse(StdinName, data, o, false)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading NACL file: %w", err)
	}
	if st.IsDir() {
		if o.Format != FormatAuto && o.Format != FormatTerraform {
			return nil, fmt.Errorf("%s is a directory: only --nacl-format terraform reads a directory (a Terraform module)", path)
		}
		acls, diags, err := terraform.ReadDir(path, terraform.Options{Vars: o.Vars, VarFiles: o.VarFiles, Limits: o.Limits})
		if acls == nil && diags == nil && err != nil {
			return nil, err
		}
		return finish(&File{Path: path, Format: FormatTerraform}, acls, diags, err, o.KeepRejected)
	}
	if !st.Mode().IsRegular() && st.Mode()&os.ModeNamedPipe == 0 && st.Mode()&os.ModeCharDevice == 0 {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading NACL file: %w", err)
	}
	defer f.Close()
	data, err := readLimited(f)
	if err != nil {
		return nil, fmt.Errorf("reading NACL file %s: %w", path, err)
	}
	return parse(path, data, o, true)
}

// readLimited reads r up to maxFileSize.
func readLimited(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("larger than %d MiB; not a NACL file", maxFileSize>>20)
	}
	return data, nil
}

// Parse is Read on data already in memory; name is used in messages.
// Every ACL is also checked with nacl.Validate and
// nacl.DuplicateRuleNumbers. The File is returned even
// with an error, holding every ACL and entry that could be read.
func Parse(name string, data []byte, format Format) (*File, error) {
	return parse(name, data, Options{Format: format}, false)
}

// ParseWith is Parse with options.
func ParseWith(name string, data []byte, o Options) (*File, error) {
	return parse(name, data, o, false)
}

// parse reads data; onDisk says that name is a file path, whose directory
// holds a Terraform file's local child modules.
func parse(name string, data []byte, o Options, onDisk bool) (*File, error) {
	format := o.Format
	if what := sniffBinary(data); what != "" {
		return nil, fmt.Errorf("%s looks like %s, not a NACL file", name, what)
	}
	if format == FormatAuto {
		format = Detect(name, data)
	}
	f := &File{Path: name, Format: format}
	var (
		acls  []*nacl.ACL
		diags []nacl.Diagnostic
		err   error
	)
	switch format {
	case FormatAWSJSON:
		acls, diags, err = awsjson.Parse(name, data)
	case FormatText:
		acls, diags, err = text.Parse(name, data)
	case FormatTerraform:
		opt := terraform.Options{Vars: o.Vars, VarFiles: o.VarFiles, Limits: o.Limits, Detached: !onDisk}
		acls, diags, err = terraform.ParseFile(name, data, opt)
	case FormatTerraformJSON:
		acls, diags, err = terraform.ParseJSON(name, data)
	case FormatCloudFormation:
		acls, diags, err = cfn.ParseWith(name, data, cfn.Options{Parameters: o.Parameters, Limits: o.Limits})
	case FormatCLI:
		return nil, fmt.Errorf("%s: the cli format is write-only", name)
	default:
		return nil, fmt.Errorf("%s: unknown NACL format %q", name, format)
	}
	return finish(f, acls, diags, err, o.KeepRejected)
}

// finish validates the ACLs read and builds the error: the first error
// diagnostic and the number of the others, counted once each.
func finish(f *File, acls []*nacl.ACL, diags []nacl.Diagnostic, err error, keepRejected bool) (*File, error) {
	f.ACLs, f.Diagnostics = acls, diags
	ids := map[string]bool{}
	for _, a := range acls {
		if ids[a.ID] {
			f.Diagnostics = append(f.Diagnostics, nacl.Diagnostic{Severity: nacl.SevError, Pos: a.Pos, Field: "acl",
				Msg: fmt.Sprintf("ACL %q defined twice in this file", a.ID)})
		}
		ids[a.ID] = true
		f.Diagnostics = append(f.Diagnostics, nacl.Validate(a)...)
		f.Rejected = append(f.Rejected, nacl.DuplicateRuleNumbers(a)...)
	}
	f.Diagnostics = dedup(f.Diagnostics)
	nacl.SortDiagnostics(f.Diagnostics)
	nacl.SortDiagnostics(f.Rejected)
	if nacl.HasErrors(f.Diagnostics) {
		return f, fmt.Errorf("%s (%s): %s", f.Path, f.Format, summarise(f.Diagnostics))
	}
	if err != nil {
		return f, fmt.Errorf("%s (%s): %w", f.Path, f.Format, err)
	}
	if len(acls) == 0 {
		return f, fmt.Errorf("%s (%s): no network ACL found", f.Path, f.Format)
	}
	if !keepRejected {
		return f, f.AWSAccepts()
	}
	return f, nil
}

// AWSAccepts returns nil when AWS would accept every ACL of the file, or an
// error saying why not (the first problem of File.Rejected and how many
// more). Evaluating an ACL AWS would refuse means nothing: check, diff and
// explain refuse it, lint reports the problems as findings.
func (f *File) AWSAccepts() error {
	if len(f.Rejected) == 0 {
		return nil
	}
	return fmt.Errorf("%s: AWS would reject this ACL, so it is not evaluated (run flowverify lint to list every problem): %s", f.Path, summarise(f.Rejected))
}

// dedup drops diagnostics repeated verbatim (a parser and Validate may
// both notice a non-canonical CIDR), keeping the first.
func dedup(ds []nacl.Diagnostic) []nacl.Diagnostic {
	seen := map[string]bool{}
	out := ds[:0]
	for _, d := range ds {
		k := string(d.Severity) + "\x00" + d.Pos.File + "\x00" + fmt.Sprint(d.Pos.Line) + "\x00" + d.Pos.Path + "\x00" + d.Msg
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, d)
	}
	return out
}

// summarise formats the first error and a count of the others.
func summarise(ds []nacl.Diagnostic) string {
	var errs []string
	for _, d := range ds {
		if d.Severity == nacl.SevError {
			errs = append(errs, d.Error())
		}
	}
	if len(errs) == 0 {
		return ""
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return fmt.Sprintf("%s (and %d more errors)", errs[0], len(errs)-1)
}

// Select returns the ACL whose ID or Name equals sel. With sel empty it
// returns the only ACL, or an error listing the IDs when there are several.
func (f *File) Select(sel string) (*nacl.ACL, error) {
	if sel == "" {
		switch len(f.ACLs) {
		case 0:
			return nil, fmt.Errorf("%s: no network ACL in the file", f.Path)
		case 1:
			return f.ACLs[0], nil
		}
		return nil, fmt.Errorf("%s holds %d ACLs (%s); choose one with --acl ID|NAME", f.Path, len(f.ACLs), f.labels())
	}
	for _, a := range f.ACLs {
		if a.ID == sel {
			return a, nil
		}
	}
	var byName []*nacl.ACL
	for _, a := range f.ACLs {
		if a.Name == sel {
			byName = append(byName, a)
		}
	}
	switch len(byName) {
	case 1:
		return byName[0], nil
	case 0:
		return nil, fmt.Errorf("%s: no ACL with ID or Name %q (have %s)", f.Path, sel, f.labels())
	}
	return nil, fmt.Errorf("%s: %d ACLs are named %q; select one by ID (have %s)", f.Path, len(byName), sel, f.labels())
}

// labels lists the ACLs as "ID (Name), ...".
func (f *File) labels() string {
	var ls []string
	for _, a := range f.ACLs {
		ls = append(ls, a.Label())
	}
	return strings.Join(ls, ", ")
}

// Write writes acls in format (not FormatAuto).
func Write(w io.Writer, acls []*nacl.ACL, format Format) error {
	switch format {
	case FormatAWSJSON:
		return awsjson.Write(w, acls)
	case FormatText:
		return text.Write(w, acls)
	case FormatCLI:
		return cli.Write(w, acls)
	case FormatTerraform:
		return terraform.Write(w, acls)
	case FormatCloudFormation:
		return cfn.Write(w, acls)
	case FormatTerraformJSON:
		return errors.New("writing terraform-json is not supported; write terraform (HCL) instead")
	case FormatAuto:
		return errors.New("no output format given")
	}
	if !slices.Contains(WriteFormats, format) {
		return fmt.Errorf("unknown NACL format %q", format)
	}
	return nil
}

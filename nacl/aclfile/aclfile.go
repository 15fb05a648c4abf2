// Package aclfile reads and writes NACL files in every supported format,
// detecting the format when not given.
//
// STUB: the nacl core owner replaces this file (API below is the contract).
package aclfile

import (
	"errors"
	"io"

	"github.com/flowverify/flowverify/nacl"
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

// File is the result of reading one NACL file.
type File struct {
	Path   string
	Format Format
	ACLs   []*nacl.ACL
	// Diagnostics holds warnings (e.g. a non-canonical CIDR that was
	// canonicalised) and, when Read returned an error, the errors too.
	Diagnostics []nacl.Diagnostic
}

// Read reads and validates the file at path ("-" for standard input is not
// supported). It returns an error naming file, line/column or JSON path and
// field for syntax errors and for validation errors (all of them are also
// in File.Diagnostics when File is non-nil).
func Read(path string, format Format) (*File, error) { return nil, errors.New("not implemented") }

// Parse is Read on data already in memory; name is used in messages.
func Parse(name string, data []byte, format Format) (*File, error) {
	return nil, errors.New("not implemented")
}

// Select returns the ACL whose ID or Name equals sel. With sel empty it
// returns the only ACL, or an error listing the IDs when there are several.
func (f *File) Select(sel string) (*nacl.ACL, error) { return nil, errors.New("not implemented") }

// Write writes acls in format (not FormatAuto).
func Write(w io.Writer, acls []*nacl.ACL, format Format) error { return errors.New("not implemented") }

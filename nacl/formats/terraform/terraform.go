// Package terraform reads NACLs from Terraform configuration (.tf, HCL) and
// from `terraform show -json` output, and writes them as HCL.
//
// Configuration: aws_network_acl and aws_default_network_acl resources with
// inline ingress/egress blocks (also the `ingress = [...]` attribute form
// and dynamic blocks over variables/locals), and aws_network_acl_rule
// resources joined through network_acl_id = aws_network_acl.NAME.id, and
// aws_network_acl_association resources for the ACL's subnets.
// Expressions may use literals, var.NAME with a default, local.NAME,
// templates and lists/objects of those; anything else in a rule field is
// an error naming the expression and its position. References in vpc_id,
// subnet_ids and network_acl_id are kept as text.
package terraform

import (
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/flowverify/flowverify/nacl"
)

// Parse reads aws_network_acl, aws_network_acl_rule and
// aws_default_network_acl resources from one .tf file. name is used in
// positions and messages. ACL.ID is the resource address
// (aws_network_acl.main), Name the tags.Name value. On errors it still
// returns every ACL and entry that could be read; all problems are in the
// diagnostics and the error quotes the first.
func Parse(name string, data []byte) (acls []*nacl.ACL, diags []nacl.Diagnostic, err error) {
	return ParseFile(name, data, Options{})
}

// ParseModule reads several .tf files of one module together (files maps
// file name to contents), so that variables and locals declared in one
// file (variables.tf) resolve in another (main.tf). Files are read in
// name order.
func ParseModule(files map[string][]byte) (acls []*nacl.ACL, diags []nacl.Diagnostic, err error) {
	defer guard("", &diags, &err)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	list := make([]file, len(names))
	for i, n := range names {
		list[i] = file{n, files[n]}
	}
	return parseHCL(list)
}

// ReadModule reads the module in directory dir with ReadDir and default
// options.
func ReadModule(dir string) ([]*nacl.ACL, []nacl.Diagnostic, error) {
	return ReadDir(dir, Options{})
}

// ParseJSON reads `terraform show -json` output (state or plan), including
// child modules.
func ParseJSON(name string, data []byte) (acls []*nacl.ACL, diags []nacl.Diagnostic, err error) {
	defer guard(name, &diags, &err)
	return parseJSON(name, data)
}

// guard turns a panic (a bug) into an error instead of crashing the caller.
func guard(name string, diags *[]nacl.Diagnostic, err *error) {
	if r := recover(); r != nil {
		d := nacl.Diagnostic{Severity: nacl.SevError, Pos: nacl.Pos{File: name}, Msg: fmt.Sprintf("internal error while reading terraform (please report): %v", r)}
		*diags = append(*diags, d)
		*err = errors.New(d.Error())
	}
}

// Write writes each ACL as a complete aws_network_acl resource
// (aws_default_network_acl for a default ACL) with inline rules.
func Write(w io.Writer, acls []*nacl.ACL) error { return writeHCL(w, acls) }

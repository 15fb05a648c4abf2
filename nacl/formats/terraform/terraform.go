// Package terraform reads NACLs from Terraform configuration (.tf, HCL) and
// from `terraform show -json` output, and writes them as HCL.
//
// STUB: the IaC formats owner replaces this file (API below is the contract).
package terraform

import (
	"errors"
	"io"

	"github.com/flowverify/flowverify/nacl"
)

// Parse reads aws_network_acl, aws_network_acl_rule and
// aws_default_network_acl resources from one .tf file. name is used in
// positions and messages.
func Parse(name string, data []byte) ([]*nacl.ACL, []nacl.Diagnostic, error) {
	return nil, nil, errors.New("not implemented")
}

// ParseJSON reads `terraform show -json` output (state or plan).
func ParseJSON(name string, data []byte) ([]*nacl.ACL, []nacl.Diagnostic, error) {
	return nil, nil, errors.New("not implemented")
}

// Write writes each ACL as a complete aws_network_acl resource.
func Write(w io.Writer, acls []*nacl.ACL) error { return errors.New("not implemented") }

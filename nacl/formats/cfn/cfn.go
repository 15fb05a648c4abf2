// Package cfn reads NACLs from CloudFormation templates (YAML with
// short-form intrinsics, or JSON) and writes them as YAML.
//
// STUB: the IaC formats owner replaces this file (API below is the contract).
package cfn

import (
	"errors"
	"io"

	"github.com/flowverify/flowverify/nacl"
)

// Parse reads AWS::EC2::NetworkAcl and AWS::EC2::NetworkAclEntry resources
// joined through NetworkAclId (!Ref / Ref / Fn::GetAtt ... .Id).
func Parse(name string, data []byte) ([]*nacl.ACL, []nacl.Diagnostic, error) {
	return nil, nil, errors.New("not implemented")
}

// Write writes the ACLs as a CloudFormation YAML template.
func Write(w io.Writer, acls []*nacl.ACL) error { return errors.New("not implemented") }

// Package cfn reads NACLs from CloudFormation templates (YAML with
// short-form intrinsics, or JSON) and writes them as YAML.
//
// Read: AWS::EC2::NetworkAcl (ACL.ID is the logical ID, Name the Name tag),
// AWS::EC2::NetworkAclEntry joined through NetworkAclId (!Ref ACL,
// !GetAtt ACL.Id or the long forms), and
// AWS::EC2::SubnetNetworkAclAssociation for ACL.Subnets. Values may be
// literals, !Ref to a Parameter with a Default, or !Sub over those; other
// intrinsics in rule properties are errors naming the function, resource
// and line:col.
package cfn

import (
	"errors"
	"fmt"
	"io"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/formats/limits"
)

// Parse reads AWS::EC2::NetworkAcl and AWS::EC2::NetworkAclEntry resources
// joined through NetworkAclId (!Ref / Ref / Fn::GetAtt ... .Id). On errors
// it still returns every ACL and entry that could be read; all problems
// are in the diagnostics and the error quotes the first.
func Parse(name string, data []byte) (acls []*nacl.ACL, diags []nacl.Diagnostic, err error) {
	return ParseWith(name, data, Options{})
}

// Options are the parameter values and evaluation limits of ParseWith.
type Options struct {
	// Parameters are Key=Value assignments overriding the parameters'
	// Default values, as aws cloudformation deploy --parameter-overrides.
	Parameters []string
	// Limits bound intrinsic-function evaluation (zero fields: defaults).
	Limits limits.Limits
}

// ParseWith is Parse with parameter values and limits. Conditions are
// evaluated (a resource whose Condition is false is not read), and
// Fn::If, Fn::Select, Fn::Split, Fn::Join, Fn::Cidr, Fn::FindInMap are
// resolved; Fn::ImportValue and pseudo parameters are errors naming the
// function and position, and every other entry is still read.
func ParseWith(name string, data []byte, o Options) (acls []*nacl.ACL, diags []nacl.Diagnostic, err error) {
	defer func() {
		if r := recover(); r != nil {
			d := nacl.Diagnostic{Severity: nacl.SevError, Pos: nacl.Pos{File: name}, Msg: fmt.Sprintf("internal error while reading the template (please report): %v", r)}
			diags = append(diags, d)
			err = errors.New(d.Error())
		}
	}()
	return parseWith(name, data, o)
}

// Write writes the ACLs as a CloudFormation YAML template.
func Write(w io.Writer, acls []*nacl.ACL) error { return write(w, acls) }

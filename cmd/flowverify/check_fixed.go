package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/flowverify/flowverify/cmd/flowverify/render"
	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/aclfile"
	"github.com/flowverify/flowverify/nacl/formats/cli"
	"github.com/flowverify/flowverify/nacl/replay"
)

// fixedFormat picks the format --write-fixed writes: --fixed-format when
// given, else the format the NACL file was read in (terraform-json, which
// cannot be written, becomes terraform).
func fixedFormat(flag string, read aclfile.Format) (aclfile.Format, error) {
	if flag != "" && flag != "auto" {
		f, err := aclfile.ParseFormat(flag)
		if err != nil {
			return "", fmt.Errorf("--fixed-format: %w", err)
		}
		if f == aclfile.FormatTerraformJSON {
			return "", errors.New("--fixed-format: terraform-json cannot be written; use terraform")
		}
		return f, nil
	}
	if read == aclfile.FormatTerraformJSON {
		return aclfile.FormatTerraform, nil
	}
	return read, nil
}

// fixedExt is the file name extension of a format, for --write-fixed DIR.
func fixedExt(f aclfile.Format) string {
	switch f {
	case aclfile.FormatAWSJSON:
		return ".json"
	case aclfile.FormatTerraform:
		return ".tf"
	case aclfile.FormatCloudFormation:
		return ".yaml"
	case aclfile.FormatCLI:
		return ".sh"
	}
	return ".nacl"
}

// errNothingToWrite: no conversation to fix, so no patched ACL (not an error).
var errNothingToWrite = errors.New("nothing written: no change set (no conversation to fix)")

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// writeFixed writes the patched ACLs of the report's change sets to path:
// one file holding them all, or, when path is a directory (existing, or
// ending in a slash), one file per ACL named after its ID. It returns the
// files written and warnings for the reader.
func writeFixed(rep *replay.Report, path string, format aclfile.Format) ([]string, []string, error) {
	if len(rep.ChangeSets) == 0 {
		return nil, nil, errNothingToWrite
	}
	if rep.Proof == nil || !rep.Proof.Passed {
		return nil, nil, errors.New("not written: the proof of the change sets failed (see PROOF in the report)")
	}
	isDir := strings.HasSuffix(path, "/") || strings.HasSuffix(path, string(filepath.Separator))
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		isDir = true
	}
	var warnings []string
	if format == aclfile.FormatTerraform {
		for _, id := range separateRuleResources(rep.ChangeSets) {
			warnings = append(warnings, fmt.Sprintf("%s: its rules were aws_network_acl_rule resources; the patched ACL is written with inline rules: delete those resources when you apply it (Terraform must not manage both), or add the new rules as aws_network_acl_rule resources instead", id))
		}
	}
	files, err := writeFixedFiles(rep, path, format, isDir)
	return files, warnings, err
}

// writeFixedFiles writes the change sets to path (a file, or a directory
// with one file per ACL).
func writeFixedFiles(rep *replay.Report, path string, format aclfile.Format, isDir bool) ([]string, error) {
	if !isDir {
		var buf bytes.Buffer
		if err := writeChangeSets(&buf, rep, rep.ChangeSets, format); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return nil, fmt.Errorf("--write-fixed: %w", err)
		}
		return []string{path}, nil
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, fmt.Errorf("--write-fixed: %w", err)
	}
	var files []string
	for i := range rep.ChangeSets {
		cs := rep.ChangeSets[i : i+1]
		name := filepath.Join(path, unsafeName.ReplaceAllString(cs[0].ACL.ID, "_")+fixedExt(format))
		var buf bytes.Buffer
		if err := writeChangeSets(&buf, rep, cs, format); err != nil {
			return files, err
		}
		if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
			return files, fmt.Errorf("--write-fixed: %w", err)
		}
		files = append(files, name)
	}
	return files, nil
}

// separateRuleResources lists the ACLs of sets whose rules were read from
// Terraform aws_network_acl_rule resources: the patched ACL is written
// with inline rules, and Terraform must not manage both forms at once.
func separateRuleResources(sets []replay.ChangeSet) []string {
	var out []string
	for i := range sets {
		for _, e := range sets[i].ACL.Entries {
			if strings.HasPrefix(e.Pos.Path, "aws_network_acl_rule.") {
				out = append(out, sets[i].ACL.ID)
				break
			}
		}
	}
	return out
}

// writeChangeSets writes the patched ACLs of sets in format; cli writes
// only the commands that add the fixes.
func writeChangeSets(w io.Writer, rep *replay.Report, sets []replay.ChangeSet, format aclfile.Format) error {
	if format == aclfile.FormatCLI {
		return writeFixCommands(w, rep, sets)
	}
	acls := make([]*nacl.ACL, len(sets))
	for i := range sets {
		acls[i] = sets[i].Patched
	}
	if err := aclfile.Write(w, acls, format); err != nil {
		return fmt.Errorf("writing the patched ACLs as %s: %w", format, err)
	}
	return nil
}

// writeFixCommands writes the change sets as AWS CLI commands. Every fix
// is a new allow rule at a number the ACL does not use, so each command is
// a create-network-acl-entry and the order is safe: no rule is replaced or
// deleted, and nothing that works now is denied at any point; each
// command only lets more of the broken traffic through.
func writeFixCommands(w io.Writer, rep *replay.Report, sets []replay.ChangeSet) error {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n# flowverify check: fixes proven by replaying the capture against the patched ACLs.\n")
	b.WriteString("# Every command adds an allow rule at a free rule number: no rule is replaced or deleted, so no step\n")
	b.WriteString("# denies anything that works now (replace-network-acl-entry is not needed).\nset -e\n")
	for i := range sets {
		cs := &sets[i]
		id := cs.ACL.ID
		fmt.Fprintf(&b, "\n# %s: %d rule(s)\n", oneLine(cs.ACL.Label()), len(cs.Fixes))
		if !strings.HasPrefix(id, "acl-") {
			fmt.Fprintf(&b, "# %q is not a NetworkAclId: set %s to the ID of this ACL first.\n", id, render.ACLIDVar)
			fmt.Fprintf(&b, ": \"${%[1]s:?set %[1]s to the network ACL ID of %[2]s first}\"\n", render.ACLIDVar, strings.ReplaceAll(oneLine(id), `"`, ""))
		}
		for _, fi := range cs.Fixes {
			f := &rep.Fixes[fi]
			if f.Entry.RuleNumber == 0 {
				return fmt.Errorf("%s: a fix has no rule number: %s", id, f.Note)
			}
			fmt.Fprintf(&b, "# %s leg, before rule %d; conversations %s\n", f.Role, f.Blocking, idList(f.Conversations))
			var cmd string
			if strings.HasPrefix(id, "acl-") {
				cmd = cli.Command(id, &f.Entry)
			} else {
				cmd = strings.Replace(cli.Command("ACL-ID-PLACEHOLDER", &f.Entry), "ACL-ID-PLACEHOLDER", `"$`+render.ACLIDVar+`"`, 1)
			}
			b.WriteString(cmd + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func idList(ids []int) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf("#%d", id)
	}
	return strings.Join(parts, ", ")
}

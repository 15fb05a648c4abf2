package lint

import (
	"strings"
	"testing"

	"github.com/flowverify/flowverify/nacl"
	"github.com/flowverify/flowverify/nacl/aclfile"
)

// TestAWSGuideExample lints the AWS guide's custom NACL read through the
// file reader: nothing is dead, replies cover Linux and Windows clients
// (info for the rest), and path MTU discovery is not allowed.
func TestAWSGuideExample(t *testing.T) {
	f, err := aclfile.Read("testdata/aws-guide-example.acl", aclfile.FormatText)
	if err != nil {
		t.Fatal(err)
	}
	acl, err := f.Select("")
	if err != nil {
		t.Fatal(err)
	}
	fs := Lint(acl, Options{})
	var got []string
	for _, fd := range fs {
		got = append(got, fd.Direction.String()+" "+itoa(fd.Rule)+" "+string(fd.Code)+" "+string(fd.Severity))
	}
	want := []string{
		"inbound 0 no-pmtud warning",
		"inbound 140 narrow-ephemeral info",  // replies to outbound 80/443 requests
		"outbound 120 narrow-ephemeral info", // replies to inbound 80/443/22/3389
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("findings:\n%s\nwant:\n%s\n\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"), dump(fs))
	}
	out := findRule(t, fs, CodeNarrowEphem, nacl.Egress, 120)
	if !equalInts(out.Related, []int{140}) || !strings.Contains(out.Message, "windows-2003 (1025-5000): ports 1025-5000 to 0.0.0.0/1") &&
		!strings.Contains(out.Message, "windows-2003 (1025-5000): ports 1025-5000 to all but 192.0.2.0/24") {
		t.Errorf("outbound 120: related %v message %q", out.Related, out.Message)
	}
	if out.Pos.Line != 12 {
		t.Errorf("position %v, want line 12", out.Pos)
	}
}

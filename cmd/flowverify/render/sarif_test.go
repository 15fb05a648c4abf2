package render

import "testing"

func TestSARIFURI(t *testing.T) {
	for in, want := range map[string]string{
		"pcaps/webserver.nacl": "pcaps/webserver.nacl",
		"./infra/main.tf":      "infra/main.tf",
		"my acls/a#1.json":     "my%20acls/a%231.json",
		"/srv/infra/nacl.yaml": "file:///srv/infra/nacl.yaml",
		"-":                    "",
		"":                     "",
		"a:b/colon-first.json": "./a:b/colon-first.json",
	} {
		if got := sarifURI(in); got != want {
			t.Errorf("sarifURI(%q) = %q, want %q", in, got, want)
		}
	}
}

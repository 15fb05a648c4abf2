// Package golden compares test output with golden files, the one golden
// helper of flowverify's command and renderer tests. `go test -update`
// rewrites the files instead (check the result by hand before committing:
// a golden file is only as good as the person who read it).
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files (testdata/...) with the output the tests get")

// Updating reports whether -update was given.
func Updating() bool { return *update }

// Check compares got with the file at path (relative to the test's
// package directory), or rewrites the file with -update.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (go test -update rewrites it; check the result by hand)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

package flowlog

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead feeds arbitrary file content (text, gzip, CloudWatch JSON,
// Parquet) to the reader: it must never panic, every record it delivers
// must be valid, and the counts must add up.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"aws-doc-default.log", "aws-doc-v3-custom.log", "broken.log", "cwl-filter-log-events.json", "cwl-export.txt"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "x.log")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Open([]string{p}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		n := int64(0)
		for rec := r.Next(); rec != nil; rec = r.Next() {
			n++
			if rec.Line <= 0 {
				t.Fatalf("record without a line: %+v", rec)
			}
			if !rec.Src.IsValid() || !rec.Dst.IsValid() || rec.Src.Is4() != rec.Dst.Is4() {
				t.Fatalf("invalid addresses delivered: %+v", rec)
			}
		}
		s := r.Summary()
		if s.Records != n {
			t.Fatalf("summary says %d records, %d delivered", s.Records, n)
		}
		if s.Bad > 0 && len(r.Problems()) == 0 {
			t.Fatal("bad records without problems")
		}
	})
}

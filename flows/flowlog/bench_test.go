package flowlog

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// writeGeneratedLog writes n version-2 records of a busy VPC (many ENIs,
// clients and services) as a .log.gz file with its header line.
func writeGeneratedLog(tb testing.TB, dir string, n int) string {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	var raw bytes.Buffer
	raw.WriteString(DefaultFormat + "\n")
	ports := []int{443, 80, 22, 5432, 3306, 53, 8080, 6379}
	for i := 0; i < n; i++ {
		eni := rng.IntN(500)
		src := fmt.Sprintf("10.%d.%d.%d", rng.IntN(4), rng.IntN(256), 1+rng.IntN(250))
		dst := fmt.Sprintf("172.31.%d.%d", eni/250, eni%250+1)
		start := 1714557600 + i/2000
		action := "ACCEPT"
		if rng.IntN(20) == 0 {
			action = "REJECT"
		}
		fmt.Fprintf(&raw, "2 123456789012 eni-%017x %s %s %d %d 6 %d %d %d %d %s OK\n",
			eni, src, dst, 32768+rng.IntN(28000), ports[rng.IntN(len(ports))], 1+rng.IntN(50), 40+rng.IntN(60000), start, start+60, action)
	}
	p := filepath.Join(dir, "123456789012_vpcflowlogs_us-east-1_fl-1_20240501T1000Z_bench.log.gz")
	f, err := os.Create(p)
	if err != nil {
		tb.Fatal(err)
	}
	w := gzip.NewWriter(f)
	w.Write(raw.Bytes())
	w.Close()
	f.Close()
	return p
}

// BenchmarkReadGzip measures reading a .log.gz (gunzip, split, parse):
// the issue asks for at least 1 M records/s per core.
func BenchmarkReadGzip(b *testing.B) {
	const n = 200_000
	p := writeGeneratedLog(b, b.TempDir(), n)
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for b.Loop() {
		r, err := Open([]string{p}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		got := 0
		for rec := r.Next(); rec != nil; rec = r.Next() {
			got++
		}
		r.Close()
		if got != n {
			b.Fatalf("%d records, want %d", got, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	// Per CPU-second (user+system of the process): the per-core rate,
	// meaningful on a machine shared with other work.
	b.ReportMetric(float64(n)*float64(b.N)/(cpuSeconds()-cpu0), "records/cpu-s")
}

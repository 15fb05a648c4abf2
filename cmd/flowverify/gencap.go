package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/flowverify/flowverify/bench/capgen"
)

func runGencap(env *runEnv, args []string) int {
	fs := newFlagSet(env, "gencap", "--out FILE [--size 2GB] [--seed N] [--concurrent N] [--flood N]")
	out := fs.String("out", "", "file to write (classic pcap, Ethernet)")
	size := fs.String("size", "100MB", "approximate size: a number with an optional KB, MB or GB suffix")
	seed := fs.Uint64("seed", 1, "random seed; the same seed gives the same file")
	concurrent := fs.Int("concurrent", 2000, "conversations in progress at once")
	flood := fs.Int64("flood", 0, "write a SYN flood of N packets instead (each from its own source: N conversations); --size is ignored")
	if code, ok := parseFlags(env, fs, args); !ok {
		return code
	}
	if *out == "" {
		return fail(env, "gencap", fmt.Errorf("--out is required"))
	}
	n, err := parseSize(*size)
	if err != nil {
		return fail(env, "gencap", err)
	}
	f, err := os.Create(*out)
	if err != nil {
		return fail(env, "gencap", err)
	}
	st, err := capgen.Write(f, capgen.Config{Bytes: n, Seed: *seed, Concurrent: *concurrent, Flood: *flood})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(env, "gencap", fmt.Errorf("writing %s: %w", *out, err))
	}
	fmt.Fprintf(env.stdout, "%s: %d packets, %d conversations started, %d bytes\n", *out, st.Packets, st.Conversations, st.Bytes)
	return exitOK
}

// parseSize parses "2GB", "500MB", "64KB" or a plain byte count (powers of 1024).
func parseSize(s string) (int64, error) {
	u := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, suf := range []struct {
		s string
		m int64
	}{{"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(u, suf.s) {
			u, mult = strings.TrimSuffix(u, suf.s), suf.m
			break
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(u), 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("bad --size %q: want e.g. 2GB, 500MB or a byte count", s)
	}
	return int64(v * float64(mult)), nil
}

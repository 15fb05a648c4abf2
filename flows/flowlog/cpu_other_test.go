//go:build !unix

package flowlog

import "math"

// cpuSeconds is not measured here: the per-CPU-second metric reads NaN.
func cpuSeconds() float64 { return math.NaN() }

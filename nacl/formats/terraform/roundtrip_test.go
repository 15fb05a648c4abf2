package terraform

import (
	"testing"

	"github.com/flowverify/flowverify/nacl/formats/internal/formattest"
)

func TestRoundTripRandom(t *testing.T) {
	formattest.RoundTripRandom(t, formattest.RoundTrip{Seed: 7, Name: "rt.tf", Write: Write, Parse: Parse, AllowInfo: true, CheckDefault: true})
}

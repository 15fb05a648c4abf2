package replay

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

// TestPipelineOrder: whatever the number of workers and however long each
// work takes, consume sees the values in submission order, each after its
// work, and no more than 4×workers values are ever made.
func TestPipelineOrder(t *testing.T) {
	for _, workers := range []int{0, 1, 2, 3, 8} {
		var made atomic.Int32
		var got []int
		p := NewPipeline(workers, func() [2]int { made.Add(1); return [2]int{} },
			func(w int, v *[2]int) error {
				time.Sleep(time.Duration(rand.IntN(50)) * time.Microsecond)
				v[1] = v[0] * v[0]
				return nil
			},
			func(v *[2]int) error {
				if v[1] != v[0]*v[0] {
					return fmt.Errorf("value %d consumed before its work", v[0])
				}
				got = append(got, v[0])
				return nil
			}, func(v *[2]int) { *v = [2]int{} })
		for i := range 1000 {
			p.Next()[0] = i
			p.Submit()
		}
		if err := p.Close(); err != nil {
			t.Fatalf("%d workers: %v", workers, err)
		}
		if len(got) != 1000 {
			t.Fatalf("%d workers: %d values consumed, want 1000", workers, len(got))
		}
		for i, v := range got {
			if v != i {
				t.Fatalf("%d workers: value %d consumed in place %d", workers, v, i)
			}
		}
		if m := int(made.Load()); m > 4*max(workers, 1) {
			t.Errorf("%d workers: %d values made, want at most %d", workers, m, 4*max(workers, 1))
		}
	}
}

// TestPipelineErrors: the first error in submission order is returned,
// whether work or consume failed; nothing is consumed after it, Failed
// reports it, and Close returns even though the producer keeps going.
func TestPipelineErrors(t *testing.T) {
	errWork, errConsume := errors.New("work failed"), errors.New("consume failed")
	for _, tc := range []struct {
		workFails, consumeFails int
		want                    error
		last                    int
	}{
		{workFails: 500, consumeFails: -1, want: errWork, last: 499},
		{workFails: -1, consumeFails: 300, want: errConsume, last: 299},
		{workFails: 700, consumeFails: 300, want: errConsume, last: 299},
		{workFails: 300, consumeFails: 700, want: errWork, last: 299},
	} {
		last := -1
		p := NewPipeline(3, func() int { return 0 },
			func(w int, v *int) error {
				if *v == tc.workFails {
					return errWork
				}
				return nil
			},
			func(v *int) error {
				if *v == tc.consumeFails {
					return errConsume
				}
				if *v != last+1 {
					return fmt.Errorf("consumed %d after %d", *v, last)
				}
				last = *v
				return nil
			}, nil)
		for i := range 2000 {
			*p.Next() = i
			p.Submit()
		}
		if !p.Failed() {
			t.Errorf("%+v: not Failed after an error", tc)
		}
		if err := p.Close(); !errors.Is(err, tc.want) {
			t.Errorf("%+v: Close returned %v, want %v", tc, err, tc.want)
		}
		if last != tc.last {
			t.Errorf("%+v: last consumed %d, want %d", tc, last, tc.last)
		}
	}
}

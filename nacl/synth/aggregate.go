package synth

import (
	"fmt"
	"strings"
)

// maxExamples bounds the examples quoted per aggregated message.
const maxExamples = 3

// aggregate folds messages that repeat for many clients into one line
// each, with a count and a few examples, in first-seen order.
type aggregate struct {
	order []string
	n     map[string]int
	ex    map[string][]string
}

func newAggregate() *aggregate {
	return &aggregate{n: map[string]int{}, ex: map[string][]string{}}
}

func (a *aggregate) add(msg, example string) {
	if msg == "" {
		return
	}
	if a.n[msg] == 0 {
		a.order = append(a.order, msg)
	}
	a.n[msg]++
	if example != "" && len(a.ex[msg]) < maxExamples {
		a.ex[msg] = append(a.ex[msg], example)
	}
}

// lines renders "MSG: N client(s), e.g. A; B; C".
func (a *aggregate) lines() []string {
	out := make([]string, 0, len(a.order))
	for _, m := range a.order {
		s := fmt.Sprintf("%s: %d client(s)", m, a.n[m])
		if ex := a.ex[m]; len(ex) > 0 {
			s += ", e.g. " + strings.Join(ex, "; ")
		}
		out = append(out, s)
	}
	return out
}

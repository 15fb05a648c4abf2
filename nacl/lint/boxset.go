package lint

import "errors"

// errTooComplex is returned when a set operation would need more pieces
// than the work limit allows; the analysis of that direction and family is
// then reported as incomplete instead of guessed.
var errTooComplex = errors.New("too many box pieces")

// errWorkLimit is returned when the analysis of one direction and family
// has spent its work budget (Options.MaxWork): it is then reported as
// incomplete, with the findings proven before the limit.
var errWorkLimit = errors.New("work limit reached")

// maxPieces caps the pieces one set operation may hold (a variable so that
// tests can lower it).
var maxPieces = 1 << 15

// minusBox returns set∖b (set is a list of disjoint boxes; so is the result).
// The input slice is not modified.
func minusBox(set []box, b *box) ([]box, error) {
	var out []box
	for i := range set {
		out = subtract(out, &set[i], b)
		if len(out) > maxPieces {
			return nil, errTooComplex
		}
	}
	return out, nil
}

// minusAll returns set∖(b1∪b2∪...), stopping early when nothing is left.
func minusAll(set []box, bs []box) ([]box, error) {
	var err error
	for i := range bs {
		if len(set) == 0 {
			return nil, nil
		}
		if set, err = minusBox(set, &bs[i]); err != nil {
			return nil, err
		}
	}
	return set, nil
}

// intersectSet returns set∩b.
func intersectSet(set []box, b *box) []box {
	var out []box
	for i := range set {
		if r, ok := set[i].intersect(b); ok {
			out = append(out, r)
		}
	}
	return out
}

// covered reports whether the union of bs contains every point of target.
func covered(target box, bs []box) (bool, error) {
	rest, err := minusAll([]box{target}, bs)
	return len(rest) == 0, err
}

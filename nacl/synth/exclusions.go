package synth

// ExcludedCounts counts the excluded conversations by category and
// reason.
func (r *Result) ExcludedCounts() map[ExclusionKey]int {
	if r.compact != nil {
		return r.compact.counts()
	}
	n := map[ExclusionKey]int{}
	for i := range r.Excluded {
		n[ExclusionKey{r.Excluded[i].Category, r.Excluded[i].ExclusionReason}]++
	}
	return n
}

// NumExcludedIn counts the excluded conversations whose category is one
// of cats.
func (r *Result) NumExcludedIn(cats ...string) int {
	n := 0
	if r.compact != nil {
		for _, e := range r.compact.recs {
			if inCategories(exclCategories[e.cat], cats) {
				n++
			}
		}
		return n
	}
	for i := range r.Excluded {
		if inCategories(r.Excluded[i].Category, cats) {
			n++
		}
	}
	return n
}

// EachExcludedIn is EachExcluded over the exclusions whose category is
// one of cats.
func (r *Result) EachExcludedIn(fn func(*Excluded) error, cats ...string) error {
	if r.compact != nil {
		return r.compact.each(func(e *Excluded) bool { return inCategories(e.Category, cats) }, fn)
	}
	for i := range r.Excluded {
		if !inCategories(r.Excluded[i].Category, cats) {
			continue
		}
		if err := fn(&r.Excluded[i]); err != nil {
			return err
		}
	}
	return nil
}

func inCategories(c string, cats []string) bool {
	for _, x := range cats {
		if c == x {
			return true
		}
	}
	return false
}

// ForcedEphemeral reports whether Options.Ephemeral forced one response
// range for every client (observed ports outside it then get no rule).
func (r *Result) ForcedEphemeral() bool { return r.opts.Ephemeral != nil }

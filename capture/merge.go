package capture

// less orders pending records by timestamp, ties by file order (as mergecap).
func (s *Stream) less(a, b int) bool {
	fa, fb := s.files[s.heap[a]], s.files[s.heap[b]]
	if fa.rec.ts.Equal(fb.rec.ts) {
		return fa.index < fb.index
	}
	return fa.rec.ts.Before(fb.rec.ts)
}

func (s *Stream) swap(a, b int) { s.heap[a], s.heap[b] = s.heap[b], s.heap[a] }

// down restores the heap property below i.
func (s *Stream) down(i int) {
	n := len(s.heap)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && s.less(r, l) {
			m = r
		}
		if !s.less(m, i) {
			return
		}
		s.swap(i, m)
		i = m
	}
}

// up restores the heap property above i.
func (s *Stream) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(i, p) {
			return
		}
		s.swap(i, p)
		i = p
	}
}

// pop removes the heap's top.
func (s *Stream) pop() {
	n := len(s.heap) - 1
	s.swap(0, n)
	s.heap = s.heap[:n]
	if n > 0 {
		s.down(0)
	}
}

package flows

// dequeChunkBits sizes a deque's chunks (4,096 values).
const dequeChunkBits = 12

// deque is a queue of values in fixed-size chunks: memory follows its
// length without the slack and copies of a slice that doubles, and
// values can be read and replaced by position. The zero value is empty.
type deque[T any] struct {
	chunks [][]T
	// head is the position of the first value in chunks[0]; n the length.
	head, n int
	// spare is a drained chunk kept for reuse.
	spare []T
}

func (q *deque[T]) len() int { return q.n }

// at returns the value at position i from the front (i < len).
func (q *deque[T]) at(i int) *T {
	p := q.head + i
	return &q.chunks[p>>dequeChunkBits][p&(1<<dequeChunkBits-1)]
}

// front returns the first value (the deque must not be empty).
func (q *deque[T]) front() *T { return q.at(0) }

// push appends v.
func (q *deque[T]) push(v T) {
	p := q.head + q.n
	if p>>dequeChunkBits == len(q.chunks) {
		c := q.spare
		q.spare = nil
		if c == nil {
			c = make([]T, 1<<dequeChunkBits)
		}
		q.chunks = append(q.chunks, c)
	}
	q.chunks[p>>dequeChunkBits][p&(1<<dequeChunkBits-1)] = v
	q.n++
}

// pop removes and returns the first value (the deque must not be empty).
func (q *deque[T]) pop() T {
	v := *q.at(0)
	q.head++
	q.n--
	switch {
	case q.n == 0:
		q.spare, q.chunks, q.head = q.chunks[0], q.chunks[:0], 0
	case q.head == 1<<dequeChunkBits:
		q.spare, q.chunks[0], q.chunks, q.head = q.chunks[0], nil, q.chunks[1:], 0
	}
	return v
}

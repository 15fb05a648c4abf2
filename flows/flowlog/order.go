package flowlog

// InOrder returns a done function for NewPairer that calls fn with the
// finished conversations in ID order (the order of their first record):
// conversations finished ahead of an open one are held, as copies, until
// it finishes. After Pairer.Finish every conversation has been passed on.
func InOrder(fn func(*Conversation)) func(*Conversation) {
	pending := map[int]Conversation{}
	next := 1
	return func(c *Conversation) {
		pending[c.ID] = *c
		for {
			c, ok := pending[next]
			if !ok {
				return
			}
			delete(pending, next)
			fn(&c)
			next++
		}
	}
}

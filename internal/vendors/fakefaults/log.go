package fakefaults

import "slices"

// Log is a fake's record of the calls it received, oldest first. With Keep
// set it keeps only the latest calls, at least Keep and at most twice as
// many, so that a long-running fake (the worker's -sandbox, a benchmark)
// does not grow with every call; the zero value keeps every call. A Log is
// not safe for concurrent use: its fake guards it with its own lock.
type Log[T any] struct {
	Keep    int
	entries []T
	dropped int // calls no longer kept, from the front
}

// Add records e and returns its sequence number, for Update.
func (l *Log[T]) Add(e T) int {
	if l.Keep > 0 && len(l.entries) >= 2*l.Keep {
		n := len(l.entries) - l.Keep
		l.entries = append(l.entries[:0:0], l.entries[n:]...)
		l.dropped += n
	}
	l.entries = append(l.entries, e)
	return l.dropped + len(l.entries) - 1
}

// Update calls f with call seq, if it is still kept.
func (l *Log[T]) Update(seq int, f func(*T)) {
	if i := seq - l.dropped; i >= 0 && i < len(l.entries) {
		f(&l.entries[i])
	}
}

// Entries returns a copy of the calls kept, oldest first.
func (l *Log[T]) Entries() []T { return slices.Clone(l.entries) }

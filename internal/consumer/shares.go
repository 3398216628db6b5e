package consumer

// lone reports whether at most one of the vendors this worker has seen
// competes for the window; that one may then hold all of it. A vendor whose
// circuit is open does not compete: its commands are deferred at once,
// before any vendor call or bookkeeping (handlers.Handler.CircuitOpen), so
// no room need be held back for them, while room held back would park the
// healthy vendor's backlog through schedules, behind the rest of the
// stream. (It keeps its share of the running slots, which its commands need
// to be deferred.) The caller holds mu.
func (l *Loop) lone() bool {
	competing := 0
	for _, name := range l.order {
		if !l.opts.Handler.CircuitOpen(name) {
			competing++
		}
	}
	return competing <= 1
}

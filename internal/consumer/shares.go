package consumer

// lone reports whether at most one of the vendors this worker has seen
// competes for the window and the running slots; that one may then take
// all of them. A vendor whose circuit is open does not compete: its
// commands are deferred at once, before any vendor call or bookkeeping
// (handlers.Handler.CircuitOpen), so they need no share held back for
// them, while a share held back would park the healthy vendor's backlog
// through schedules, behind everything else in the stream. The caller
// holds mu.
func (l *Loop) lone() bool {
	competing := 0
	for _, name := range l.order {
		if !l.opts.Handler.CircuitOpen(name) {
			competing++
		}
	}
	return competing <= 1
}

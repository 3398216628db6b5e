package consumer

import (
	"context"
	"time"
)

// runner runs commands on goroutines it keeps between commands. A command
// runs deep (the handler, the vendor's HTTP client, JSON encoding), so a
// fresh goroutine grows its stack several times over, copying it each
// time; a kept one has grown already. Measured in the pipeline benchmark,
// stack growth was about 4 % of the process's CPU with a goroutine per
// command.
type runner struct {
	ctx   context.Context // idle goroutines end with it
	tasks chan func()     // unbuffered: a send succeeds only to an idle goroutine
	idle  time.Duration   // an idle goroutine ends after this long
}

// runnerIdle is how long a goroutine waits for its next command before it
// ends: past a burst the worker goes back to few goroutines.
const runnerIdle = 10 * time.Second

func newRunner(ctx context.Context) *runner {
	return &runner{ctx: ctx, tasks: make(chan func()), idle: runnerIdle}
}

// run runs f on an idle goroutine, or on a new one when none is idle.
func (r *runner) run(f func()) {
	select {
	case r.tasks <- f:
	default:
		go r.loop(f)
	}
}

func (r *runner) loop(f func()) {
	t := time.NewTimer(r.idle)
	defer t.Stop()
	for {
		f()
		t.Reset(r.idle)
		select {
		case f = <-r.tasks:
		case <-t.C:
			return
		case <-r.ctx.Done():
			return
		}
	}
}

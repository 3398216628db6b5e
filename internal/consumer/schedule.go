package consumer

import (
	"context"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
)

// job is one pulled command while the worker holds it.
type job struct {
	msg   jetstream.Msg
	meta  *jetstream.MsgMetadata
	cmd   events.Command
	err   error // validation
	start time.Time
	// queued: counted in its vendor's held commands.
	queued bool
}

// lane is one user's queue of commands.
type lane struct {
	key, vendor string
	queue       []*job
	busy        bool // one of its commands is running
	ready       bool // it is in its vendor's ready list
}

// vendorQueue is one vendor's lanes waiting for a running slot.
type vendorQueue struct {
	ready   []*lane
	running int
	held    int
}

// dispatch places a pulled command in its lane, parks it, or rejects it.
func (l *Loop) dispatch(msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		l.log.Error("command without JetStream metadata", zap.String("subject", msg.Subject()), zap.Error(err))
		_ = msg.Term()
		<-l.held
		return
	}
	j := &job{msg: msg, meta: meta, start: time.Now()}
	j.cmd, j.err = events.DecodeCommand(msg.Subject(), msg.Data())
	if j.err == nil {
		j.cmd = firedCommand(j.cmd, msg.Headers())
		j.err = l.opts.Lifecycle.admit(j.cmd)
	}
	l.wg.Add(1)
	if j.err != nil {
		l.mu.Lock()
		l.jobs[j] = struct{}{}
		l.mu.Unlock()
		go l.reject(j)
		return
	}
	// One lane per seat holder, however the command spells the user (a
	// Microsoft 365 UPN once this worker has resolved it: Handler.LaneKey).
	vendor, key := j.cmd.Data.Vendor, l.opts.Handler.LaneKey(j.cmd)
	final := l.lastDelivery(meta)
	l.mu.Lock()
	if l.stopping {
		l.mu.Unlock()
		_ = msg.Nak()
		<-l.held
		l.wg.Done()
		return
	}
	vq := l.vendor(vendor)
	ln := l.lanes[key]
	if !final && (vq.held >= l.heldCapOf() || (ln != nil && len(ln.queue) >= l.laneDepth)) {
		l.mu.Unlock()
		l.park(j)
		return
	}
	vq.held++
	j.queued = true
	l.jobs[j] = struct{}{}
	n := len(l.jobs)
	if ln == nil {
		ln = &lane{key: key, vendor: vendor}
		l.lanes[key] = ln
	}
	ln.queue = append(ln.queue, j)
	l.readyLocked(ln)
	l.scheduleLocked()
	l.mu.Unlock()
	l.opts.Observer.ObserveInFlight(n)
}

func (l *Loop) vendor(name string) *vendorQueue {
	vq := l.vendors[name]
	if vq == nil {
		vq = &vendorQueue{}
		l.vendors[name] = vq
		l.order = append(l.order, name)
	}
	return vq
}

// readyLocked puts an idle lane with work in its vendor's ready list.
func (l *Loop) readyLocked(ln *lane) {
	if !ln.busy && !ln.ready && len(ln.queue) > 0 {
		ln.ready = true
		vq := l.vendors[ln.vendor]
		vq.ready = append(vq.ready, ln)
	}
}

// runCapOf is how many running slots one vendor may take: all of them while
// it is the only vendor this worker has seen, three quarters otherwise (a
// vendor whose circuit is open keeps its share here: its commands need a
// running slot to be deferred, and do so quickly).
func (l *Loop) runCapOf() int {
	if len(l.order) == 1 {
		return l.runCap
	}
	return l.vendorRunCap
}

// heldCapOf is how many commands one vendor may hold in the window: all of
// it while it is the only vendor this worker has seen (parking its commands
// would leave room for nobody and bring them back seconds later) or the only
// one whose circuit is not open, three quarters otherwise.
func (l *Loop) heldCapOf() int {
	if l.lone() {
		return cap(l.held)
	}
	return l.vendorHeldCap
}

// scheduleLocked starts commands while running slots are free, taking
// vendors in turn and none past its share.
func (l *Loop) scheduleLocked() {
	for !l.stopping && l.running < l.runCap {
		var vq *vendorQueue
		for i := range l.order {
			name := l.order[(l.next+i)%len(l.order)]
			if q := l.vendors[name]; len(q.ready) > 0 && q.running < l.runCapOf() {
				vq, l.next = q, (l.next+i+1)%len(l.order)
				break
			}
		}
		if vq == nil {
			return
		}
		ln := vq.ready[0]
		vq.ready = vq.ready[1:]
		ln.ready, ln.busy = false, true
		j := ln.queue[0]
		ln.queue = ln.queue[1:]
		vq.running++
		l.running++
		l.runner.run(func() { l.run(ln, j) })
	}
}

// run processes one command of a lane. The running slot is given up as
// soon as the handler returns: publishing the result and acking are
// JetStream round trips, and a slot held through them is a vendor
// connection left idle. The lane stays busy until the command is settled,
// so one user's results are published in order.
func (l *Loop) run(ln *lane, j *job) {
	var once sync.Once
	free := func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.vendors[ln.vendor].running--
			l.running--
			l.scheduleLocked()
		})
	}
	l.process(j, free)
	free()
	l.mu.Lock()
	defer l.mu.Unlock()
	ln.busy = false
	if len(ln.queue) == 0 {
		delete(l.lanes, ln.key)
	}
	l.readyLocked(ln)
	l.scheduleLocked()
}

// handBackQueued naks, at shutdown, every held command that has not
// started: another replica (or this one, restarted) takes them at once.
func (l *Loop) handBackQueued() {
	l.mu.Lock()
	l.stopping = true
	var queued []*job
	for key, ln := range l.lanes {
		queued = append(queued, ln.queue...)
		ln.queue = nil
		if !ln.busy {
			delete(l.lanes, key)
		}
	}
	for _, vq := range l.vendors {
		vq.ready = nil
	}
	l.mu.Unlock()
	for _, j := range queued {
		l.settle(j, handlers.Reply{}, context.Canceled)
	}
}

// park puts a command off, unstarted, for want of room; the delay grows
// with how often it was put off, so that a long backlog does not spin.
func (l *Loop) park(j *job) {
	l.mu.Lock()
	l.jobs[j] = struct{}{}
	l.mu.Unlock()
	go l.settle(j, handlers.Reply{}, &parkedError{n: j.parked() + 1})
}

// untrack forgets a settled command.
func (l *Loop) untrack(j *job) {
	l.mu.Lock()
	delete(l.jobs, j)
	if j.queued {
		l.vendors[j.cmd.Data.Vendor].held--
	}
	n := len(l.jobs)
	l.mu.Unlock()
	l.opts.Observer.ObserveInFlight(n)
}

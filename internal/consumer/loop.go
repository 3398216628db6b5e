package consumer

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
)

// Options configure a Loop.
type Options struct {
	Consumer jetstream.Consumer
	JS       jetstream.JetStream
	Handler  *handlers.Handler
	// Concurrency is how many commands run at once (each waiting on its
	// vendor, or retrying).
	Concurrency int
	// Window is how many commands this worker holds at once: running, or
	// queued behind their user's lane or their vendor's share of the
	// running slots. 0 means 8 × Concurrency.
	Window int
	// MaxDeliver is the consumer's; the last delivery of a command is never
	// parked or deferred, so a command never runs out of deliveries silently.
	MaxDeliver      int
	AckWait         time.Duration
	ShutdownTimeout time.Duration
	Logger          *zap.Logger
	Observer        Observer
	// Rebind returns the consumer again after it stopped delivering (it is
	// created anew if it was deleted); nil keeps the old one.
	Rebind func(context.Context) (jetstream.Consumer, error)
}

// Observer is told how many commands the loop holds.
type Observer interface {
	ObserveInFlight(n int)
}

// Loop pulls commands and runs them through the handler.
//
// Commands for one (vendor, account, user) form a lane and run one after
// another, in stream order; lanes run concurrently, at most Concurrency at
// once. No vendor runs more than three quarters of those slots (once a
// second vendor has been seen), so a vendor
// that is slow, rate limited or down cannot take them all: its commands wait
// in memory (up to three quarters of the window) while the other vendors'
// commands pass them. Only past that, or past a quarter of the window for one
// user, is a command parked (handed back to JetStream with a delay).
type Loop struct {
	opts          Options
	log           *zap.Logger
	held          chan struct{} // a token per held command; cap = window
	runCap        int
	vendorRunCap  int
	vendorHeldCap int
	laneDepth     int
	work          context.Context
	wg            sync.WaitGroup
	bound         atomic.Bool
	firstBind     chan struct{} // closed once the loop first pulls
	bindOnce      sync.Once

	mu       sync.Mutex
	jobs     map[*job]struct{}
	lanes    map[string]*lane
	vendors  map[string]*vendorQueue
	order    []string // vendors in first-seen order, for round robin
	next     int
	running  int
	stopping bool
}

type job struct {
	msg   jetstream.Msg
	meta  *jetstream.MsgMetadata
	cmd   events.Command
	err   error // validation
	start time.Time
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

// New returns a Loop.
func New(opts Options) *Loop {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 1
	}
	if opts.Window < opts.Concurrency {
		opts.Window = 8 * opts.Concurrency
	}
	if opts.AckWait <= 0 {
		opts.AckWait = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	return &Loop{
		opts:          opts,
		log:           opts.Logger,
		held:          make(chan struct{}, opts.Window),
		runCap:        opts.Concurrency,
		vendorRunCap:  max(1, opts.Concurrency*3/4),
		vendorHeldCap: max(1, opts.Window*3/4),
		laneDepth:     max(1, opts.Window/4),
		jobs:          make(map[*job]struct{}),
		lanes:         make(map[string]*lane),
		vendors:       make(map[string]*vendorQueue),
		firstBind:     make(chan struct{}),
	}
}

// FirstBind is closed once the loop pulls from the consumer for the first time.
func (l *Loop) FirstBind() <-chan struct{} { return l.firstBind }

// Run pulls and processes commands until ctx ends, then shuts down: it stops
// pulling, lets held commands finish within ShutdownTimeout, and hands back
// (Nak) whatever could not finish, so that nothing waits for AckWait.
//
// If the consumer stops delivering for any other reason (it was deleted,
// the connection closed for good), Run binds to it again through Rebind,
// with backoff, rather than end the worker.
func (l *Loop) Run(ctx context.Context) error {
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	l.work = work
	go l.heartbeat(work)

	cons := l.opts.Consumer
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval, bo.MaxInterval, bo.MaxElapsedTime = 250*time.Millisecond, 10*time.Second, 0
	for {
		err := l.pull(ctx, cons)
		l.bound.Store(false)
		if ctx.Err() != nil {
			l.handBackQueued()
			break
		}
		wait := bo.NextBackOff()
		l.log.Warn("command consumer stopped delivering; binding again", zap.Error(err), zap.Duration("retry_in", wait))
		if !sleep(ctx, wait) {
			break
		}
		if l.opts.Rebind != nil {
			c, err := l.opts.Rebind(ctx)
			if err != nil {
				l.log.Warn("bind command consumer", zap.Error(err))
				continue
			}
			cons = c
		}
	}
	if !l.waitIdle(l.opts.ShutdownTimeout) {
		l.log.Warn("shutdown timeout: handing back unfinished commands")
		cancelWork()
		l.waitIdle(10 * time.Second)
	}
	return nil
}

// Bound reports whether the loop is pulling from the consumer.
func (l *Loop) Bound() bool { return l.bound.Load() }

// pull runs one pull iterator until ctx ends (nil) or the iterator stops.
func (l *Loop) pull(ctx context.Context, cons jetstream.Consumer) error {
	it, err := cons.Messages(jetstream.PullMaxMessages(l.opts.Concurrency))
	if err != nil {
		return err
	}
	l.bound.Store(true)
	l.bindOnce.Do(func() { close(l.firstBind) })
	stopPulling := context.AfterFunc(ctx, it.Drain)
	defer stopPulling()
	defer l.handBack(it)
	for {
		select {
		case l.held <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		msg, err := it.Next()
		if err != nil {
			<-l.held
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			l.log.Warn("pull commands", zap.Error(err))
			continue
		}
		l.dispatch(msg)
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// handBack naks the commands the iterator had buffered but not yet given
// out when shutdown began.
func (l *Loop) handBack(it jetstream.MessagesContext) {
	it.Drain()
	for {
		msg, err := it.Next()
		if err != nil {
			return
		}
		_ = msg.Nak()
	}
}

func (l *Loop) waitIdle(timeout time.Duration) bool {
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
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
	l.wg.Add(1)
	if j.err != nil {
		l.mu.Lock()
		l.jobs[j] = struct{}{}
		l.mu.Unlock()
		go l.reject(j)
		return
	}
	vendor, key := j.cmd.Data.Vendor, j.cmd.LaneKey()
	final := l.opts.MaxDeliver > 0 && meta.NumDelivered >= uint64(l.opts.MaxDeliver)
	l.mu.Lock()
	vq := l.vendor(vendor)
	ln := l.lanes[key]
	if !final && (vq.held >= l.vendorHeldCap || (ln != nil && len(ln.queue) >= l.laneDepth)) {
		l.mu.Unlock()
		l.park(j)
		return
	}
	vq.held++
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
// it is the only vendor this worker has seen, three quarters otherwise.
func (l *Loop) runCapOf() int {
	if len(l.order) == 1 {
		return l.runCap
	}
	return l.vendorRunCap
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
		go l.run(ln, j)
	}
}

// run processes one command of a lane, then lets the lane's next one (or
// another lane) have the slot.
func (l *Loop) run(ln *lane, j *job) {
	l.process(j)
	l.mu.Lock()
	defer l.mu.Unlock()
	ln.busy = false
	l.vendors[ln.vendor].running--
	l.running--
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

// park hands a command back for a little while; the delay grows with its
// deliveries so that a long backlog does not spin.
func (l *Loop) park(j *job) {
	delay := min(time.Duration(j.meta.NumDelivered)*500*time.Millisecond, 30*time.Second)
	_ = j.msg.NakWithDelay(delay)
	<-l.held
	l.wg.Done()
}

// untrack forgets a settled command.
func (l *Loop) untrack(j *job) {
	l.mu.Lock()
	delete(l.jobs, j)
	if j.err == nil {
		l.vendors[j.cmd.Data.Vendor].held--
	}
	n := len(l.jobs)
	l.mu.Unlock()
	l.opts.Observer.ObserveInFlight(n)
}

func (l *Loop) process(j *job) {
	final := l.opts.MaxDeliver > 0 && j.meta.NumDelivered >= uint64(l.opts.MaxDeliver)
	d := handlers.Delivery{Command: j.cmd, Seq: j.meta.Sequence.Stream, Published: j.meta.Timestamp, Final: final}
	reply, err := l.opts.Handler.Handle(l.work, d)
	// JetStream will not deliver a command again after its last delivery:
	// if another command holds it or its user, wait here instead of handing
	// it back to be lost.
	var busy *handlers.BusyError
	for final && errors.As(err, &busy) && l.work.Err() == nil {
		if !sleep(l.work, decide(err, time.Now()).delay) {
			break
		}
		reply, err = l.opts.Handler.Handle(l.work, d)
	}
	if err == nil {
		err = l.publish(l.work, reply)
	}
	l.settle(j, reply, err)
}

// reject publishes the failure of an invalid command and terminates it.
func (l *Loop) reject(j *job) {
	var verr *events.ValidationError
	errors.As(j.err, &verr)
	reply, err := handlers.Reject(j.cmd, j.meta.Sequence.Stream, fallbackID(j.meta), verr, time.Now())
	if err == nil {
		err = l.publish(l.work, reply)
	}
	if err == nil {
		err = j.err // published: now decide on the validation error (term)
	}
	l.settle(j, reply, err)
}

// fallbackID names the result of a command too broken to carry an id.
func fallbackID(meta *jetstream.MsgMetadata) string {
	return "invalid-" + meta.Stream + "-" + uitoa(meta.Sequence.Stream)
}

// settle acks, naks or terminates the command and logs its outcome once.
func (l *Loop) settle(j *job, reply handlers.Reply, err error) {
	defer func() {
		l.untrack(j)
		<-l.held
		l.wg.Done()
	}()
	d := decide(err, time.Now())
	var ackErr error
	switch d.action {
	case ack:
		ackErr = j.msg.DoubleAck(l.work)
	case term:
		ackErr = j.msg.TermWithReason(events.CodeInvalidCommand)
	case nak:
		if d.delay > 0 {
			ackErr = j.msg.NakWithDelay(d.delay)
		} else {
			ackErr = j.msg.Nak()
		}
	}
	l.logOutcome(j, reply, d, err, ackErr)
}

func (l *Loop) logOutcome(j *job, reply handlers.Reply, d decision, err, ackErr error) {
	fields := []zap.Field{
		zap.String("command_id", j.cmd.ID),
		zap.String("type", j.msg.Subject()),
		zap.Uint64("stream_seq", j.meta.Sequence.Stream),
		zap.Uint64("delivery", j.meta.NumDelivered),
		zap.String("vendor", j.cmd.Data.Vendor),
		zap.String("action", d.action.String()),
		zap.Duration("duration", time.Since(j.start)),
	}
	if d.action != nak {
		fields = append(fields, zap.String("outcome", reply.Subject), zap.Bool("replayed", reply.Replayed))
	}
	if d.delay > 0 {
		fields = append(fields, zap.Duration("retry_in", d.delay))
	}
	if err != nil {
		fields = append(fields, zap.String("error", err.Error()))
	}
	if ackErr != nil {
		fields = append(fields, zap.NamedError("ack_error", ackErr))
		l.log.Warn("command settled; ack not confirmed (it will be redelivered and replayed)", fields...)
		return
	}
	l.log.Info("command", fields...)
}

// heartbeat tells JetStream every held command is still being worked on,
// so none is redelivered while it waits for a vendor or for its lane.
func (l *Loop) heartbeat(ctx context.Context) {
	t := time.NewTicker(l.opts.AckWait / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		l.mu.Lock()
		msgs := make([]jetstream.Msg, 0, len(l.jobs))
		for j := range l.jobs {
			msgs = append(msgs, j.msg)
		}
		l.mu.Unlock()
		for _, m := range msgs {
			_ = m.InProgress()
		}
	}
}

type nopObserver struct{}

func (nopObserver) ObserveInFlight(int) {}

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
	// Concurrency is the window: how many commands this worker holds at
	// once (running, waiting on a vendor, or queued behind their lane).
	Concurrency int
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
// another, in stream order. Lanes run concurrently. No vendor may hold more
// than three quarters of the window and no lane more than a quarter of it:
// a command past either limit is parked (handed back with a short delay),
// so a vendor in trouble or a user with a burst of commands cannot stall
// everyone else.
type Loop struct {
	opts        Options
	log         *zap.Logger
	slots       chan struct{}
	vendorShare int
	laneDepth   int
	work        context.Context
	wg          sync.WaitGroup
	bound       atomic.Bool
	firstBind   chan struct{} // closed once the loop first pulls
	bindOnce    sync.Once

	mu       sync.Mutex
	held     map[*job]struct{}
	lanes    map[string]*lane
	byVendor map[string]int
}

type job struct {
	msg   jetstream.Msg
	meta  *jetstream.MsgMetadata
	cmd   events.Command
	err   error // validation
	start time.Time
}

type lane struct {
	key   string
	queue []*job
}

// New returns a Loop.
func New(opts Options) *Loop {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 1
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
		opts:        opts,
		log:         opts.Logger,
		slots:       make(chan struct{}, opts.Concurrency),
		vendorShare: max(1, opts.Concurrency*3/4),
		laneDepth:   max(1, opts.Concurrency/4),
		held:        make(map[*job]struct{}),
		lanes:       make(map[string]*lane),
		byVendor:    make(map[string]int),
		firstBind:   make(chan struct{}),
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
		case l.slots <- struct{}{}:
		case <-ctx.Done():
			return nil
		}
		msg, err := it.Next()
		if err != nil {
			<-l.slots
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
		<-l.slots
		return
	}
	j := &job{msg: msg, meta: meta, start: time.Now()}
	j.cmd, j.err = events.DecodeCommand(msg.Subject(), msg.Data())
	l.wg.Add(1)
	if j.err != nil {
		l.track(j, true)
		go l.reject(j)
		return
	}
	vendor, key := j.cmd.Data.Vendor, j.cmd.LaneKey()
	final := l.opts.MaxDeliver > 0 && meta.NumDelivered >= uint64(l.opts.MaxDeliver)
	l.mu.Lock()
	ln := l.lanes[key]
	if !final && (l.byVendor[vendor] >= l.vendorShare || (ln != nil && len(ln.queue) >= l.laneDepth)) {
		l.mu.Unlock()
		l.park(j)
		return
	}
	l.byVendor[vendor]++
	l.held[j] = struct{}{}
	l.opts.Observer.ObserveInFlight(len(l.held))
	if ln != nil {
		ln.queue = append(ln.queue, j)
		l.mu.Unlock()
		return
	}
	ln = &lane{key: key, queue: []*job{j}}
	l.lanes[key] = ln
	l.mu.Unlock()
	go l.runLane(ln)
}

// park hands a command back for a little while; the delay grows with its
// deliveries so that a long backlog does not spin.
func (l *Loop) park(j *job) {
	delay := min(time.Duration(j.meta.NumDelivered)*500*time.Millisecond, 30*time.Second)
	_ = j.msg.NakWithDelay(delay)
	<-l.slots
	l.wg.Done()
}

func (l *Loop) track(j *job, add bool) {
	l.mu.Lock()
	if add {
		l.held[j] = struct{}{}
	} else {
		delete(l.held, j)
		if j.err == nil {
			l.byVendor[j.cmd.Data.Vendor]--
		}
	}
	n := len(l.held)
	l.mu.Unlock()
	l.opts.Observer.ObserveInFlight(n)
}

// runLane runs a lane's commands one by one until it is empty.
func (l *Loop) runLane(ln *lane) {
	for {
		l.mu.Lock()
		if len(ln.queue) == 0 {
			delete(l.lanes, ln.key)
			l.mu.Unlock()
			return
		}
		j := ln.queue[0]
		ln.queue = ln.queue[1:]
		l.mu.Unlock()
		l.process(j)
	}
}

func (l *Loop) process(j *job) {
	final := l.opts.MaxDeliver > 0 && j.meta.NumDelivered >= uint64(l.opts.MaxDeliver)
	reply, err := l.opts.Handler.Handle(l.work, handlers.Delivery{
		Command: j.cmd, Seq: j.meta.Sequence.Stream, Published: j.meta.Timestamp, Final: final,
	})
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
		l.track(j, false)
		<-l.slots
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
		msgs := make([]jetstream.Msg, 0, len(l.held))
		for j := range l.held {
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

package consumer

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/handlers"
)

// Options configure a Loop.
type Options struct {
	Consumer jetstream.Consumer
	JS       jetstream.JetStream
	Handler  *handlers.Handler
	// Concurrency is how many commands run at once (each waiting on its
	// vendor, or retrying, or doing its JetStream bookkeeping); 0 means
	// DefaultConcurrency. It is not what bounds a vendor's requests: each
	// vendor's own concurrency cap is.
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
	// Lifecycle schedules and cancels the expiries of time-bound seats;
	// nil for none.
	Lifecycle *Lifecycle
	// Heal re-creates whatever of the streams, buckets and consumer is
	// missing; nil for nothing.
	Heal func(context.Context) error
	// Progress is where the consumer's ack floor is recorded (see
	// progressKey); nil for nowhere.
	Progress jetstream.KeyValue
	// Schedules says the command stream takes message schedules: deferred
	// commands then leave the ack-pending set (see reschedule).
	Schedules bool
	// Rebind returns the consumer again after it stopped delivering (it is
	// created anew if it was deleted); nil keeps the old one.
	Rebind func(context.Context) (jetstream.Consumer, error)
}

// Observer is told how many commands the loop holds, of the outcomes it
// decides itself (invalid commands, internal errors) and why results fail
// to publish.
type Observer interface {
	ObserveInFlight(n int)
	ObserveCommand(commandType, vendor, outcome string, elapsed time.Duration)
	// ObservePublishFailure counts a failed attempt to publish a result,
	// by reason (stream_missing, stream_full, too_large, timeout, other).
	ObservePublishFailure(reason string)
}

// Loop pulls commands and runs them through the handler.
//
// Commands for one (vendor, account, user) form a lane and run one after
// another, in stream order; lanes run concurrently, at most Concurrency at
// once. No vendor runs more than three quarters of those slots (once a
// second vendor has been seen), so a vendor
// that is slow, rate limited or down cannot take them all: its commands wait
// in memory (up to three quarters of the window, all of it while no other
// vendor has been seen) while the other vendors'
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
	runner        *runner
	wg            sync.WaitGroup
	bound         atomic.Bool
	firstBind     chan struct{} // closed once the loop first pulls
	bindOnce      sync.Once
	health        health
	healMu        sync.Mutex
	healedAt      time.Time
	cur           atomic.Pointer[jetstream.Consumer]
	streamMu      sync.Mutex
	stream        jetstream.Stream // the command stream, once looked up

	mu       sync.Mutex
	jobs     map[*job]struct{}
	lanes    map[string]*lane
	vendors  map[string]*vendorQueue
	order    []string // vendors in first-seen order, for round robin
	next     int
	running  int
	stopping bool
}

// DefaultConcurrency is the running slots of a worker left at its
// defaults: enough that a vendor's own cap (up to 3/4 of it, 192 requests)
// is kept busy while other commands do their JetStream bookkeeping. A slot
// that waits costs a goroutine, not a connection.
const DefaultConcurrency = 256

// New returns a Loop.
func New(opts Options) *Loop {
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
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
	l.runner = newRunner(work)
	go l.heartbeat(work)
	go l.trackProgress(work)

	cons := l.opts.Consumer
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval, bo.MaxInterval, bo.MaxElapsedTime = 250*time.Millisecond, 10*time.Second, 0
	for {
		l.cur.Store(&cons)
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

// consumer is the consumer the loop pulls from, nil before it starts.
func (l *Loop) consumer() jetstream.Consumer {
	if c := l.cur.Load(); c != nil {
		return *c
	}
	return nil
}

// fetchWait bounds one pull request. While the worker is idle it asks
// again this often, and checks its consumer still exists.
const fetchWait = 5 * time.Second

// maxFetch bounds the commands asked for in one pull request.
const maxFetch = 256

// pull fetches commands until ctx ends (nil) or the consumer stops
// answering. It asks only for as many commands as the window can take at
// once, so that no command waits in a client buffer without the heartbeat
// keeping it alive (it would pass AckWait and be delivered again).
func (l *Loop) pull(ctx context.Context, cons jetstream.Consumer) error {
	if _, err := cons.Info(ctx); err != nil {
		return err
	}
	l.bound.Store(true)
	l.bindOnce.Do(func() { close(l.firstBind) })
	for {
		n := l.reserve(ctx)
		if n == 0 {
			return nil
		}
		fetchCtx, cancel := context.WithTimeout(ctx, fetchWait)
		batch, err := cons.Fetch(n, jetstream.FetchContext(fetchCtx))
		got := 0
		if err == nil {
			for msg := range batch.Messages() {
				got++
				l.dispatch(msg)
			}
			err = batch.Error()
		}
		cancel()
		l.unreserve(n - got)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, nats.ErrTimeout):
			return err
		case got == 0:
			// A deleted consumer can leave pull requests unanswered.
			if _, err := cons.Info(ctx); err != nil && ctx.Err() == nil {
				return err
			}
		}
	}
}

// reserve waits for room in the window and takes as much of it as there
// is, up to maxFetch; 0 when ctx ends first.
func (l *Loop) reserve(ctx context.Context) int {
	select {
	case l.held <- struct{}{}:
	case <-ctx.Done():
		return 0
	}
	n := 1
	for n < maxFetch {
		select {
		case l.held <- struct{}{}:
			n++
		default:
			return n
		}
	}
	return n
}

func (l *Loop) unreserve(n int) {
	for range n {
		<-l.held
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

func (nopObserver) ObserveInFlight(int)                                  {}
func (nopObserver) ObserveCommand(string, string, string, time.Duration) {}
func (nopObserver) ObservePublishFailure(string)                         {}

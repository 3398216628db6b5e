package consumer

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
	"github.com/seatkeeper/seatkeeper/internal/people"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// ServiceOptions configure a Service.
type ServiceOptions struct {
	Conn     *nats.Conn
	Settings Settings
	Vendors  handlers.Vendors
	Policy   vendors.RetryPolicy
	// PersonPolicy is the people policy; license.reclaim exempts the
	// people its reclaim.exempt matches. Nil for none.
	PersonPolicy *people.Policy
	// Owner names this worker in claims; unique per replica.
	Owner       string
	Concurrency int
	// Window is how many commands the worker holds at once; 0 means
	// 8 × Concurrency (see Loop).
	Window          int
	ShutdownTimeout time.Duration
	// PoolLow announces a pool running low (license.pool_low) when less
	// than this fraction of its seats is free; 0 turns it off.
	PoolLow float64
	// PoolLowInterval is the least time between two reads of one
	// account's pools for PoolLow.
	PoolLowInterval time.Duration
	Logger          *zap.Logger
	// Observer receives the handler's and the loop's observations; nil for
	// none.
	Observer interface {
		handlers.Observer
		Observer
	}

	// MaxClockSkew is how far ahead of the worker's clock a command's time
	// may be (handlers.Options.MaxClockSkew).
	MaxClockSkew time.Duration
}

// Service is a running worker: streams and buckets set up, the loop pulling.
type Service struct {
	Resources
	JS   jetstream.JetStream
	done chan struct{}
	err  error
	loop *Loop
}

// Start sets up the streams, consumer and buckets and starts the loop. The
// loop runs until ctx ends; Done is closed once it has shut down.
func Start(ctx context.Context, o ServiceOptions) (*Service, error) {
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	js, err := jetstream.New(o.Conn)
	if err != nil {
		return nil, err
	}
	setupCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	res, err := Setup(setupCtx, js, o.Settings)
	if err != nil {
		return nil, fmt.Errorf("set up JetStream: %w", err)
	}
	// The people bucket also caches the vendor user ids e-mails resolve to.
	peopleKV, err := PeopleBucket(setupCtx, js, o.Settings)
	if err != nil {
		return nil, fmt.Errorf("set up JetStream: %w", err)
	}
	var hobs handlers.Observer
	var lobs Observer
	if o.Observer != nil {
		hobs, lobs = o.Observer, o.Observer
	}
	h := handlers.New(handlers.Options{
		Store:    KVStore{KV: res.Commands},
		Ledger:   KVStore{KV: res.Ledger},
		Vendors:  o.Vendors,
		Policy:   o.Policy,
		Owner:    o.Owner,
		Lease:    o.Settings.AckWait,
		Observer: hobs,
		Logger:   o.Logger,

		Identities:   Identities{KV: peopleKV},
		MaxClockSkew: o.MaxClockSkew,
	})
	var pools *PoolWatch
	if o.PoolLow > 0 {
		pools = NewPoolWatch(ctx, o.Vendors, res.Pools, js, o.PoolLow, o.Logger)
		pools.Interval = o.PoolLowInterval
	}
	lc := NewLifecycle(js, res.Unschedulable, pools, o.Logger)
	lc.vendors, lc.ledger, lc.records = o.Vendors, res.Ledger, res.Commands
	lc.people, lc.peopleKV = o.PersonPolicy, peopleKV
	if res.Unschedulable != nil {
		o.Logger.Warn("time-bound seats unavailable: an assign with until fails", zap.Error(res.Unschedulable))
	}
	loop := New(Options{
		Consumer:        res.Consumer,
		JS:              js,
		Handler:         h,
		Concurrency:     o.Concurrency,
		Window:          o.Window,
		MaxDeliver:      o.Settings.MaxDeliver,
		AckWait:         o.Settings.AckWait,
		ShutdownTimeout: o.ShutdownTimeout,
		Logger:          o.Logger,
		Observer:        lobs,
		Lifecycle:       lc,
		Progress:        res.Commands,
		Schedules:       res.Schedules,
		Heal: func(ctx context.Context) error {
			r, err := Repair(ctx, js, o.Settings)
			if err == nil {
				lc.setUnavailable(r.Unschedulable)
			}
			return err
		},
		Rebind: func(ctx context.Context) (jetstream.Consumer, error) {
			ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			r, err := Repair(ctx, js, o.Settings)
			if err == nil {
				lc.setUnavailable(r.Unschedulable)
			}
			return r.Consumer, err
		},
	})
	s := &Service{Resources: res, JS: js, done: make(chan struct{}), loop: loop}
	go func() {
		defer close(s.done)
		s.err = loop.Run(ctx)
	}()
	select {
	case <-loop.FirstBind():
	case <-s.done:
	case <-setupCtx.Done():
		return nil, fmt.Errorf("bind consumer %s: %w", events.WorkerConsumer, setupCtx.Err())
	}
	return s, nil
}

// Bound reports whether the loop is pulling from the consumer.
func (s *Service) Bound() bool { return s.loop.Bound() }

// Problem names what keeps the worker from finishing commands (results
// that cannot be published), or is empty.
func (s *Service) Problem() string { return s.loop.Problem() }

// Done is closed when the loop has shut down.
func (s *Service) Done() <-chan struct{} { return s.done }

// Err is the loop's error once Done is closed.
func (s *Service) Err() error { return s.err }

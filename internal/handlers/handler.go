package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Vendors finds a configured vendor by name; *vendors.Registry is one.
type Vendors interface {
	Get(name string) (vendors.Vendor, error)
}

// Observer is told of every command outcome and every vendor retry; the
// worker's metrics implement it.
type Observer interface {
	ObserveCommand(commandType, vendor, outcome string, elapsed time.Duration)
	ObserveRetries(vendor string, n int)
	ObservePools(vendor, account string, pools []events.Pool)
}

// Delivery is one delivery of a validated command.
type Delivery struct {
	Command events.Command
	// Seq is the command's stream sequence; Published its stream time.
	Seq       uint64
	Published time.Time
	// Final is set on the last delivery JetStream will make: a transient
	// failure then ends as retries_exhausted instead of a deferral.
	Final bool
}

// Reply is a result ready to publish: Payload is the encoded CloudEvent,
// byte for byte what any replay of the same command publishes again.
type Reply struct {
	Subject  string
	ID       string
	Payload  []byte
	Replayed bool
}

// BusyError says another worker holds a live claim on the command; try again
// after Until.
type BusyError struct {
	Owner string
	Until time.Time
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("command claimed by %s until %s", e.Owner, e.Until.Format(time.RFC3339Nano))
}

// Options configure a Handler.
type Options struct {
	Store Store
	// Ledger is the ledger bucket; nil turns off ordering across replicas
	// (commands for one user are still ordered within this worker).
	Ledger  Store
	Vendors Vendors
	Policy  vendors.RetryPolicy
	// Owner names this worker in claims; it must differ between replicas.
	Owner string
	// Lease is how long a claim stays ours without renewal; it is renewed
	// every Lease/3 while the command is worked on.
	Lease    time.Duration
	Observer Observer
	Logger   *zap.Logger
}

// Handler processes commands.
type Handler struct {
	opts Options
	now  func() time.Time
}

// New returns a Handler.
func New(opts Options) *Handler {
	if opts.Lease <= 0 {
		opts.Lease = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	return &Handler{opts: opts, now: time.Now}
}

// storeTimeout bounds the final writes to the idempotency bucket.
const storeTimeout = 5 * time.Second

// Handle processes one delivery of a command. It returns the result to
// publish, or an error: a *vendors.Deferral or *BusyError (try again later),
// or a store failure.
func (h *Handler) Handle(ctx context.Context, d Delivery) (Reply, error) {
	start := h.now()
	cmd := d.Command
	c, err := h.claim(ctx, cmd.ID)
	if err != nil {
		return Reply{}, err
	}
	if c.rec.State == stateDone {
		h.opts.Observer.ObserveCommand(cmd.Type, cmd.Data.Vendor, "replayed", h.now().Sub(start))
		return Reply{Subject: c.rec.Subject, ID: events.ResultID(cmd.ID), Payload: c.rec.Result, Replayed: true}, nil
	}

	workCtx, stop := context.WithCancel(ctx)
	defer stop()
	renewed := make(chan error, 1)
	go func() { renewed <- c.keepAlive(workCtx, h, stop) }()

	res, attempts, err := h.execute(workCtx, d, c)
	res.Data.Attempts = c.rec.Attempts + attempts
	res.Data.DurationMS = h.now().Sub(start).Milliseconds()

	stop()
	if lost := <-renewed; lost != nil {
		return Reply{}, lost
	}
	// The bookkeeping below must happen even when ctx has just ended (a
	// shutdown deadline): a claim left behind would make the next worker
	// wait out its lease.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
	defer cancel()
	if err != nil {
		// Deferred, or the user is busy with another command: let the next
		// delivery, on any replica, start at once.
		c.rec.Attempts += attempts
		c.release(ctx, h)
		h.opts.Observer.ObserveCommand(cmd.Type, cmd.Data.Vendor, "deferred", h.now().Sub(start))
		return Reply{}, err
	}
	return h.finish(ctx, c, res, start)
}

// execute resolves the vendor and runs the command with retries, holding
// the user in the ledger while it changes anything. Permanent failures come
// back as a failed result, not as an error; the errors are a
// *vendors.Deferral, a *BusyError or a store failure.
func (h *Handler) execute(ctx context.Context, d Delivery, c *claim) (events.Result, int, error) {
	cmd := d.Command
	v, err := h.opts.Vendors.Get(cmd.Data.Vendor)
	if err != nil {
		return h.failure(cmd, d.Seq, err, 0), 0, nil
	}
	if cmd.Data.Account == "" {
		cmd.Data.Account = v.DefaultAccount()
		if cmd.Data.Account == "" {
			err := vendors.Errorf(vendors.ErrUnknownAccount, cmd.Data.Vendor, 0,
				"the command names no account and %s has no default account configured", cmd.Data.Vendor)
			return h.failure(cmd, d.Seq, err, 0), 0, nil
		}
	}
	at := commandTime(d)
	var lock *userLock
	if h.opts.Ledger != nil && cmd.Type != events.SubjectList && !cmd.Data.DryRun {
		l, skip, err := h.lockUser(ctx, cmd, at)
		if err != nil {
			return events.Result{}, 0, err
		}
		if skip {
			return h.retry(ctx, v, cmd, d, c.rec.FirstAttempt, superseded)
		}
		lock = l
		c.holdUser(l)
	}
	res, attempts, err := h.retry(ctx, v, cmd, d, c.rec.FirstAttempt, nil)
	if lock != nil {
		c.holdUser(nil)
		var applied []events.LicenseResult
		if err == nil && res.Data.Error == nil {
			applied = res.Data.Licenses
		}
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
		if uerr := lock.unlock(uctx, h, cmd, at, applied); uerr != nil {
			h.opts.Logger.Warn("release user in ledger failed; it frees when its lease ends",
				zap.String("command_id", cmd.ID), zap.Error(uerr))
		}
		cancel()
	}
	return res, attempts, err
}

// retry runs cmd at v with the retry policy. With skipped set, the command
// is not applied: the vendor is only read for what the user holds, and
// skipped builds the licenses part of the result.
func (h *Handler) retry(ctx context.Context, v vendors.Vendor, cmd events.Command, d Delivery, firstAttempt time.Time,
	skipped func(events.Command) events.ResultData) (events.Result, int, error) {
	var data events.ResultData
	attempts, err := h.opts.Policy.Retry(ctx, firstAttempt, func(ctx context.Context) error {
		if skipped != nil {
			held, err := v.List(ctx, cmd.Data.Account, cmd.Data.User)
			data = skipped(cmd)
			data.Held = events.Codes(held)
			return err
		}
		var err error
		data, err = run(ctx, v, cmd)
		return err
	})
	if attempts > 1 {
		h.opts.Observer.ObserveRetries(cmd.Data.Vendor, attempts-1)
	}
	var deferral *vendors.Deferral
	if errors.As(err, &deferral) && d.Final && ctx.Err() == nil {
		err = fmt.Errorf("%w: last delivery: %w", vendors.ErrRetriesExhausted, deferral.Err)
	} else if errors.As(err, &deferral) {
		return events.Result{}, attempts, err
	}
	if err != nil {
		return h.failure(cmd, d.Seq, err, attempts), attempts, nil
	}
	data.Account = cmd.Data.Account
	if data.Pools != nil {
		h.opts.Observer.ObservePools(cmd.Data.Vendor, cmd.Data.Account, data.Pools)
	}
	return events.NewResult(cmd, d.Seq, h.now(), data), attempts, nil
}

// run performs one attempt of cmd at v. A panic in the adapter comes back
// as a *PanicError, a permanent failure.
func run(ctx context.Context, v vendors.Vendor, cmd events.Command) (_ events.ResultData, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = recovered(p)
		}
	}()
	req := vendors.Request{Account: cmd.Data.Account, User: cmd.Data.User, Licenses: cmd.Data.Licenses, DryRun: cmd.Data.DryRun}
	switch {
	case cmd.Type == events.SubjectAssign:
		out, err := v.Assign(ctx, req)
		return events.ResultData{Licenses: out.Licenses, Held: events.Codes(out.Held)}, err
	case cmd.Type == events.SubjectRelease:
		out, err := v.Release(ctx, req)
		return events.ResultData{Licenses: out.Licenses, Held: events.Codes(out.Held)}, err
	case cmd.Data.User != "":
		held, err := v.List(ctx, req.Account, req.User)
		return events.ResultData{Held: events.Codes(held), Holdings: nonNil(held)}, err
	default:
		pools, err := v.Pools(ctx, req.Account)
		return events.ResultData{Pools: nonNil(pools)}, err
	}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// failure builds the license.failed result of cmd (with its account
// resolved, when it could be).
func (h *Handler) failure(cmd events.Command, seq uint64, err error, attempts int) events.Result {
	if p := (*PanicError)(nil); errors.As(err, &p) {
		return h.panicFailure(cmd, seq, p, attempts)
	}
	code := vendors.Code(err)
	retryable := code == events.CodeRetriesExhausted
	return events.NewFailure(cmd, seq, h.now(), "", events.Error{
		Code: code, Message: err.Error(), Retryable: retryable,
	}, attempts, 0)
}

// finish stores the result as the command's final record and returns it.
func (h *Handler) finish(ctx context.Context, c *claim, res events.Result, start time.Time) (Reply, error) {
	payload, err := json.Marshal(res)
	if err != nil {
		return Reply{}, fmt.Errorf("encode result: %w", err)
	}
	subject := res.Type
	c.rec = record{State: stateDone, FirstAttempt: c.rec.FirstAttempt, Attempts: res.Data.Attempts, Subject: subject, Result: payload}
	if err := c.save(ctx, h); err != nil {
		return Reply{}, err
	}
	outcome := "ok"
	if res.Data.Error != nil {
		outcome = res.Data.Error.Code
	}
	h.opts.Observer.ObserveCommand(res.Data.CommandType, res.Data.Vendor, outcome, h.now().Sub(start))
	return Reply{Subject: subject, ID: res.ID, Payload: payload}, nil
}

// Reject builds the license.failed result of a command that failed
// validation. cmd may be partly decoded; fallbackID names the result when the
// command carried no usable id.
func Reject(cmd events.Command, seq uint64, fallbackID string, verr *events.ValidationError, at time.Time) (Reply, error) {
	res := events.NewFailure(cmd, seq, at, fallbackID, events.Error{Code: verr.Code, Message: verr.Message}, 0, 0)
	payload, err := json.Marshal(res)
	if err != nil {
		return Reply{}, fmt.Errorf("encode result: %w", err)
	}
	return Reply{Subject: events.SubjectFailed, ID: res.ID, Payload: payload}, nil
}

type nopObserver struct{}

func (nopObserver) ObserveCommand(string, string, string, time.Duration) {}
func (nopObserver) ObserveRetries(string, int)                           {}
func (nopObserver) ObservePools(string, string, []events.Pool)           {}

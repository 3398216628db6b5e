package consumer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
	"github.com/seatkeeper/seatkeeper/internal/lifecycle"
	"github.com/seatkeeper/seatkeeper/internal/people"
)

// Lifecycle is the JetStream side of time-bound seats: it schedules the
// release of every seat an assign with until leaves the user holding, and
// cancels it when the seat is released earlier. Decisions come from the
// NATS-free lifecycle package.
type Lifecycle struct {
	js  jetstream.JetStream
	log *zap.Logger
	// pools watches for pools running low; nil for none.
	pools *PoolWatch
	// commands is the command stream's handle, looked up once: purges and
	// reads by subject need no fresh stream info.
	commands atomic.Pointer[jetstream.Stream]
	// vendors, ledger and records (the idempotency bucket) serve
	// license.reclaim.
	vendors handlers.Vendors
	ledger  jetstream.KeyValue
	records jetstream.KeyValue
	// people and peopleKV serve reclaim.exempt: the policy and the
	// bucket of person records and resolved user ids.
	people   *people.Policy
	peopleKV jetstream.KeyValue
	// unavailable is why the command stream cannot schedule; nil when it
	// can.
	unavailable atomic.Pointer[error]
}

// NewLifecycle returns a Lifecycle on js; unavailable says why the stream
// cannot schedule (nil when it can; see SetupScheduling).
func NewLifecycle(js jetstream.JetStream, unavailable error, pools *PoolWatch, log *zap.Logger) *Lifecycle {
	lc := &Lifecycle{js: js, log: log, pools: pools}
	lc.setUnavailable(unavailable)
	return lc
}

func (lc *Lifecycle) setUnavailable(err error) {
	if err == nil {
		lc.unavailable.Store(nil)
		return
	}
	lc.unavailable.Store(&err)
}

// Unavailable is why the command stream cannot schedule; nil when it can.
func (lc *Lifecycle) Unavailable() error {
	if p := lc.unavailable.Load(); p != nil {
		return *p
	}
	return nil
}

// SetupScheduling gives the command stream what scheduling needs: the
// schedule subjects, message schedules, and per-message TTLs (a schedule
// message is kept with "Nats-TTL: never", or the stream's MaxAge would
// delete a six-month expiry after a week). It returns why the stream
// cannot schedule, nil when it can; err only when the stream cannot be
// read at all.
func SetupScheduling(ctx context.Context, js jetstream.JetStream) (unavailable error, err error) {
	st, err := js.Stream(ctx, events.CommandStream)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", events.CommandStream, err)
	}
	cfg := st.CachedInfo().Config
	if canSchedule(cfg) {
		return nil, nil
	}
	if !slices.Contains(cfg.Subjects, events.ScheduleSubjects) {
		cfg.Subjects = append(cfg.Subjects, events.ScheduleSubjects)
	}
	cfg.AllowMsgSchedules, cfg.AllowMsgTTL, cfg.AllowRollup = true, true, true
	st, err = js.UpdateStream(ctx, cfg)
	if err != nil {
		return fmt.Errorf("data.until needs JetStream message scheduling (nats-server 2.12 or later), and stream %s refused it: %w", events.CommandStream, err), nil
	}
	if !canSchedule(st.CachedInfo().Config) {
		return fmt.Errorf("data.until needs JetStream message scheduling: stream %s does not allow message schedules and message TTLs (nats-server 2.12 or later needed)", events.CommandStream), nil
	}
	return nil, nil
}

func canSchedule(cfg jetstream.StreamConfig) bool {
	return cfg.AllowMsgSchedules && cfg.AllowMsgTTL && slices.Contains(cfg.Subjects, events.ScheduleSubjects)
}

// stream returns the command stream's handle.
func (lc *Lifecycle) stream(ctx context.Context) (jetstream.Stream, error) {
	if st := lc.commands.Load(); st != nil {
		return *st, nil
	}
	st, err := lc.js.Stream(ctx, events.CommandStream)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", events.CommandStream, err)
	}
	lc.commands.Store(&st)
	return st, nil
}

// admit refuses, before anything is assigned, a command that needs
// scheduling when the stream cannot schedule.
func (lc *Lifecycle) admit(cmd events.Command) error {
	if lc == nil || cmd.Data.Until.IsZero() {
		return nil
	}
	if err := lc.Unavailable(); err != nil {
		return &events.ValidationError{Code: events.CodeSchedulingUnavailable, Message: err.Error()}
	}
	return nil
}

// after acts on a command's result before the command is acked: an
// assign's expiries are scheduled, a release cancels the expiries of the
// seats it released. Until this succeeds the command is not acked, and its
// redelivery replays the result and does it again: a seat never stays out
// without its expiry. Assigns, releases and pool listings also have the
// account's pools watched for running low (without waiting for it).
func (lc *Lifecycle) after(ctx context.Context, d handlers.Delivery, r handlers.Reply) error {
	cmd := d.Command
	if lc == nil || r.Subject == events.SubjectFailed || cmd.Data.DryRun {
		return nil
	}
	watch := lc.pools != nil && cmd.Type != events.SubjectReclaim && (cmd.Type != events.SubjectList || cmd.Data.User == "")
	expiring := lc.Unavailable() == nil &&
		((cmd.Type == events.SubjectAssign && !cmd.Data.Until.IsZero()) || cmd.Type == events.SubjectRelease)
	if !watch && !expiring {
		return nil
	}
	var res events.Result
	if r.Result != nil {
		res = *r.Result
	} else if err := json.Unmarshal(r.Payload, &res); err != nil {
		return fmt.Errorf("read result of %s: %w", cmd.ID, err)
	}
	if watch {
		lc.pools.seen(res)
	}
	if !expiring {
		return nil
	}
	// The assign's place in the seat's order, as the handler sees it: its
	// time (the stream's when it has none), then its first stream sequence.
	from := lifecycle.Stamp{ID: cmd.ID, Time: cmd.Time, Seq: d.Seq}
	if from.Time.IsZero() {
		from.Time = d.Published
	}
	return lc.expiries(ctx, cmd, from, res, r.Unscheduled)
}

// expiries schedules the expiries an assign sets and cancels those a
// release ends, but for the seats unscheduled: the ledger showed none
// pending there (a purge of nothing is a JetStream request all the same).
func (lc *Lifecycle) expiries(ctx context.Context, cmd events.Command, from lifecycle.Stamp, res events.Result, unscheduled []string) error {
	set := lifecycle.Expiries(cmd, res, from)
	cancelled := slices.DeleteFunc(lifecycle.Cancelled(cmd, res), func(s lifecycle.Seat) bool {
		return slices.Contains(unscheduled, s.Code)
	})
	if len(set) == 0 && len(cancelled) == 0 {
		return nil // most releases: nothing scheduled, nothing to cancel
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, err := lc.stream(ctx)
	if err != nil {
		return err
	}
	for _, e := range set {
		if err := retrying(ctx, func() error { return lc.schedule(ctx, st, e) }); err != nil {
			return fmt.Errorf("schedule the expiry of %s: %w", e.Seat.Code, err)
		}
	}
	for _, seat := range cancelled {
		if err := retrying(ctx, func() error {
			return st.Purge(ctx, jetstream.WithPurgeSubject(seat.Subject()))
		}); err != nil {
			return fmt.Errorf("cancel the expiry of %s: %w", seat.Code, err)
		}
	}
	return nil
}

// schedule puts e on its seat's schedule subject, unless a newer assign
// has already set the seat's expiry (this one is a replay): compare and
// set on the subject's last sequence.
func (lc *Lifecycle) schedule(ctx context.Context, st jetstream.Stream, e lifecycle.Expiry) error {
	payload, err := json.Marshal(e.Release)
	if err != nil {
		return backoff.Permanent(err)
	}
	subject := e.Seat.Subject()
	for {
		var expect uint64
		last, err := st.GetLastMsgForSubject(ctx, subject)
		switch {
		case errors.Is(err, jetstream.ErrMsgNotFound):
		case err != nil:
			return err
		default:
			if old, ok := lifecycle.StampOf(last.Header.Get); ok && e.From.Before(old) {
				return nil
			}
			expect = last.Sequence
		}
		msg := nats.NewMsg(subject)
		msg.Data = payload
		msg.Header.Set(events.HeaderContentType, events.ContentType)
		msg.Header.Set(jetstream.MsgTTLHeader, "never")
		for k, v := range e.From.Header() {
			msg.Header.Set(k, v)
		}
		_, err = lc.js.PublishMsg(ctx, msg,
			jetstream.WithScheduleAt(lifecycle.DueAt(e.At)),
			jetstream.WithScheduleTarget(events.SubjectRelease),
			jetstream.WithExpectLastSequencePerSubject(expect))
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
			apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant) {
			continue // another replica wrote the seat's schedule meanwhile: look again
		}
		if errors.As(err, &apiErr) && apiErr.Code == 400 {
			return backoff.Permanent(err)
		}
		return err
	}
}

// retrying runs op with backoff until it succeeds, fails permanently or
// ctx ends.
func retrying(ctx context.Context, op func() error) error {
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval, bo.MaxInterval, bo.MaxElapsedTime = 50*time.Millisecond, 2*time.Second, 0
	return backoff.Retry(op, backoff.WithContext(bo, ctx))
}

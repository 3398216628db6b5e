package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// work runs a command whose id is free: it takes its user (when it
// changes one), calls the vendor with retries while the hold is provably
// its own, and records the outcome.
func (h *Handler) work(ctx context.Context, t *task) (Reply, error) {
	var acq acquisition
	if h.takesHold(t.cmd) {
		var err error
		acq, err = h.acquire(ctx, t)
		if errors.Is(err, errReplay) {
			return h.replayStored(ctx, t)
		}
		if err != nil {
			return Reply{}, err
		}
	}
	workCtx, stop := context.WithCancel(ctx)
	defer stop()
	var renewing sync.WaitGroup
	if acq.hold != nil {
		renewing.Add(1)
		go func() {
			defer renewing.Done()
			acq.hold.keepAlive(workCtx, stop)
		}()
	}
	res, attempts, err := h.execute(workCtx, t, acq)
	if err == nil && t.cachedUser {
		err = h.staleIdentity(ctx, t.cmd, res)
	}
	stop()
	renewing.Wait()
	res.Data.Attempts = t.rec.Attempts + attempts
	res.Data.DurationMS = h.clock.Now().Sub(t.start).Milliseconds()

	// The writes below must happen even if ctx has just ended; each path
	// makes its bookkeeping context when it has one to do.
	if acq.hold != nil && (errors.Is(err, ErrClaimLost) || err == nil && !acq.hold.valid() && h.confirm(ctx, acq.hold) != nil) {
		// Not ours any more: whoever holds the user now decides; this
		// delivery publishes nothing.
		h.opts.Observer.ObserveCommand(t.cmd.Type, t.cmd.Data.Vendor, "hold_lost", h.clock.Now().Sub(t.start))
		return Reply{}, ErrClaimLost
	}
	if err != nil {
		// Deferred, or cancelled by a shutdown: let the next delivery, on
		// any replica, start at once, with the attempts counted.
		bctx, cancel := bookkeeping(ctx)
		defer cancel()
		if acq.hold != nil {
			acq.hold.release(bctx)
		}
		t.rec.Attempts += attempts
		h.saveDeferred(bctx, t)
		h.opts.Observer.ObserveCommand(t.cmd.Type, t.cmd.Data.Vendor, "deferred", h.clock.Now().Sub(t.start))
		return Reply{}, err
	}
	if acq.hold != nil && t.cmd.Type == events.SubjectRelease {
		t.unscheduled = acq.hold.unscheduled(res.Data.Licenses)
	}
	reply, err := h.finish(ctx, t, res)
	switch {
	case err != nil || acq.hold == nil || reply.Replayed:
	case changedAnything(res):
		e, rev := acq.hold.written()
		h.remember(acq.hold.key, t.cmd.ID, res.Data.Licenses, e, rev)
	default:
		bctx, cancel := bookkeeping(ctx)
		defer cancel()
		acq.hold.release(bctx)
	}
	return reply, err
}

// confirm re-establishes hold before its holder commits (see
// userHold.confirm), even if ctx has just ended.
func (h *Handler) confirm(ctx context.Context, hold *userHold) error {
	bctx, cancel := bookkeeping(ctx)
	defer cancel()
	return hold.confirm(bctx)
}

// changedAnything reports whether res records a seat decided.
func changedAnything(res events.Result) bool {
	if res.Data.Error != nil {
		return false
	}
	return slices.ContainsFunc(res.Data.Licenses, func(l events.LicenseResult) bool {
		return l.Status != events.StatusSkippedSuperseded
	})
}

// execute calls the vendor for the seats of the command no newer command
// has changed; the others are reported skipped_superseded.
func (h *Handler) execute(ctx context.Context, t *task, acq acquisition) (events.Result, int, error) {
	cmd, v := t.cmd, t.v
	switch {
	case acq.whole:
		return h.retry(ctx, t, nil, func(ctx context.Context) (events.ResultData, error) {
			held, err := v.List(ctx, cmd.Data.Account, cmd.Data.User)
			codes := cmd.Data.Licenses
			if len(codes) == 0 {
				codes = acq.superseded
			}
			return events.ResultData{Licenses: skipped(codes), Held: events.Codes(held)}, err
		})
	case len(acq.superseded) == 0:
		return h.retry(ctx, t, acq.hold, func(ctx context.Context) (events.ResultData, error) { return run(ctx, v, cmd) })
	case len(cmd.Data.Licenses) == 0:
		// A release of everything, but some seats were changed by newer
		// commands: release what the user holds but those.
		return h.retry(ctx, t, acq.hold, func(ctx context.Context) (events.ResultData, error) {
			held, err := v.List(ctx, cmd.Data.Account, cmd.Data.User)
			if err != nil {
				return events.ResultData{}, err
			}
			rest := cmd
			rest.Data.Licenses = slices.DeleteFunc(events.Codes(held), func(c string) bool { return slices.Contains(acq.superseded, c) })
			data := events.ResultData{Held: events.Codes(held)}
			if len(rest.Data.Licenses) > 0 {
				if data, err = run(ctx, v, rest); err != nil {
					return data, err
				}
			}
			data.Licenses = append(data.Licenses, skipped(acq.superseded)...)
			return data, nil
		})
	default:
		rest := cmd
		rest.Data.Licenses = slices.DeleteFunc(slices.Clone(cmd.Data.Licenses), func(c string) bool { return slices.Contains(acq.superseded, c) })
		return h.retry(ctx, t, acq.hold, func(ctx context.Context) (events.ResultData, error) {
			data, err := run(ctx, v, rest)
			data.Licenses = inOrder(cmd.Data.Licenses, append(data.Licenses, skipped(acq.superseded)...))
			return data, err
		})
	}
}

// retry runs op with the retry policy. With hold set, no attempt starts
// once the hold cannot be shown to be ours (ErrClaimLost).
func (h *Handler) retry(ctx context.Context, t *task, hold *userHold,
	op func(context.Context) (events.ResultData, error)) (events.Result, int, error) {
	cmd := t.cmd
	var data events.ResultData
	attempts, err := h.opts.Policy.Retry(ctx, t.rec.FirstAttempt, func(ctx context.Context) error {
		if hold != nil && !hold.valid() {
			return ErrClaimLost
		}
		var err error
		data, err = op(ctx)
		return err
	})
	if attempts > 1 {
		h.opts.Observer.ObserveRetries(cmd.Data.Vendor, attempts-1)
	}
	if hold != nil && err != nil && (errors.Is(err, ErrClaimLost) || !hold.valid()) {
		return events.Result{}, attempts, ErrClaimLost
	}
	var deferral *vendors.Deferral
	if errors.As(err, &deferral) && t.d.Final && ctx.Err() == nil {
		err = fmt.Errorf("%w: last delivery: %w", vendors.ErrRetriesExhausted, deferral.Err)
	} else if errors.As(err, &deferral) {
		return events.Result{}, attempts, err
	}
	if err != nil {
		return h.failure(cmd, t.d.Seq, err, attempts), attempts, nil
	}
	data.Account = cmd.Data.Account
	if data.Pools != nil {
		h.opts.Observer.ObservePools(cmd.Data.Vendor, cmd.Data.Account, data.Pools)
	}
	return events.NewResult(cmd, t.d.Seq, h.clock.Now(), data), attempts, nil
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

// skipped reports codes skipped_superseded.
func skipped(codes []string) []events.LicenseResult {
	out := []events.LicenseResult{}
	for _, c := range codes {
		out = append(out, events.LicenseResult{Code: c, Status: events.StatusSkippedSuperseded})
	}
	return out
}

// inOrder sorts results in the order of the command's codes.
func inOrder(codes []string, results []events.LicenseResult) []events.LicenseResult {
	slices.SortStableFunc(results, func(a, b events.LicenseResult) int {
		return slices.Index(codes, a.Code) - slices.Index(codes, b.Code)
	})
	return results
}

// failure builds the license.failed result of cmd (with its account
// resolved, when it could be).
func (h *Handler) failure(cmd events.Command, seq uint64, err error, attempts int) events.Result {
	if p := (*PanicError)(nil); errors.As(err, &p) {
		return h.panicFailure(cmd, seq, p, attempts)
	}
	code := vendors.Code(err)
	retryable := code == events.CodeRetriesExhausted
	return events.NewFailure(cmd, seq, h.clock.Now(), "", events.Error{
		Code: code, Message: err.Error(), Retryable: retryable,
	}, attempts, 0)
}

// finish publishes the result (when the delivery publishes, see
// Delivery.Publish), then stores it as the command's record, marked
// published: one write. If another delivery stored a record first, that
// one stands and is replayed.
//
// Publishing first costs no guarantee. A worker that stops between the
// PubAck and the record leaves its hold without a result: the command's
// next delivery calls the vendor again (the call is idempotent) and
// publishes under the same result id, which the result stream drops as a
// duplicate within its window. Storing first would need a second write
// after the PubAck to tell a replay that the result is in the stream.
func (h *Handler) finish(ctx context.Context, t *task, res events.Result) (Reply, error) {
	payload, err := json.Marshal(res)
	if err != nil {
		return Reply{}, fmt.Errorf("encode result: %w", err)
	}
	reply := Reply{Subject: res.Type, ID: res.ID, Payload: payload, Result: &res, Unscheduled: t.unscheduled}
	rec := record{State: stateDone, Digest: t.digest, FirstAttempt: t.rec.FirstAttempt, Attempts: res.Data.Attempts,
		Subject: res.Type, Result: payload}
	var pubErr error
	if t.d.Publish != nil {
		pubErr = t.d.Publish(ctx, reply)
		rec.Published = pubErr == nil
	}
	bctx, cancel := bookkeeping(ctx)
	defer cancel()
	if err := h.saveRecord(bctx, t, rec); errors.Is(err, ErrExists) || errors.Is(err, ErrConflict) {
		return h.replayStored(bctx, t)
	} else if err != nil {
		return Reply{}, fmt.Errorf("store result of %s: %w", t.cmd.ID, err)
	}
	if pubErr != nil {
		// Stored unpublished: the next delivery publishes it.
		return Reply{}, pubErr
	}
	outcome := "ok"
	if res.Data.Error != nil {
		outcome = res.Data.Error.Code
	}
	h.opts.Observer.ObserveCommand(res.Data.CommandType, res.Data.Vendor, outcome, h.clock.Now().Sub(t.start))
	reply.Published = rec.Published
	reply.stored = &storedRecord{id: t.cmd.ID, rec: rec, rev: t.recRev}
	return reply, nil
}

// replayStored replays the record another delivery stored meanwhile.
func (h *Handler) replayStored(ctx context.Context, t *task) (Reply, error) {
	cur, rev, err := readRecord(ctx, h.opts.Store, t.cmd.ID)
	if err != nil {
		return Reply{}, fmt.Errorf("read record of %s: %w", t.cmd.ID, err)
	}
	t.recRev = rev
	if cur.Digest != "" && cur.Digest != t.digest {
		return h.conflict(t)
	}
	if cur.State != stateDone {
		return Reply{}, &BusyError{Owner: "another delivery", Until: h.clock.Now()}
	}
	return h.replay(t, cur), nil
}

// saveRecord writes rec with compare-and-set on the record read at the
// start (create when there was none).
func (h *Handler) saveRecord(ctx context.Context, t *task, rec record) error {
	b, err := rec.marshal()
	if err != nil {
		return err
	}
	key := CommandKey(t.cmd.ID)
	if t.recRev == 0 {
		t.recRev, err = h.opts.Store.Create(ctx, key, b)
	} else {
		t.recRev, err = h.opts.Store.Update(ctx, key, b, t.recRev)
	}
	return err
}

// saveDeferred records the attempts of a deferred command, so that its
// retry budget spans every delivery on every replica.
func (h *Handler) saveDeferred(ctx context.Context, t *task) {
	rec := t.rec
	rec.State, rec.Digest = stateDeferred, t.digest
	if err := h.saveRecord(ctx, t, rec); err != nil {
		h.opts.Logger.Warn("record a deferred command's attempts failed", zap.String("command_id", t.cmd.ID), zap.Error(err))
	}
}

// commandTime is when the fact behind cmd happened: its time attribute, or
// when it reached the stream.
func commandTime(d Delivery) time.Time {
	if !d.Command.Time.IsZero() {
		return d.Command.Time
	}
	return d.Published
}

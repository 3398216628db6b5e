package consumer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
)

// process runs one command through the handler, publishes its result and
// settles the message. handled is called once the handler has returned.
func (l *Loop) process(j *job, handled func()) {
	final := l.lastDelivery(j.meta)
	d := handlers.Delivery{Command: j.cmd, Seq: j.seq(), Published: j.published(), Final: final}
	reply, err := l.attempt(j, d, handled)
	// JetStream will not deliver a command again after its last delivery
	// (an operator set a finite MaxDeliver): whatever would hand it back (a
	// store outage, a busy user, a lost claim, a result that could not be
	// published) is retried here instead, for as long as the worker runs.
	for final && decide(err, time.Now()).action == nak && l.work.Err() == nil {
		wait := max(decide(err, time.Now()).delay, 100*time.Millisecond)
		l.log.Warn("last delivery: trying again in the worker", zap.String("command_id", j.cmd.ID),
			zap.Uint64("delivery", j.meta.NumDelivered), zap.Error(err), zap.Duration("retry_in", wait))
		if !sleep(l.work, wait) {
			break
		}
		reply, err = l.attempt(j, d, func() {})
	}
	l.settle(j, reply, err)
}

// attempt handles one try of a command and publishes its result. A new
// result is published by the handler, before it stores it (see
// handlers.Delivery.Publish): the running slot is given up first, since
// publishing and storing are JetStream round trips, not vendor work.
func (l *Loop) attempt(j *job, d handlers.Delivery, handled func()) (handlers.Reply, error) {
	d.Publish = func(ctx context.Context, reply handlers.Reply) error {
		handled()
		if err := l.opts.Lifecycle.after(ctx, d, reply); err != nil {
			return err
		}
		return l.publish(ctx, reply)
	}
	reply, err := l.handle(j, d)
	handled()
	var panicked *panicError
	if errors.As(err, &panicked) {
		l.opts.Observer.ObserveCommand(j.cmd.Type, j.cmd.Data.Vendor, events.CodeInternalError, time.Since(j.start))
		reply, err = internalFailure(j)
	}
	if err != nil {
		return reply, err
	}
	if reply.Published && !reply.Replayed {
		return reply, nil // published by the handler, then stored
	}
	if err = l.opts.Lifecycle.after(l.work, d, reply); err != nil {
		return reply, err
	}
	return l.deliver(j, reply)
}

// deliver publishes a result not yet published, and marks its record
// published if it has one (a replay of a result stored unpublished, an
// invalid command's rejection); a result already published is announced to
// subscribers only.
func (l *Loop) deliver(j *job, reply handlers.Reply) (handlers.Reply, error) {
	if reply.Published {
		// A replay of a result already in the stream adds no copy; a
		// client waiting for it (publish --wait) still hears it.
		l.announce(reply)
		return reply, nil
	}
	if err := l.publish(l.work, reply); err != nil {
		return reply, err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(l.work), 5*time.Second)
	defer cancel()
	if merr := l.opts.Handler.MarkPublished(ctx, reply); merr != nil {
		// The result is stored; only a replay past the duplicate window
		// would add a copy.
		l.log.Warn("mark result published", zap.String("command_id", j.cmd.ID), zap.Error(merr))
	}
	return reply, nil
}

// internalFailure is the result of a command whose handling panicked
// outside a vendor call (a panic in a vendor call is the handler's to
// answer, and it is stored like any result).
func internalFailure(j *job) (handlers.Reply, error) {
	res := events.NewFailure(j.cmd, j.seq(), time.Now(), "", events.Error{
		Code:    events.CodeInternalError,
		Message: "the worker failed while handling this command (a bug); the worker's log has the details",
	}, 0, 0)
	payload, err := json.Marshal(res)
	if err != nil {
		return handlers.Reply{}, fmt.Errorf("encode result: %w", err)
	}
	return handlers.Reply{Subject: res.Type, ID: res.ID, Payload: payload}, nil
}

// lastDelivery reports whether JetStream will not deliver this message
// again (it has reached MaxDeliver).
func (l *Loop) lastDelivery(meta *jetstream.MsgMetadata) bool {
	return l.opts.MaxDeliver > 0 && meta.NumDelivered >= uint64(l.opts.MaxDeliver)
}

// handle runs the handler, turning a panic (a bug, in an adapter say) into a
// *panicError so that one bad command cannot crash the worker.
func (l *Loop) handle(j *job, d handlers.Delivery) (reply handlers.Reply, err error) {
	defer func() {
		if p := recover(); p != nil {
			l.log.Error("command handler panicked", zap.String("command_id", d.Command.ID),
				zap.Uint64("stream_seq", j.meta.Sequence.Stream), zap.Any("panic", p), zap.Stack("stack"))
			err = &panicError{value: fmt.Sprint(p)}
		}
	}()
	if d.Command.Type == events.SubjectReclaim && l.opts.Lifecycle != nil {
		return l.opts.Lifecycle.reclaim(l.work, d)
	}
	return l.opts.Handler.Handle(l.work, d)
}

// reject answers an invalid command through its idempotency record,
// publishes the answer and terminates the command.
func (l *Loop) reject(j *job) {
	var verr *events.ValidationError
	errors.As(j.err, &verr)
	l.opts.Observer.ObserveCommand(j.msg.Subject(), vendorLabel(j.cmd.Data.Vendor), verr.Code, time.Since(j.start))
	reply, err := l.opts.Handler.RejectRecorded(l.work, j.cmd, j.seq(), fallbackID(j.meta), verr)
	if err == nil {
		reply, err = l.deliver(j, reply)
	}
	if err == nil {
		err = j.err // published: now decide on the validation error (term)
	}
	l.settle(j, reply, err)
}

// vendorLabel is the vendor as metrics name it: an unknown name becomes
// "unknown", so that a stream of bad commands cannot grow the label set.
func vendorLabel(v string) string {
	if events.KnownVendor(v) {
		return v
	}
	return "unknown"
}

// fallbackID names the result of a command too broken to carry an id.
func fallbackID(meta *jetstream.MsgMetadata) string {
	return "invalid-" + meta.Stream + "-" + uitoa(meta.Sequence.Stream)
}

// putOff brings the command back after delay through a schedule and acks
// this delivery (a plain ack, see ack: were it lost, the redelivery and the
// scheduled copy are one command id, which its record and hold keep to
// one run); without schedules, or if the schedule cannot be stored, it
// naks with the delay instead (the command then waits ack-pending).
// It reports whether the delivery was acked.
func (l *Loop) putOff(j *job, err error, delay time.Duration) (bool, error) {
	if l.opts.Schedules {
		parked := 0
		if errors.Is(err, errParked) {
			parked = j.parked() + 1
		}
		serr := l.reschedule(l.work, j, time.Now().Add(delay), parked)
		if serr == nil {
			return true, l.ack(j)
		}
		l.log.Warn("schedule deferred command; handing it back instead", zap.String("command_id", j.cmd.ID), zap.Error(serr))
	}
	return false, j.msg.NakWithDelay(delay)
}

// ack acks a delivery whose command is settled (its result published and
// stored) or put off (its schedule stored). A plain ack is enough: were it
// lost, the redelivery would find the record and replay it (announced
// once, see Reply.Published), or run beside the scheduled copy under the
// same command id. A scheduled copy is
// deleted after its ack, so that ack is confirmed first (DoubleAck): a
// copy deleted while its ack is still in doubt would be neither
// redelivered nor settled.
func (l *Loop) ack(j *job) error {
	if j.fromSchedule() {
		return j.msg.DoubleAck(l.work)
	}
	return j.msg.Ack()
}

// settle acks, naks or terminates the command and logs its outcome once.
func (l *Loop) settle(j *job, reply handlers.Reply, err error) {
	defer func() {
		l.untrack(j)
		<-l.held
		l.wg.Done()
	}()
	d := decide(err, time.Now())
	if d.action == nak && d.delay == storeRetryDelay {
		// A store failure: the bucket may be gone.
		l.heal(l.work)
	}
	var ackErr error
	done := false // the delivery is acked or terminated
	switch d.action {
	case ack:
		ackErr, done = l.ack(j), true
	case term:
		ackErr, done = j.msg.TermWithReason(d.reason), true
	case later:
		done, ackErr = l.putOff(j, err, d.delay)
	case nak:
		if d.delay > 0 {
			ackErr = j.msg.NakWithDelay(d.delay)
		} else {
			ackErr = j.msg.Nak()
		}
	}
	if done && ackErr == nil {
		l.dropCopy(j)
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
	if d.action == ack || d.action == term {
		fields = append(fields, zap.String("outcome", reply.Subject), zap.Bool("replayed", reply.Replayed))
	}
	if reply.Subject == events.SubjectFailed {
		var res struct {
			Data struct{ Error *events.Error } `json:"data"`
		}
		if json.Unmarshal(reply.Payload, &res) == nil && res.Data.Error != nil {
			// Result messages never carry a secret (the adapters see to
			// it), so the log may repeat them.
			fields = append(fields, zap.String("error_code", res.Data.Error.Code), zap.String("error_message", res.Data.Error.Message))
		}
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

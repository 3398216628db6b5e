package consumer

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
)

// process runs one command through the handler, publishes its result and
// settles the message.
func (l *Loop) process(j *job) {
	final := l.lastDelivery(j.meta)
	d := handlers.Delivery{Command: j.cmd, Seq: j.meta.Sequence.Stream, Published: j.meta.Timestamp, Final: final}
	reply, err := l.handle(j, d)
	// JetStream will not deliver a command again after its last delivery:
	// if another command holds it or its user, wait here instead of handing
	// it back to be lost.
	var busy *handlers.BusyError
	for final && errors.As(err, &busy) && l.work.Err() == nil {
		if !sleep(l.work, decide(err, time.Now()).delay) {
			break
		}
		reply, err = l.handle(j, d)
	}
	if err == nil {
		err = l.opts.Lifecycle.after(l.work, j.cmd, j.meta.Sequence.Stream, reply)
	}
	if err == nil {
		err = l.publish(l.work, reply)
	}
	l.settle(j, reply, err)
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
			err = &panicError{value: fmt.Sprint(p), final: d.Final}
		}
	}()
	return l.opts.Handler.Handle(l.work, d)
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
		ackErr = j.msg.TermWithReason(d.reason)
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

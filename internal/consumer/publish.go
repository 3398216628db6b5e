package consumer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
)

// resultPublishBound is how long one delivery of a command tries to publish
// its result. Past it the command is handed back (resultRetryDelay) and its
// user's other commands go on: none waits longer than this for it.
const resultPublishBound = 10 * time.Second

// publishAttemptTimeout bounds one attempt to publish a result.
const publishAttemptTimeout = 2 * time.Second

// errResultNotPublished is a result that could not be published within
// resultPublishBound.
var errResultNotPublished = errors.New("result not published")

// publish publishes a result and waits for its PubAck, retrying (NATS
// unreachable, a stream leader election, a stream an operator deleted or
// filled) for at most resultPublishBound. The result id is the Nats-Msg-Id,
// so a retry that did reach the stream is deduplicated. Each failure is
// reported (readiness, metrics, log) with its cause.
func (l *Loop) publish(ctx context.Context, r handlers.Reply) error {
	msg := &nats.Msg{
		Subject: r.Subject,
		Data:    r.Payload,
		Header:  nats.Header{events.HeaderContentType: []string{events.ContentType}},
	}
	deadline := time.Now().Add(resultPublishBound)
	// Nearly every result lands on its first attempt: the retry machinery
	// is set up only once one has failed.
	err := l.publishOnce(ctx, msg, r.ID)
	if err == nil {
		l.health.resultPublished()
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err() // shutting down
	}
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = 50 * time.Millisecond
	bo.MaxInterval = 2 * time.Second
	bo.MaxElapsedTime = 0
	wait := bo.NextBackOff()
	l.publishFailed(ctx, r, err, wait)
	bounded, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	last := err
	sleep(bounded, wait)
	err = backoff.RetryNotify(func() error {
		err := l.publishOnce(bounded, msg, r.ID)
		if err != nil && bounded.Err() == nil {
			last = err
		}
		return err
	}, backoff.WithContext(bo, bounded), func(err error, wait time.Duration) { l.publishFailed(ctx, r, err, wait) })
	switch {
	case err == nil:
		l.health.resultPublished()
		return nil
	case ctx.Err() != nil:
		return ctx.Err() // shutting down
	}
	return fmt.Errorf("%w to %s within %s: %w", errResultNotPublished, events.EventStream, resultPublishBound, last)
}

// publishOnce makes one attempt to publish a result. A subscriber on the
// result subject (publish --wait) keeps NATS from answering "no
// responders" when the stream is gone: only a missing PubAck tells, so
// each attempt has its own deadline.
func (l *Loop) publishOnce(ctx context.Context, msg *nats.Msg, id string) error {
	actx, cancel := context.WithTimeout(ctx, publishAttemptTimeout)
	defer cancel()
	_, err := l.opts.JS.PublishMsg(actx, msg, jetstream.WithMsgID(id))
	return err
}

// publishFailed reports a failed attempt to publish a result: readiness,
// metrics and log name its cause; a missing stream or a timeout has the
// worker look for what to re-create.
func (l *Loop) publishFailed(ctx context.Context, r handlers.Reply, err error, wait time.Duration) {
	reason := publishFailure(err)
	l.health.resultFailed(reason, err)
	l.opts.Observer.ObservePublishFailure(reason)
	l.log.Warn("publish result; retrying", zap.String("result_id", r.ID), zap.String("reason", reason),
		zap.Error(err), zap.Duration("retry_in", wait))
	if reason == reasonStreamMissing || reason == reasonTimeout {
		l.heal(ctx)
	}
}

// notStored names no stream: a message that expects it is refused by every
// stream and reaches only core subscribers.
const notStored = "seatkeeper-replay-not-stored"

// announce sends a result that is already in the result stream to the
// subscribers of its subject only: it expects a stream that does not
// exist, so LICENSE_EVENTS refuses to store a second copy.
func (l *Loop) announce(r handlers.Reply) {
	msg := &nats.Msg{
		Subject: r.Subject,
		Data:    r.Payload,
		Header: nats.Header{
			events.HeaderContentType:       []string{events.ContentType},
			jetstream.ExpectedStreamHeader: []string{notStored},
		},
	}
	if err := l.opts.JS.Conn().PublishMsg(msg); err != nil {
		l.log.Warn("announce replayed result", zap.String("result_id", r.ID), zap.Error(err))
	}
}

// Reasons a result could not be published, as metrics and readiness name
// them.
const (
	reasonStreamMissing = "stream_missing"
	reasonStreamFull    = "stream_full"
	reasonTooLarge      = "too_large"
	reasonTimeout       = "timeout"
	reasonOther         = "other"
)

// publishFailure names why a publish failed.
func publishFailure(err error) string {
	var apiErr *jetstream.APIError
	msg := strings.ToLower(err.Error())
	switch {
	case errors.Is(err, jetstream.ErrNoStreamResponse), errors.Is(err, nats.ErrNoResponders),
		errors.Is(err, jetstream.ErrStreamNotFound):
		return reasonStreamMissing
	case errors.Is(err, nats.ErrMaxPayload), strings.Contains(msg, "message size exceeds"):
		return reasonTooLarge
	case strings.Contains(msg, "maximum messages"), strings.Contains(msg, "maximum bytes"),
		strings.Contains(msg, "resource limits exceeded"):
		return reasonStreamFull
	case errors.As(err, &apiErr):
		return reasonOther
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout):
		return reasonTimeout
	}
	return reasonOther
}

func uitoa(n uint64) string { return strconv.FormatUint(n, 10) }

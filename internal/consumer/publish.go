package consumer

import (
	"context"
	"strconv"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
)

// publish publishes a result and waits for its PubAck, retrying (NATS
// unreachable, a stream leader election) until ctx ends. The result id is
// the Nats-Msg-Id, so a retry that did reach the stream is deduplicated.
func (l *Loop) publish(ctx context.Context, r handlers.Reply) error {
	msg := &nats.Msg{
		Subject: r.Subject,
		Data:    r.Payload,
		Header:  nats.Header{events.HeaderContentType: []string{events.ContentType}},
	}
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = 50 * time.Millisecond
	bo.MaxInterval = 2 * time.Second
	bo.MaxElapsedTime = 0
	return backoff.RetryNotify(func() error {
		_, err := l.opts.JS.PublishMsg(ctx, msg, jetstream.WithMsgID(r.ID))
		return err
	}, backoff.WithContext(bo, ctx), func(err error, wait time.Duration) {
		l.log.Warn("publish result; retrying", zap.String("result_id", r.ID), zap.Error(err), zap.Duration("retry_in", wait))
	})
}

func uitoa(n uint64) string { return strconv.FormatUint(n, 10) }

package consumer

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// progressKey holds, in the idempotency bucket, the stream sequence up to
// which every command was settled (the consumer's ack floor), so that a
// consumer created again starts there and not at the start of the stream.
const progressKey = "progress." + events.WorkerConsumer

// progressEvery is how often the ack floor is recorded. A re-created
// consumer replays at most what was settled since; those commands replay
// their stored results, which are marked published, so none is published
// twice.
const progressEvery = 5 * time.Second

// consumerConfig is the durable consumer's configuration, delivering from
// the start of the stream.
func consumerConfig(s Settings) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:        events.WorkerConsumer,
		Description:    "seatkeeper workers",
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        s.AckWait,
		MaxAckPending:  s.MaxAckPending,
		MaxDeliver:     s.MaxDeliver,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		FilterSubjects: events.CommandSubjects,
	}
}

// ensureConsumer updates the durable consumer, or creates it to start after
// the recorded progress.
func ensureConsumer(ctx context.Context, js jetstream.JetStream, s Settings, kv jetstream.KeyValue) (jetstream.Consumer, error) {
	want := consumerConfig(s)
	c, err := js.Consumer(ctx, events.CommandStream, events.WorkerConsumer)
	if err == nil {
		// Where a consumer starts cannot change once it exists.
		have := c.CachedInfo().Config
		want.DeliverPolicy, want.OptStartSeq, want.OptStartTime = have.DeliverPolicy, have.OptStartSeq, have.OptStartTime
		return js.UpdateConsumer(ctx, events.CommandStream, want)
	}
	if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, err
	}
	if floor := readProgress(ctx, kv); floor > 0 {
		want.DeliverPolicy, want.OptStartSeq = jetstream.DeliverByStartSequencePolicy, floor+1
	}
	c, err = js.CreateConsumer(ctx, events.CommandStream, want)
	if errors.Is(err, jetstream.ErrConsumerExists) {
		// Another replica made it first.
		return js.Consumer(ctx, events.CommandStream, events.WorkerConsumer)
	}
	return c, err
}

func readProgress(ctx context.Context, kv jetstream.KeyValue) uint64 {
	e, err := kv.Get(ctx, progressKey)
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(string(e.Value()), 10, 64)
	return n
}

// trackProgress records the consumer's ack floor every progressEvery until
// ctx ends.
func (l *Loop) trackProgress(ctx context.Context) {
	if l.opts.Progress == nil {
		return
	}
	t := time.NewTicker(progressEvery)
	defer t.Stop()
	var last uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cons := l.consumer()
		if cons == nil {
			continue
		}
		info, err := cons.Info(ctx)
		if err != nil || info.AckFloor.Stream <= last {
			continue
		}
		if _, err := l.opts.Progress.Put(ctx, progressKey, []byte(uitoa(info.AckFloor.Stream))); err != nil {
			l.log.Warn("record progress", zap.Error(err))
			continue
		}
		last = info.AckFloor.Stream
	}
}

package consumer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// Settings size the streams, the consumer and the buckets.
type Settings struct {
	Replicas      int
	CommandMaxAge time.Duration
	EventMaxAge   time.Duration
	// DedupWindow is both streams' duplicate window.
	DedupWindow time.Duration
	// CommandTTL is how long a command id is remembered (the idempotency
	// bucket's TTL).
	CommandTTL time.Duration
	AckWait    time.Duration
	// MaxAckPending bounds delivered-but-unacked commands. Commands deferred
	// with NakWithDelay stay pending, so it must leave room for a failing
	// vendor's backlog beyond the pool's own window.
	MaxAckPending int
	MaxDeliver    int
	// Storage is file unless a test asks for memory.
	Storage jetstream.StorageType
}

// DefaultSettings returns the settings of docs/design.md §2 for a pool of
// concurrency handlers.
func DefaultSettings(concurrency int) Settings {
	return Settings{
		Replicas:      1,
		CommandMaxAge: 7 * 24 * time.Hour,
		EventMaxAge:   365 * 24 * time.Hour,
		DedupWindow:   2 * time.Minute,
		CommandTTL:    30 * 24 * time.Hour,
		AckWait:       30 * time.Second,
		MaxAckPending: max(1000, 16*concurrency),
		MaxDeliver:    1000,
		Storage:       jetstream.FileStorage,
	}
}

// Resources are what Setup created or found.
type Resources struct {
	Consumer jetstream.Consumer
	Commands jetstream.KeyValue
	Ledger   jetstream.KeyValue
	// Pools remembers which pools are running low.
	Pools jetstream.KeyValue
	// Unschedulable is why the command stream cannot schedule releases
	// (time-bound seats); nil when it can.
	Unschedulable error
}

// Setup creates or updates the streams, the durable consumer and both
// buckets. A stream an operator created beforehand is kept with its own
// limits as long as it carries seatkeeper's subjects; otherwise Setup fails
// with an error naming the conflict.
func Setup(ctx context.Context, js jetstream.JetStream, s Settings) (Resources, error) {
	var r Resources
	if err := ensureStream(ctx, js, jetstream.StreamConfig{
		Name:        events.CommandStream,
		Description: "seatkeeper license commands",
		Subjects:    events.CommandSubjects,
		Storage:     s.Storage,
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      s.CommandMaxAge,
		Duplicates:  s.DedupWindow,
		Replicas:    s.Replicas,
	}); err != nil {
		return r, err
	}
	var err error
	if r.Unschedulable, err = SetupScheduling(ctx, js); err != nil {
		return r, err
	}
	if err := ensureStream(ctx, js, jetstream.StreamConfig{
		Name:        events.EventStream,
		Description: "seatkeeper license results: the audit trail",
		Subjects:    events.ResultSubjects,
		Storage:     s.Storage,
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      s.EventMaxAge,
		Duplicates:  s.DedupWindow,
		Replicas:    s.Replicas,
	}); err != nil {
		return r, err
	}
	if r.Pools, err = setupLifecycleEvents(ctx, js, s); err != nil {
		return r, err
	}
	r.Consumer, err = js.CreateOrUpdateConsumer(ctx, events.CommandStream, jetstream.ConsumerConfig{
		Durable:       events.WorkerConsumer,
		Description:   "seatkeeper workers",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.AckWait,
		MaxAckPending: s.MaxAckPending,
		MaxDeliver:    s.MaxDeliver,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		// Never the schedule subjects: a scheduled release reaches the
		// worker when JetStream publishes it on license.release.
		FilterSubjects: events.CommandSubjects,
	})
	if err != nil {
		return r, fmt.Errorf("consumer %s: %w", events.WorkerConsumer, err)
	}
	if r.Commands, err = ensureBucket(ctx, js, events.CommandBucket, "seatkeeper command ids and their results", s.CommandTTL, s); err != nil {
		return r, err
	}
	if r.Ledger, err = ensureBucket(ctx, js, events.LedgerBucket, "seatkeeper assignments per user", 0, s); err != nil {
		return r, err
	}
	return r, nil
}

func ensureStream(ctx context.Context, js jetstream.JetStream, want jetstream.StreamConfig) error {
	st, err := js.Stream(ctx, want.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		if _, err := js.CreateStream(ctx, want); err != nil {
			return fmt.Errorf("create stream %s: %w", want.Name, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("stream %s: %w", want.Name, err)
	}
	have := st.CachedInfo().Config
	for _, subj := range want.Subjects {
		if !slices.Contains(have.Subjects, subj) {
			return fmt.Errorf("stream %s exists without subject %s (it has %v): add the subject or remove the stream", want.Name, subj, have.Subjects)
		}
	}
	if have.Retention != jetstream.LimitsPolicy {
		return fmt.Errorf("stream %s exists with %s retention: seatkeeper needs limits retention", want.Name, have.Retention)
	}
	return nil
}

func ensureBucket(ctx context.Context, js jetstream.JetStream, name, desc string, ttl time.Duration, s Settings) (jetstream.KeyValue, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      name,
		Description: desc,
		History:     1,
		TTL:         ttl,
		Storage:     s.Storage,
		Replicas:    s.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", name, err)
	}
	return kv, nil
}

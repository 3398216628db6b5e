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
	// MaxAckPending bounds delivered-but-unacked commands: the worker's
	// window, and commands handed back for a moment (a busy user, a store
	// or publish failure). Deferred commands wait in schedules instead.
	MaxAckPending int
	// MaxDeliver is unlimited (-1): the retry budget, not a delivery
	// count, ends a command. An operator may set one; a command's last
	// delivery then keeps it in the worker until it has a result.
	MaxDeliver int
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
		MaxDeliver:    -1,
		Storage:       jetstream.FileStorage,
	}
}

// Resources are what Setup created or found.
type Resources struct {
	Consumer jetstream.Consumer
	Commands jetstream.KeyValue
	Ledger   jetstream.KeyValue
	// Schedules reports whether the command stream takes message
	// schedules (nats-server 2.12 and later).
	Schedules bool
	// Pools remembers which pools are running low.
	Pools jetstream.KeyValue
	// Unschedulable is why the command stream cannot schedule the
	// releases of time-bound seats; nil when it can.
	Unschedulable error
}

// Setup creates or updates the streams, the durable consumer and both
// buckets. A stream an operator created beforehand is kept with its own
// limits as long as it carries seatkeeper's subjects; otherwise Setup fails
// with an error naming the conflict.
func Setup(ctx context.Context, js jetstream.JetStream, s Settings) (Resources, error) {
	return setup(ctx, js, s, true)
}

// Repair creates whatever of the streams, buckets and consumer is missing,
// as Setup does, and leaves those that exist as they are: a worker that
// finds one gone while it runs puts it back without undoing an operator's
// changes to the others.
func Repair(ctx context.Context, js jetstream.JetStream, s Settings) (Resources, error) {
	return setup(ctx, js, s, false)
}

func setup(ctx context.Context, js jetstream.JetStream, s Settings, update bool) (Resources, error) {
	var r Resources
	cmds, err := ensureStream(ctx, js, jetstream.StreamConfig{
		Name:              events.CommandStream,
		Description:       "seatkeeper license commands",
		Subjects:          append(slices.Clone(events.CommandSubjects), ScheduleSubjects),
		Storage:           s.Storage,
		Retention:         jetstream.LimitsPolicy,
		MaxAge:            s.CommandMaxAge,
		Duplicates:        s.DedupWindow,
		Replicas:          s.Replicas,
		AllowMsgSchedules: true,
	})
	if err != nil {
		return r, err
	}
	r.Schedules = cmds.AllowMsgSchedules
	if r.Unschedulable, err = SetupScheduling(ctx, js); err != nil {
		return r, err
	}
	if _, err := ensureStream(ctx, js, jetstream.StreamConfig{
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
	// Results of later features go to the same stream: a stream created
	// before them, or by an operator, gets their subjects added.
	if err := addSubjects(ctx, js, events.EventStream, slices.Concat(events.LifecycleSubjects, events.PersonResultSubjects)); err != nil {
		return r, err
	}
	if r.Pools, err = ensureBucket(ctx, js, events.PoolBucket, "seatkeeper pools running low", 0, s, update); err != nil {
		return r, err
	}
	if r.Commands, err = ensureBucket(ctx, js, events.CommandBucket, "seatkeeper command ids and their results", s.CommandTTL, s, update); err != nil {
		return r, err
	}
	if r.Ledger, err = ensureBucket(ctx, js, events.LedgerBucket, "seatkeeper assignments per user", 0, s, update); err != nil {
		return r, err
	}
	if r.Consumer, err = ensureConsumer(ctx, js, s, r.Commands, update); err != nil {
		return r, fmt.Errorf("consumer %s: %w", events.WorkerConsumer, err)
	}
	return r, nil
}

// ensureStream creates the stream, or checks an existing one and adds what
// seatkeeper added since it was made (schedule subjects, schedules). It
// returns the stream's configuration.
func ensureStream(ctx context.Context, js jetstream.JetStream, want jetstream.StreamConfig) (jetstream.StreamConfig, error) {
	st, err := js.Stream(ctx, want.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		st, err := js.CreateStream(ctx, want)
		if err != nil {
			return want, fmt.Errorf("create stream %s: %w", want.Name, err)
		}
		return st.CachedInfo().Config, nil
	}
	if err != nil {
		return want, fmt.Errorf("stream %s: %w", want.Name, err)
	}
	have := st.CachedInfo().Config
	for _, subj := range want.Subjects {
		// The schedule subjects and license.reclaim are added below to a
		// stream an older seatkeeper created.
		if subj != ScheduleSubjects && subj != events.SubjectReclaim && !slices.Contains(have.Subjects, subj) {
			return have, fmt.Errorf("stream %s exists without subject %s (it has %v): add the subject or remove the stream", want.Name, subj, have.Subjects)
		}
	}
	if have.Retention != jetstream.LimitsPolicy {
		return have, fmt.Errorf("stream %s exists with %s retention: seatkeeper needs limits retention", want.Name, have.Retention)
	}
	if slices.Contains(want.Subjects, events.SubjectReclaim) && !slices.Contains(have.Subjects, events.SubjectReclaim) {
		upd := have
		upd.Subjects = append(slices.Clone(upd.Subjects), events.SubjectReclaim)
		if st, err = js.UpdateStream(ctx, upd); err != nil {
			return have, fmt.Errorf("add %s to stream %s: %w", events.SubjectReclaim, want.Name, err)
		}
		have = st.CachedInfo().Config
	}
	if !want.AllowMsgSchedules || (have.AllowMsgSchedules && slices.Contains(have.Subjects, ScheduleSubjects)) {
		return have, nil
	}
	upd := have
	upd.AllowMsgSchedules = true
	if !slices.Contains(upd.Subjects, ScheduleSubjects) {
		upd.Subjects = append(slices.Clone(upd.Subjects), ScheduleSubjects)
	}
	st, err = js.UpdateStream(ctx, upd)
	if err != nil {
		// An older server: deferred commands wait ack-pending instead.
		return have, nil
	}
	return st.CachedInfo().Config, nil
}

func ensureBucket(ctx context.Context, js jetstream.JetStream, name, desc string, ttl time.Duration, s Settings, update bool) (jetstream.KeyValue, error) {
	if !update {
		kv, err := js.KeyValue(ctx, name)
		if err == nil || !errors.Is(err, jetstream.ErrBucketNotFound) {
			return kv, err
		}
	}
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

package consumer

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// SetupPeople creates or updates the people stream, its durable consumer
// and the people bucket, and adds the person outcome subjects to the result
// stream when a stream created before them lacks them. Setup must have run.
func SetupPeople(ctx context.Context, js jetstream.JetStream, s Settings) (jetstream.Consumer, jetstream.KeyValue, error) {
	if _, err := ensureStream(ctx, js, jetstream.StreamConfig{
		Name:        events.PeopleStream,
		Description: "seatkeeper person events: joiners, movers and leavers",
		Subjects:    events.PersonSubjects,
		Storage:     s.Storage,
		Retention:   jetstream.LimitsPolicy,
		MaxAge:      s.CommandMaxAge,
		Duplicates:  s.DedupWindow,
		Replicas:    s.Replicas,
	}); err != nil {
		return nil, nil, err
	}
	if err := addSubjects(ctx, js, events.EventStream, events.PersonResultSubjects); err != nil {
		return nil, nil, err
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, events.PeopleStream, jetstream.ConsumerConfig{
		Durable:     events.PeopleConsumer,
		Description: "seatkeeper people reconciler",
		// Never the schedule subjects: a dated event reaches the consumer
		// when JetStream publishes it on its own subject.
		FilterSubjects: events.PersonSubjects,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        s.AckWait,
		MaxAckPending:  s.MaxAckPending,
		MaxDeliver:     -1,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("consumer %s: %w", events.PeopleConsumer, err)
	}
	kv, err := PeopleBucket(ctx, js, s)
	return cons, kv, err
}

// SetupPeopleScheduling gives the people stream what dated events need:
// the schedule subjects, message schedules and per-message TTLs (a
// schedule is kept with "Nats-TTL: never", or the stream's MaxAge would
// delete a leaving date months ahead). It returns why the stream cannot
// schedule, nil when it can; err only when the stream cannot be read.
func SetupPeopleScheduling(ctx context.Context, js jetstream.JetStream) (unavailable error, err error) {
	st, err := js.Stream(ctx, events.PeopleStream)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", events.PeopleStream, err)
	}
	cfg := st.CachedInfo().Config
	can := func(c jetstream.StreamConfig) bool {
		return c.AllowMsgSchedules && c.AllowMsgTTL && slices.Contains(c.Subjects, events.PersonScheduleSubjects)
	}
	if can(cfg) {
		return nil, nil
	}
	if !slices.Contains(cfg.Subjects, events.PersonScheduleSubjects) {
		cfg.Subjects = append(cfg.Subjects, events.PersonScheduleSubjects)
	}
	cfg.AllowMsgSchedules, cfg.AllowMsgTTL, cfg.AllowRollup = true, true, true
	if st, err = js.UpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("data.effective needs JetStream message scheduling (nats-server 2.12 or later), and stream %s refused it: %w", events.PeopleStream, err), nil
	}
	if !can(st.CachedInfo().Config) {
		return fmt.Errorf("data.effective needs JetStream message scheduling: stream %s does not allow message schedules and message TTLs (nats-server 2.12 or later needed)", events.PeopleStream), nil
	}
	return nil, nil
}

// PeopleBucket creates or updates the people bucket: person records and the
// identity cache. It has no TTL: a record is what policy granted a person.
func PeopleBucket(ctx context.Context, js jetstream.JetStream, s Settings) (jetstream.KeyValue, error) {
	return ensureBucket(ctx, js, events.PeopleBucket, "seatkeeper people: policy grants and resolved vendor user ids", 0, s, true)
}

// addSubjects adds subjects to an existing stream that lacks them.
func addSubjects(ctx context.Context, js jetstream.JetStream, name string, subjects []string) error {
	st, err := js.Stream(ctx, name)
	if err != nil {
		return fmt.Errorf("stream %s: %w", name, err)
	}
	cfg := st.CachedInfo().Config
	missing := false
	for _, subj := range subjects {
		if !slices.Contains(cfg.Subjects, subj) {
			cfg.Subjects = append(cfg.Subjects, subj)
			missing = true
		}
	}
	if !missing {
		return nil
	}
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("add %v to stream %s: %w", subjects, name, err)
	}
	return nil
}

// kvToken encodes s as one KV key token: kept as it is when it is plain
// (letters, digits, - and _), else base64url behind "=" so that the two
// forms never collide.
func kvToken(s string) string {
	plain := s != ""
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
	}
	if plain {
		return s
	}
	return "=" + strings.TrimRight(base64.URLEncoding.EncodeToString([]byte(s)), "=")
}

// personKey is the people bucket's key of a person's record.
func personKey(person string) string { return "person." + kvToken(person) }

// identityKey is the people bucket's key of a cached vendor user id.
func identityKey(vendor, account, key string) string {
	return "identity." + vendor + "." + kvToken(account) + "." + kvToken(key)
}

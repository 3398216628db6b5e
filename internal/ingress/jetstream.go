package ingress

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// Publisher puts validated events on their streams. Publish returns one
// Ack per event, in order; an Ack with an Err was not stored.
type Publisher interface {
	Publish(ctx context.Context, evs []Event) []Ack
}

// Ack is the stream's answer for one event.
type Ack struct {
	Stream    string
	Seq       uint64
	Duplicate bool
	Err       error
}

// ReplayGuard remembers the webhook deliveries already accepted. Claim
// reports false for a message seen before; Release forgets one whose
// events could not be published, so that the sender's retry is taken.
type ReplayGuard interface {
	Claim(ctx context.Context, m Delivery) (bool, error)
	Release(ctx context.Context, m Delivery)
}

// JetStreamPublisher publishes events on JetStream, each with Nats-Msg-Id =
// its id so that JetStream drops a repeat inside its duplicate window.
type JetStreamPublisher struct {
	JS jetstream.JetStream
}

var _ Publisher = (*JetStreamPublisher)(nil)

// Publish sends every event before waiting for any acknowledgement, so a
// batch costs about one round trip.
func (p *JetStreamPublisher) Publish(ctx context.Context, evs []Event) []Ack {
	acks := make([]Ack, len(evs))
	if len(evs) == 1 {
		pa, err := p.JS.PublishMsg(ctx, message(evs[0]), jetstream.WithMsgID(evs[0].ID))
		acks[0] = ack(pa, err)
		return acks
	}
	futures := make([]jetstream.PubAckFuture, len(evs))
	for i, ev := range evs {
		f, err := p.JS.PublishMsgAsync(message(ev), jetstream.WithMsgID(ev.ID))
		if err != nil {
			acks[i].Err = err
			continue
		}
		futures[i] = f
	}
	for i, f := range futures {
		if f == nil {
			continue
		}
		select {
		case pa := <-f.Ok():
			acks[i] = ack(pa, nil)
		case err := <-f.Err():
			acks[i].Err = err
		case <-ctx.Done():
			acks[i].Err = ctx.Err()
		}
	}
	return acks
}

func message(ev Event) *nats.Msg {
	return &nats.Msg{
		Subject: ev.Type,
		Data:    ev.Payload,
		Header:  nats.Header{events.HeaderContentType: {events.ContentType}},
	}
}

func ack(pa *jetstream.PubAck, err error) Ack {
	if err != nil {
		return Ack{Err: err}
	}
	return Ack{Stream: pa.Stream, Seq: pa.Sequence, Duplicate: pa.Duplicate}
}

// ReplayBucket is the KV bucket of accepted webhook deliveries. It lives in
// memory: losing it in a server restart only lets a replay reach the
// stream, where the event id still makes it one command.
const ReplayBucket = "seatkeeper_webhook_ids"

// KVReplayGuard keeps accepted webhook deliveries in a KV bucket shared by
// every worker replica, so that a replay is refused whichever replica it
// reaches. A key lives twice the tolerance: past that the timestamp check
// refuses the message anyway.
type KVReplayGuard struct {
	KV jetstream.KeyValue
}

var _ ReplayGuard = (*KVReplayGuard)(nil)

// NewKVReplayGuard creates or updates the replay bucket.
func NewKVReplayGuard(ctx context.Context, js jetstream.JetStream, replicas int) (*KVReplayGuard, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      ReplayBucket,
		Description: "Standard Webhooks deliveries the HTTP ingress accepted, to refuse replays",
		TTL:         2 * Tolerance,
		Storage:     jetstream.MemoryStorage,
		Replicas:    replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("create KV bucket %s: %w", ReplayBucket, err)
	}
	return &KVReplayGuard{KV: kv}, nil
}

// Claim records m, reporting false if it was recorded before. The key is a
// digest: webhook ids are free text, KV keys are not.
func (g *KVReplayGuard) Claim(ctx context.Context, m Delivery) (bool, error) {
	_, err := g.KV.Create(ctx, replayKey(m), []byte(time.Now().UTC().Format(time.RFC3339)))
	if errors.Is(err, jetstream.ErrKeyExists) {
		return false, nil
	}
	return err == nil, err
}

// Release forgets m.
func (g *KVReplayGuard) Release(ctx context.Context, m Delivery) {
	_ = g.KV.Delete(ctx, replayKey(m))
}

// replayKey identifies a delivery by its webhook-id and webhook-timestamp:
// a sender's retry carries the same id with a new timestamp (and a new
// signature), which only the secret's holder can make; a replay repeats
// both.
func replayKey(m Delivery) string {
	sum := sha256.Sum256([]byte(m.ID + "\x00" + m.Timestamp))
	return hex.EncodeToString(sum[:])
}

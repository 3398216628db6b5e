package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
	"github.com/seatkeeper/seatkeeper/internal/natsconn"
)

// defaultURL is the worker's embedded server.
const defaultURL = "nats://127.0.0.1:4222"

// client is a connection to NATS and JetStream.
type client struct {
	nc *nats.Conn
	js jetstream.JetStream
}

// connect connects with the nats CLI's environment; server, when set,
// overrides NATS_URL.
func connect(server string) (*client, error) {
	cfg, err := natsconn.Load()
	if err != nil {
		return nil, err
	}
	if server != "" {
		cfg.URL = server
	}
	nc, err := cfg.Connect("seatkeeper-publish", defaultURL, nats.Timeout(5*time.Second))
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return &client{nc: nc, js: js}, nil
}

func (c *client) close() { _ = c.nc.Drain() }

// result is a result as it came off the wire.
type result struct {
	raw []byte
	res events.Result
}

// errTimeout says no result came within the timeout.
var errTimeout = errors.New("timed out waiting for the result")

// publish publishes cmd with Nats-Msg-Id = its id.
func (c *client) publish(ctx context.Context, cmd events.Command) (*jetstream.PubAck, error) {
	payload, err := json.Marshal(cmd)
	if err != nil {
		return nil, err
	}
	msg := &nats.Msg{
		Subject: cmd.Type,
		Data:    payload,
		Header:  nats.Header{events.HeaderContentType: []string{events.ContentType}},
	}
	ack, err := c.js.PublishMsg(ctx, msg, jetstream.WithMsgID(cmd.ID))
	if errors.Is(err, jetstream.ErrNoStreamResponse) {
		return nil, fmt.Errorf("no stream takes %s: is a seatkeeper worker (or its streams) set up on this NATS? (%w)", cmd.Type, err)
	}
	return ack, err
}

// send publishes cmd and waits up to timeout for its result. It subscribes
// before publishing, so a fast worker cannot be missed. If JetStream drops
// the publish as a duplicate (the same id within its window), the stored
// result is read from the idempotency bucket instead.
func (c *client) send(ctx context.Context, cmd events.Command, timeout time.Duration) (result, *jetstream.PubAck, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	found := make(chan result, 1)
	needle := []byte(`"command_id":` + quote(cmd.ID))
	var subs []*nats.Subscription
	defer func() {
		for _, s := range subs {
			_ = s.Unsubscribe()
		}
	}()
	// A reclaim's result is its report, on license.reclaimed.
	for _, subj := range append(slices.Clone(events.ResultSubjects), events.SubjectReclaimed) {
		s, err := c.nc.Subscribe(subj, func(m *nats.Msg) {
			if !bytes.Contains(m.Data, needle) {
				return
			}
			var r events.Result
			if json.Unmarshal(m.Data, &r) != nil || r.Data.CommandID != cmd.ID {
				return
			}
			select {
			case found <- result{raw: m.Data, res: r}:
			default:
			}
		})
		if err != nil {
			return result{}, nil, err
		}
		subs = append(subs, s)
	}
	if err := c.nc.Flush(); err != nil {
		return result{}, nil, err
	}
	ack, err := c.publish(ctx, cmd)
	if err != nil {
		return result{}, nil, err
	}
	var stored <-chan result
	if ack.Duplicate {
		stored = c.watchStored(ctx, cmd.ID)
	}
	select {
	case r := <-found:
		return r, ack, nil
	case r := <-stored:
		return r, ack, nil
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return result{}, ack, errTimeout
		}
		return result{}, ack, ctx.Err()
	}
}

// watchStored polls the idempotency bucket until the command's result is
// stored.
func (c *client) watchStored(ctx context.Context, id string) <-chan result {
	out := make(chan result, 1)
	go func() {
		kv, err := c.js.KeyValue(ctx, events.CommandBucket)
		if err != nil {
			return
		}
		store := consumer.KVStore{KV: kv}
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			rec, err := handlers.LookupRecord(ctx, store, id)
			if err == nil && rec.Done {
				var r events.Result
				if json.Unmarshal(rec.Result, &r) == nil {
					out <- result{raw: rec.Result, res: r}
				}
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return out
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// collector receives the results of many commands, matched on command_id.
// It subscribes before anything is published, so that no result is missed.
type collector struct {
	c   *client
	out chan result

	mu      sync.Mutex
	pending map[string]bool
	subs    []*nats.Subscription
}

// collect subscribes to the result subjects for the commands ids.
func (c *client) collect(ids []string) (*collector, error) {
	k := &collector{c: c, out: make(chan result, len(ids)), pending: make(map[string]bool, len(ids))}
	for _, id := range ids {
		k.pending[id] = true
	}
	for _, subj := range events.ResultSubjects {
		s, err := c.nc.Subscribe(subj, func(m *nats.Msg) { k.offer(m.Data) })
		if err != nil {
			k.stop()
			return nil, err
		}
		k.subs = append(k.subs, s)
	}
	if err := c.nc.Flush(); err != nil {
		k.stop()
		return nil, err
	}
	return k, nil
}

// offer delivers raw if it is the first result of a pending command.
func (k *collector) offer(raw []byte) bool {
	var r events.Result
	if json.Unmarshal(raw, &r) != nil {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.pending[r.Data.CommandID] {
		return false
	}
	delete(k.pending, r.Data.CommandID)
	k.out <- result{raw: bytes.Clone(raw), res: r}
	return true
}

func (k *collector) isPending(id string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.pending[id]
}

// fromStore delivers the stored results of ids (commands JetStream dropped
// as duplicates: their result was published long ago) from the idempotency
// bucket, polling until each is stored, the collector has it from the wire,
// or ctx ends.
func (k *collector) fromStore(ctx context.Context, ids <-chan string) {
	kv, err := k.c.js.KeyValue(ctx, events.CommandBucket)
	if err != nil {
		return
	}
	store := consumer.KVStore{KV: kv}
	var waiting []string
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case id, ok := <-ids:
			if !ok {
				ids = nil
				continue
			}
			waiting = append(waiting, id)
			continue
		case <-t.C:
		}
		kept := waiting[:0]
		for _, id := range waiting {
			if !k.isPending(id) {
				continue
			}
			rec, err := handlers.LookupRecord(ctx, store, id)
			if err == nil && rec.Done {
				k.offer(rec.Result)
				continue
			}
			kept = append(kept, id)
		}
		waiting = kept
	}
}

func (k *collector) stop() {
	for _, s := range k.subs {
		_ = s.Unsubscribe()
	}
}

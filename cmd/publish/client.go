package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	for _, subj := range events.ResultSubjects {
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

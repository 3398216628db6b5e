package consumer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
)

// On the last delivery JetStream will make (MaxDeliver), a command that
// would be handed back is instead answered retries_exhausted: a command
// never runs out of deliveries in silence.
func TestLastDeliveryEndsWithAResultNotSilence(t *testing.T) {
	fx := fixtures(t, nil)[:1]
	e := newEnv(t, withVendors(registry(fx)), withPolicy(isolationPolicy(50*time.Millisecond, time.Hour)), func(c *envConfig) {
		c.so.Settings = consumer.DefaultSettings(c.so.Concurrency)
		c.so.Settings.MaxDeliver = 1
	})
	fx[0].failAll()
	ids := assignAll(e, fx, 3, "last")
	for _, id := range ids[fx[0].name] {
		r := e.result(id)
		if r.Data.Error == nil || r.Data.Error.Code != events.CodeRetriesExhausted || !strings.Contains(r.Data.Error.Message, "last delivery") {
			t.Errorf("%s: %s %+v, want retries_exhausted on the last delivery", id, r.Type, r.Data.Error)
		}
	}
}

// limitStore makes the idempotency bucket refuse every write (its stream
// holds as many records as it may: DiscardNew) until heal is called.
func limitStore(t *testing.T, e *env) (heal func()) {
	t.Helper()
	ctx := context.Background()
	st, err := e.js.Stream(ctx, "KV_"+events.CommandBucket)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs == 0 {
		t.Fatal("limitStore needs at least one record in the bucket")
	}
	cfg := info.Config
	cfg.MaxMsgs = int64(info.State.Msgs)
	if _, err := e.js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	return func() {
		cfg.MaxMsgs = -1
		if _, err := e.js.UpdateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
}

// delivered returns how many deliveries the worker consumer has made.
func delivered(t *testing.T, e *env) uint64 {
	t.Helper()
	cons, err := e.js.Consumer(context.Background(), events.CommandStream, events.WorkerConsumer)
	if err != nil {
		return 0
	}
	info, err := cons.Info(context.Background())
	if err != nil {
		return 0
	}
	return info.Delivered.Consumer
}

// The idempotency store refuses every write across a command's last
// delivery, then heals: the command still gets its result, instead of being
// handed back to a JetStream that will never deliver it again.
func TestStoreOutageAcrossTheLastDeliveryThenHealedEndsWithTheResult(t *testing.T) {
	e := newEnv(t, func(c *envConfig) { c.so.Settings.MaxDeliver = 2 })
	e.publish(command(events.SubjectAssign, "before-outage", user1, "ATTUNU"), "")
	e.result("before-outage")
	e.settled()
	heal := limitStore(t, e)
	e.publish(command(events.SubjectAssign, "across-outage", user2, "ATTUNU"), "")
	testproc.Eventually(t, "the command's last delivery", func() bool { return delivered(t, e) >= 3 })
	heal()
	if r := e.result("across-outage"); r.Type != events.SubjectAssigned {
		t.Errorf("after the store healed: %s %+v, want assigned", r.Type, r.Data.Error)
	}
	if n := e.storedResults("across-outage"); n != 1 {
		t.Errorf("%d results stored, want 1", n)
	}
}

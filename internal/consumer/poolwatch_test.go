package consumer_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
)

// The assign that takes a pool below the threshold brings its
// license.pool_low at once, not at the next periodic read of the pools
// (here an hour away): the worker keeps an estimate of each pool from its
// own assigns and releases and reads the pool as soon as the estimate
// crosses. Still one event per crossing: more assigns while it is low add
// none; after releases take it back above, the next crossing brings one
// more.
func TestAPoolCrossingIsAnnouncedWithoutWaitingForTheNextRead(t *testing.T) {
	const code, size = "ATTUNU", 20 // low when fewer than 2 seats are free
	w := newWorld(t, nil)
	w.so.PoolLow, w.so.PoolLowInterval = 0.1, time.Hour
	w.fake.SetPool(account, code, size)
	w.startWorker()
	ctx := context.Background()
	lows, err := w.js.OrderedConsumer(ctx, events.EventStream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{events.SubjectPoolLow}})
	if err != nil {
		t.Fatal(err)
	}
	// nextLow waits for the next pool_low of code; the bound is a failure
	// bound, far below the hour the periodic read would take.
	nextLow := func() events.PoolLowData {
		t.Helper()
		for {
			m, err := lows.Next(jetstream.FetchMaxWait(30 * time.Second))
			if err != nil {
				t.Fatalf("no license.pool_low for %s: %v", code, err)
			}
			var e events.Notice[events.PoolLowData]
			if err := json.Unmarshal(m.Data(), &e); err != nil {
				t.Fatal(err)
			}
			if e.Data.Code == code {
				return e.Data
			}
		}
	}
	user := func(i int) string { return fmt.Sprintf("pool-burst-%02d", i) }
	n := 0
	run := func(typ string, i int) {
		t.Helper()
		n++
		id := fmt.Sprintf("%s-%s-%d", typ, user(i), n)
		w.publish(command(typ, id, user(i), code))
		if r := w.result(id); r.Type == events.SubjectFailed {
			t.Fatalf("%s: %+v", id, r.Data.Error)
		}
	}
	for i := range size {
		w.fake.AddUser(account, user(i))
	}
	for i := range 19 { // the 19th leaves 1 free
		run(events.SubjectAssign, i)
	}
	if e := nextLow(); e.Free != 1 || e.Assigned != 19 || e.Total != size {
		t.Errorf("first pool_low %+v, want 19 of 20 assigned, 1 free", e)
	}
	run(events.SubjectAssign, 19) // still low: no second event

	// Back above the threshold, seen by the worker...
	for i := range 3 {
		run(events.SubjectRelease, i)
	}
	waitPoolState(t, w.js, code, false)
	// ...and below it again: a second crossing, a second event.
	for i := range 2 {
		run(events.SubjectAssign, i)
	}
	if e := nextLow(); e.Free != 1 {
		t.Errorf("second pool_low %+v, want 1 free", e)
	}
	testproc.Settled(t, w.js)
	if m, err := lows.Next(jetstream.FetchMaxWait(time.Second)); err == nil {
		t.Errorf("a third license.pool_low: %s", m.Data())
	}
}

// waitPoolState waits until the worker has recorded whether code's pool is
// low, watching its entry in the pools bucket.
func waitPoolState(t *testing.T, js jetstream.JetStream, code string, low bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, events.PoolBucket)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	watch, err := kv.Watch(ctx, "uipath."+enc([]byte(account))+"."+enc([]byte(code)))
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Stop()
	for {
		select {
		case e := <-watch.Updates():
			var st struct {
				Low bool `json:"low"`
			}
			if e != nil && json.Unmarshal(e.Value(), &st) == nil && st.Low == low {
				return
			}
		case <-ctx.Done():
			t.Fatalf("the pool state of %s never became low=%v", code, low)
		}
	}
}

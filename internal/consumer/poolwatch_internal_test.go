package consumer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/lifecycle"
	"github.com/seatkeeper/seatkeeper/internal/natstest"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// poolLowEvents returns the license.pool_low events stored in the result
// stream.
func poolLowEvents(t *testing.T, js jetstream.JetStream) []events.Notice[events.PoolLowData] {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, events.EventStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(events.SubjectPoolLow))
	if err != nil {
		t.Fatal(err)
	}
	n := int(info.State.Subjects[events.SubjectPoolLow])
	var out []events.Notice[events.PoolLowData]
	if n == 0 {
		return nil
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	sch, err := c.Compile("../../docs/schema/pool_low.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	cons, err := js.OrderedConsumer(ctx, events.EventStream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{events.SubjectPoolLow}})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.Fetch(n, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for m := range batch.Messages() {
		var e events.Notice[events.PoolLowData]
		if err := json.Unmarshal(m.Data(), &e); err != nil {
			t.Fatal(err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(m.Data()))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err != nil {
			t.Errorf("pool_low event does not validate against docs/schema/pool_low.schema.json: %v", err)
		}
		out = append(out, e)
	}
	return out
}

func newPoolWatchFor(t *testing.T, js jetstream.JetStream, res Resources) *PoolWatch {
	return NewPoolWatch(t.Context(), nil, res.Pools, js, 0.1, zap.NewNop())
}

// A pool that crosses into running low is announced once, however many
// replicas see it and however often (a restarted worker included), and
// again only after it went back above the threshold.
func TestPoolLowOncePerCrossingAcrossReplicas(t *testing.T) {
	srv := natstest.RunServer(t, nil)
	js, err := jetstream.New(natstest.Connect(t, srv.ClientURL()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s := DefaultSettings(1)
	s.Storage = jetstream.MemoryStorage
	res, err := Setup(ctx, js, s)
	if err != nil {
		t.Fatal(err)
	}
	pool := func(free int) []events.Pool {
		return []events.Pool{{Code: "creatorUT", Total: 1000, Assigned: 1000 - free, Free: free}}
	}
	observe := func(free int) {
		t.Helper()
		// Three replicas see the same pool at once.
		var wg sync.WaitGroup
		for range 3 {
			pw := newPoolWatchFor(t, js, res)
			wg.Go(func() {
				if err := pw.observe(ctx, "arcgis", "org", pool(free)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	for _, step := range []struct {
		free int
		want int // pool_low events stored after the step
	}{
		{150, 0}, {100, 0}, {99, 1}, {80, 1}, {99, 1}, {101, 1}, {99, 2}, {5, 2},
	} {
		observe(step.free)
		if got := len(poolLowEvents(t, js)); got != step.want {
			t.Fatalf("after free %d: %d pool_low events, want %d", step.free, got, step.want)
		}
	}
	e := poolLowEvents(t, js)[1]
	if e.Data.Free != 99 || e.Data.Total != 1000 || e.Data.Code != "creatorUT" || e.Data.Threshold != 0.1 {
		t.Errorf("pool_low data %+v", e.Data)
	}
}

// BenchmarkPoolWatchSeen is the pool watch's cost on each applied assign
// or release: an in-memory update of its pool's estimate (the read it may
// ask for runs elsewhere; here one is always under way).
func BenchmarkPoolWatchSeen(b *testing.B) {
	pw := NewPoolWatch(b.Context(), nil, nil, nil, 0.1, zap.NewNop())
	w := &watched{pools: map[string]*lifecycle.PoolEstimate{}, running: true, wake: make(chan struct{}, 1)}
	pw.accounts[accountKey{"uipath", "org"}] = w
	for _, code := range []string{"ATTUNU", "RPADEVNU", "TSTNU"} {
		e := &lifecycle.PoolEstimate{}
		e.EndRead(events.Pool{Code: code, Total: 1 << 30, Assigned: 0, Free: 1 << 30}, 0.1)
		w.pools[code] = e
	}
	res := events.Result{Data: events.ResultData{Vendor: "uipath", Account: "org",
		Licenses: []events.LicenseResult{{Code: "ATTUNU", Status: events.StatusAssigned}}}}
	b.ReportAllocs()
	for b.Loop() {
		pw.seen(res)
	}
}

// A dip below the threshold that has recovered by the time the pools are
// read is still announced, with the estimate's figures, when the read
// agrees with the estimate: the worker's own assigns took the pool to 19
// of 20 and its releases back to 17 before the read. The test plays the
// read loop: it applies each result and then reads, in that order.
func TestPoolLowAnnouncesADipTheReadCameTooLateFor(t *testing.T) {
	srv := natstest.RunServer(t, nil)
	js, err := jetstream.New(natstest.Connect(t, srv.ClientURL()))
	if err != nil {
		t.Fatal(err)
	}
	s := DefaultSettings(1)
	s.Storage = jetstream.MemoryStorage
	res, err := Setup(t.Context(), js, s)
	if err != nil {
		t.Fatal(err)
	}
	const code = "ATTUNU"
	fake := uipathtest.NewServer(t, uipathtest.Options{})
	fake.SetPool(uipathtest.DemoAccount, code, 20)
	client, err := uipath.New(uipath.Config{BaseURL: fake.URL, ClientID: uipathtest.ClientID,
		ClientSecret: uipathtest.ClientSecret, Scope: uipathtest.Scope, AccountID: uipathtest.DemoAccount}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pw := NewPoolWatch(t.Context(), vendors.NewRegistry(client), res.Pools, js, 0.1, zap.NewNop())
	w := &watched{pools: map[string]*lifecycle.PoolEstimate{}, running: true, wake: make(chan struct{}, 1)}
	pw.accounts[accountKey{"uipath", uipathtest.DemoAccount}] = w
	if err := pw.read(w, "uipath", uipathtest.DemoAccount); err != nil {
		t.Fatal(err)
	}
	apply := func(op string, i int) {
		t.Helper()
		user := fmt.Sprintf("dip-%02d", i)
		req := vendors.Request{Account: uipathtest.DemoAccount, User: user, Licenses: []string{code}}
		do := client.Release
		if op == "assign" {
			fake.AddUser(uipathtest.DemoAccount, user)
			do = client.Assign
		}
		out, err := do(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		pw.seen(events.Result{Data: events.ResultData{Vendor: "uipath", Account: uipathtest.DemoAccount, Licenses: out.Licenses}})
	}
	for i := range 19 {
		apply("assign", i)
	}
	apply("release", 0)
	apply("release", 1)
	if err := pw.read(w, "uipath", uipathtest.DemoAccount); err != nil {
		t.Fatal(err)
	}
	lows := poolLowEvents(t, js)
	if len(lows) != 1 || lows[0].Data.Code != code || lows[0].Data.Assigned != 19 || lows[0].Data.Free != 1 {
		t.Fatalf("pool_low events %+v, want one for %s at 19 assigned, 1 free", lows, code)
	}
	// The state records the pool back above: the next crossing fires.
	for i := range 2 {
		apply("assign", i)
	}
	if err := pw.read(w, "uipath", uipathtest.DemoAccount); err != nil {
		t.Fatal(err)
	}
	if n := len(poolLowEvents(t, js)); n != 2 {
		t.Errorf("%d pool_low events after the second crossing, want 2", n)
	}
}

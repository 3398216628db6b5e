package consumer_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/natstest"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

const account = uipathtest.DemoAccount

// env is a worker on a real in-process nats-server, calling the UiPath fake.
type env struct {
	t    testing.TB
	nc   *nats.Conn
	js   jetstream.JetStream
	fake *uipathtest.Server
	svc  *consumer.Service
	logs *observer.ObservedLogs
	stop context.CancelFunc
	so   consumer.ServiceOptions

	mu      sync.Mutex
	results []received
	arrived chan struct{}
}

// received is a result as it came off the wire.
type received struct {
	raw []byte
	res events.Result
}

// envConfig is what envOptions change.
type envConfig struct {
	so consumer.ServiceOptions
	// later: set up the streams but do not start the worker; the test calls
	// e.start.
	later bool
}

type envOption func(*envConfig)

func startLater(c *envConfig) { c.later = true }

func withPolicy(p vendors.RetryPolicy) envOption {
	return func(c *envConfig) { c.so.Policy = p }
}

// withVendors replaces the UiPath-only registry.
func withVendors(reg *vendors.Registry) envOption {
	return func(c *envConfig) { c.so.Vendors = reg }
}

// withConcurrency sets the worker's window.
func withConcurrency(n int) envOption {
	return func(c *envConfig) {
		c.so.Concurrency = n
		c.so.Settings = consumer.DefaultSettings(n)
	}
}

func testPolicy() vendors.RetryPolicy {
	return vendors.RetryPolicy{
		InitialInterval: 10 * time.Millisecond,
		MaxInterval:     100 * time.Millisecond,
		InProcessBudget: 10 * time.Second,
		TotalBudget:     time.Minute,
		MaxDeferral:     time.Second,
	}
}

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	srv := natstest.RunServer(t, nil)
	e := &env{t: t, arrived: make(chan struct{}, 1)}
	e.nc = natstest.Connect(t, srv.ClientURL())
	e.fake = uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	client, err := uipath.New(uipath.Config{
		BaseURL: e.fake.URL, ClientID: uipathtest.ClientID, ClientSecret: uipathtest.ClientSecret,
		Scope: uipathtest.Scope, AccountID: account, RateLimit: 1000, MaxConcurrency: 16,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.DebugLevel)
	e.logs = logs
	t.Cleanup(func() {
		if t.Failed() {
			dumpLogs(t, logs, 300)
		}
	})
	cfg := envConfig{so: consumer.ServiceOptions{
		Conn:            e.nc,
		Settings:        consumer.DefaultSettings(8),
		Vendors:         vendors.NewRegistry(client),
		Policy:          testPolicy(),
		Owner:           "test-worker",
		Concurrency:     8,
		ShutdownTimeout: 5 * time.Second,
		Logger:          zap.New(core),
	}}
	for _, o := range opts {
		o(&cfg)
	}
	// Results are collected from the moment the worker can publish them.
	sub, err := e.nc.Subscribe("license.*", e.collect)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := e.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	e.so = cfg.so
	e.js, err = jetstream.New(e.nc)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.later {
		if _, err := consumer.Setup(context.Background(), e.js, cfg.so.Settings); err != nil {
			t.Fatal(err)
		}
		return e
	}
	e.start()
	return e
}

// dumpLogs prints the worker's last n log entries, so that a failure seen
// only on a CI machine can be read afterwards.
func dumpLogs(t testing.TB, logs *observer.ObservedLogs, n int) {
	all := logs.All()
	if len(all) > n {
		t.Logf("worker log: %d entries, the last %d:", len(all), n)
		all = all[len(all)-n:]
	}
	for _, l := range all {
		t.Logf("%s %s %s %v", l.Time.Format("15:04:05.000"), l.Level, l.Message, l.ContextMap())
	}
}

// start starts the worker (newEnv does, unless given startLater).
func (e *env) start() {
	e.t.Helper()
	e.stop = e.startReplica(e.so.Owner)
}

// startReplica starts a worker replica named owner on the same consumer and
// returns the function that stops it.
func (e *env) startReplica(owner string) context.CancelFunc {
	e.t.Helper()
	so := e.so
	so.Owner = owner
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := consumer.Start(ctx, so)
	if err != nil {
		e.t.Fatal(err)
	}
	if e.svc == nil {
		e.svc = svc
	}
	e.t.Cleanup(func() {
		cancel()
		<-svc.Done()
	})
	return cancel
}

func (e *env) collect(m *nats.Msg) {
	if !isResultSubject(m.Subject) {
		return
	}
	var res events.Result
	if err := json.Unmarshal(m.Data, &res); err != nil {
		e.t.Errorf("result on %s is not JSON: %v", m.Subject, err)
		return
	}
	if m.Header.Get("Content-Type") != events.ContentType {
		e.t.Errorf("result on %s has Content-Type %q, want %q", m.Subject, m.Header.Get("Content-Type"), events.ContentType)
	}
	if res.Type != m.Subject {
		e.t.Errorf("result type %q published on %q", res.Type, m.Subject)
	}
	e.mu.Lock()
	e.results = append(e.results, received{raw: append([]byte(nil), m.Data...), res: res})
	e.mu.Unlock()
	select {
	case e.arrived <- struct{}{}:
	default:
	}
}

func isResultSubject(s string) bool {
	for _, r := range events.ResultSubjects {
		if r == s {
			return true
		}
	}
	return false
}

// command returns a command for the demo account.
func command(typ, id, user string, licenses ...string) events.Command {
	return events.NewCommand(typ, "test/hr", id, time.Now(), events.CommandData{
		Vendor: "uipath", Account: account, User: user, Licenses: licenses,
	})
}

// publish publishes cmd with Nats-Msg-Id msgID (its id when empty) and
// returns the PubAck.
func (e *env) publish(cmd events.Command, msgID string) *jetstream.PubAck {
	e.t.Helper()
	b, err := json.Marshal(cmd)
	if err != nil {
		e.t.Fatal(err)
	}
	if msgID == "" {
		msgID = cmd.ID
	}
	return e.publishRaw(cmd.Type, b, msgID)
}

func (e *env) publishRaw(subject string, payload []byte, msgID string) *jetstream.PubAck {
	e.t.Helper()
	msg := &nats.Msg{Subject: subject, Data: payload, Header: nats.Header{"Content-Type": {events.ContentType}}}
	var opts []jetstream.PublishOpt
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	ack, err := e.js.PublishMsg(context.Background(), msg, opts...)
	if err != nil {
		e.t.Fatalf("publish %s: %v", subject, err)
	}
	return ack
}

// await waits for n results matching match; it fails the test after 30 s.
func (e *env) await(n int, match func(events.Result) bool) []received {
	e.t.Helper()
	// A safety net, not a measure: a loaded CI machine can be slow, and
	// a vendor call may take its whole 30 s request timeout.
	const limit = 2 * time.Minute
	deadline := time.After(limit)
	// Results are only ever appended: each is looked at once, so that
	// waiting for thousands costs the benchmarks no quadratic scan.
	var got []received
	seen := 0
	for {
		e.mu.Lock()
		for ; seen < len(e.results); seen++ {
			if r := e.results[seen]; match(r.res) {
				got = append(got, r)
			}
		}
		e.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-e.arrived:
		case <-deadline:
			e.t.Fatalf("waited %s for %d results, have %d", limit, n, len(got))
		}
	}
}

// result waits for the result of command id.
func (e *env) result(id string) events.Result {
	e.t.Helper()
	return e.await(1, byCommand(id))[0].res
}

func byCommand(id string) func(events.Result) bool {
	return func(r events.Result) bool { return r.Data.CommandID == id }
}

// storedResults counts the results of command id in LICENSE_EVENTS once the
// worker has settled: a result seen on the core subscription may not be
// stored yet.
func (e *env) storedResults(id string) int {
	e.t.Helper()
	e.settled()
	return len(testproc.StoredResults(e.t, e.js)[id])
}

// settled waits until the worker has acked or terminated every command it
// was given: results are published before the ack, so a result alone does
// not prove it.
func (e *env) settled() {
	e.t.Helper()
	testproc.Settled(e.t, e.js)
}

func statuses(r events.Result) map[string]string {
	m := make(map[string]string)
	for _, l := range r.Data.Licenses {
		m[l.Code] = l.Status
	}
	return m
}

// duplicatesAndLost counts, over ids, the extra results stored in
// LICENSE_EVENTS and the commands with none, failing the test for either.
func duplicatesAndLost(t testing.TB, e *env, ids []string) (dups, lost int) {
	t.Helper()
	stored := testproc.StoredResults(t, e.js)
	for _, id := range ids {
		switch n := len(stored[id]); {
		case n == 0:
			lost++
		case n > 1:
			dups += n - 1
		}
	}
	if dups > 0 || lost > 0 {
		t.Errorf("%d duplicate and %d missing results in LICENSE_EVENTS", dups, lost)
	}
	return dups, lost
}

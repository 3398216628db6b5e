package consumer_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/lifecycle"
	"github.com/seatkeeper/seatkeeper/internal/natstest"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// world is a worker on a nats-server that a test can restart (same port,
// same store), calling the UiPath fake; results are followed in
// LICENSE_EVENTS, so none is missed across a restart.
type world struct {
	t       *testing.T
	opts    *server.Options
	srv     *server.Server
	nc      *nats.Conn
	js      jetstream.JetStream
	fake    *uipathtest.Server
	so      consumer.ServiceOptions
	results *testproc.Results
	stopW   context.CancelFunc
	svc     *consumer.Service
}

const lcCode = "RPADEVNU"

func newWorld(t *testing.T, settings func(*consumer.Settings)) *world {
	t.Helper()
	w := &world{t: t, opts: natstest.Options(t.TempDir())}
	w.startServer()
	// A restart comes back on the port the system chose.
	w.opts.Port = w.srv.Addr().(*net.TCPAddr).Port
	t.Cleanup(func() {
		w.stopWorker()
		w.srv.Shutdown()
		w.srv.WaitForShutdown()
	})
	w.nc = natstest.Connect(t, w.srv.ClientURL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	var err error
	if w.js, err = jetstream.New(w.nc); err != nil {
		t.Fatal(err)
	}
	w.fake = uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	client, err := uipath.New(uipath.Config{
		BaseURL: w.fake.URL, ClientID: uipathtest.ClientID, ClientSecret: uipathtest.ClientSecret,
		Scope: uipathtest.Scope, AccountID: account, RateLimit: 1000, MaxConcurrency: 16,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.DebugLevel)
	t.Cleanup(func() {
		if t.Failed() {
			dumpLogs(t, logs, 200)
		}
	})
	s := consumer.DefaultSettings(4)
	if settings != nil {
		settings(&s)
	}
	w.so = consumer.ServiceOptions{
		Conn: w.nc, Settings: s, Vendors: vendors.NewRegistry(client), Policy: testPolicy(),
		Owner: "lifecycle-worker", Concurrency: 4, ShutdownTimeout: 5 * time.Second, Logger: zap.New(core),
	}
	return w
}

func (w *world) startServer() {
	w.t.Helper()
	srv, err := server.NewServer(w.opts)
	if err != nil {
		w.t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(time.Minute) {
		w.t.Fatal("nats-server not ready")
	}
	w.srv = srv
}

// restartServer stops the server and starts it again on its store.
func (w *world) restartServer() {
	w.t.Helper()
	w.srv.Shutdown()
	w.srv.WaitForShutdown()
	w.startServer()
}

func (w *world) startWorker() {
	w.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := consumer.Start(ctx, w.so)
	if err != nil {
		cancel()
		w.t.Fatal(err)
	}
	w.svc, w.stopW = svc, cancel
	if w.results == nil {
		w.results = testproc.Follow(w.t, w.js)
	}
}

func (w *world) stopWorker() {
	if w.stopW != nil {
		w.stopW()
		<-w.svc.Done()
		w.stopW = nil
	}
}

func (w *world) publish(cmd events.Command) {
	w.t.Helper()
	b, err := json.Marshal(cmd)
	if err != nil {
		w.t.Fatal(err)
	}
	msg := &nats.Msg{Subject: cmd.Type, Data: b, Header: nats.Header{"Content-Type": {events.ContentType}}}
	if _, err := w.js.PublishMsg(context.Background(), msg, jetstream.WithMsgID(cmd.ID)); err != nil {
		w.t.Fatalf("publish %s: %v", cmd.ID, err)
	}
}

// result waits for the first result of command id.
func (w *world) result(id string) events.Result {
	w.t.Helper()
	deadline := time.After(2 * time.Minute)
	for {
		if rs := w.results.ByID()[id]; len(rs) > 0 {
			return rs[0]
		}
		select {
		case <-w.results.Notify():
		case <-deadline:
			w.t.Fatalf("no result of %s within 2 minutes", id)
		}
	}
}

// pending returns the schedule message of seat, or nil when there is none.
func (w *world) pending(seat lifecycle.Seat) *jetstream.RawStreamMsg {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := w.js.Stream(ctx, events.CommandStream)
	if err != nil {
		w.t.Fatal(err)
	}
	m, err := st.GetLastMsgForSubject(ctx, seat.Subject())
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	}
	if err != nil {
		w.t.Fatal(err)
	}
	return m
}

func assignUntil(id, user string, at, until time.Time) events.Command {
	cmd := events.NewCommand(events.SubjectAssign, "test/hr", id, at, events.CommandData{
		Vendor: "uipath", Account: account, User: user, Licenses: []string{lcCode},
	})
	cmd.Data.Until = until
	return cmd
}

func seatOf(user string) lifecycle.Seat {
	return lifecycle.Seat{Vendor: "uipath", Account: account, User: user, Code: lcCode}
}

// expired waits for the release that ends the seat of assign id, checks it
// came at its until and was an expiry, and that it is the only one.
func (w *world) expired(assignID, user string, until time.Time) {
	w.t.Helper()
	rel := w.result(lifecycle.ExpiryID(assignID, lcCode))
	if rel.Type != events.SubjectReleased || rel.Data.CommandSource != events.ExpirySource {
		w.t.Fatalf("expiry result: %s from %q, want %s from %q (%+v)", rel.Type, rel.Data.CommandSource,
			events.SubjectReleased, events.ExpirySource, rel.Data.Error)
	}
	if rel.Time.Before(until) {
		w.t.Errorf("released at %s, before until %s", rel.Time, until)
	}
	if got := w.fake.Held(account, user); len(got) != 0 {
		w.t.Errorf("after its until %s still holds %v", user, got)
	}
	testproc.Settled(w.t, w.js)
	if n := len(testproc.StoredResults(w.t, w.js)[lifecycle.ExpiryID(assignID, lcCode)]); n != 1 {
		w.t.Errorf("%d stored results of the expiry, want 1", n)
	}
	if m := w.pending(seatOf(user)); m != nil {
		w.t.Errorf("a release of %s is still scheduled after it ran: %s", user, m.Data)
	}
}

func TestUntilReleasesTheSeatAtItsTimeOnce(t *testing.T) {
	w := newWorld(t, nil)
	w.startWorker()
	user := uipathtest.DemoUsers[0]
	until := time.Now().Add(3 * time.Second)
	w.publish(assignUntil("until-1", user, time.Now(), until))
	res := w.result("until-1")
	if res.Type != events.SubjectAssigned || !res.Data.Until.Equal(until.UTC()) {
		t.Fatalf("assign: %s until %s, want %s until %s (%+v)", res.Type, res.Data.Until, events.SubjectAssigned, until, res.Data.Error)
	}
	if w.pending(seatOf(user)) == nil {
		t.Fatal("no release scheduled after the assign")
	}
	w.expired("until-1", user, until)
}

func TestUntilSurvivesAWorkerRestart(t *testing.T) {
	w := newWorld(t, nil)
	w.startWorker()
	user := uipathtest.DemoUsers[0]
	until := time.Now().Add(3 * time.Second)
	w.publish(assignUntil("until-w", user, time.Now(), until))
	w.result("until-w")
	w.stopWorker()
	w.startWorker()
	w.expired("until-w", user, until)
}

func TestUntilSurvivesANATSServerRestart(t *testing.T) {
	w := newWorld(t, nil)
	w.startWorker()
	user := uipathtest.DemoUsers[0]
	until := time.Now().Add(3 * time.Second)
	w.publish(assignUntil("until-s", user, time.Now(), until))
	w.result("until-s")
	w.restartServer()
	w.expired("until-s", user, until)
}

// The command stream keeps commands a week by default; an expiry months
// away must outlive that.
func TestUntilOutlivesTheCommandStreamMaxAge(t *testing.T) {
	w := newWorld(t, func(s *consumer.Settings) { s.CommandMaxAge, s.DedupWindow = time.Second, time.Second })
	w.startWorker()
	user := uipathtest.DemoUsers[0]
	until := time.Now().Add(4 * time.Second)
	w.publish(assignUntil("until-age", user, time.Now(), until))
	w.result("until-age")
	w.expired("until-age", user, until)
}

func TestANewUntilReplacesTheOld(t *testing.T) {
	w := newWorld(t, nil)
	w.startWorker()
	user := uipathtest.DemoUsers[0]
	now := time.Now()
	w.publish(assignUntil("until-old", user, now, now.Add(time.Hour)))
	w.result("until-old")
	until := time.Now().Add(3 * time.Second)
	w.publish(assignUntil("until-new", user, now.Add(time.Millisecond), until))
	if r := w.result("until-new"); r.Type != events.SubjectAssigned {
		t.Fatalf("second assign: %s %+v", r.Type, r.Data.Error)
	}
	w.expired("until-new", user, until)
	if rs := w.results.ByID()[lifecycle.ExpiryID("until-old", lcCode)]; len(rs) != 0 {
		t.Errorf("the replaced expiry ran too: %+v", rs)
	}
}

func TestAReleaseBeforeUntilCancelsIt(t *testing.T) {
	w := newWorld(t, nil)
	w.startWorker()
	user := uipathtest.DemoUsers[0]
	now := time.Now()
	w.publish(assignUntil("until-c", user, now, now.Add(time.Hour)))
	w.result("until-c")
	if w.pending(seatOf(user)) == nil {
		t.Fatal("no release scheduled after the assign")
	}
	rel := events.NewCommand(events.SubjectRelease, "test/hr", "release-c", now.Add(time.Second), events.CommandData{
		Vendor: "uipath", Account: account, User: user, Licenses: []string{lcCode},
	})
	w.publish(rel)
	if r := w.result("release-c"); r.Type != events.SubjectReleased {
		t.Fatalf("release: %s %+v", r.Type, r.Data.Error)
	}
	testproc.Settled(t, w.js)
	if m := w.pending(seatOf(user)); m != nil {
		t.Errorf("the seat was released and its expiry is still scheduled: %s", m.Data)
	}
}

// A release cancels a seat's expiry only where one can be pending: after
// an assign without until it makes no purge at all (a JetStream request
// per release saved), after an assign with until it purges the schedule.
func TestAReleaseCancelsOnlyAnExpiryThatCanBePending(t *testing.T) {
	w := newWorld(t, nil)
	w.startWorker()
	purges, err := w.nc.SubscribeSync("$JS.API.STREAM.PURGE." + events.CommandStream)
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		t.Helper()
		testproc.Settled(t, w.js) // the release's after-work is done before its ack
		if err := w.nc.Flush(); err != nil {
			t.Fatal(err)
		}
		n, _, err := purges.Pending()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	user := uipathtest.DemoUsers[0]
	now := time.Now()
	for i, until := range []time.Time{{}, now.Add(time.Hour)} {
		id := fmt.Sprintf("assign-%d", i)
		w.publish(assignUntil(id, user, now.Add(time.Duration(2*i)*time.Second), until))
		w.result(id)
		before := count()
		rel := events.NewCommand(events.SubjectRelease, "test/hr", fmt.Sprintf("release-%d", i), now.Add(time.Duration(2*i+1)*time.Second),
			events.CommandData{Vendor: "uipath", Account: account, User: user, Licenses: []string{lcCode}})
		w.publish(rel)
		if r := w.result(rel.ID); r.Type != events.SubjectReleased {
			t.Fatalf("%s: %s %+v", rel.ID, r.Type, r.Data.Error)
		}
		got, want := count()-before, 0
		if !until.IsZero() {
			want = 1
		}
		if got != want {
			t.Errorf("release after an assign with until %v: %d purges of the command stream, want %d", !until.IsZero(), got, want)
		}
		if m := w.pending(seatOf(user)); m != nil {
			t.Errorf("the seat was released and its expiry is still scheduled: %s", m.Data)
		}
	}
}

// The worker's consumer never receives a schedule message: were it to, the
// message would fail validation (its subject is no command type) and a
// failure would be published.
func TestTheWorkerNeverConsumesScheduleMessages(t *testing.T) {
	w := newWorld(t, nil)
	w.startWorker()
	user := uipathtest.DemoUsers[0]
	now := time.Now()
	w.publish(assignUntil("until-f", user, now, now.Add(time.Hour)))
	w.result("until-f")
	testproc.Settled(t, w.js)
	for id, types := range testproc.StoredResults(t, w.js) {
		if id != "until-f" {
			t.Errorf("unexpected results of %s: %v", id, types)
		}
	}
	ctx := context.Background()
	cons, err := w.js.Consumer(ctx, events.CommandStream, events.WorkerConsumer)
	if err != nil {
		t.Fatal(err)
	}
	if got := cons.CachedInfo().Config.FilterSubjects; len(got) != len(events.CommandSubjects) {
		t.Errorf("consumer filter %v, want %v", got, events.CommandSubjects)
	}
}

// A stream that cannot schedule (an operator created it with discard new,
// which message schedules do not allow): an assign with until fails with a
// clear error and assigns nothing; one without until still works.
func TestUntilWithoutSchedulingFailsClearly(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	if _, err := w.js.CreateStream(ctx, jetstream.StreamConfig{
		Name: events.CommandStream, Subjects: events.CommandSubjects,
		Discard: jetstream.DiscardNew, MaxMsgs: 1_000_000, Duplicates: 2 * time.Minute,
	}); err != nil {
		t.Fatal(err)
	}
	w.startWorker()
	user := uipathtest.DemoUsers[0]
	writes := w.fake.Writes()
	w.publish(assignUntil("until-x", user, time.Now(), time.Now().Add(time.Hour)))
	r := w.result("until-x")
	if r.Type != events.SubjectFailed || r.Data.Error.Code != events.CodeSchedulingUnavailable {
		t.Fatalf("assign with until on a stream without schedules: %s %+v, want %s %s", r.Type, r.Data.Error,
			events.SubjectFailed, events.CodeSchedulingUnavailable)
	}
	if got := w.fake.Writes(); got != writes {
		t.Errorf("the vendor was written to %d times, want none", got-writes)
	}
	if got := w.fake.Held(account, user); len(got) != 0 {
		t.Errorf("%s holds %v without an expiry", user, got)
	}
	plain := command(events.SubjectAssign, "plain-x", user, lcCode)
	w.publish(plain)
	if r := w.result("plain-x"); r.Type != events.SubjectAssigned {
		t.Errorf("assign without until: %s %+v", r.Type, r.Data.Error)
	}
}

// The worker watches pools after assigns: the assign that leaves less than
// a tenth of a pool free brings one license.pool_low.
func TestAnAssignThatLeavesAPoolLowIsAnnounced(t *testing.T) {
	w := newWorld(t, nil)
	w.so.PoolLow = 0.1
	w.fake.SetPool(account, "ATTUNU", 10)
	w.startWorker()
	cons, err := w.js.OrderedConsumer(context.Background(), events.EventStream,
		jetstream.OrderedConsumerConfig{FilterSubjects: []string{events.SubjectPoolLow}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		user := "pool-user-" + string(rune('a'+i))
		w.fake.AddUser(account, user)
		id := "pool-assign-" + user
		w.publish(command(events.SubjectAssign, id, user, "ATTUNU"))
		if r := w.result(id); r.Type != events.SubjectAssigned {
			t.Fatalf("assign %d: %s %+v", i, r.Type, r.Data.Error)
		}
	}
	// The demo's one-seat pool is low from the start and is announced
	// too; look for ATTUNU's.
	var e events.Notice[events.PoolLowData]
	for e.Data.Code != "ATTUNU" {
		m, err := cons.Next(jetstream.FetchMaxWait(time.Minute))
		if err != nil {
			t.Fatalf("no license.pool_low for ATTUNU: %v", err)
		}
		if err := json.Unmarshal(m.Data(), &e); err != nil {
			t.Fatal(err)
		}
	}
	if e.Type != events.SubjectPoolLow || e.Data.Free != 0 || e.Data.Total != 10 {
		t.Errorf("pool_low %+v", e)
	}
}

// A command stream an older seatkeeper created (no license.reclaim, no
// schedule subjects, no schedules or TTLs) is brought up to date at start,
// and time-bound seats work on it.
func TestAnOlderCommandStreamIsUpgraded(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	if _, err := w.js.CreateStream(ctx, jetstream.StreamConfig{
		Name: events.CommandStream, Subjects: []string{events.SubjectAssign, events.SubjectRelease, events.SubjectList},
		MaxAge: 7 * 24 * time.Hour, Duplicates: 2 * time.Minute,
	}); err != nil {
		t.Fatal(err)
	}
	w.startWorker()
	st, err := w.js.Stream(ctx, events.CommandStream)
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	for _, subj := range []string{events.SubjectReclaim, events.ScheduleSubjects} {
		if !slices.Contains(cfg.Subjects, subj) {
			t.Errorf("stream subjects %v lack %s", cfg.Subjects, subj)
		}
	}
	if !cfg.AllowMsgSchedules || !cfg.AllowMsgTTL {
		t.Errorf("stream schedules %v, TTLs %v; want both", cfg.AllowMsgSchedules, cfg.AllowMsgTTL)
	}
	user := uipathtest.DemoUsers[0]
	until := time.Now().Add(2 * time.Second)
	w.publish(assignUntil("until-up", user, time.Now(), until))
	w.result("until-up")
	w.expired("until-up", user, until)
}

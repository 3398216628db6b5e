package bench_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/natstest"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

var full = flag.Bool("full", false, "run the sizes docs/performance.md reports instead of CI's quick ones")

// size returns quick, or full under -full.
func size(quick, full_ int) int {
	if *full {
		return full_
	}
	return quick
}

// A syncMode is one of the server's two fsync settings (docs/design.md §9).
type syncMode struct {
	name   string
	always bool
}

var syncModes = []syncMode{{"interval", false}, {"always", true}}

// Pool and vendor settings shared by the benchmarks.
const (
	concurrency = 64
	account     = "b3c4d5e6-0000-0000-0000-00000000be0c"
	bundle      = "RPADEVNU"
	// users is how many distinct users the commands spread over: enough
	// that lanes never serialise, few enough that the fake's per-PUT pool
	// count stays cheap.
	users = 2000
)

// startServer starts an in-process nats-server with JetStream on file
// storage, fsyncing before every acknowledgement when always is set and at
// the default interval otherwise.
func startServer(b *testing.B, always bool) *server.Server {
	b.Helper()
	opts := natstest.Options(b.TempDir())
	opts.SyncAlways = always
	return natstest.RunServer(b, opts)
}

// connect connects to srv and returns the connection and a JetStream
// context whose async publishes are bounded by maxPending.
func connect(b *testing.B, srv *server.Server, maxPending int) (*nats.Conn, jetstream.JetStream) {
	b.Helper()
	nc := natstest.Connect(b, srv.ClientURL())
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(maxPending))
	if err != nil {
		b.Fatal(err)
	}
	return nc, js
}

// setup creates the streams, the consumer and the buckets as the worker does.
func setup(b *testing.B, js jetstream.JetStream) consumer.Resources {
	b.Helper()
	res, err := consumer.Setup(context.Background(), js, consumer.DefaultSettings(concurrency))
	if err != nil {
		b.Fatal(err)
	}
	return res
}

// newFake starts the UiPath fake with users users in one account whose
// pool holds a seat for each of them. It keeps no log of the calls: a log
// of every call would be the largest thing on the heap.
func newFake(b *testing.B) *uipathtest.Server {
	b.Helper()
	fake := uipathtest.NewServer(b, uipathtest.Options{KeepRequests: 1})
	fake.SetPool(account, bundle, users)
	for i := range users {
		fake.AddUser(account, userName(i))
	}
	return fake
}

func userName(i int) string { return fmt.Sprintf("bench-user-%05d", i%users) }

// newClient returns the UiPath adapter for fake with the given rate limit
// (0: none) and concurrency cap.
func newClient(b *testing.B, url string, rateLimit float64, maxConcurrency int) *uipath.Client {
	b.Helper()
	c, err := uipath.New(uipath.Config{
		BaseURL: url, ClientID: uipathtest.ClientID, ClientSecret: uipathtest.ClientSecret,
		Scope: uipathtest.Scope, AccountID: account, RateLimit: rateLimit, MaxConcurrency: maxConcurrency,
	}, nil)
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// commandMsg returns the i-th command of a run: an assign the first time a
// user comes round, a release the next, and so on, so that every command
// reads and then writes at the vendor.
func commandMsg(run string, i int) *nats.Msg {
	typ := events.SubjectAssign
	if (i/users)%2 == 1 {
		typ = events.SubjectRelease
	}
	return commandMessage(typ, fmt.Sprintf("%s-%07d", run, i), events.CommandData{
		Vendor: "uipath", Account: account, User: userName(i), Licenses: []string{bundle},
	})
}

// commandMessage is the message of a command of type typ with id id.
func commandMessage(typ, id string, data events.CommandData) *nats.Msg {
	cmd := events.NewCommand(typ, "bench/hr", id, time.Now(), data)
	b, err := json.Marshal(cmd)
	if err != nil {
		panic(err)
	}
	return &nats.Msg{
		Subject: typ,
		Data:    b,
		Header:  nats.Header{events.HeaderContentType: {events.ContentType}, nats.MsgIdHdr: {cmd.ID}},
	}
}

// publishAll publishes n messages asynchronously and waits for every PubAck.
func publishAll(b *testing.B, js jetstream.JetStream, n int, msg func(i int) *nats.Msg) {
	b.Helper()
	futures := make([]jetstream.PubAckFuture, 0, 1000) // well under the async limit
	check := func() {
		for _, f := range futures {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				b.Fatalf("publish: %v", err)
			}
		}
		futures = futures[:0]
	}
	for i := range n {
		f, err := js.PublishMsgAsync(msg(i))
		if err != nil {
			b.Fatalf("publish %d: %v", i, err)
		}
		futures = append(futures, f)
		if len(futures) == cap(futures) {
			check()
		}
	}
	check()
}

// results counts the worker's results as they arrive on a core NATS
// subscription and, for commands whose publish time was noted, records the
// latency from publish to result.
type results struct {
	want   int64
	got    atomic.Int64
	failed atomic.Int64
	done   chan struct{}
	once   sync.Once

	mu        sync.Mutex
	published map[string]time.Time // command id -> publish time
	latencies []time.Duration
	last      time.Time
}

func watchResults(b *testing.B, nc *nats.Conn, want int) *results {
	b.Helper()
	r := &results{want: int64(want), done: make(chan struct{}), published: make(map[string]time.Time)}
	subscribeResults(b, nc, r.receive)
	return r
}

// subscribeResults has receive called with every result (and every other
// message on license.*, which receive tells apart) until the benchmark
// ends; no message is dropped for a slow receiver.
func subscribeResults(b *testing.B, nc *nats.Conn, receive nats.MsgHandler) {
	b.Helper()
	sub, err := nc.Subscribe("license.*", receive)
	if err != nil {
		b.Fatal(err)
	}
	if err := sub.SetPendingLimits(-1, -1); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		b.Fatal(err)
	}
}

func (r *results) notePublished(id string, at time.Time) {
	r.mu.Lock()
	r.published[id] = at
	r.mu.Unlock()
}

func (r *results) receive(m *nats.Msg) {
	if !slices.Contains(events.ResultSubjects, m.Subject) {
		return
	}
	now := time.Now()
	if m.Subject == events.SubjectFailed {
		r.failed.Add(1)
	}
	id := strings.TrimSuffix(m.Header.Get(nats.MsgIdHdr), "/result")
	r.mu.Lock()
	if at, ok := r.published[id]; ok {
		r.latencies = append(r.latencies, now.Sub(at))
		delete(r.published, id)
	}
	r.last = now
	r.mu.Unlock()
	if r.got.Add(1) == r.want {
		r.once.Do(func() { close(r.done) })
	}
}

// wait waits for every result; it fails the benchmark after timeout.
func (r *results) wait(b *testing.B, timeout time.Duration) time.Time {
	b.Helper()
	select {
	case <-r.done:
	case <-time.After(timeout):
		b.Fatalf("waited %s for %d results, have %d", timeout, r.want, r.got.Load())
	}
	if n := r.failed.Load(); n > 0 {
		b.Fatalf("%d commands failed", n)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// percentile returns the p-th percentile (0 < p ≤ 1) of the latencies.
func (r *results) percentile(p float64) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.latencies)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// startWorker starts the worker's service (internal/consumer.Start, as
// cmd/worker runs it) with vendor v, logging at info level as the worker
// does, to nowhere. Stopping it is left to the benchmark's cleanup.
func startWorker(b *testing.B, nc *nats.Conn, v vendors.Vendor) *consumer.Service {
	return startWorkerN(b, nc, v, concurrency)
}

// startWorkerN is startWorker with n handlers.
func startWorkerN(b *testing.B, nc *nats.Conn, v vendors.Vendor, n int) *consumer.Service {
	b.Helper()
	enc := zap.NewProductionEncoderConfig()
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.AddSync(io.Discard), zap.InfoLevel))
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := consumer.Start(ctx, consumer.ServiceOptions{
		Conn:            nc,
		Settings:        consumer.DefaultSettings(n),
		Vendors:         vendors.NewRegistry(v),
		Policy:          vendors.DefaultRetryPolicy(),
		Owner:           "bench-worker",
		Concurrency:     n,
		ShutdownTimeout: 10 * time.Second,
		Logger:          log,
	})
	if err != nil {
		cancel()
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cancel()
		<-svc.Done()
	})
	return svc
}

// heapPeak samples the live heap every few milliseconds until stopped.
type heapPeak struct {
	stop chan struct{}
	done chan struct{}
	peak uint64
}

func sampleHeap() *heapPeak {
	h := &heapPeak{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			h.peak = max(h.peak, s[0].Value.Uint64())
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

// Stop ends the sampling and returns the peak in bytes.
func (h *heapPeak) Stop() uint64 {
	close(h.stop)
	<-h.done
	return h.peak
}

// mallocs returns the process's heap allocations so far.
func mallocs() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

const mib = 1 << 20

// cpuTime is the CPU time (user and system) this process has used: the
// server, the fakes and the worker together. Divided by the commands of a
// span it is what a command costs the machine, which other work on the
// machine changes far less than it changes the span's wall time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// connectJS returns a JetStream context on nc.
func connectJS(b *testing.B, nc *nats.Conn) (*nats.Conn, jetstream.JetStream) {
	b.Helper()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4000))
	if err != nil {
		b.Fatal(err)
	}
	return nc, js
}

// jsCount is what a worker has asked of JetStream so far.
type jsCount struct {
	// writes are the messages stored in the buckets' streams and
	// LICENSE_EVENTS: each is one stream write (one fsync under sync
	// always). Read from the streams' last sequences.
	writes uint64
	// requests are the messages the worker's connection sent: API
	// requests (bucket reads and writes), publishes, acks, pulls.
	requests uint64
}

// countJS reads the counters of jsCount; nc is the worker's connection.
func countJS(b *testing.B, js jetstream.JetStream, nc *nats.Conn) jsCount {
	b.Helper()
	var c jsCount
	for _, name := range []string{"KV_" + events.CommandBucket, "KV_" + events.LedgerBucket, events.EventStream} {
		s, err := js.Stream(context.Background(), name)
		if err != nil {
			b.Fatal(err)
		}
		c.writes += s.CachedInfo().State.LastSeq
	}
	c.requests = nc.Stats().OutMsgs
	return c
}

// reportJS reports the JetStream writes and requests per command between
// two counts.
func reportJS(b *testing.B, before, after jsCount, n int) {
	b.ReportMetric(float64(after.writes-before.writes)/float64(n), "js-writes/cmd")
	b.ReportMetric(float64(after.requests-before.requests)/float64(n), "js-requests/cmd")
}

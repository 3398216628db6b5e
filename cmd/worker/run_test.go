package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/natstest"
	"github.com/seatkeeper/seatkeeper/internal/vendors/arcgis/arcgistest"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring/licensespringtest"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365/m365test"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360/msp360test"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// Recognisable secret values: none may appear in the worker's output.
const (
	embeddedToken    = "embedded-token-3b9e71-must-not-print"
	embeddedPassword = "embedded-password-c40d2a-must-not-print"
	natsToken        = "nats-token-81f6e0-must-not-print"
	uipathSecret     = "uipath-secret-5d1c77-must-not-print"
)

// fakeSecrets are the credentials the sandbox's fakes accept: the worker
// sends them, but must not print them either.
var fakeSecrets = []string{
	uipathtest.ClientSecret, msp360test.Password, licensespringtest.APIKey,
	arcgistest.AdminPassword, m365test.ClientSecret,
}

// worker is run() in-process, its output captured line by line.
type worker struct {
	t        *testing.T
	cancel   context.CancelFunc
	done     chan error // run's return value
	eof      chan struct{}
	ready    chan struct{}
	httpAddr string // where the probes and metrics are served
	natsURL  string // the embedded server's client URL

	mu    sync.Mutex
	lines []string
}

// workerEnv sets the environment of a sandbox worker with its data in dir.
// Port 0 lets the system choose its ports as it binds them: a port found
// free first and bound later could be taken in between. startWorker reads
// the bound addresses from the log.
func workerEnv(t *testing.T, dir string) {
	t.Helper()
	cleanEnv(t)
	t.Setenv("SEATKEEPER_EMBEDDED_LISTEN", "127.0.0.1:0")
	t.Setenv("SEATKEEPER_HTTP_ADDR", "127.0.0.1:0")
	t.Setenv("SEATKEEPER_DATA_DIR", dir)
	t.Setenv("SEATKEEPER_CONCURRENCY", "4")
	t.Setenv("SEATKEEPER_SHUTDOWN_TIMEOUT", "5s")
}

// startWorker runs the worker with args, waits for its "ready" line and
// learns from the log where it listens.
func startWorker(t *testing.T, args ...string) *worker {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	w := &worker{
		t: t, cancel: cancel, done: make(chan error, 1), eof: make(chan struct{}), ready: make(chan struct{}),
	}
	go w.read(pr)
	go func() {
		err := run(ctx, args, pw)
		_ = pw.Close()
		w.done <- err
	}()
	t.Cleanup(func() {
		cancel()
		<-w.eof
	})
	select {
	case <-w.ready:
	case err := <-w.done:
		t.Fatalf("run returned before ready: %v\n%s", err, w.output())
	case <-time.After(60 * time.Second):
		t.Fatalf("no ready line within 60s:\n%s", w.output())
	}
	w.natsURL, _ = w.entry("embedded nats-server started")["listen"].(string)
	w.httpAddr, _ = w.entry("serving probes and metrics")["addr"].(string)
	if !strings.HasPrefix(w.natsURL, "nats://127.0.0.1:") || !strings.HasPrefix(w.httpAddr, "127.0.0.1:") {
		t.Fatalf("the log gives the embedded server as %q and the HTTP server as %q", w.natsURL, w.httpAddr)
	}
	return w
}

func (w *worker) read(r io.Reader) {
	defer close(w.eof)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		w.mu.Lock()
		w.lines = append(w.lines, line)
		w.mu.Unlock()
		var entry struct{ Msg string }
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "ready" {
			close(w.ready)
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

func (w *worker) output() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.lines, "\n")
}

// entry returns the first log entry whose msg is msg.
func (w *worker) entry(msg string) map[string]any {
	w.t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, line := range w.lines {
		var e map[string]any
		if json.Unmarshal([]byte(line), &e) == nil && e["msg"] == msg {
			return e
		}
	}
	w.t.Fatalf("no %q log line", msg)
	return nil
}

// stop cancels run's context and returns what run returned.
func (w *worker) stop() error {
	w.t.Helper()
	w.cancel()
	select {
	case err := <-w.done:
		<-w.eof
		return err
	case <-time.After(30 * time.Second):
		w.t.Fatalf("run did not return within 30s of the cancel:\n%s", w.output())
		return nil
	}
}

// get fetches path from the worker's HTTP server.
func (w *worker) get(path string) (int, string) {
	w.t.Helper()
	resp, err := http.Get("http://" + w.httpAddr + path)
	if err != nil {
		w.t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		w.t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(b)
}

// list publishes a license.list command for the UiPath demo admin and waits
// for its result.
func list(t *testing.T, nc *nats.Conn, id string) events.Result {
	t.Helper()
	sub, err := nc.SubscribeSync(events.SubjectListed)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	cmd := events.NewCommand(events.SubjectList, "test/hr", id, time.Now(), events.CommandData{
		Vendor: "uipath", Account: uipathtest.DemoAccount, User: uipathtest.DemoAdmin,
	})
	b, err := json.Marshal(cmd)
	if err != nil {
		t.Fatal(err)
	}
	msg := &nats.Msg{Subject: cmd.Type, Data: b, Header: nats.Header{events.HeaderContentType: {events.ContentType}}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID(id)); err != nil {
		t.Fatalf("publish: %v", err)
	}
	for {
		m, err := sub.NextMsg(30 * time.Second)
		if err != nil {
			t.Fatalf("no %s result for %s: %v", events.SubjectListed, id, err)
		}
		var res events.Result
		if err := json.Unmarshal(m.Data, &res); err != nil {
			t.Fatalf("result is not JSON: %v", err)
		}
		if res.Data.CommandID == id {
			return res
		}
	}
}

func assertNoSecrets(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s contains the secret %q", what, s)
		}
	}
}

func TestRunSandbox(t *testing.T) {
	workerEnv(t, t.TempDir())
	t.Setenv("SEATKEEPER_EMBEDDED_TOKEN", embeddedToken)
	t.Setenv("NATS_TOKEN", natsToken)
	t.Setenv("UIPATH_CLIENT_SECRET", uipathSecret)
	w := startWorker(t, "-sandbox")

	t.Run("start log masks secrets", func(t *testing.T) {
		start := w.entry("starting")
		cfg, _ := start["config"].(map[string]any)
		if got := cfg["SEATKEEPER_EMBEDDED_TOKEN"]; got != "******" {
			t.Errorf("start log SEATKEEPER_EMBEDDED_TOKEN = %v, want it masked", got)
		}
		if got := cfg["SEATKEEPER_HTTP_ADDR"]; got != "127.0.0.1:0" {
			t.Errorf("start log SEATKEEPER_HTTP_ADDR = %v, want 127.0.0.1:0", got)
		}
		natsCfg, _ := start["nats"].(map[string]any)
		if got := natsCfg["NATS_TOKEN"]; got != "******" {
			t.Errorf("start log NATS_TOKEN = %v, want it masked", got)
		}
		if got := w.entry("ready")["vendors"]; fmt.Sprint(got) != "[arcgis licensespring m365 msp360 uipath]" {
			t.Errorf("ready log vendors = %v, want all five", got)
		}
	})

	t.Run("healthz", func(t *testing.T) {
		if code, body := w.get("/healthz"); code != http.StatusOK {
			t.Errorf("/healthz = %d %s, want 200", code, body)
		}
	})

	t.Run("readyz", func(t *testing.T) {
		code, body := w.get("/readyz")
		var got map[string]string
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("/readyz body %q: %v", body, err)
		}
		if code != http.StatusOK || got["consumer"] != "bound" || got["nats"] != "CONNECTED" || got["status"] != "ready" {
			t.Errorf("/readyz = %d %v, want 200 with consumer bound and nats CONNECTED", code, got)
		}
		for _, v := range events.Vendors {
			if got["vendor_"+v] != "circuit closed" {
				t.Errorf("/readyz reports %s as %q, want its circuit breaker closed", v, got["vendor_"+v])
			}
		}
	})

	t.Run("metrics", func(t *testing.T) {
		nc := natstest.Connect(t, w.natsURL, nats.Token(embeddedToken))
		if res := list(t, nc, "worker-test-metrics-1"); res.Type != events.SubjectListed {
			t.Fatalf("result type %s, want %s", res.Type, events.SubjectListed)
		}
		// Present once the command above was handled and the pools were
		// first refreshed (in the background, from the ready line on).
		var want []string
		for _, n := range []string{
			"seatkeeper_commands_total", "seatkeeper_command_duration_seconds",
			"seatkeeper_vendor_requests_total", "seatkeeper_vendor_request_duration_seconds",
			"seatkeeper_commands_in_flight", "seatkeeper_consumer_pending",
			"seatkeeper_license_pool_total", "seatkeeper_license_pool_assigned",
			"seatkeeper_vendor_circuit_state", "seatkeeper_vendor_retries_total",
		} {
			want = append(want, "\n# TYPE "+n+" ")
		}
		want = append(want,
			`seatkeeper_commands_total{outcome="ok",type="license.list",vendor="uipath"} 1`,
			`seatkeeper_vendor_requests_total{operation=`,
			`seatkeeper_license_pool_total{account="`+uipathtest.DemoAccount+`"`,
			`seatkeeper_license_pool_assigned{account="`+uipathtest.DemoAccount+`"`,
			`seatkeeper_vendor_circuit_state{state="closed",vendor="uipath"} 1`,
			`seatkeeper_vendor_retries_total{vendor="uipath"} 0`,
		)
		var body string
		missing := func() []string {
			var out []string
			for _, w := range want {
				if !strings.Contains(body, w) {
					out = append(out, strings.TrimSpace(w))
				}
			}
			return out
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			var code int
			if code, body = w.get("/metrics"); code == http.StatusOK && len(missing()) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("/metrics lacks %q after 30s:\n%s", missing(), body)
			}
			time.Sleep(20 * time.Millisecond) // polling: nothing announces a scrape-worthy change
		}
		// seatkeeper_vendor_retries_total has a series per vendor only
		// after that vendor's first retry, which the sandbox never needs.
		if strings.Contains(body, "seatkeeper_vendor_retries_total{") {
			t.Log("seatkeeper_vendor_retries_total has a series without any retry")
		}
	})

	if err := w.stop(); err != nil {
		t.Errorf("run returned %v after the cancel, want nil", err)
	}
	assertNoSecrets(t, "the worker's output", w.output(),
		append([]string{embeddedToken, natsToken, uipathSecret}, fakeSecrets...)...)
	if !strings.Contains(w.output(), `"msg":"stopped"`) {
		t.Errorf("no stopped line in the output")
	}
}

func TestRunPartlyConfiguredVendorFails(t *testing.T) {
	workerEnv(t, t.TempDir())
	t.Setenv("UIPATH_BASE_URL", "https://cloud.uipath.com/acmecorp")
	t.Setenv("UIPATH_CLIENT_SECRET", uipathSecret)
	t.Setenv("SEATKEEPER_EMBEDDED_TOKEN", embeddedToken)
	var out strings.Builder
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // should the run start after all
	go func() { done <- run(ctx, nil, &out) }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("run with a partial vendor configuration did not return")
	}
	if err == nil {
		t.Fatal("run = nil, want an error naming UIPATH_CLIENT_ID")
	}
	if !strings.Contains(err.Error(), "UIPATH_CLIENT_ID") {
		t.Errorf("run = %q, want it to name UIPATH_CLIENT_ID", err)
	}
	assertNoSecrets(t, "the error", err.Error(), uipathSecret, embeddedToken)
	assertNoSecrets(t, "the output", out.String(), uipathSecret, embeddedToken)
}

func TestRunRestartKeepsItsStreams(t *testing.T) {
	dir := t.TempDir()
	type snapshot struct {
		commands, events *jetstream.StreamInfo
		consumer         *jetstream.ConsumerInfo
	}
	runOnce := func(id string) snapshot {
		workerEnv(t, dir)
		t.Setenv("SEATKEEPER_EMBEDDED_USER", "seatkeeper")
		t.Setenv("SEATKEEPER_EMBEDDED_PASSWORD", embeddedPassword)
		w := startWorker(t, "-sandbox")
		nc, err := nats.Connect(w.natsURL, nats.UserInfo("seatkeeper", embeddedPassword))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		list(t, nc, id)
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var s snapshot
		for name, into := range map[string]**jetstream.StreamInfo{events.CommandStream: &s.commands, events.EventStream: &s.events} {
			st, err := js.Stream(ctx, name)
			if err != nil {
				t.Fatalf("stream %s: %v", name, err)
			}
			if *into, err = st.Info(ctx); err != nil {
				t.Fatal(err)
			}
		}
		c, err := js.Consumer(ctx, events.CommandStream, events.WorkerConsumer)
		if err != nil {
			t.Fatalf("consumer: %v", err)
		}
		// The result is published before the command is acked: wait for the
		// ack to land (nothing announces it) before taking the snapshot.
		for {
			if s.consumer, err = c.Info(ctx); err != nil {
				t.Fatal(err)
			}
			if s.consumer.NumAckPending == 0 && s.consumer.NumPending == 0 {
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("the command was never acked: %+v", s.consumer)
			case <-time.After(10 * time.Millisecond):
			}
		}
		nc.Close()
		if err := w.stop(); err != nil {
			t.Errorf("run returned %v, want nil", err)
		}
		assertNoSecrets(t, "the worker's output", w.output(), embeddedPassword)
		return s
	}
	first := runOnce("worker-test-restart-1")
	second := runOnce("worker-test-restart-2")

	for _, tc := range []struct {
		name          string
		before, after time.Time
	}{
		{events.CommandStream, first.commands.Created, second.commands.Created},
		{events.EventStream, first.events.Created, second.events.Created},
		{"consumer " + events.WorkerConsumer, first.consumer.Created, second.consumer.Created},
	} {
		if !tc.after.Equal(tc.before) {
			t.Errorf("%s created %s by the first run, %s by the second: want the same one", tc.name, tc.before, tc.after)
		}
	}
	if got, want := second.events.State.LastSeq, first.events.State.LastSeq+1; got != want {
		t.Errorf("%s last sequence after the restart = %d, want %d: the first run's result and the second's", events.EventStream, got, want)
	}
	if got, want := second.commands.State.LastSeq, first.commands.State.LastSeq+1; got != want {
		t.Errorf("%s last sequence after the restart = %d, want %d", events.CommandStream, got, want)
	}
	if second.consumer.NumPending != 0 || second.consumer.NumAckPending != 0 {
		t.Errorf("consumer after the restart: %d pending, %d unacknowledged; want none", second.consumer.NumPending, second.consumer.NumAckPending)
	}
}

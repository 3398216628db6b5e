package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/natstest"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

const account = uipathtest.DemoAccount

// env is a worker on a real in-process nats-server calling the UiPath fake,
// the only vendor it has: the others answer vendor_not_configured.
type env struct {
	t    *testing.T
	url  string
	fake *uipathtest.Server
	svc  *consumer.Service
}

func testPolicy() vendors.RetryPolicy {
	return vendors.RetryPolicy{
		InitialInterval: 5 * time.Millisecond,
		MaxInterval:     20 * time.Millisecond,
		InProcessBudget: 10 * time.Second,
		TotalBudget:     time.Minute,
		MaxDeferral:     time.Second,
	}
}

func newEnv(t *testing.T, policy vendors.RetryPolicy) *env {
	t.Helper()
	srv := natstest.RunServer(t, nil)
	e := &env{t: t, url: srv.ClientURL()}
	nc := natstest.Connect(t, e.url)
	e.fake = uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	client, err := uipath.New(uipath.Config{
		BaseURL: e.fake.URL, ClientID: uipathtest.ClientID, ClientSecret: uipathtest.ClientSecret,
		Scope: uipathtest.Scope, AccountID: account, RateLimit: 10000, MaxConcurrency: 32,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.svc, err = consumer.Start(ctx, consumer.ServiceOptions{
		Conn:            nc,
		Settings:        consumer.DefaultSettings(32),
		Vendors:         vendors.NewRegistry(client),
		Policy:          policy,
		Owner:           "test-worker",
		Concurrency:     32,
		ShutdownTimeout: 5 * time.Second,
		Logger:          zap.NewNop(),
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		<-e.svc.Done()
	})
	return e
}

// settled waits until the worker has acked every command it was given, and
// so stored every result in LICENSE_EVENTS: --wait returns on a result seen
// on a core subscription, which may come before the stream has stored it,
// and commands that read the trail without following it would miss it.
func (e *env) settled() {
	e.t.Helper()
	testproc.Settled(e.t, e.svc.JS)
}

// out is what one run of publish printed, and its exit status.
type out struct {
	status         int
	stdout, stderr string
}

// run runs publish against the env's server.
func (e *env) run(stdin string, args ...string) out {
	e.t.Helper()
	return e.runCtx(context.Background(), stdin, args...)
}

func (e *env) runCtx(ctx context.Context, stdin string, args ...string) out {
	e.t.Helper()
	var stdout, stderr bytes.Buffer
	args = append(args[:1:1], append([]string{"--server", e.url}, args[1:]...)...)
	status := run(ctx, args, strings.NewReader(stdin), &stdout, &stderr)
	return out{status, stdout.String(), stderr.String()}
}

// notifyBuffer is a buffer safe for concurrent use that announces every
// write, so that a test can wait for output without polling.
type notifyBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{}
}

func newNotifyBuffer() *notifyBuffer { return &notifyBuffer{written: make(chan struct{}, 1)} }

func (b *notifyBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	select {
	case b.written <- struct{}{}:
	default:
	}
	return n, err
}

func (b *notifyBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor waits until the buffer holds want, failing the test after 30 s.
func (b *notifyBuffer) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(b.String(), want) {
		select {
		case <-b.written:
		case <-deadline:
			t.Fatalf("waited 30s for %q in:\n%s", want, b.String())
		}
	}
}

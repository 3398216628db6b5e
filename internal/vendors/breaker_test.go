package vendors_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/fakefaults"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

type states struct {
	mu  sync.Mutex
	got []string
}

func (s *states) ObserveCircuit(vendor, state string) {
	s.mu.Lock()
	s.got = append(s.got, vendor+":"+state)
	s.mu.Unlock()
}

func breakerOnFake(t *testing.T) (*vendors.Breaker, *uipathtest.Server, *fakefaults.Clock, *states) {
	t.Helper()
	fake := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	v, err := uipath.New(uipath.Config{
		BaseURL: fake.URL, ClientID: uipathtest.ClientID, ClientSecret: uipathtest.ClientSecret,
		Scope: uipathtest.Scope, AccountID: uipathtest.DemoAccount,
	}, vendors.NewHTTPClient("uipath", vendors.Limits{}, nil))
	if err != nil {
		t.Fatal(err)
	}
	clk := fakefaults.NewClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	obs := &states{}
	b := vendors.NewBreaker(v, vendors.BreakerConfig{Threshold: 3, Cooldown: 30 * time.Second, Now: clk.Now}, obs)
	return b, fake, clk, obs
}

func TestBreakerOpensProbesAndCloses(t *testing.T) {
	b, fake, clk, obs := breakerOnFake(t)
	ctx := context.Background()
	list := func() error { _, err := b.List(ctx, uipathtest.DemoAccount, uipathtest.DemoUsers[0]); return err }

	fake.SetFailureRate(1, http.StatusInternalServerError)
	for i := 0; i < 3; i++ {
		if err := list(); !errors.Is(err, vendors.ErrTransient) || errors.Is(err, vendors.ErrCircuitOpen) {
			t.Fatalf("failure %d: err = %v, want a transient vendor error", i+1, err)
		}
	}
	calls := len(fake.Requests())
	err := list()
	if !errors.Is(err, vendors.ErrCircuitOpen) || !vendors.Retryable(err) {
		t.Fatalf("after 3 failures: err = %v, want ErrCircuitOpen (transient)", err)
	}
	if got := vendors.RetryAfterOf(err); got != 30*time.Second {
		t.Errorf("RetryAfter = %s, want the 30s cooldown", got)
	}
	if got := len(fake.Requests()); got != calls {
		t.Errorf("the open circuit let %d calls through", got-calls)
	}
	if b.State() != vendors.CircuitOpen {
		t.Errorf("state %s, want open", b.State())
	}

	// Cooldown over, vendor still down: the probe fails and reopens.
	clk.Advance(30 * time.Second)
	if b.State() != vendors.CircuitHalfOpen {
		t.Errorf("state after cooldown %s, want half_open", b.State())
	}
	if err := list(); errors.Is(err, vendors.ErrCircuitOpen) || !errors.Is(err, vendors.ErrTransient) {
		t.Fatalf("probe: err = %v, want the vendor's own failure", err)
	}
	if err := list(); !errors.Is(err, vendors.ErrCircuitOpen) {
		t.Fatalf("after a failed probe: err = %v, want the circuit open again", err)
	}

	// Vendor back: the next probe closes the circuit.
	fake.Recover()
	clk.Advance(30 * time.Second)
	if err := list(); err != nil {
		t.Fatalf("probe after recovery: %v", err)
	}
	if err := list(); err != nil || b.State() != vendors.CircuitClosed {
		t.Fatalf("after recovery: err %v, state %s; want closed", err, b.State())
	}
	want := []string{"uipath:closed", "uipath:open", "uipath:half_open", "uipath:open", "uipath:half_open", "uipath:closed"}
	if len(obs.got) != len(want) {
		t.Fatalf("observed %v, want %v", obs.got, want)
	}
	for i := range want {
		if obs.got[i] != want[i] {
			t.Errorf("observed %v, want %v", obs.got, want)
			break
		}
	}
}

func TestBreakerIgnoresRateLimitsAndPermanentErrors(t *testing.T) {
	b, fake, _, _ := breakerOnFake(t)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		// Unknown users answer 404: the vendor is up.
		if _, err := b.List(ctx, uipathtest.DemoAccount, "nobody"); !errors.Is(err, vendors.ErrUserNotFound) {
			t.Fatalf("err = %v, want ErrUserNotFound", err)
		}
	}
	fake.FailNext(http.StatusTooManyRequests, 5, 0)
	for i := 0; i < 5; i++ {
		if _, err := b.List(ctx, uipathtest.DemoAccount, uipathtest.DemoUsers[0]); !errors.Is(err, vendors.ErrRateLimited) {
			t.Fatalf("err = %v, want ErrRateLimited", err)
		}
	}
	if b.State() != vendors.CircuitClosed {
		t.Errorf("state %s after 404s and 429s, want closed", b.State())
	}
}

func TestRetryDefersAtOnceWhileTheCircuitIsOpen(t *testing.T) {
	b, fake, _, _ := breakerOnFake(t)
	fake.SetFailureRate(1, http.StatusServiceUnavailable)
	p := vendors.RetryPolicy{InitialInterval: time.Millisecond, MaxInterval: time.Millisecond,
		InProcessBudget: time.Hour, TotalBudget: 2 * time.Hour, MaxDeferral: time.Hour}
	attempts, err := p.Retry(context.Background(), time.Now(), func(ctx context.Context) error {
		_, err := b.List(ctx, uipathtest.DemoAccount, uipathtest.DemoUsers[0])
		return err
	})
	var d *vendors.Deferral
	if !errors.As(err, &d) || !errors.Is(err, vendors.ErrCircuitOpen) || d.Delay != 30*time.Second {
		t.Fatalf("Retry: %v after %d attempts, want a 30s deferral once the circuit opens", err, attempts)
	}
	if attempts != 4 {
		t.Errorf("attempts = %d, want 3 failures and the refused 4th", attempts)
	}
}

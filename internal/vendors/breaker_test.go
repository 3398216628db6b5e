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
	return breakerOver(t, vendors.NewHTTPClient("uipath", vendors.Limits{}, nil))
}

// breakerOver is breakerOnFake with the adapter's HTTP client hc.
func breakerOver(t *testing.T, hc *http.Client) (*vendors.Breaker, *uipathtest.Server, *fakefaults.Clock, *states) {
	t.Helper()
	fake := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	v, err := uipath.New(uipath.Config{
		BaseURL: fake.URL, ClientID: uipathtest.ClientID, ClientSecret: uipathtest.ClientSecret,
		Scope: uipathtest.Scope, AccountID: uipathtest.DemoAccount,
	}, hc)
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

// A call whose request the transport held back (here: the vendor's only
// connection stayed busy past the request timeout) tells nothing of the
// vendor: it neither counts towards opening the circuit nor resets the
// count, and a probe held back leaves the circuit half open.
func TestBreakerIgnoresRequestsNotSent(t *testing.T) {
	hc := vendors.NewHTTPClient("uipath", vendors.Limits{MaxConcurrency: 1, RequestTimeout: 50 * time.Millisecond}, nil)
	b, fake, clk, _ := breakerOver(t, hc)
	ctx := context.Background()
	list := func() error { _, err := b.List(ctx, uipathtest.DemoAccount, uipathtest.DemoUsers[0]); return err }
	// holdSlot takes the only connection until the returned func is called.
	holdSlot := func() func() {
		resp, err := hc.Get(fake.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		return func() { resp.Body.Close() }
	}
	if err := list(); err != nil { // fetches the token
		t.Fatal(err)
	}

	fake.SetFailureRate(1, http.StatusInternalServerError)
	for range 2 {
		if err := list(); !errors.Is(err, vendors.ErrTransient) || errors.Is(err, vendors.ErrNotSent) {
			t.Fatalf("err = %v, want the vendor's failure", err)
		}
	}
	release := holdSlot()
	for range 3 {
		if err := list(); !errors.Is(err, vendors.ErrNotSent) {
			t.Fatalf("err = %v, want ErrNotSent", err)
		}
	}
	release()
	if b.State() != vendors.CircuitClosed {
		t.Fatalf("state %s after 2 failures and 3 requests not sent, want closed", b.State())
	}
	if err := list(); errors.Is(err, vendors.ErrCircuitOpen) {
		t.Fatalf("third failure: %v, want the vendor's own", err)
	}
	if b.State() != vendors.CircuitOpen {
		t.Fatalf("state %s after the third failure, want open: the requests not sent reset the count", b.State())
	}

	clk.Advance(30 * time.Second)
	release = holdSlot()
	if err := list(); !errors.Is(err, vendors.ErrNotSent) {
		t.Fatalf("probe: err = %v, want ErrNotSent", err)
	}
	release()
	if b.State() != vendors.CircuitHalfOpen {
		t.Fatalf("state %s after a probe that was not sent, want half_open", b.State())
	}
	fake.Recover()
	if err := list(); err != nil || b.State() != vendors.CircuitClosed {
		t.Fatalf("next probe: %v, state %s; want success and closed", err, b.State())
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

// Open tells, without calling the vendor or taking the probe, what a call
// would be answered: refused with the wait until the probe while the
// circuit is open, let through once the cooldown is over.
func TestBreakerOpenSaysWhatACallWouldGet(t *testing.T) {
	b, fake, clk, _ := breakerOnFake(t)
	ctx := context.Background()
	list := func() error { _, err := b.List(ctx, uipathtest.DemoAccount, uipathtest.DemoUsers[0]); return err }
	if err := b.Open(); err != nil {
		t.Fatalf("closed circuit: Open() = %v, want nil", err)
	}
	fake.SetFailureRate(1, http.StatusServiceUnavailable)
	for range 3 {
		_ = list()
	}
	calls := len(fake.Requests())
	err := b.Open()
	if !errors.Is(err, vendors.ErrCircuitOpen) || vendors.RetryAfterOf(err) != 30*time.Second {
		t.Fatalf("open circuit: Open() = %v (retry after %s), want ErrCircuitOpen after 30s", err, vendors.RetryAfterOf(err))
	}
	clk.Advance(30 * time.Second)
	if err := b.Open(); err != nil {
		t.Fatalf("cooldown over: Open() = %v, want nil (a call would be the probe)", err)
	}
	if got := len(fake.Requests()); got != calls {
		t.Errorf("Open called the vendor %d times", got-calls)
	}
	if err := list(); errors.Is(err, vendors.ErrCircuitOpen) {
		t.Errorf("the call after Open: %v, want it let through as the probe (Open took none)", err)
	}
}

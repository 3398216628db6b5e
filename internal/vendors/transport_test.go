package vendors_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// get makes one request with c and reads the whole answer.
func get(t *testing.T, ctx context.Context, c *http.Client, url string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Errorf("GET %s: %v", url, err)
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// okServer answers 200 and counts requests.
func okServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestTransportRateLimit(t *testing.T) {
	srv, hits := okServer(t)
	const (
		ratePerSecond = 50
		burst         = 2
		n             = 12
	)
	c := vendors.NewHTTPClient("uipath", vendors.Limits{RatePerSecond: ratePerSecond, Burst: burst}, nil)
	start := time.Now()
	for range n {
		get(t, context.Background(), c, srv.URL)
	}
	elapsed := time.Since(start)
	// The bucket starts full: burst requests go at once, the rest one per
	// 1/rate. The bound is a floor; a slow machine only adds to it.
	if floor := time.Duration(n-burst) * time.Second / ratePerSecond; elapsed < floor {
		t.Errorf("%d requests at %d/s (burst %d) took %s, want at least %s", n, ratePerSecond, burst, elapsed, floor)
	}
	if got := hits.Load(); got != n {
		t.Errorf("server saw %d requests, want %d", got, n)
	}
}

func TestTransportRateLimitHonoursContext(t *testing.T) {
	srv, _ := okServer(t)
	c := vendors.NewHTTPClient("uipath", vendors.Limits{RatePerSecond: 0.001, Burst: 1}, nil)
	get(t, context.Background(), c, srv.URL) // spends the only token for ~17 min
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	if _, err := c.Do(req); err == nil {
		t.Fatal("a request with a cancelled context waited for a token and succeeded")
	}
}

func TestTransportConcurrencyCap(t *testing.T) {
	const (
		limit = 3
		total = 8
	)
	var inFlight, peak atomic.Int64
	arrived := make(chan struct{}, total+1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		now := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if now <= p || peak.CompareAndSwap(p, now) {
				break
			}
		}
		arrived <- struct{}{}
		<-release
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	var releaseAll sync.Once
	t.Cleanup(func() { releaseAll.Do(func() { close(release) }) }) // runs before srv.Close
	c := vendors.NewHTTPClient("uipath", vendors.Limits{MaxConcurrency: limit}, nil)

	var wg sync.WaitGroup
	for range total {
		wg.Add(1)
		go func() {
			defer wg.Done()
			get(t, context.Background(), c, srv.URL)
		}()
	}
	// The server holds every request until the test releases it, so the
	// first `limit` requests fill the cap and the rest can only arrive as
	// earlier ones are released, one for one.
	for range limit {
		<-arrived
	}
	// While the cap is full, a further request waits for a slot until its
	// context ends and never reaches the server. (Were the cap leaking, the
	// requests waiting above would arrive meanwhile and raise the peak.)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	if _, err := c.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("request beyond the cap: %v, want it to wait until its deadline", err)
	}
	if got := peak.Load(); got != limit {
		t.Fatalf("peak concurrent requests while the cap was full = %d, want %d", got, limit)
	}
	for range total - limit {
		release <- struct{}{}
		<-arrived
		if got := peak.Load(); got != limit {
			t.Fatalf("peak concurrent requests = %d, want %d", got, limit)
		}
	}
	releaseAll.Do(func() { close(release) })
	wg.Wait()
}

// throttleServer answers the first request with status and Retry-After,
// then 200; it reports each request's arrival time.
func throttleServer(t *testing.T, status int, retryAfter string) (*httptest.Server, chan time.Time) {
	var n atomic.Int64
	arrivals := make(chan time.Time, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		arrivals <- time.Now()
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", retryAfter)
			w.WriteHeader(status)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	return srv, arrivals
}

func TestTransportRetryAfterPausesOnlyThatVendor(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			throttled, arrivals := throttleServer(t, status, "1")
			other, otherHits := okServer(t)
			tA := vendors.NewTransport("uipath", vendors.Limits{}, nil)
			tB := vendors.NewTransport("m365", vendors.Limits{}, nil)
			a, b := &http.Client{Transport: tA}, &http.Client{Transport: tB}

			if got := get(t, context.Background(), a, throttled.URL); got != status {
				t.Fatalf("first request: status %d, want %d", got, status)
			}
			answered := time.Now()
			if until := tA.PausedUntil(); until.Before(answered.Add(900 * time.Millisecond)) {
				t.Errorf("paused until %s after the answer, want about 1s", until.Sub(answered))
			}

			second := make(chan int, 1)
			go func() { second <- get(t, context.Background(), a, throttled.URL) }()
			// The other vendor's transport is not paused: its request is
			// answered while the throttled vendor's is still held back.
			if got := get(t, context.Background(), b, other.URL); got != http.StatusOK || otherHits.Load() != 1 {
				t.Errorf("other vendor: status %d after %d hits, want 200 after 1", got, otherHits.Load())
			}
			if !tB.PausedUntil().IsZero() {
				t.Errorf("other vendor paused until %s, want no pause", tB.PausedUntil())
			}
			if len(arrivals) != 1 {
				t.Errorf("the throttled vendor's second request reached the server before the pause ended")
			}
			if got := <-second; got != http.StatusOK {
				t.Errorf("second request: status %d, want 200", got)
			}
			<-arrivals
			if waited := (<-arrivals).Sub(answered); waited < 900*time.Millisecond {
				t.Errorf("second request reached the server %s after the 429, want at least the announced 1s", waited)
			}
		})
	}
}

func TestTransportPauseIsCapped(t *testing.T) {
	const maxPause = 50 * time.Millisecond
	// An hour, and a wait too long for a Duration, which must not wrap
	// around to no pause at all.
	for _, retryAfter := range []string{"3600", "9999999999"} {
		t.Run(retryAfter, func(t *testing.T) {
			throttled, arrivals := throttleServer(t, http.StatusTooManyRequests, retryAfter)
			tr := vendors.NewTransport("uipath", vendors.Limits{MaxRetryAfter: maxPause}, nil)
			c := &http.Client{Transport: tr}

			before := time.Now()
			get(t, context.Background(), c, throttled.URL)
			after := time.Now()
			until := tr.PausedUntil()
			if until.Before(before.Add(maxPause)) || until.After(after.Add(maxPause)) {
				t.Errorf("paused for %s from the request, want the cap %s instead of the announced %ss", until.Sub(before), maxPause, retryAfter)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if got := get(t, ctx, c, throttled.URL); got != http.StatusOK {
				t.Fatalf("second request: status %d, want 200 once the capped pause ended", got)
			}
			first := <-arrivals
			if waited := (<-arrivals).Sub(first); waited < maxPause {
				t.Errorf("second request arrived %s after the first, want at least %s", waited, maxPause)
			}
		})
	}
}

func TestTransportPauseCancelledByContext(t *testing.T) {
	srv, hits := okServer(t)
	tr := vendors.NewTransport("uipath", vendors.Limits{}, nil)
	tr.Pause(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	if _, err := (&http.Client{Transport: tr}).Do(req); !errors.Is(err, context.Canceled) {
		t.Errorf("request during a pause with a cancelled context: %v, want context.Canceled", err)
	}
	if hits.Load() != 0 {
		t.Error("a request reached the server during the pause")
	}
}

func TestTransportPauseKeepsTheLongest(t *testing.T) {
	tr := vendors.NewTransport("uipath", vendors.Limits{}, nil)
	tr.Pause(time.Minute)
	long := tr.PausedUntil()
	tr.Pause(time.Second)
	tr.Pause(-time.Second)
	tr.Pause(0)
	if got := tr.PausedUntil(); !got.Equal(long) {
		t.Errorf("a shorter pause moved the end from %s to %s", long, got)
	}
	// The default cap is 5 minutes.
	before := time.Now()
	tr.Pause(time.Hour)
	if got := tr.PausedUntil().Sub(before); got > 5*time.Minute+time.Second || got < 5*time.Minute-time.Second {
		t.Errorf("an hour's pause lasts %s, want the default cap of 5m", got)
	}
}

// observed is one ObserveVendorRequest call.
type observed struct{ vendor, op, status string }

type recorder struct {
	mu  sync.Mutex
	got []observed
}

func (r *recorder) ObserveVendorRequest(vendor, op, status string, elapsed time.Duration) {
	if elapsed < 0 {
		panic("negative elapsed time")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, observed{vendor, op, status})
}

func TestTransportObserver(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close() // nothing listens there any more

	rec := &recorder{}
	c := vendors.NewHTTPClient("msp360", vendors.Limits{}, rec)
	get(t, vendors.WithOp(context.Background(), "allocate"), c, srv.URL)
	get(t, vendors.WithOp(context.Background(), "lookup"), c, srv.URL+"/missing")
	get(t, context.Background(), c, srv.URL)
	req, _ := http.NewRequestWithContext(vendors.WithOp(context.Background(), "token"), http.MethodPost, gone.URL, nil)
	if _, err := c.Do(req); err == nil {
		t.Error("a request to a closed server succeeded")
	}

	want := []observed{
		{"msp360", "allocate", "200"},
		{"msp360", "lookup", "404"},
		{"msp360", http.MethodGet, "200"}, // no WithOp: the method
		{"msp360", "token", "error"},      // no answer
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.got) != len(want) {
		t.Fatalf("observed %v, want %v", rec.got, want)
	}
	for i := range want {
		if rec.got[i] != want[i] {
			t.Errorf("observation %d = %+v, want %+v", i, rec.got[i], want[i])
		}
	}
}

// A request the transport cannot send within the request timeout fails as
// rate limited (the breaker does not count it, the retry policy waits), and
// at once when the wait is known to be longer than that.
func TestTransportHeldBackRequestIsNotSent(t *testing.T) {
	notSent := func(t *testing.T, err error, minWait, maxWait time.Duration) {
		t.Helper()
		if !errors.Is(err, vendors.ErrNotSent) || !errors.Is(err, vendors.ErrRateLimited) || !errors.Is(err, vendors.ErrTransient) {
			t.Fatalf("err = %v, want ErrNotSent, rate limited (so transient)", err)
		}
		if got := vendors.RetryAfterOf(err); got < minWait || got > maxWait {
			t.Errorf("RetryAfter = %s, want between %s and %s", got, minWait, maxWait)
		}
	}

	t.Run("pause longer than the timeout", func(t *testing.T) {
		srv, hits := okServer(t)
		c := vendors.NewHTTPClient("uipath", vendors.Limits{RequestTimeout: time.Minute, MaxRetryAfter: time.Hour}, nil)
		c.Transport.(*vendors.Transport).Pause(time.Hour)
		_, err := c.Get(srv.URL)
		notSent(t, err, 59*time.Minute, time.Hour)
		if hits.Load() != 0 {
			t.Errorf("%d requests reached the server during the pause", hits.Load())
		}
	})

	t.Run("no token in time", func(t *testing.T) {
		srv, hits := okServer(t)
		c := vendors.NewHTTPClient("uipath", vendors.Limits{RatePerSecond: 0.001, Burst: 1, RequestTimeout: time.Minute}, nil)
		if got := get(t, context.Background(), c, srv.URL); got != http.StatusOK {
			t.Fatalf("first request: %d", got)
		}
		// The next token is some 17 minutes away.
		_, err := c.Get(srv.URL)
		notSent(t, err, 15*time.Minute, 17*time.Minute)
		if hits.Load() != 1 {
			t.Errorf("server saw %d requests, want 1", hits.Load())
		}
	})

	t.Run("every connection busy", func(t *testing.T) {
		srv, hits := okServer(t)
		c := vendors.NewHTTPClient("uipath", vendors.Limits{MaxConcurrency: 1, RequestTimeout: 50 * time.Millisecond}, nil)
		// The first answer's body stays open, and with it the only slot.
		first, err := c.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Get(srv.URL)
		notSent(t, err, 0, 0)
		first.Body.Close()
		if hits.Load() != 1 {
			t.Errorf("server saw %d requests, want 1", hits.Load())
		}
	})
}

package bench_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"golang.org/x/time/rate"

	"github.com/seatkeeper/seatkeeper/internal/natstest"
)

// BenchmarkVendorBound measures the worker where the vendor, not
// seatkeeper, sets the pace (default fsync interval). Every command is an
// assign or a release, which the UiPath adapter does as two calls (read the
// allocation, then write it), so a command's bound is half the vendor's
// request bound.
//
//   - latency: every vendor call takes 50 ms and the adapter allows 64 in
//     flight: 1,280 requests/s, 640 commands/s. The worker runs twice as
//     many handlers, so that the vendor's 64 are never idle while a handler
//     does its JetStream bookkeeping.
//   - ratelimit: the vendor admits 50 requests/s (a token bucket in front of
//     the fake that answers 429 beyond it) and the adapter is configured
//     with the same 50 rps: 25 commands/s, and no 429.
func BenchmarkVendorBound(b *testing.B) {
	b.Run("latency", func(b *testing.B) {
		benchVendor(b, size(640, 6400), 50*time.Millisecond, 0)
	})
	b.Run("ratelimit", func(b *testing.B) {
		benchVendor(b, size(50, 500), 0, 50)
	})
}

func benchVendor(b *testing.B, n int, latency time.Duration, rps float64) {
	var cmdRate, reqRate, peakWindow float64
	var refused int64
	for range b.N {
		b.StopTimer()
		srv := startServer(b, false)
		nc, js := connect(b, srv, 4000)
		setup(b, js)
		run := fmt.Sprintf("vendor-%d", time.Now().UnixNano())
		publishAll(b, js, n, func(i int) *nats.Msg { return commandMsg(run, i) })
		fake := newFake(b)
		fake.SetLatency(latency)
		lim := newLimitedProxy(b, fake.URL, rps)
		client := newClient(b, lim.URL, rps, concurrency)
		wnc := natstest.Connect(b, srv.ClientURL())
		got := watchResults(b, nc, n)
		b.StartTimer()
		start := time.Now()
		startWorkerN(b, wnc, client, 2*concurrency)
		last := got.wait(b, 10*time.Minute)
		elapsed := last.Sub(start)
		cmdRate = float64(n) / elapsed.Seconds()
		reqRate = float64(lim.requests.Load()) / elapsed.Seconds()
		refused = lim.refused.Load()
		peakWindow = float64(lim.peakWindow())
	}
	b.ReportMetric(cmdRate, "cmds/s")
	b.ReportMetric(reqRate, "vendor-req/s")
	b.ReportMetric(float64(refused), "429s")
	if rps > 0 {
		b.ReportMetric(peakWindow, "max-req-in-1s")
		b.ReportMetric(reqRate/rps, "x-bound")
		if refused > 0 {
			b.Errorf("the vendor answered 429 %d times: the adapter's rate limit let too much through", refused)
		}
		return
	}
	bound := float64(concurrency) / latency.Seconds()
	b.ReportMetric(reqRate/bound, "x-bound")
}

// limitedProxy stands in front of the fake as the vendor's own rate limit:
// it forwards license API calls while its token bucket (rps, bursts of one
// second's worth) has a token, and answers 429 with Retry-After otherwise.
// It counts what it forwards and refuses.
type limitedProxy struct {
	URL      string
	limiter  *rate.Limiter
	requests atomic.Int64
	refused  atomic.Int64

	mu  sync.Mutex
	log []time.Time
}

func newLimitedProxy(b *testing.B, target string, rps float64) *limitedProxy {
	b.Helper()
	u, err := url.Parse(target)
	if err != nil {
		b.Fatal(err)
	}
	p := &limitedProxy{}
	if rps > 0 {
		p.limiter = rate.NewLimiter(rate.Limit(rps), int(rps))
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	// Keep a connection per request in flight, as the adapter does.
	rp.Transport = &http.Transport{MaxIdleConns: 4 * concurrency, MaxIdleConnsPerHost: 4 * concurrency}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Path, "/lease_/") {
			rp.ServeHTTP(w, r) // the token endpoint is not rate limited
			return
		}
		if p.limiter != nil && !p.limiter.Allow() {
			p.refused.Add(1)
			w.Header().Set("Retry-After", "1")
			http.Error(w, "rate limit exceeded", http.StatusTooManyRequests)
			return
		}
		p.requests.Add(1)
		p.mu.Lock()
		p.log = append(p.log, time.Now())
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	}))
	b.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

// peakWindow returns the most license API calls forwarded in any one
// second.
func (p *limitedProxy) peakWindow() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	best, lo := 0, 0
	for hi, t := range p.log {
		for t.Sub(p.log[lo]) >= time.Second {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

package vendors

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits bound how hard seatkeeper drives one vendor.
type Limits struct {
	// RatePerSecond is the request rate (token bucket); 0 means unlimited.
	RatePerSecond float64
	// Burst is the bucket size; 0 means 1.
	Burst int
	// MaxConcurrency caps requests in flight; 0 means unlimited.
	MaxConcurrency int
	// RequestTimeout bounds one HTTP exchange, body included, from the
	// moment it is sent; and, separately, how long a request may wait to be
	// sent (for the vendor's pause, a concurrency slot, a rate token). 0
	// means 30 s.
	RequestTimeout time.Duration
	// MaxRetryAfter caps how long a Retry-After may pause the vendor; 0
	// means 5 minutes.
	MaxRetryAfter time.Duration
}

// Observer is told of every vendor HTTP exchange. status is the HTTP status,
// or "error" when no answer came.
type Observer interface {
	ObserveVendorRequest(vendor, op, status string, elapsed time.Duration)
}

type opKey struct{}

// WithOp labels the requests made with ctx as operation op (for metrics).
func WithOp(ctx context.Context, op string) context.Context {
	return context.WithValue(ctx, opKey{}, op)
}

func opOf(r *http.Request) string {
	if op, ok := r.Context().Value(opKey{}).(string); ok {
		return op
	}
	return r.Method
}

// Transport is an http.RoundTripper for one vendor. It enforces the vendor's
// rate limit and concurrency cap and, once the vendor has answered 429 or 503
// with Retry-After, holds back every request to that vendor until the
// announced time. Other vendors have their own Transport and are unaffected.
type Transport struct {
	vendor   string
	next     http.RoundTripper
	limiter  *rate.Limiter
	slots    chan struct{}
	maxPause time.Duration
	timeout  time.Duration
	observer Observer

	mu        sync.Mutex
	notBefore time.Time
}

// NewHTTPClient returns an HTTP client for vendor whose transport enforces
// lim. observer may be nil.
func NewHTTPClient(vendor string, lim Limits, observer Observer) *http.Client {
	return &http.Client{Transport: NewTransport(vendor, lim, observer)}
}

// NewTransport returns the Transport of NewHTTPClient.
func NewTransport(vendor string, lim Limits, observer Observer) *Transport {
	idle := lim.MaxConcurrency
	if idle <= 0 {
		idle = 64
	}
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          idle * 2,
		MaxIdleConnsPerHost:   idle,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	t := &Transport{vendor: vendor, next: base, observer: observer, maxPause: lim.MaxRetryAfter, timeout: lim.RequestTimeout}
	if t.maxPause == 0 {
		t.maxPause = 5 * time.Minute
	}
	if t.timeout == 0 {
		t.timeout = 30 * time.Second
	}
	if lim.RatePerSecond > 0 {
		burst := lim.Burst
		if burst <= 0 {
			burst = 1
		}
		t.limiter = rate.NewLimiter(rate.Limit(lim.RatePerSecond), burst)
	}
	if lim.MaxConcurrency > 0 {
		t.slots = make(chan struct{}, lim.MaxConcurrency)
	}
	return t
}

// RoundTrip implements http.RoundTripper. A request holds its concurrency
// slot until its response body is closed, so reading an answer counts
// against the cap too. The exchange, reading the body included, ends at
// RequestTimeout after the request is sent: a context deadline rather than
// http.Client.Timeout, which costs a goroutine per request.
//
// Waiting to be sent is bounded by RequestTimeout too, but a request that
// could not be sent in time fails as ErrRateLimited and ErrNotSent (see
// admit): the vendor was never called, so it is no vendor failure (the
// Breaker ignores it), and the time it spent queued behind the vendor's
// own limits is not taken from its exchange.
func (t *Transport) RoundTrip(r *http.Request) (*http.Response, error) {
	release, err := t.admit(r.Context(), opOf(r), time.Now().Add(t.timeout))
	if err != nil {
		// The RoundTripper contract: the request body is closed, even on
		// an early error.
		if r.Body != nil {
			_ = r.Body.Close()
		}
		return nil, err
	}
	ctx, cancel := context.WithTimeout(r.Context(), t.timeout)
	start := time.Now()
	resp, err := t.next.RoundTrip(r.WithContext(ctx))
	status := "error"
	if err == nil {
		status = strconv.Itoa(resp.StatusCode)
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			t.Pause(ParseRetryAfter(resp.Header, time.Now()))
		}
		resp.Body = &releasingBody{ReadCloser: resp.Body, release: func() { release(); cancel() }}
	} else {
		release()
		cancel()
	}
	if t.observer != nil {
		t.observer.ObserveVendorRequest(t.vendor, opOf(r), status, time.Since(start))
	}
	return resp, err
}

// admit waits for the vendor's pause to end, a concurrency slot and a
// rate-limit token, in that order, and checks the pause once more last: one
// may have begun while the request waited. It returns the function that
// frees the slot.
//
// It waits until deadline at most, and not at all for a pause or a token
// that comes later than that: the request then fails at once, as
// ErrRateLimited wrapping ErrNotSent, with the wait in RetryAfter when it
// is known, so that the retry policy can hand the command back rather than
// hold it. Cancellation of ctx is returned as ctx.Err().
func (t *Transport) admit(ctx context.Context, op string, deadline time.Time) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	release = func() {}
	if err := t.waitPause(ctx, op, deadline); err != nil {
		return nil, err
	}
	if t.slots != nil {
		if err := t.takeSlot(ctx, op, deadline); err != nil {
			return nil, err
		}
		var once sync.Once
		release = func() { once.Do(func() { <-t.slots }) }
	}
	if t.limiter != nil {
		if err := t.waitToken(ctx, op, deadline); err != nil {
			release()
			return nil, err
		}
	}
	if err := t.waitPause(ctx, op, deadline); err != nil {
		release()
		return nil, err
	}
	return release, nil
}

// takeSlot takes a concurrency slot, waiting for one until deadline.
func (t *Transport) takeSlot(ctx context.Context, op string, deadline time.Time) error {
	select {
	case t.slots <- struct{}{}:
		return nil
	default: // none free: only then is a timer worth its cost
	}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case t.slots <- struct{}{}:
		return nil
	case <-timer.C:
		return t.notSent(op, 0, "all %d connections to the vendor stayed busy", cap(t.slots))
	case <-ctx.Done():
		return ctx.Err()
	}
}

// waitToken takes a rate-limit token, waiting for it unless it comes after
// deadline.
func (t *Transport) waitToken(ctx context.Context, op string, deadline time.Time) error {
	now := time.Now()
	res := t.limiter.ReserveN(now, 1)
	if !res.OK() {
		return t.notSent(op, 0, "the rate limit admits no request")
	}
	wait := res.DelayFrom(now)
	if wait == 0 {
		return nil
	}
	if now.Add(wait).After(deadline) {
		res.CancelAt(now)
		return t.notSent(op, wait, "the rate limit has no token for it in time")
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		res.Cancel()
		return ctx.Err()
	}
}

// notSent is the error of a request that was never sent to the vendor.
func (t *Transport) notSent(op string, retryAfter time.Duration, format string, args ...any) error {
	e := Errorf(ErrRateLimited, op, 0, "held back past the request timeout: "+format, args...)
	e.RetryAfter, e.Err = retryAfter, ErrNotSent
	return e
}

// releasingBody frees the request's concurrency slot, and its deadline,
// when the body is closed.
type releasingBody struct {
	io.ReadCloser
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}

// Pause holds back every request to the vendor for d (capped), unless a
// longer pause is already in force. Adapters call it for a rate-limit answer
// that does not arrive as HTTP 429.
func (t *Transport) Pause(d time.Duration) {
	if d <= 0 {
		return
	}
	if d > t.maxPause {
		d = t.maxPause
	}
	until := time.Now().Add(d)
	t.mu.Lock()
	if until.After(t.notBefore) {
		t.notBefore = until
	}
	t.mu.Unlock()
}

// PausedUntil returns when the current pause ends (zero or past: none).
func (t *Transport) PausedUntil() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.notBefore
}

// waitPause waits for the vendor's pause to end, unless it ends after
// deadline.
func (t *Transport) waitPause(ctx context.Context, op string, deadline time.Time) error {
	for {
		until := t.PausedUntil()
		wait := time.Until(until)
		if wait <= 0 {
			return nil
		}
		if until.After(deadline) {
			return t.notSent(op, wait, "the vendor's Retry-After pause lasts longer")
		}
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		}
	}
}

// CloseIdleConnections closes the idle connections of the underlying transport.
func (t *Transport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

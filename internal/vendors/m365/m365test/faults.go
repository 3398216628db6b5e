package m365test

import (
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// faults are the injected failures; Server.mu guards them.
type faults struct {
	failStatus int
	failN      int
	failRetry  time.Duration
	resetN     int
	hangN      int
	latency    time.Duration
	rate       float64
	rateStatus int
	rng        *rand.Rand
	brokenAuth bool
	tokenFail  tokenFailure
	tokenFailN int
}

type tokenFailure struct {
	status      int
	description string
}

func (f *faults) reset(seed int64) {
	*f = faults{rng: rand.New(rand.NewPCG(uint64(seed), 0x6d333635))}
}

func (f *faults) takeTokenFailure() tokenFailure {
	if f.tokenFailN == 0 {
		return tokenFailure{}
	}
	f.tokenFailN--
	return f.tokenFail
}

// FailNext makes the next n Graph calls answer status with a Graph error
// body, and a Retry-After of retryAfter (whole seconds, rounded up) when it
// is not zero.
func (s *Server) FailNext(status, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.failStatus, s.faults.failN, s.faults.failRetry = status, n, retryAfter
}

// FailTokenNext makes the next n token requests answer status with an OAuth
// error whose error_description is description. Tests use it to check that
// nothing of the token endpoint's body reaches an error message.
func (s *Server) FailTokenNext(status, n int, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.tokenFail = tokenFailure{status: status, description: description}
	s.faults.tokenFailN = n
}

// ResetNext makes the next n Graph calls drop the connection without an
// answer. A call that net/http's client would silently repeat (an idempotent
// request on a reused connection) is dropped without counting, so that the
// caller sees n failures.
func (s *Server) ResetNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.resetN = n
}

// HangNext makes the next n Graph calls wait, unanswered, until the client
// gives up or the server closes.
func (s *Server) HangNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.hangN = n
}

// SetLatency delays every Graph answer by d.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.latency = d
}

// SetFailureRate makes each Graph call fail with status with probability p,
// drawn from the RNG seeded by Options.Seed.
func (s *Server) SetFailureRate(p float64, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.rate, s.faults.rateStatus = p, status
}

// Recover clears every fault, BreakAuth included. Issued tokens that were
// expired stay expired.
func (s *Server) Recover() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.reset(s.opts.Seed)
}

// fault is what to do with one Graph call.
type fault struct {
	latency    time.Duration
	hang       bool
	reset      bool
	status     int
	retryAfter time.Duration
}

func (s *Server) nextFault(r *http.Request) fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := &s.faults
	out := fault{latency: f.latency}
	switch {
	case f.hangN > 0:
		f.hangN--
		out.hang = true
	case f.resetN > 0:
		out.reset = true
		if !clientWouldRepeat(r) {
			f.resetN--
		}
	case f.failN > 0:
		f.failN--
		out.status, out.retryAfter = f.failStatus, f.failRetry
	case f.rate > 0 && f.rng.Float64() < f.rate:
		out.status = f.rateStatus
	}
	return out
}

// clientWouldRepeat reports whether net/http's Transport would send r again
// by itself if the connection dropped: an idempotent request on a reused
// connection.
func clientWouldRepeat(r *http.Request) bool {
	n, ok := r.Context().Value(connKey{}).(*atomic.Int64)
	if !ok || n.Load() <= 1 {
		return false
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return r.Header.Get("Idempotency-Key") != "" || r.Header.Get("X-Idempotency-Key") != ""
}

// injectFault applies the next fault to a Graph call; it reports whether
// the call was answered (or dropped) by it.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request) bool {
	f := s.nextFault(r)
	if f.latency > 0 && !s.wait(r, f.latency) {
		return true
	}
	switch {
	case f.hang:
		s.wait(r, -1)
		return true
	case f.reset:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	case f.status != 0:
		if f.retryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((f.retryAfter+time.Second-1)/time.Second)))
		}
		code, msg := faultError(f.status)
		writeGraphError(w, f.status, code, msg)
		return true
	}
	return false
}

// wait blocks for d (forever if d < 0) or until the client gives up or the
// server closes; it reports whether d passed.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	var timeout <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return true
	case <-r.Context().Done():
	case <-s.done:
	}
	return false
}

func faultError(status int) (code, msg string) {
	switch status {
	case http.StatusTooManyRequests:
		return "TooManyRequests", "Too many requests are being made; retry after the time in the Retry-After header."
	case http.StatusServiceUnavailable:
		return "serviceNotAvailable", "The service is temporarily unavailable."
	case http.StatusUnauthorized:
		return "InvalidAuthenticationToken", "Access token has expired or is not yet valid."
	case http.StatusForbidden:
		return "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
	case http.StatusNotFound:
		return "Request_ResourceNotFound", "Resource does not exist or one of its queried reference-property objects are not present."
	}
	if status >= 500 {
		return "UnknownError", "An internal server error occurred."
	}
	return "Request_BadRequest", "The request was refused."
}

// throttleWindow counts Graph calls for Options.RateLimit.
type throttleWindow struct {
	start time.Time
	count int
}

// throttled answers 429 with Retry-After once the tenant has spent its
// RateLimit in the current window.
func (s *Server) throttled(w http.ResponseWriter) bool {
	if s.opts.RateLimit <= 0 {
		return false
	}
	s.mu.Lock()
	now := time.Now()
	tw := &s.throttle
	if tw.start.IsZero() || now.Sub(tw.start) >= s.opts.ThrottleWindow {
		tw.start, tw.count = now, 0
	}
	tw.count++
	over := tw.count > s.opts.RateLimit
	left := tw.start.Add(s.opts.ThrottleWindow).Sub(now)
	s.mu.Unlock()
	if !over {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int((left+time.Second-1)/time.Second))))
	code, msg := faultError(http.StatusTooManyRequests)
	writeGraphError(w, http.StatusTooManyRequests, code, msg)
	return true
}

package licensespringtest

import (
	"net/http"
	"strconv"
	"time"
)

// faults are the injected failures; they apply to every API call.
type faults struct {
	failStatus int
	failN      int
	retryAfter time.Duration
	resetN     int
	hangN      int
	latency    time.Duration
	rate       float64
	rateStatus int
	// authBroken refuses the Management API key (BreakAuth).
	authBroken bool
}

// FailNext makes the next n API calls answer status (with a Retry-After of
// retryAfter, in whole seconds, when it is not zero).
func (s *Server) FailNext(status, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.failStatus, s.faults.failN, s.faults.retryAfter = status, n, retryAfter
}

// ResetNext makes the next n API calls drop the connection without an answer.
func (s *Server) ResetNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.resetN = n
}

// HangNext holds the next n API calls until the client gives up or the
// server closes.
func (s *Server) HangNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.hangN = n
}

// SetLatency delays every API call by d.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.latency = d
}

// SetFailureRate makes each API call answer status with probability p,
// drawn from the RNG seeded with Options.Seed.
func (s *Server) SetFailureRate(p float64, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.rate, s.faults.rateStatus = p, status
}

// ExpireTokens does nothing: LicenseSpring's Management API authenticates
// with a static key, and there is no token to expire. It exists so that the
// fake has the controls every fake has.
func (s *Server) ExpireTokens() {}

// BreakAuth revokes APIKey: every Management API call answers 401 from now
// on (until Recover).
func (s *Server) BreakAuth() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.authBroken = true
}

// Recover clears every fault, BreakAuth included.
func (s *Server) Recover() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = faults{}
}

// fault decides what the injected faults do to one call.
type fault struct {
	latency    time.Duration
	hang       bool
	reset      bool
	status     int
	retryAfter time.Duration
}

func (s *Server) nextFault() fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := fault{latency: s.faults.latency}
	switch {
	case s.faults.hangN > 0:
		s.faults.hangN--
		f.hang = true
	case s.faults.resetN > 0:
		s.faults.resetN--
		f.reset = true
	case s.faults.failN > 0:
		s.faults.failN--
		f.status, f.retryAfter = s.faults.failStatus, s.faults.retryAfter
	case s.faults.rate > 0 && s.rng.Float64() < s.faults.rate:
		f.status = s.faults.rateStatus
	}
	return f
}

// withFaults records every call and applies the injected faults before h.
func (s *Server) withFaults(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		f := s.nextFault()
		if f.latency > 0 && !s.wait(r, time.After(f.latency)) {
			return
		}
		switch {
		case f.hang:
			s.wait(r, nil)
		case f.reset:
			reset(w)
		case f.status != 0:
			if f.retryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(int((f.retryAfter+time.Second-1)/time.Second)))
			}
			writeJSON(w, f.status, map[string]string{"detail": http.StatusText(f.status)})
		default:
			h.ServeHTTP(w, r)
		}
	})
}

// wait blocks until ch fires (true), or the client gives up or the server
// closes (false). A nil ch waits for the latter only.
func (s *Server) wait(r *http.Request, ch <-chan time.Time) bool {
	select {
	case <-ch:
		return true
	case <-r.Context().Done():
	case <-s.done:
	}
	return false
}

// reset closes the connection without a readable answer. It first writes a
// fragment of a status line: net/http's client silently repeats an
// idempotent request when a reused connection closes before sending a
// single byte, which would hide the fault; with a byte read it reports the
// broken exchange instead.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_, _ = buf.WriteString("HTTP/1.1 ")
	_ = buf.Flush()
	_ = conn.Close()
}

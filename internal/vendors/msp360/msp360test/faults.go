package msp360test

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// faults are the injected failures; they apply to license calls only.
type faults struct {
	fail       []failure
	reset      int
	hang       int
	latency    time.Duration
	rate       float64
	rateStatus int
	raceGrants int
}

type failure struct {
	status     int
	retryAfter time.Duration
	message    string
}

// FailNext makes the next n license calls answer status with an ASP.NET
// error body, and a Retry-After of retryAfter (rounded up to seconds) when
// it is not zero.
func (s *Server) FailNext(status, n int, retryAfter time.Duration) {
	s.FailNextMessage(status, n, retryAfter, http.StatusText(status))
}

// FailNextMessage is FailNext with the error body's Message.
func (s *Server) FailNextMessage(status, n int, retryAfter time.Duration, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults.fail = append(s.faults.fail, failure{status: status, retryAfter: retryAfter, message: message})
	}
}

// ResetNext makes the next n license calls end with the connection closed
// after a truncated status line, without a usable answer.
//
// A bare close before the first byte is not enough: net/http's Transport
// silently replays an idempotent request (a GET) that meets it on a reused
// keep-alive connection, so the client would never see the failure.
func (s *Server) ResetNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.reset += n
}

// HangNext makes the next n license calls wait, unanswered, until the
// client gives up or the fake is closed.
func (s *Server) HangNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.hang += n
}

// SetLatency delays every license call by d.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.latency = d
}

// SetFailureRate makes each license call answer status with probability p,
// drawn from the RNG seeded by Options.Seed.
func (s *Server) SetFailureRate(p float64, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.rate, s.faults.rateStatus = p, status
}

// RaceNextGrants makes the next n Grant calls of a free license find it
// taken by another user just before they are served, as when another
// caller wins the race between the list and the grant.
func (s *Server) RaceNextGrants(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.raceGrants += n
}

// Recover clears every fault, including BreakAuth (for logins to come:
// tokens refused stay refused).
func (s *Server) Recover() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = faults{}
	s.authBroken = false
}

// injectFault applies the pending fault to a license call and reports
// whether it answered (or dropped) the call.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	f := &s.faults
	hang, reset := f.hang > 0, false
	var fail *failure
	switch {
	case hang:
		f.hang--
	case f.reset > 0:
		f.reset--
		reset = true
	case len(f.fail) > 0:
		fail = &f.fail[0]
		f.fail = f.fail[1:]
	case f.rate > 0 && s.rng.Float64() < f.rate:
		fail = &failure{status: f.rateStatus, message: http.StatusText(f.rateStatus)}
	}
	latency := f.latency
	s.mu.Unlock()

	switch {
	case hang:
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		panic(http.ErrAbortHandler) // never answer, not even the implicit 200
	case reset:
		dropConnection(w)
		return true
	}
	if latency > 0 && !s.wait(r, latency) {
		panic(http.ErrAbortHandler)
	}
	if fail != nil {
		if fail.retryAfter > 0 {
			secs := int(math.Ceil(fail.retryAfter.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
		}
		writeMessage(w, fail.status, fail.message)
		return true
	}
	return false
}

// wait sleeps for d unless the client leaves or the fake closes first.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.done:
	}
	return false
}

func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("msp360test: the response writer cannot be hijacked")
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	_, _ = buf.WriteString("HTTP/1.1 5")
	_ = buf.Flush()
	_ = conn.Close()
}

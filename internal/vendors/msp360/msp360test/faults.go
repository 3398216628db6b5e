package msp360test

import (
	"net/http"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors/fakefaults"
)

// newFaults returns the fault state of a fake. Injected failures answer an
// ASP.NET error body, and faults add up: FailNext after FailNext queues the
// second failure behind the first, ResetNext and HangNext add to the count.
func newFaults(seed int64) *fakefaults.Faults {
	return fakefaults.New(fakefaults.Config{
		Seed:       seed,
		Accumulate: true,
		WriteFailure: func(w http.ResponseWriter, _ *http.Request, f fakefaults.Failure) {
			msg := f.Message
			if msg == "" {
				msg = http.StatusText(f.Status)
			}
			writeMessage(w, f.Status, msg)
		},
	})
}

// FailNext makes the next n license calls answer status with an ASP.NET
// error body, and a Retry-After of retryAfter (rounded up to seconds) when
// it is not zero.
func (s *Server) FailNext(status, n int, retryAfter time.Duration) {
	s.FailNextMessage(status, n, retryAfter, http.StatusText(status))
}

// FailNextMessage is FailNext with the error body's Message (empty means the
// status text).
func (s *Server) FailNextMessage(status, n int, retryAfter time.Duration, message string) {
	s.faults.FailNext(fakefaults.Failure{Status: status, RetryAfter: retryAfter, Message: message}, n)
}

// ResetNext makes the next n license calls end with the connection closed
// after a truncated status line, without a usable answer.
//
// A bare close before the first byte is not enough: net/http's Transport
// silently replays an idempotent request (a GET) that meets it on a reused
// keep-alive connection, so the client would never see the failure.
func (s *Server) ResetNext(n int) { s.faults.ResetNext(n) }

// HangNext makes the next n license calls wait, unanswered, until the
// client gives up or the fake is closed.
func (s *Server) HangNext(n int) { s.faults.HangNext(n) }

// SetLatency delays every license call by d.
func (s *Server) SetLatency(d time.Duration) { s.faults.SetLatency(d) }

// SetFailureRate makes each license call answer status with probability p,
// drawn from the RNG seeded by Options.Seed.
func (s *Server) SetFailureRate(p float64, status int) { s.faults.SetFailureRate(p, status) }

// RaceNextGrants makes the next n Grant calls of a free license find it
// taken by another user just before they are served, as when another
// caller wins the race between the list and the grant.
func (s *Server) RaceNextGrants(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raceGrants += n
}

// Recover clears every fault, including BreakAuth (for logins to come:
// tokens refused stay refused).
func (s *Server) Recover() {
	s.faults.Recover()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.raceGrants = 0
	s.authBroken = false
}

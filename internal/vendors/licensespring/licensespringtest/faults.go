package licensespringtest

import (
	"net/http"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors/fakefaults"
)

// newFaults returns the fault state of a fake: they apply to every API
// call, and injected failures answer {"detail": ...}.
func newFaults(seed int64) *fakefaults.Faults {
	return fakefaults.New(fakefaults.Config{
		Seed: seed,
		WriteFailure: func(w http.ResponseWriter, _ *http.Request, f fakefaults.Failure) {
			writeJSON(w, f.Status, detail(http.StatusText(f.Status)))
		},
	})
}

// FailNext makes the next n API calls answer status (with a Retry-After of
// retryAfter, in whole seconds, when it is not zero).
func (s *Server) FailNext(status, n int, retryAfter time.Duration) {
	s.faults.FailNext(fakefaults.Failure{Status: status, RetryAfter: retryAfter}, n)
}

// ResetNext makes the next n API calls drop the connection without an answer.
func (s *Server) ResetNext(n int) { s.faults.ResetNext(n) }

// HangNext holds the next n API calls until the client gives up or the
// server closes.
func (s *Server) HangNext(n int) { s.faults.HangNext(n) }

// SetLatency delays every API call by d.
func (s *Server) SetLatency(d time.Duration) { s.faults.SetLatency(d) }

// SetFailureRate makes each API call answer status with probability p,
// drawn from the RNG seeded with Options.Seed.
func (s *Server) SetFailureRate(p float64, status int) { s.faults.SetFailureRate(p, status) }

// ExpireTokens does nothing: LicenseSpring's Management API authenticates
// with a static key, and there is no token to expire. It exists so that the
// fake has the controls every fake has.
func (s *Server) ExpireTokens() {}

// BreakAuth revokes APIKey: every Management API call answers 401 from now
// on (until Recover).
func (s *Server) BreakAuth() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authBroken = true
}

// Recover clears every fault, BreakAuth included.
func (s *Server) Recover() {
	s.faults.Recover()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authBroken = false
}

// withFaults records every call and applies the injected faults before h.
func (s *Server) withFaults(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.record(r)
		if !s.faults.Inject(w, r) {
			h.ServeHTTP(w, r)
		}
	})
}

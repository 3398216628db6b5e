package m365test

import (
	"net/http"
	"strconv"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors/fakefaults"
)

// newFaults returns the fault state of s: faults apply to Graph calls
// only, and injected failures answer Graph's error object.
func newFaults(seed int64) *fakefaults.Faults {
	return fakefaults.New(fakefaults.Config{
		Seed: seed,
		WriteFailure: func(w http.ResponseWriter, _ *http.Request, f fakefaults.Failure) {
			code, msg := faultError(f.Status)
			writeGraphError(w, f.Status, code, msg)
		},
	})
}

// authFaults are the faults of the token endpoint; Server.mu guards them.
type authFaults struct {
	broken     bool
	tokenFail  tokenFailure
	tokenFailN int
}

type tokenFailure struct {
	status      int
	description string
}

func (f *authFaults) takeTokenFailure() tokenFailure {
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
	s.faults.FailNext(fakefaults.Failure{Status: status, RetryAfter: retryAfter}, n)
}

// FailTokenNext makes the next n token requests answer status with an OAuth
// error whose error_description is description. Tests use it to check that
// nothing of the token endpoint's body reaches an error message.
func (s *Server) FailTokenNext(status, n int, description string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth.tokenFail = tokenFailure{status: status, description: description}
	s.auth.tokenFailN = n
}

// ResetNext makes the next n Graph calls drop the connection without a
// usable answer (after a truncated status line, so that net/http's client
// cannot silently repeat an idempotent call and the caller sees n
// failures).
func (s *Server) ResetNext(n int) { s.faults.ResetNext(n) }

// HangNext makes the next n Graph calls wait, unanswered, until the client
// gives up or the server closes.
func (s *Server) HangNext(n int) { s.faults.HangNext(n) }

// SetLatency delays every Graph answer by d.
func (s *Server) SetLatency(d time.Duration) { s.faults.SetLatency(d) }

// SetFailureRate makes each Graph call fail with status with probability p,
// drawn from the RNG seeded by Options.Seed.
func (s *Server) SetFailureRate(p float64, status int) { s.faults.SetFailureRate(p, status) }

// Recover clears every fault, BreakAuth included. Issued tokens that were
// expired stay expired.
func (s *Server) Recover() {
	s.faults.Recover()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth = authFaults{}
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

package uipathtest

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors/fakefaults"
)

// newFaults returns the fault state of s: injected failures answer with
// ProblemDetails. The fake has no seed option, so SetFailureRate draws from a
// seed that differs from run to run.
func (s *Server) newFaults() *fakefaults.Faults {
	return fakefaults.New(fakefaults.Config{
		Seed: rand.Int64(),
		WriteFailure: func(w http.ResponseWriter, r *http.Request, f fakefaults.Failure) {
			s.problem(w, r, f.Status, fmt.Sprintf("injected failure (HTTP %d)", f.Status))
		},
		// Cut in the body, so that the client meets the loss reading it.
		CutAnswer: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{\"id\":",
	})
}

// FailNext makes the next n license API calls answer status with a
// ProblemDetails body, and with Retry-After (in whole seconds, rounded up)
// when retryAfter is not zero. It replaces an earlier FailNext not yet used
// up.
func (s *Server) FailNext(status, n int, retryAfter time.Duration) {
	s.faults.FailNext(fakefaults.Failure{Status: status, RetryAfter: retryAfter}, n)
}

// ResetNext makes the next n license API calls lose their connection in the
// middle of the answer.
func (s *Server) ResetNext(n int) { s.faults.ResetNext(n) }

// HangNext makes the next n license API calls never answer: the fake holds
// them until the client gives up or the server closes.
func (s *Server) HangNext(n int) { s.faults.HangNext(n) }

// SetLatency delays every license API answer by d.
func (s *Server) SetLatency(d time.Duration) { s.faults.SetLatency(d) }

// SetFailureRate makes each license API call answer status (a 5xx, say), at
// random, with probability p (0 turns it off).
func (s *Server) SetFailureRate(p float64, status int) { s.faults.SetFailureRate(p, status) }

// Recover clears every fault, BreakAuth included.
func (s *Server) Recover() {
	s.faults.Recover()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authBroken = false
}

// licenseAPI records each call, applies faults and the Bearer check, then
// hands the call to next.
func (s *Server) licenseAPI(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		idx := s.record(r, body)
		rw := &statusWriter{ResponseWriter: w}
		defer func() { s.setStatus(idx, rw.status) }()

		if s.faults.Inject(rw, r) {
			return
		}
		if !s.checkToken(rw, r, Scope) {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(rw, r)
	})
}

// checkToken answers 401 or 403 unless r carries a live token with scope.
func (s *Server) checkToken(w http.ResponseWriter, r *http.Request, scope string) bool {
	switch s.authorized(r, scope) {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		s.problem(w, r, http.StatusUnauthorized, "the access token is missing, invalid or expired")
		return false
	case http.StatusForbidden:
		w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope"`)
		s.problem(w, r, http.StatusForbidden, "the access token lacks the scope "+scope)
		return false
	}
	return true
}

func (s *Server) record(r *http.Request, body []byte) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method == http.MethodPut {
		s.writes++
	}
	h := r.Header.Clone()
	h.Del("Authorization")
	return s.requests.Add(Request{At: s.opts.Now(), Method: r.Method, Path: r.URL.Path, Header: h, Body: string(body)})
}

// setStatus notes the status answered to call number seq, if it is still in
// the log.
func (s *Server) setStatus(seq, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests.Update(seq, func(r *Request) { r.Status = status })
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController (the reset's Hijack) reach the
// connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

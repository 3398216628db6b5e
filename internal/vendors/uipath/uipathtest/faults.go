package uipathtest

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// faults are the failures injected into license API calls (the token
// endpoint is affected by BreakAuth only).
type faults struct {
	hangN, resetN  int
	failN          int
	failStatus     int
	failRetryAfter time.Duration
	latency        time.Duration
	failureRate    float64
	rateStatus     int
	authBroken     bool
}

// FailNext makes the next n license API calls answer status with a
// ProblemDetails body, and with Retry-After (in whole seconds, rounded up)
// when retryAfter is not zero. It replaces an earlier FailNext not yet used
// up.
func (s *Server) FailNext(status, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.failStatus, s.faults.failN, s.faults.failRetryAfter = status, n, retryAfter
}

// ResetNext makes the next n license API calls lose their connection in the
// middle of the answer.
func (s *Server) ResetNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.resetN = n
}

// HangNext makes the next n license API calls never answer: the fake holds
// them until the client gives up or the server closes.
func (s *Server) HangNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.hangN = n
}

// SetLatency delays every license API answer by d.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.latency = d
}

// SetFailureRate makes each license API call answer status (a 5xx, say), at
// random, with probability p (0 turns it off).
func (s *Server) SetFailureRate(p float64, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.failureRate, s.faults.rateStatus = p, status
}

// Recover clears every fault, BreakAuth included.
func (s *Server) Recover() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = faults{}
}

type fault int

const (
	noFault fault = iota
	hang
	reset
	fail
)

// nextFault takes the fault the next call suffers, and the latency before it.
func (s *Server) nextFault() (fault, int, time.Duration, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := &s.faults
	switch {
	case f.hangN > 0:
		f.hangN--
		return hang, 0, 0, f.latency
	case f.resetN > 0:
		f.resetN--
		return reset, 0, 0, f.latency
	case f.failN > 0:
		f.failN--
		return fail, f.failStatus, f.failRetryAfter, f.latency
	case f.failureRate > 0 && rand.Float64() < f.failureRate:
		return fail, f.rateStatus, 0, f.latency
	}
	return noFault, 0, 0, f.latency
}

// licenseAPI records each call, applies faults and the Bearer check, then
// hands the call to next.
func (s *Server) licenseAPI(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		idx := s.record(r, body)
		rw := &statusWriter{ResponseWriter: w}
		defer func() { s.setStatus(idx, rw.status) }()

		f, status, retryAfter, latency := s.nextFault()
		if !s.sleep(r.Context(), latency) {
			return
		}
		switch f {
		case hang:
			select {
			case <-r.Context().Done():
			case <-s.closing:
			}
			return
		case reset:
			// Cut the connection part-way through an answer: dropped
			// before any byte, a GET would be retried unseen by
			// net/http's transport.
			if hj, ok := w.(http.Hijacker); ok {
				if conn, buf, err := hj.Hijack(); err == nil {
					buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{\"id\":")
					buf.Flush()
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		case fail:
			if retryAfter > 0 {
				rw.Header().Set("Retry-After", strconv.Itoa(int((retryAfter+time.Second-1)/time.Second)))
			}
			s.problem(rw, r, status, fmt.Sprintf("injected failure (HTTP %d)", status))
			return
		}
		if !s.authorized(r) {
			rw.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			s.problem(rw, r, http.StatusUnauthorized, "the access token is missing, invalid or expired")
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(rw, r)
	})
}

func (s *Server) record(r *http.Request, body []byte) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Method == http.MethodPut {
		s.writes++
	}
	h := r.Header.Clone()
	h.Del("Authorization")
	s.requests = append(s.requests, Request{At: time.Now(), Method: r.Method, Path: r.URL.Path, Header: h, Body: string(body)})
	return len(s.requests) - 1
}

func (s *Server) setStatus(idx, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[idx].Status = status
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

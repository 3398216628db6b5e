package arcgistest

import (
	"net/http"
	"strconv"
	"time"
)

// faults are the injected failures; they apply to license-API calls only,
// never to generateToken.
type faults struct {
	failN      int
	failStatus int
	failRetry  time.Duration
	failInBody bool
	htmlN      int
	resetN     int
	hangN      int
	latency    time.Duration
	rate       float64
	rateStatus int
}

// The web adaptor's page for an unreachable portal, as an IIS or Apache
// front end answers it.
const badGatewayPage = `<!DOCTYPE html><html><head><title>502 - Web server received an invalid response while acting as a gateway or proxy server.</title></head>
<body><h1>Server Error</h1><h2>502 - Web server received an invalid response while acting as a gateway or proxy server.</h2></body></html>`

// FailNext makes the next n license-API calls fail with status, with a
// Retry-After of retryAfter when it is not zero. 498 and 499 answer HTTP 200
// with the code in the error body, as the portal does; other statuses answer
// that HTTP status with a JSON error body.
func (s *Server) FailNext(status, n int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.failN, s.faults.failStatus, s.faults.failRetry = n, status, retryAfter
	s.faults.failInBody = status == 498 || status == 499
}

// FailNextInBody makes the next n license-API calls answer HTTP 200 with
// {"error":{"code":code,...}}, the portal's usual way of failing.
func (s *Server) FailNextInBody(code, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.failN, s.faults.failStatus, s.faults.failRetry, s.faults.failInBody = n, code, 0, true
}

// FailNextHTML makes the next n license-API calls answer HTTP 502 with the
// HTML error page of a web adaptor whose portal does not answer.
func (s *Server) FailNextHTML(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.htmlN = n
}

// ResetNext makes the next n license-API calls drop the connection before
// the answer is complete.
func (s *Server) ResetNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.resetN = n
}

// HangNext holds the next n license-API calls until the client gives up or
// the server closes.
func (s *Server) HangNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.hangN = n
}

// SetLatency delays every license-API call by d.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.latency = d
}

// SetFailureRate makes a fraction p of license-API calls fail with status
// (chosen with the Options.Seed random source, so runs repeat).
func (s *Server) SetFailureRate(p float64, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.rate, s.faults.rateStatus = p, status
}

// Recover clears every fault and the broken credentials of BreakAuth.
func (s *Server) Recover() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = faults{}
	s.authBroken = false
}

// faultAction is what injectFault decided under the lock.
type faultAction struct {
	latency time.Duration
	reset   bool
	hang    bool
	html    bool
	status  int
	retry   time.Duration
	inBody  bool
}

func (s *Server) nextFault() faultAction {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := &s.faults
	a := faultAction{latency: f.latency}
	switch {
	case f.resetN > 0:
		f.resetN--
		a.reset = true
	case f.hangN > 0:
		f.hangN--
		a.hang = true
	case f.htmlN > 0:
		f.htmlN--
		a.html = true
	case f.failN > 0:
		f.failN--
		a.status, a.retry, a.inBody = f.failStatus, f.failRetry, f.failInBody
	case f.rate > 0 && s.rng.Float64() < f.rate:
		a.status = f.rateStatus
		a.inBody = a.status == 498 || a.status == 499
	}
	return a
}

// injectFault applies the next fault to the call; it reports whether the
// call has been answered (or dropped) by it.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request) bool {
	a := s.nextFault()
	if a.latency > 0 && !s.wait(r, a.latency) {
		return true
	}
	switch {
	case a.reset:
		// The connection drops a few bytes into the answer: dropped before
		// any byte, a GET on a reused connection would be repeated unseen
		// by net/http's transport.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, buf, err := hj.Hijack(); err == nil {
				_, _ = buf.WriteString("HTTP/1.1 2")
				_ = buf.Flush()
				_ = conn.Close()
				return true
			}
		}
		panic(http.ErrAbortHandler)
	case a.hang:
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		// Never answer: the connection goes down with the handler.
		panic(http.ErrAbortHandler)
	case a.html:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(badGatewayPage))
		return true
	case a.status == 0:
		return false
	}
	if a.retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((a.retry+time.Second-1)/time.Second)))
	}
	if !a.inBody {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(a.status)
		_, _ = w.Write([]byte(`{"error":{"code":` + strconv.Itoa(a.status) + `,"message":"` + http.StatusText(a.status) + `","details":[]}}`))
		return true
	}
	writeErrorFor(w, r, a.status, faultMessage(a.status))
	return true
}

func faultMessage(code int) string {
	switch code {
	case 498:
		return "Invalid token."
	case 499:
		return "Token Required"
	}
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "Error"
}

// wait sleeps d unless the client gives up or the server closes first.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.done:
		return false
	}
}

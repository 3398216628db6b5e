package arcgistest

import (
	"net/http"
	"strconv"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors/fakefaults"
)

// Forms of an injected failure's answer besides the JSON error body with
// the HTTP status.
const (
	// formInBody answers HTTP 200 with the code in the error body.
	formInBody = iota + 1
	// formHTML answers HTTP 502 with badGatewayPage.
	formHTML
)

// The web adaptor's page for an unreachable portal, as an IIS or Apache
// front end answers it.
const badGatewayPage = `<!DOCTYPE html><html><head><title>502 - Web server received an invalid response while acting as a gateway or proxy server.</title></head>
<body><h1>Server Error</h1><h2>502 - Web server received an invalid response while acting as a gateway or proxy server.</h2></body></html>`

// newFaults returns the fault state of a fake; the faults apply to
// license-API calls only, never to generateToken.
func newFaults(seed int64) *fakefaults.Faults {
	return fakefaults.New(fakefaults.Config{Seed: seed, WriteFailure: writeFault})
}

// writeFault answers an injected failure the way the portal (or the web
// adaptor in front of it) would.
func writeFault(w http.ResponseWriter, r *http.Request, f fakefaults.Failure) {
	switch {
	case f.Form == formHTML:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(badGatewayPage))
	case f.Form == formInBody || f.Status == 498 || f.Status == 499:
		writeErrorFor(w, r, f.Status, faultMessage(f.Status))
	default:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(`{"error":{"code":` + strconv.Itoa(f.Status) + `,"message":"` + http.StatusText(f.Status) + `","details":[]}}`))
	}
}

// FailNext makes the next n license-API calls fail with status, with a
// Retry-After of retryAfter when it is not zero. 498 and 499 answer HTTP 200
// with the code in the error body, as the portal does; other statuses answer
// that HTTP status with a JSON error body.
func (s *Server) FailNext(status, n int, retryAfter time.Duration) {
	s.faults.FailNext(fakefaults.Failure{Status: status, RetryAfter: retryAfter}, n)
}

// FailNextInBody makes the next n license-API calls answer HTTP 200 with
// {"error":{"code":code,...}}, the portal's usual way of failing.
func (s *Server) FailNextInBody(code, n int) {
	s.faults.FailNext(fakefaults.Failure{Status: code, Form: formInBody}, n)
}

// FailNextHTML makes the next n license-API calls answer HTTP 502 with the
// HTML error page of a web adaptor whose portal does not answer. Like
// FailNext and FailNextInBody, it replaces a failure not yet used up.
func (s *Server) FailNextHTML(n int) {
	s.faults.FailNext(fakefaults.Failure{Status: http.StatusBadGateway, Form: formHTML}, n)
}

// ResetNext makes the next n license-API calls drop the connection before
// the answer is complete.
func (s *Server) ResetNext(n int) { s.faults.ResetNext(n) }

// HangNext holds the next n license-API calls until the client gives up or
// the server closes.
func (s *Server) HangNext(n int) { s.faults.HangNext(n) }

// SetLatency delays every license-API call by d.
func (s *Server) SetLatency(d time.Duration) { s.faults.SetLatency(d) }

// SetFailureRate makes a fraction p of license-API calls fail with status
// (chosen with the Options.Seed random source, so runs repeat).
func (s *Server) SetFailureRate(p float64, status int) { s.faults.SetFailureRate(p, status) }

// Recover clears every fault and the broken credentials of BreakAuth.
func (s *Server) Recover() {
	s.faults.Recover()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authBroken = false
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

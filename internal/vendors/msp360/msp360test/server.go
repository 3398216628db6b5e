// Package msp360test is an in-process fake of the MSP360 Managed Backup (MBS)
// API's provider login and license endpoints, in the manner of
// net/http/httptest.
//
// It is written from the vendor reference (the MSP360 API reference) on its
// own and shares no code or wire types with the adapter, so that a misreading
// in one shows up as a failing test instead of being copied into the other.
//
// It reproduces: POST /api/Provider/Login with token expiry; the Bearer check
// on every license call; GET /api/Licenses and /api/Licenses/{id} with every
// field of the reference; Grant, Release and Revoke with their state changes
// and the 400 answers of the reference's ASSUMED section; ASP.NET Web API
// error bodies {"Message":"..."}. Faults (FailNext, ResetNext, HangNext,
// SetLatency, SetFailureRate, RaceNextGrants) apply to the license calls,
// never to the login; ExpireTokens and BreakAuth act on authentication.
package msp360test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors/fakefaults"
)

// Credentials the fake accepts at POST /api/Provider/Login.
const (
	Username = "api-admin@seatkeeper.example"
	Password = "fake-msp360-password-1"
)

// DefaultTokenLifetime is how long an issued token lives unless
// Options.TokenLifetime says otherwise: the reference's two weeks.
const DefaultTokenLifetime = 14 * 24 * time.Hour

// Options configures a fake.
type Options struct {
	// Demo seeds the demo organisation (see DemoUsers and the Demo* codes).
	Demo bool
	// Seed seeds the RNG of SetFailureRate, so that a run is repeatable.
	Seed int64
	// TokenLifetime is the lifetime of issued tokens; 0 means
	// DefaultTokenLifetime.
	TokenLifetime time.Duration
	// Now is the fake's clock, for token and license expiry; nil means
	// time.Now.
	Now func() time.Time
	// KeepRequests bounds the log Requests reads: the latest KeepRequests
	// calls are kept, and at most twice as many. 0 keeps every call, which
	// a long-running fake (the worker's sandbox) cannot afford.
	KeepRequests int
}

// Request is one license-API call the fake received (logins are not
// recorded: their bodies carry the password).
type Request struct {
	Method string
	Path   string
	// Body is the request body as received.
	Body string
	// Authorized reports whether the call carried a valid Bearer token.
	// It is false for a call answered by an injected fault before the
	// check.
	Authorized bool
	At         time.Time
}

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	// URL is the base URL of the fake, e.g. http://127.0.0.1:12345.
	URL string

	srv      *httptest.Server
	now      func() time.Time
	lifetime time.Duration
	faults   *fakefaults.Faults

	mu         sync.Mutex
	users      map[string]string // lower-case user id -> login
	userIDs    map[string]string // lower-case user id -> id as issued
	licenses   map[string]*License
	nextUser   int
	nextLic    int
	tokens     map[string]time.Time
	logins     int
	writes     int
	requests   fakefaults.Log[Request]
	authBroken bool
	raceGrants int // RaceNextGrants
	// expiredStatus answers an expired token (SetExpiredStatus).
	expiredStatus int
	// backups are the users' backup plan runs (SetLastBackup).
	backups map[string][]planRun
}

// New starts a fake. Close it when done.
func New(opts Options) *Server {
	s := &Server{
		now:      opts.Now,
		lifetime: opts.TokenLifetime,
		faults:   newFaults(opts.Seed),
		users:    make(map[string]string),
		userIDs:  make(map[string]string),
		licenses: make(map[string]*License),
		tokens:   make(map[string]time.Time),
		backups:  make(map[string][]planRun),

		expiredStatus: http.StatusUnauthorized,
	}
	s.requests.Keep = opts.KeepRequests
	if s.now == nil {
		s.now = time.Now
	}
	if s.lifetime <= 0 {
		s.lifetime = DefaultTokenLifetime
	}
	if opts.Demo {
		s.seedDemo()
	}
	s.srv = httptest.NewServer(s.routes())
	s.URL = s.srv.URL
	return s
}

// NewServer starts a fake that is closed when t ends.
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s := New(opts)
	t.Cleanup(s.Close)
	return s
}

// Close releases hanging requests and shuts the fake down.
func (s *Server) Close() {
	s.faults.Close()
	s.srv.CloseClientConnections()
	s.srv.Close()
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/Provider/Login", s.login)
	mux.Handle("GET /api/Licenses", s.licenseAPI(s.listLicenses))
	mux.Handle("GET /api/Licenses/{id}", s.licenseAPI(s.getLicense))
	mux.Handle("POST /api/Licenses/Grant", s.licenseAPI(s.write(s.grant)))
	mux.Handle("POST /api/Licenses/Release", s.licenseAPI(s.write(s.release)))
	mux.Handle("POST /api/Licenses/Revoke", s.licenseAPI(s.write(s.revoke)))
	mux.Handle("GET /api/Users", s.licenseAPI(s.listUsers))
	mux.Handle("GET /api/Monitoring/{userID}", s.licenseAPI(s.monitoring))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeMessage(w, http.StatusNotFound,
			"No HTTP resource was found that matches the request URI '"+r.URL.Path+"'.")
	})
	return mux
}

// licenseAPI records a license call, applies the injected faults, checks
// the Bearer token, then calls h.
func (s *Server) licenseAPI(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		idx := s.record(Request{Method: r.Method, Path: r.URL.Path, Body: string(body), At: s.now()})
		if s.faults.Inject(w, r) {
			return
		}
		if status := s.denied(r); status != 0 {
			writeMessage(w, status, msgDenied)
			return
		}
		s.mu.Lock()
		s.requests.Update(idx, func(r *Request) { r.Authorized = true })
		s.mu.Unlock()
		h(w, r)
	})
}

// write counts a state-changing call that reached its handler, refused or
// not.
func (s *Server) write(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.writes++
		s.mu.Unlock()
		h(w, r)
	}
}

func (s *Server) record(r Request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests.Add(r)
}

// Requests returns every license-API call received so far, in order of
// arrival, including those answered by a fault.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests.Entries()
}

// Writes returns how many Grant, Release and Revoke calls reached their
// handler (past faults and the token check), including refused ones.
func (s *Server) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// writeMessage writes an ASP.NET Web API error body.
func writeMessage(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"Message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

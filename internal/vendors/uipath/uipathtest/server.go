// Package uipathtest is an in-process fake of the UiPath License Accountant
// (lease_) API and of the organisation's Identity service (token endpoint,
// user and directory search), written
// from the vendor reference (the UiPath API reference) independently of
// the adapter, in the manner of net/http/httptest.
//
// It reproduces what the adapter relies on: client-credentials tokens that
// expire, the Bearer check (401 without a valid token), the PUT that replaces
// a user's directly allocated bundles and leaves group-held ones alone, the
// allocations read (direct and group entries with lastInUse; a never-licensed
// user answered as Options.NeverLicensed says), the all-or-nothing 409
// against pool totals (also for an unknown code), 404 for an account without
// a license, scopes (PM.License for the license API, PM.User.Read for the
// Identity user API),
// the pools view, ASP.NET ProblemDetails error bodies, and injectable faults
// (latency, random 5xx, a status for the next n calls with Retry-After,
// dropped and hung connections).
package uipathtest

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors/fakefaults"
)

// Credentials the fake accepts unless Options says otherwise.
const (
	ClientID     = "seatkeeper-demo-app"
	ClientSecret = "uipath-demo-client-secret-5f2b9c"
	// Scope is the scope the license API requires.
	Scope = "PM.License"
	// UserReadScope is the scope the Identity user API requires.
	UserReadScope = "PM.User.Read"
)

// DefaultTokenTTL is the lifetime of a token unless Options says otherwise,
// as the identity service announces it (expires_in 3600).
const DefaultTokenTTL = time.Hour

// Options configures a Server.
type Options struct {
	// ClientID and ClientSecret are the credentials the token endpoint
	// accepts; empty means the package's ClientID and ClientSecret.
	ClientID     string
	ClientSecret string
	// TokenTTL is how long an issued token stays valid; 0 means
	// DefaultTokenTTL. expires_in announces it rounded up to whole seconds,
	// so a sub-second TTL makes tokens die before the client expects.
	TokenTTL time.Duration
	// Now is the fake's clock, for token expiry and the request log's
	// times; nil means time.Now.
	Now func() time.Time
	// Demo seeds the demo organisation (DemoAccount, its users and pools).
	Demo bool
	// LeakyErrors makes error bodies quote the request's Authorization
	// header and the token endpoint's errors quote the client secret, as a
	// badly behaved gateway might. Tests use it to prove that an adapter
	// never lets a secret through.
	LeakyErrors bool
	// NeverLicensed is what the allocations read answers for a user the
	// license service has never known.
	NeverLicensed NeverLicensed
	// NoUserRead makes the external application lack UserReadScope: the
	// token endpoint refuses a request for it (invalid_scope).
	NoUserRead bool
	// KeepRequests bounds the log Requests reads: the latest KeepRequests
	// calls are kept, and at most twice as many. 0 keeps every call, which
	// a long-running fake (the worker's sandbox, a benchmark) cannot afford.
	KeepRequests int
}

// Server is a running fake. Its methods are safe for concurrent use.
type Server struct {
	// URL is the organisation base URL, to be used as UIPATH_BASE_URL.
	URL string

	opts   Options
	http   *httptest.Server
	faults *fakefaults.Faults

	mu         sync.Mutex
	accounts   map[string]*account
	tokens     map[string]grant // access token -> what it allows
	issued     []string         // every token ever issued
	tokenReqs  int
	writes     int
	requests   fakefaults.Log[Request]
	identity   int // Identity API calls
	authBroken bool
}

// Request is one call the fake received on the license API (token requests
// are counted by TokenRequests instead).
type Request struct {
	Method string
	Path   string
	// Header is the request's header without Authorization.
	Header http.Header
	// Body is the request body (license API bodies hold no secret).
	Body string
	// At is when the call arrived.
	At time.Time
	// Status is the status answered; 0 while in flight, or when the
	// connection was dropped or hung.
	Status int
}

// New starts a fake. Call Close when done.
func New(opts Options) *Server {
	if opts.ClientID == "" {
		opts.ClientID = ClientID
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = ClientSecret
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = DefaultTokenTTL
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:     opts,
		accounts: make(map[string]*account),
		tokens:   make(map[string]grant),
	}
	s.requests.Keep = opts.KeepRequests
	s.faults = s.newFaults()
	if opts.Demo {
		s.seedDemo()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /identity_/connect/token", s.token)
	mux.Handle("/lease_/api/account/{account}/", s.licenseAPI(s.routes()))
	mux.Handle("/identity_/api/", s.identityAPI(s.identityRoutes()))
	s.http = httptest.NewServer(mux)
	s.URL = s.http.URL
	return s
}

// TB is the part of testing.TB that NewServer needs (the package does not
// import testing, so that worker -sandbox can use it).
type TB interface {
	Helper()
	Cleanup(func())
}

// NewServer starts a fake that is closed when the test ends.
func NewServer(t TB, opts Options) *Server {
	t.Helper()
	s := New(opts)
	t.Cleanup(s.Close)
	return s
}

// Close releases hung requests and shuts the server down.
func (s *Server) Close() {
	s.faults.Close()
	s.http.CloseClientConnections()
	s.http.Close()
}

// Client returns an HTTP client for the server (no timeout of its own).
func (s *Server) Client() *http.Client { return s.http.Client() }

// Requests returns the license API calls received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests.Entries()
}

// Writes returns how many PUTs the license API has received (answered or not).
func (s *Server) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// TokenRequests returns how many requests the token endpoint has received.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenReqs
}

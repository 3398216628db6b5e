// Package m365test is an in-process fake of the parts of Microsoft Graph and
// the Microsoft identity platform that seatkeeper's m365 adapter uses, in the
// manner of net/http/httptest: the client-credentials token endpoint,
// subscribedSkus (with suspended and warning units), a user with its
// licenseAssignmentStates (direct, or inherited from a group) and
// signInActivity, licenseDetails (direct and inherited alike), assignLicense
// (refused whole when it removes an inherited SKU), the users filter on mail
// and userPrincipalName, the users('$...') address form, with Graph's error
// bodies, seat counts, usage-location refusals, throttling and injectable
// faults.
//
// It is written from the vendor reference alone and shares nothing with the
// adapter, so that a misreading in one shows up as a failing test.
//
// Token endpoint: POST {URL}/{tenant}/oauth2/v2.0/token. Graph: {URL}/v1.0/...
// Both live on the one server, so LOGIN_URL and GRAPH_URL are both s.URL.
package m365test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors/fakefaults"
)

// Credentials of the app registration the fake accepts.
const (
	TenantID     = "7c1d6b2e-5f3a-4c8e-9d0b-2a4f6e8c1b3d"
	ClientID     = "5e0b8c3a-2d4f-4a6b-8c1e-3f5a7b9d0e2c"
	ClientSecret = "m365test~Q8r.fake-client-secret-value"
	// Scope is the only scope the token endpoint grants.
	Scope = "https://graph.microsoft.com/.default"
	// TokenTTL is the default lifetime of an issued token (expires_in).
	TokenTTL = 3599 * time.Second
)

// Options configure a Server.
type Options struct {
	// Demo seeds a small demo organisation (see DemoAccount and friends).
	Demo bool
	// Seed drives the fault RNG of SetFailureRate.
	Seed int64
	// TokenTTL is the lifetime of issued tokens; 0 means TokenTTL.
	TokenTTL time.Duration
	// RateLimit, when not 0, is how many Graph requests the tenant may make
	// per ThrottleWindow; past it Graph answers 429 with Retry-After set to
	// the rest of the window.
	RateLimit int
	// ThrottleWindow is the RateLimit window; 0 means one second.
	ThrottleWindow time.Duration
	// NoPremium makes the tenant lack Entra ID P1/P2: reading a user's
	// signInActivity is refused (403).
	NoPremium bool
	// KeepRequests bounds the log Requests reads: the latest KeepRequests
	// calls are kept, and at most twice as many. 0 keeps every call, which
	// a long-running fake (the worker's sandbox) cannot afford.
	KeepRequests int
}

// Request is one Graph call the fake received.
type Request struct {
	Method string
	Path   string
	At     time.Time
}

// Server is a running fake. It is safe for concurrent use.
type Server struct {
	// URL is the base URL of both the token endpoint and Graph.
	URL string

	hs     *httptest.Server
	faults *fakefaults.Faults
	opts   Options

	mu       sync.Mutex
	skus     []*sku
	users    []*user
	tokens   map[string]time.Time // access token → expiry
	issued   []string
	tokenReq int
	requests fakefaults.Log[Request]
	bodies   [][]byte
	writes   int
	throttle throttleWindow
	auth     authFaults
}

// New starts a fake; Close stops it.
func New(opts Options) *Server {
	if opts.TokenTTL == 0 {
		opts.TokenTTL = TokenTTL
	}
	if opts.ThrottleWindow == 0 {
		opts.ThrottleWindow = time.Second
	}
	s := &Server{faults: newFaults(opts.Seed), opts: opts, tokens: make(map[string]time.Time)}
	s.requests.Keep = opts.KeepRequests
	if opts.Demo {
		s.seedDemo()
	}
	s.hs = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.hs.URL
	return s
}

// NewServer starts a fake that t's cleanup closes.
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s := New(opts)
	t.Cleanup(s.Close)
	return s
}

// Close releases hung requests and stops the server.
func (s *Server) Close() {
	s.faults.Close()
	s.hs.Close()
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, "/oauth2/v2.0/token") {
		s.serveToken(w, r)
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/v1.0/") {
		writeGraphError(w, http.StatusNotFound, "UnknownError", "No such endpoint.")
		return
	}
	s.record(r)
	if s.faults.Inject(w, r) {
		return
	}
	if !s.authorized(w, r) {
		return
	}
	if s.throttled(w) {
		return
	}
	s.serveGraph(w, r)
}

func (s *Server) record(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests.Add(Request{Method: r.Method, Path: r.URL.Path, At: time.Now()})
}

// Requests returns every Graph call received so far (token requests aside).
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests.Entries()
}

// Writes returns how many assignLicense calls reached the handler (past
// faults and authentication), refused ones included.
func (s *Server) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// AssignBodies returns the raw body of every assignLicense call that reached
// the handler, in order.
func (s *Server) AssignBodies() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]byte, len(s.bodies))
	for i, b := range s.bodies {
		out[i] = append([]byte(nil), b...)
	}
	return out
}

// TokenRequests returns how many requests reached the token endpoint.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenReq
}

// Tokens returns every access token issued so far, for tests that check
// that none leaks.
func (s *Server) Tokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

// ExpireTokens makes every token issued so far invalid: Graph answers 401
// InvalidAuthenticationToken to them.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// BreakAuth makes the token endpoint refuse the client secret (401
// invalid_client) and invalidates every issued token, as a revoked secret
// whose tokens have expired would. Recover undoes it.
func (s *Server) BreakAuth() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth.broken = true
	clear(s.tokens)
}

// Package licensespringtest is an in-process fake of LicenseSpring's
// Management API (/api/v1/licenses/...: list with pagination, one license,
// assign_user, unassign_user, behind "Authorization: Api-Key <key>") and of
// the License API v4 endpoint GET /api/v4/user_licenses with its request
// signature check, for tests and for worker -sandbox. It is written from the
// vendor reference (the vendor reference) and shares no code with the
// adapter.
//
// Like net/http/httptest, New starts a server on a loopback port; URL is its
// origin. It is safe for concurrent use.
package licensespringtest

import (
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors/fakefaults"
)

// Credentials the fake accepts.
const (
	// APIKey is the Management API key: "Authorization: Api-Key " + APIKey.
	APIKey = "ls-fake-management-api-key"
	// LicenseAPIKey is the License API v4 key (apikey="..." in Authorization).
	LicenseAPIKey = "ls-fake-license-api-key"
	// SharedKey is the License API v4 shared key the signature is made with.
	SharedKey = "ls-fake-shared-key-9f3c2a7b51e04d86"
)

// MaxPageSize is the most licenses one list page holds, as at LicenseSpring
// (a larger limit is capped, not refused); DefaultPageSize is used when the
// request gives no limit.
const (
	MaxPageSize     = 100
	DefaultPageSize = 20
)

// MaxDateAge is how old (or how far ahead) a License API Date may be.
const MaxDateAge = 15 * time.Minute

// Options configures a fake.
type Options struct {
	// Demo seeds a small demo company (see DemoAccount and the Demo* ids).
	Demo bool
	// Seed seeds the RNG of SetFailureRate, so faults are reproducible.
	Seed int64
	// Now is the fake's clock for the License API's Date check; nil means
	// time.Now.
	Now func() time.Time
	// KeepRequests bounds the log Requests reads: the latest KeepRequests
	// calls are kept, and at most twice as many. 0 keeps every call, which
	// a long-running fake (the worker's sandbox) cannot afford.
	KeepRequests int
}

// License describes a license to add with AddLicense.
type License struct {
	// ID is the license id; 0 picks the next free one.
	ID int64
	// ProductShortCode and ProductName name the license's product.
	ProductShortCode string
	ProductName      string
	// LicenseType is "perpetual", "time-limited", "subscription", ...; empty
	// means "perpetual".
	LicenseType string
	// ValidityPeriod is the expiry date ("2031-03-16"), empty for none.
	ValidityPeriod string
	Trial          bool
	// MaxUsers is max_license_users, the number of user slots.
	MaxUsers int
}

// Request is one API call the fake received.
type Request struct {
	Method string
	Path   string
	// Query is the raw query string.
	Query string
	At    time.Time
}

type license struct {
	License
	users []string // emails in assignment order
}

// licenseUser is one license user. LicenseSpring keeps the address as it
// was first given (true_email) and matches it exactly in the license
// list's filter, while one address in any case is one user.
type licenseUser struct {
	id       int64
	email    string // true_email, as first given
	password string
	// lastLogin is the user's last sign-in (last_login); zero: never.
	lastLogin time.Time
}

// Server is the fake.
type Server struct {
	*httptest.Server

	now    func() time.Time
	faults *fakefaults.Faults

	mu       sync.Mutex
	licenses map[int64]*license
	users    map[string]*licenseUser // by normal(email)
	nextID   int64
	nextUser int64
	writes   int
	requests fakefaults.Log[Request]
	pwRNG    *rand.Rand
	// authBroken refuses the Management API key (BreakAuth).
	authBroken bool
}

// New starts a fake. Close it when done.
func New(opts Options) *Server {
	s := &Server{
		now:      opts.Now,
		faults:   newFaults(opts.Seed),
		licenses: make(map[int64]*license),
		users:    make(map[string]*licenseUser),
		nextID:   1719215304300000,
		nextUser: 20000,
		pwRNG:    rand.New(rand.NewSource(opts.Seed + 1)),
	}
	s.requests.Keep = opts.KeepRequests
	if s.now == nil {
		s.now = time.Now
	}
	if opts.Demo {
		s.seedDemo()
	}
	s.Server = httptest.NewServer(s.routes())
	return s
}

// NewServer starts a fake that is closed when t ends.
func NewServer(t testing.TB, opts Options) *Server {
	s := New(opts)
	t.Cleanup(s.Close)
	return s
}

// Close releases held requests and stops the server.
func (s *Server) Close() {
	s.faults.Close()
	s.Server.Close()
}

// AddLicense adds a user-based license and returns its id.
func (s *Server) AddLicense(l License) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.ID == 0 {
		for s.licenses[s.nextID] != nil {
			s.nextID++
		}
		l.ID = s.nextID
		s.nextID++
	}
	if l.LicenseType == "" {
		l.LicenseType = "perpetual"
	}
	s.licenses[l.ID] = &license{License: l}
	return l.ID
}

// AssignUser adds email to license id directly (no API call, not counted in
// Writes), respecting the seat limit. It is for seeding tests.
func (s *Server) AssignUser(id int64, email string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.assign(id, email, "")
	return err
}

// NewUser returns a fresh email address no license is assigned to.
// LicenseSpring creates a license user on first assignment, so nothing is
// stored yet.
func (s *Server) NewUser() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextUser++
	return fmt.Sprintf("user%d@example.com", s.nextUser)
}

// NewStoredUser returns a fresh address in mixed case
// ("User20001@Example.com"): the first assignment stores it so, and the
// license list's filter then matches only that spelling.
func (s *Server) NewStoredUser() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextUser++
	return fmt.Sprintf("User%d@Example.com", s.nextUser)
}

// SetLastLogin sets the last sign-in (last_login) of the license user
// email, in any case; zero means never. It reports whether the user exists.
func (s *Server) SetLastLogin(email string, at time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[normal(email)]
	if u != nil {
		u.lastLogin = at
	}
	return u != nil
}

// Held returns the ids (decimal) of the licenses email holds, sorted.
func (s *Server) Held(email string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var held []string
	for _, id := range s.sortedIDs() {
		if slices.Contains(s.licenses[id].users, normal(email)) {
			held = append(held, strconv.FormatInt(id, 10))
		}
	}
	return held
}

// Pools returns one pool per license: total max_license_users, assigned its
// users.
func (s *Server) Pools() []events.Pool {
	s.mu.Lock()
	defer s.mu.Unlock()
	pools := make([]events.Pool, 0, len(s.licenses))
	for _, id := range s.sortedIDs() {
		l := s.licenses[id]
		pools = append(pools, events.Pool{Code: strconv.FormatInt(id, 10), Total: l.MaxUsers,
			Assigned: len(l.users), Free: max(l.MaxUsers-len(l.users), 0)})
	}
	return pools
}

// Password returns the password the fake issued to the license user email
// (the new_password of assign_user), or "" for an unknown user. Tests use it
// to check that the adapter never lets it out, and to sign in to the License
// API as that user.
func (s *Server) Password(email string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u := s.users[normal(email)]; u != nil {
		return u.password
	}
	return ""
}

// Writes returns how many assign_user and unassign_user calls reached the
// fake's handlers, refused ones included.
func (s *Server) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// Requests returns every API call received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests.Entries()
}

// sortedIDs returns the license ids in ascending order; the caller holds mu.
func (s *Server) sortedIDs() []int64 {
	ids := make([]int64, 0, len(s.licenses))
	for id := range s.licenses {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// normal is the form in which one address in any case is one user.
func normal(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// Errors of the state changes, answered as 400/404 by the API.
var (
	errNoLicense   = fmt.Errorf("license not found")
	errFull        = fmt.Errorf("license has reached the maximum number of license users")
	errAlready     = fmt.Errorf("user is already assigned to this license")
	errNotAssigned = fmt.Errorf("license user not found on this license")
)

// assign adds email to license id; password "" means generate one for a
// new user. It returns the user's password. The caller holds mu.
func (s *Server) assign(id int64, email, password string) (string, error) {
	l := s.licenses[id]
	if l == nil {
		return "", errNoLicense
	}
	given := strings.TrimSpace(email)
	email = normal(email)
	if slices.Contains(l.users, email) {
		return "", errAlready
	}
	if len(l.users) >= l.MaxUsers {
		return "", errFull
	}
	u := s.users[email]
	if u == nil {
		s.nextUser++
		u = &licenseUser{id: s.nextUser, email: given, password: password}
		if u.password == "" {
			u.password = fmt.Sprintf("pw-%08x%08x", s.pwRNG.Uint32(), s.pwRNG.Uint32())
		}
		s.users[email] = u
	}
	l.users = append(l.users, email)
	return u.password, nil
}

// unassign removes email from license id. The caller holds mu.
func (s *Server) unassign(id int64, email string) error {
	l := s.licenses[id]
	if l == nil {
		return errNoLicense
	}
	i := slices.Index(l.users, normal(email))
	if i < 0 {
		return errNotAssigned
	}
	l.users = slices.Delete(l.users, i, i+1)
	return nil
}

// record notes a request.
func (s *Server) record(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests.Add(Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, At: time.Now()})
}

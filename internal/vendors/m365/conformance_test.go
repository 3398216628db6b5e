package m365_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365/m365test"
	"github.com/seatkeeper/seatkeeper/internal/vendors/vendortest"
)

// SKUs every test tenant has: two with room, one full.
const (
	codeA    = "ENTERPRISEPACK"
	codeB    = "SPE_E3"
	codeFull = "VISIOCLIENT"
)

// newTenant starts a fake tenant with the three SKUs.
func newTenant(t *testing.T) *m365test.Server {
	t.Helper()
	s := m365test.NewServer(t, m365test.Options{Seed: 1})
	s.AddSKU(codeA, 1000, 10)
	s.AddSKU(codeB, 500, 0)
	s.AddSKU(codeFull, 3, 3)
	return s
}

// testConfig points an adapter at s.
func testConfig(s *m365test.Server) m365.Config {
	return m365.Config{
		TenantID:       m365test.TenantID,
		ClientID:       m365test.ClientID,
		ClientSecret:   config.Secret(m365test.ClientSecret),
		LoginURL:       s.URL,
		GraphURL:       s.URL,
		RateLimit:      1000,
		MaxConcurrency: 8,
	}
}

// newClient returns an adapter for cfg over a fast, fresh transport (each
// has its own Retry-After pause).
func newClient(t *testing.T, cfg m365.Config) *m365.Client {
	t.Helper()
	hc := vendors.NewHTTPClient(m365.Name, vendors.Limits{
		RatePerSecond: 1000, Burst: 100, MaxConcurrency: 8, RequestTimeout: 10 * time.Second,
	}, nil)
	c, err := m365.New(cfg, hc)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

var userSeq atomic.Int64

// addUser adds a user with a usage location, holding nothing, and returns
// its UPN.
func addUser(s *m365test.Server) string {
	upn := fmt.Sprintf("user%03d@contoso.example", userSeq.Add(1))
	s.AddUser(m365test.User{UPN: upn, UsageLocation: "US"})
	return upn
}

func TestConformance(t *testing.T) {
	s := newTenant(t)
	vendortest.Run(t, vendortest.Harness{
		Vendor:       newClient(t, testConfig(s)),
		Account:      m365test.TenantID,
		NewUser:      func(*testing.T) string { return addUser(s) },
		Codes:        [2]string{codeA, codeB},
		FullCode:     codeFull,
		Held:         func(_ *testing.T, user string) []string { return s.Held(user) },
		Pools:        func(*testing.T) []events.Pool { return s.Pools() },
		Writes:       s.Writes,
		ExpireTokens: s.ExpireTokens,
		BreakAuth:    func(*testing.T) { s.BreakAuth() },
		FailNext:     s.FailNext,
		ResetNext:    s.ResetNext,
	})
}

// The suite again with the default account and users named by object id.
func TestConformanceByObjectID(t *testing.T) {
	s := newTenant(t)
	vendortest.Run(t, vendortest.Harness{
		Vendor: newClient(t, testConfig(s)),
		NewUser: func(*testing.T) string {
			return s.AddUser(m365test.User{UPN: fmt.Sprintf("oid%03d@contoso.example", userSeq.Add(1)), UsageLocation: "FR"})
		},
		Codes:        [2]string{codeA, codeB},
		FullCode:     codeFull,
		Held:         func(_ *testing.T, user string) []string { return s.Held(user) },
		Pools:        func(*testing.T) []events.Pool { return s.Pools() },
		Writes:       s.Writes,
		ExpireTokens: s.ExpireTokens,
		BreakAuth:    func(*testing.T) { s.BreakAuth() },
		FailNext:     s.FailNext,
		ResetNext:    s.ResetNext,
	})
}

// testGroup is the object id of the group that licenses users in tests.
const testGroup = "0b9e6d4c-2a1f-4e3d-8c5b-7a6f9e8d1c2b"

func TestConformanceInherited(t *testing.T) {
	s := newTenant(t)
	vendortest.RunInherited(t, vendortest.Inherited{
		Vendor: newClient(t, testConfig(s)),
		NewUser: func(*testing.T) string {
			user := addUser(s)
			s.GrantFromGroup(user, codeA, testGroup)
			return user
		},
		Inherited:  codeA,
		Direct:     codeB,
		Group:      testGroup,
		Held:       func(_ *testing.T, user string) []string { return s.Held(user) },
		HeldDirect: func(_ *testing.T, user string) []string { return s.HeldDirect(user) },
		Writes:     s.Writes,
	})
}

// Dry runs answer what the real command would, and a UPN in another case is
// the same user.
func TestConformanceFidelity(t *testing.T) {
	s := newTenant(t)
	vendortest.RunFidelity(t, vendortest.Harness{
		Vendor:   newClient(t, testConfig(s)),
		Account:  m365test.TenantID,
		NewUser:  func(*testing.T) string { return addUser(s) },
		Codes:    [2]string{codeA, codeB},
		FullCode: codeFull,
		Held:     func(_ *testing.T, user string) []string { return s.Held(user) },
		Writes:   s.Writes,
	}, vendortest.Fidelity{
		UnknownCode:        "NO_SUCH_SKU",
		CaseInsensitiveIDs: true,
		NewStoredUser: func(*testing.T) string {
			upn := fmt.Sprintf("Stored.User%03d@Contoso.example", userSeq.Add(1))
			s.AddUser(m365test.User{UPN: upn, UsageLocation: "US"})
			return upn
		},
	})
}

var memberSeq atomic.Int64

func TestConformanceDirectory(t *testing.T) {
	s := newTenant(t)
	vendortest.RunDirectory(t, vendortest.DirectoryCase{
		Directory: newClient(t, testConfig(s)),
		NewMember: func(*testing.T) (string, string) {
			n := memberSeq.Add(1)
			email := fmt.Sprintf("Member.%d@Example.com", n)
			id := s.AddUser(m365test.User{UPN: fmt.Sprintf("member%d@contoso.example", n), Mail: email})
			return email, id
		},
		Share: func(_ *testing.T, email string) {
			s.AddUser(m365test.User{UPN: fmt.Sprintf("share%d@contoso.example", memberSeq.Add(1)), Mail: email})
		},
		Unknown: "nobody@example.com",
	})
}

// A user's UPN and object id resolve to its object id.
func TestConformanceResolver(t *testing.T) {
	s := newTenant(t)
	vendortest.RunResolver(t, vendortest.ResolverCase{
		Resolver: newClient(t, testConfig(s)),
		Account:  m365test.TenantID,
		NewUser: func(*testing.T) ([]string, string) {
			upn := fmt.Sprintf("Resolved.User%03d@Contoso.example", userSeq.Add(1))
			id := s.AddUser(m365test.User{UPN: upn})
			return []string{upn, id}, id
		},
		CaseInsensitive: true,
		Unknown:         "nobody@contoso.example",
	})
}

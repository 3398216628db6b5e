package msp360_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360/msp360test"
	"github.com/seatkeeper/seatkeeper/internal/vendors/vendortest"
)

// Pools of the conformance fake.
const (
	codeA    = "Desktop"
	codeB    = "Server"
	codeFull = "SQL Server"
)

// fastLimits keep the rate limiter out of the tests' way.
var fastLimits = vendors.Limits{RatePerSecond: 1000, Burst: 100, MaxConcurrency: 8}

// newClient returns an adapter pointed at s, with its own HTTP client so
// that a Retry-After pause of one test does not slow another.
func newClient(t *testing.T, s *msp360test.Server) *msp360.Client {
	t.Helper()
	return newClientWith(t, s, vendors.NewHTTPClient("msp360", fastLimits, nil))
}

func newClientWith(t *testing.T, s *msp360test.Server, hc *http.Client) *msp360.Client {
	t.Helper()
	c, err := msp360.New(msp360.Config{
		BaseURL:  s.URL,
		Username: msp360test.Username,
		Password: msp360test.Password,
	}, hc)
	if err != nil {
		t.Fatalf("msp360.New: %v", err)
	}
	return c
}

// newConformanceFake returns a fake with two roomy pools and a full one.
func newConformanceFake(t *testing.T) *msp360test.Server {
	t.Helper()
	s := msp360test.NewServer(t, msp360test.Options{Seed: 1})
	s.AddLicenses(codeA, 20)
	s.AddLicenses(codeB, 20)
	holder := s.AddUser("holder@example.test")
	in := time.Now().Add(90 * 24 * time.Hour)
	for range 2 {
		s.AddLicense(msp360test.License{LicenseType: codeFull, UserID: holder, DateExpired: in})
	}
	return s
}

func TestConformance(t *testing.T) {
	tests := []struct {
		name    string
		account string
		// expired is the status the fake answers an expired token with:
		// undocumented, so both are run.
		expired int
	}{
		{"account=", "", http.StatusUnauthorized},
		{"account=" + msp360.DefaultAccount, msp360.DefaultAccount, http.StatusUnauthorized},
		{"expired_token_403", "", http.StatusForbidden},
	}
	for _, tt := range tests {
		account := tt.account
		t.Run(tt.name, func(t *testing.T) {
			s := newConformanceFake(t)
			s.SetExpiredStatus(tt.expired)
			h := vendortest.Harness{
				Vendor:       newClient(t, s),
				Account:      account,
				NewUser:      func(t *testing.T) string { return s.AddUser(t.Name() + "@example.test") },
				Codes:        [2]string{codeA, codeB},
				FullCode:     codeFull,
				Held:         func(_ *testing.T, user string) []string { return s.Held(user) },
				Pools:        func(*testing.T) []events.Pool { return s.Pools() },
				Writes:       s.Writes,
				ExpireTokens: s.ExpireTokens,
				BreakAuth:    func(*testing.T) { s.BreakAuth() },
				FailNext:     s.FailNext,
				ResetNext:    s.ResetNext,
			}
			// MBS user ids are GUIDs, which compare without regard to case.
			vendortest.RunFidelity(t, h, vendortest.Fidelity{UnknownCode: "Exchange", CaseInsensitiveIDs: true})
			vendortest.Run(t, h) // last: it leaves the fake refusing the adapter
		})
	}
}

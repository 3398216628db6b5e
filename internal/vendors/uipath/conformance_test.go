package uipath_test

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
	"github.com/seatkeeper/seatkeeper/internal/vendors/vendortest"
)

// newClient returns an adapter pointed at srv, with the demo account as its
// default and hc as its HTTP client (nil: the production one).
func newClient(t *testing.T, srv *uipathtest.Server, hc *http.Client) *uipath.Client {
	t.Helper()
	c, err := uipath.New(demoConfig(srv), hc)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

var userSeq atomic.Int64

// newUser adds a fresh user to the demo account.
func newUser(t *testing.T, srv *uipathtest.Server) string {
	t.Helper()
	id := fmt.Sprintf("7c3e9d10-0000-4000-8000-%012d", userSeq.Add(1))
	srv.AddUser(uipathtest.DemoAccount, id)
	return id
}

// harness binds an adapter to srv's demo account for the shared suites.
func harness(t *testing.T, srv *uipathtest.Server) vendortest.Harness {
	return vendortest.Harness{
		Vendor:   newClient(t, srv, vendors.NewHTTPClient(uipath.Name, vendors.Limits{RequestTimeout: 5 * time.Second}, nil)),
		NewUser:  func(t *testing.T) string { return newUser(t, srv) },
		Codes:    [2]string{"RPADEVNU", "ATTUNU"},
		FullCode: uipathtest.FullCode,
		Held: func(t *testing.T, user string) []string {
			return srv.Held(uipathtest.DemoAccount, user)
		},
		Pools: func(t *testing.T) []events.Pool {
			return srv.Pools(uipathtest.DemoAccount)
		},
		Writes:       srv.Writes,
		ExpireTokens: srv.ExpireTokens,
		BreakAuth: func(t *testing.T) {
			srv.BreakAuth()
			t.Cleanup(srv.Recover)
		},
		FailNext:  srv.FailNext,
		ResetNext: srv.ResetNext,
	}
}

func TestConformance(t *testing.T) {
	vendortest.Run(t, harness(t, uipathtest.NewServer(t, uipathtest.Options{Demo: true})))
}

// Dry runs answer what the real command would. UiPath user ids are GUIDs the
// service stores as it issued them; they are not compared in another case.
func TestConformanceFidelity(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	vendortest.RunFidelity(t, harness(t, srv), vendortest.Fidelity{UnknownCode: "NOSUCHNU"})
}

func TestConformanceDirectory(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	vendortest.RunDirectory(t, vendortest.DirectoryCase{
		Directory: newClient(t, srv, nil),
		NewMember: func(t *testing.T) (string, string) {
			user := newUser(t, srv)
			email := "Member." + user + "@Example.com"
			srv.SetEmail(acct, user, email)
			return email, user
		},
		Share: func(t *testing.T, email string) {
			srv.SetEmail(acct, newUser(t, srv), email)
		},
		Unknown: "nobody@example.com",
	})
}

// groupSeq names each test's group apart.
var groupSeq atomic.Int64

func TestConformanceInherited(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	group := fmt.Sprintf("0c8a7e52-0000-4000-8000-%012d", groupSeq.Add(1))
	srv.AddGroup(acct, group, "Attended robots", "ATTUNU")
	vendortest.RunInherited(t, vendortest.Inherited{
		Vendor: newClient(t, srv, nil),
		NewUser: func(t *testing.T) string {
			user := newUser(t, srv)
			srv.AddToGroup(acct, user, group)
			return user
		},
		Inherited:  "ATTUNU",
		Direct:     "RPADEVNU",
		Group:      "Attended robots",
		Held:       func(_ *testing.T, user string) []string { return srv.Held(acct, user) },
		HeldDirect: func(_ *testing.T, user string) []string { return srv.HeldDirect(acct, user) },
		Writes:     srv.Writes,
	})
}

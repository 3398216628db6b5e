package arcgis_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/arcgis"
	"github.com/seatkeeper/seatkeeper/internal/vendors/arcgis/arcgistest"
	"github.com/seatkeeper/seatkeeper/internal/vendors/vendortest"
)

// Codes the tests assign: a user type and a Pro entitlement with free seats,
// and a user type with none.
const (
	creator     = "usertype:creatorUT"
	proAdvanced = "pro:desktopAdvN"
	fullType    = "usertype:" + arcgistest.DemoFullUserType
	fullPro     = "pro:" + arcgistest.DemoFullEntitlement
)

var userSeq atomic.Int64

// newFake starts a demo portal with room for the tests' users.
func newFake(t *testing.T) *arcgistest.Server {
	t.Helper()
	fake := arcgistest.NewServer(t, arcgistest.Options{Demo: true, Seed: 1})
	fake.SetUserTypeQuantity("creatorUT", 50)
	fake.SetEntitlementMax("desktopAdvN", 50)
	return fake
}

// testConfig points an adapter at fake; enterprise also sets ADMIN_URL.
func testConfig(fake *arcgistest.Server, enterprise bool) arcgis.Config {
	cfg := arcgis.Config{
		PortalURL:       fake.PortalURL(),
		Username:        arcgistest.AdminUsername,
		Password:        config.Secret(arcgistest.AdminPassword),
		ProListingID:    arcgistest.ProListingID,
		ReleaseUserType: "viewerUT",
		RateLimit:       1000,
		MaxConcurrency:  8,
	}
	if enterprise {
		cfg.AdminURL = fake.AdminURL()
	}
	return cfg
}

func newClient(t *testing.T, cfg arcgis.Config) *arcgis.Client {
	t.Helper()
	hc := vendors.NewHTTPClient("arcgis", vendors.Limits{RatePerSecond: 1000, Burst: 100, RequestTimeout: 5 * time.Second}, nil)
	c, err := arcgis.New(cfg, hc)
	if err != nil {
		t.Fatalf("arcgis.New: %v", err)
	}
	return c
}

// newUser adds a member holding the fallback user type only.
func newUser(fake *arcgistest.Server) string {
	name := fmt.Sprintf("member-%d", userSeq.Add(1))
	fake.AddUser(name, "")
	return name
}

func harness(fake *arcgistest.Server, c *arcgis.Client, enterprise bool) vendortest.Harness {
	pools := fake.PoolsOnline
	if enterprise {
		pools = fake.Pools
	}
	return vendortest.Harness{
		Vendor:       c,
		NewUser:      func(*testing.T) string { return newUser(fake) },
		Codes:        [2]string{creator, proAdvanced},
		FullCode:     fullType,
		Held:         func(_ *testing.T, user string) []string { return fake.Held(user) },
		Pools:        func(*testing.T) []events.Pool { return pools() },
		Writes:       fake.Writes,
		ExpireTokens: fake.ExpireTokens,
		BreakAuth:    func(*testing.T) { fake.BreakAuth() },
		FailNext:     fake.FailNext,
		ResetNext:    fake.ResetNext,
	}
}

// Codes no organisation has. Usernames are compared as given (the vendor
// facts do not say they ignore case): the other-case fidelity case is off.
const (
	unknownType = "usertype:noSuchUT"
	unknownPro  = "pro:noSuchN"
)

// On ArcGIS Online a dry run can check Pro entitlements only: no source
// tells user-type totals there.
func TestConformanceOnline(t *testing.T) {
	fake := newFake(t)
	h := harness(fake, newClient(t, testConfig(fake, false)), false)
	dry := h
	dry.FullCode = fullPro
	vendortest.RunFidelity(t, dry, vendortest.Fidelity{UnknownCode: unknownPro})
	vendortest.Run(t, h)
}

func TestConformanceEnterprise(t *testing.T) {
	fake := newFake(t)
	h := harness(fake, newClient(t, testConfig(fake, true)), true)
	vendortest.RunFidelity(t, h, vendortest.Fidelity{UnknownCode: unknownType})
	vendortest.Run(t, h)
}

// The full Pro entitlement is refused as capacity too, and assigns nothing.
func TestConformanceFullEntitlement(t *testing.T) {
	fake := newFake(t)
	h := harness(fake, newClient(t, testConfig(fake, true)), true)
	h.FullCode = fullPro
	vendortest.RunFidelity(t, h, vendortest.Fidelity{UnknownCode: unknownPro})
	vendortest.Run(t, h)
}

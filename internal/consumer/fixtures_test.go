package consumer_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/arcgis"
	"github.com/seatkeeper/seatkeeper/internal/vendors/arcgis/arcgistest"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring/licensespringtest"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365/m365test"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360/msp360test"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// fixture is one vendor's adapter bound to its fake, with what the
// end-to-end tests need: fresh users, a license code with plenty of seats,
// the fake's view, and a way to make the fake fail everything.
type fixture struct {
	name    string
	vendor  vendors.Vendor
	newUser func() string
	code    string
	held    func(user string) []string
	writes  func() int
	// calls counts the license API calls the fake received.
	calls func() int
	// fullCode names a pool with no free seat.
	fullCode string
	failAll  func()
	// failNext makes the fake's next n calls answer status.
	failNext  func(status, n int, retryAfter time.Duration)
	breakAuth func()
	recover   func()
	// secrets are the credentials the adapter holds, for leak scans;
	// tokens, when the fake can tell, the tokens it issued.
	secrets []string
	tokens  func() []string
	// setSeats resizes the pool of code, where the fixture can.
	setSeats func(n int)
}

// allSecrets returns every credential and issued token of fx.
func allSecrets(fx []*fixture) []string {
	var out []string
	for _, f := range fx {
		out = append(out, f.secrets...)
		if f.tokens != nil {
			out = append(out, f.tokens()...)
		}
	}
	return out
}

// seats is the size of the fixture pools: enough for the biggest test.
const (
	seats       = 1000
	msp360Seats = 200
)

func fastLimits(name string, obs vendors.Observer) *http.Client {
	return vendors.NewHTTPClient(name, vendors.Limits{RatePerSecond: 0, MaxConcurrency: 32}, obs)
}

// fixtures builds all five vendors against their fakes.
func fixtures(t testing.TB, obs vendors.Observer) []*fixture {
	t.Helper()
	return []*fixture{
		uipathFixture(t, obs), arcgisFixture(t, obs), licensespringFixture(t, obs),
		msp360Fixture(t, obs), m365Fixture(t, obs),
	}
}

func registry(fx []*fixture) *vendors.Registry {
	reg := vendors.NewRegistry()
	for _, f := range fx {
		reg.Register(f.vendor)
	}
	return reg
}

// must unwraps an adapter constructor's result; the configurations here are
// fixed, so an error is a bug in the test.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func uipathFixture(t testing.TB, obs vendors.Observer) *fixture {
	f := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	f.SetPool(account, "ATTUNU", seats)
	n := 0
	return &fixture{
		name: "uipath",
		vendor: must(uipath.New(uipath.Config{
			BaseURL: f.URL, ClientID: uipathtest.ClientID, ClientSecret: uipathtest.ClientSecret,
			Scope: uipathtest.Scope, AccountID: account,
		}, fastLimits("uipath", obs))),
		newUser: func() string {
			n++
			u := fmt.Sprintf("fx-user-%d", n)
			f.AddUser(account, u)
			return u
		},
		code:      "ATTUNU",
		held:      func(u string) []string { return f.Held(account, u) },
		writes:    f.Writes,
		calls:     func() int { return len(f.Requests()) },
		fullCode:  uipathtest.FullCode,
		failNext:  f.FailNext,
		breakAuth: f.BreakAuth,
		failAll:   func() { f.SetFailureRate(1, http.StatusInternalServerError) },
		recover:   f.Recover,
		secrets:   []string{uipathtest.ClientSecret},
		tokens:    f.IssuedTokens,
		setSeats:  func(n int) { f.SetPool(account, "ATTUNU", n) },
	}
}

func arcgisFixture(t testing.TB, obs vendors.Observer) *fixture {
	f := arcgistest.NewServer(t, arcgistest.Options{Demo: true})
	f.SetUserTypeQuantity("creatorUT", seats)
	n := 0
	return &fixture{
		name: "arcgis",
		vendor: must(arcgis.New(arcgis.Config{
			PortalURL: f.PortalURL(), AdminURL: f.AdminURL(),
			Username: arcgistest.AdminUsername, Password: arcgistest.AdminPassword,
			ProListingID: arcgistest.ProListingID, ReleaseUserType: arcgistest.FallbackUserType,
		}, fastLimits("arcgis", obs))),
		newUser: func() string {
			n++
			u := fmt.Sprintf("fxuser%d", n)
			f.AddUser(u, arcgistest.FallbackUserType)
			return u
		},
		code:      "usertype:creatorUT",
		held:      f.Held,
		writes:    f.Writes,
		calls:     func() int { return len(f.Requests()) },
		fullCode:  "pro:" + arcgistest.DemoFullEntitlement,
		failNext:  f.FailNext,
		breakAuth: f.BreakAuth,
		failAll:   func() { f.SetFailureRate(1, http.StatusInternalServerError) },
		recover:   f.Recover,
		secrets:   []string{arcgistest.AdminPassword},
		tokens:    f.IssuedTokens,
	}
}

func licensespringFixture(t testing.TB, obs vendors.Observer) *fixture {
	f := licensespringtest.NewServer(t, licensespringtest.Options{Demo: true})
	id := f.AddLicense(licensespringtest.License{ProductShortCode: "fx", MaxUsers: seats})
	return &fixture{
		name: "licensespring",
		vendor: must(licensespring.New(licensespring.Config{
			BaseURL: f.URL, APIKey: licensespringtest.APIKey,
		}, fastLimits("licensespring", obs))),
		newUser:   f.NewUser,
		code:      fmt.Sprint(id),
		held:      f.Held,
		writes:    f.Writes,
		calls:     func() int { return len(f.Requests()) },
		fullCode:  licensespringtest.DemoFullCode,
		failNext:  f.FailNext,
		breakAuth: f.BreakAuth,
		failAll:   func() { f.SetFailureRate(1, http.StatusInternalServerError) },
		recover:   f.Recover,
		secrets:   []string{licensespringtest.APIKey},
	}
}

func msp360Fixture(t testing.TB, obs vendors.Observer) *fixture {
	f := msp360test.NewServer(t, msp360test.Options{Demo: true})
	// Every MSP360 assign lists every license of the account, and one
	// worker's assigns take turns: a smaller pool keeps the tests quick.
	f.AddLicenses("Fixture", msp360Seats)
	n := 0
	return &fixture{
		name: "msp360",
		vendor: must(msp360.New(msp360.Config{
			BaseURL: f.URL, Username: msp360test.Username, Password: msp360test.Password,
		}, fastLimits("msp360", obs))),
		newUser: func() string {
			n++
			return f.AddUser(fmt.Sprintf("fx-%d@demo.example", n))
		},
		code:      "Fixture",
		held:      f.Held,
		writes:    f.Writes,
		calls:     func() int { return len(f.Requests()) },
		fullCode:  msp360test.DemoCodeFull,
		failNext:  f.FailNext,
		breakAuth: f.BreakAuth,
		failAll:   func() { f.SetFailureRate(1, http.StatusInternalServerError) },
		recover:   f.Recover,
		secrets:   []string{msp360test.Password},
		tokens:    f.IssuedTokens,
	}
}

func m365Fixture(t testing.TB, obs vendors.Observer) *fixture {
	f := m365test.NewServer(t, m365test.Options{Demo: true})
	f.AddSKU("FIXTURE_SKU", seats, 0)
	n := 0
	return &fixture{
		name: "m365",
		vendor: must(m365.New(m365.Config{
			TenantID: m365test.TenantID, ClientID: m365test.ClientID, ClientSecret: m365test.ClientSecret,
			LoginURL: f.URL, GraphURL: f.URL,
		}, fastLimits("m365", obs))),
		newUser: func() string {
			n++
			return f.AddUser(m365test.User{UPN: fmt.Sprintf("fx%d@contoso.example", n), UsageLocation: "US"})
		},
		code:      "FIXTURE_SKU",
		held:      f.Held,
		writes:    f.Writes,
		calls:     func() int { return len(f.Requests()) },
		fullCode:  m365test.DemoVisio,
		failNext:  f.FailNext,
		breakAuth: f.BreakAuth,
		failAll:   func() { f.SetFailureRate(1, http.StatusInternalServerError) },
		recover:   f.Recover,
		secrets:   []string{m365test.ClientSecret},
		tokens:    f.Tokens,
	}
}

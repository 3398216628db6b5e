package licensespring_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring/licensespringtest"
	"github.com/seatkeeper/seatkeeper/internal/vendors/vendortest"
)

// fastClient is the vendor transport with limits loose enough for tests.
func fastClient() *http.Client {
	return vendors.NewHTTPClient(licensespring.Name,
		vendors.Limits{RatePerSecond: 1000, Burst: 100, MaxConcurrency: 8, RequestTimeout: 10 * time.Second}, nil)
}

// newClient returns an adapter pointed at fake.
func newClient(t *testing.T, fake *licensespringtest.Server) *licensespring.Client {
	t.Helper()
	c, err := licensespring.New(licensespring.Config{BaseURL: fake.URL, APIKey: licensespringtest.APIKey}, fastClient())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func TestConformance(t *testing.T) {
	fake := licensespringtest.NewServer(t, licensespringtest.Options{Seed: 1})
	a := fake.AddLicense(licensespringtest.License{ProductShortCode: "studio", MaxUsers: 50})
	b := fake.AddLicense(licensespringtest.License{ProductShortCode: "cloud", LicenseType: "subscription",
		ValidityPeriod: "2031-03-16", MaxUsers: 50})
	full := fake.AddLicense(licensespringtest.License{ProductShortCode: "pro", MaxUsers: 1})
	if err := fake.AssignUser(full, fake.NewUser()); err != nil {
		t.Fatal(err)
	}
	h := vendortest.Harness{
		Vendor:   newClient(t, fake),
		NewUser:  func(*testing.T) string { return fake.NewUser() },
		Codes:    [2]string{code(a), code(b)},
		FullCode: code(full),
		Held:     func(_ *testing.T, user string) []string { return fake.Held(user) },
		Pools:    func(*testing.T) []events.Pool { return fake.Pools() },
		Writes:   fake.Writes,
		// ExpireTokens stays nil: the Management API key is static.
		BreakAuth: func(t *testing.T) { fake.BreakAuth(); t.Cleanup(fake.Recover) },
		FailNext:  fake.FailNext,
		ResetNext: fake.ResetNext,
	}
	vendortest.Run(t, h)
	vendortest.RunFidelity(t, h, vendortest.Fidelity{
		UnknownCode:        "4242",
		CaseInsensitiveIDs: true,
		NewStoredUser:      func(*testing.T) string { return fake.NewStoredUser() },
	})
}

func code(id int64) string { return strconv.FormatInt(id, 10) }

// listPages counts the license list pages the fake served.
func listPages(fake *licensespringtest.Server) int {
	n := 0
	for _, r := range fake.Requests() {
		if r.Method == http.MethodGet && r.Path == "/api/v1/licenses/" {
			n++
		}
	}
	return n
}

func TestListReadsEveryPage(t *testing.T) {
	const licenses = 150
	fake := licensespringtest.NewServer(t, licensespringtest.Options{})
	user, other := fake.NewUser(), fake.NewUser()
	var want []string
	for i := range licenses {
		id := fake.AddLicense(licensespringtest.License{ProductShortCode: "studio", MaxUsers: 2})
		if err := fake.AssignUser(id, user); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if err := fake.AssignUser(id, other); err != nil {
				t.Fatal(err)
			}
		}
		want = append(want, code(id))
	}
	fake.AddLicense(licensespringtest.License{ProductShortCode: "cloud", MaxUsers: 2}) // not the user's
	c := newClient(t, fake)

	held, err := c.List(context.Background(), "", user)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if got := events.Codes(held); !slices.Equal(got, want) {
		t.Errorf("List returned %d licenses, want all %d (first missing: %v)", len(got), len(want), firstMissing(got, want))
	}
	if got := listPages(fake); got < 2 {
		t.Errorf("the fake served %d list pages, want at least 2 for %d licenses", got, licenses)
	}

	out, err := c.Release(context.Background(), vendors.Request{User: user})
	if err != nil {
		t.Fatalf("release all: %v", err)
	}
	if got := len(out.Licenses); got != licenses {
		t.Errorf("release all reported %d licenses, want %d", got, licenses)
	}
	if got := fake.Held(user); len(got) != 0 {
		t.Errorf("after release all the fake shows %d licenses held, want 0", len(got))
	}
	if got := len(fake.Held(other)); got != licenses/3 {
		t.Errorf("release all touched another user: holds %d, want %d", got, licenses/3)
	}
}

func TestPoolsReadEveryPage(t *testing.T) {
	fake := licensespringtest.NewServer(t, licensespringtest.Options{Demo: true})
	for range 120 {
		fake.AddLicense(licensespringtest.License{ProductShortCode: "bulk", MaxUsers: 3})
	}
	got, err := newClient(t, fake).Pools(context.Background(), licensespringtest.DemoAccount)
	if err != nil {
		t.Fatalf("Pools: %v", err)
	}
	if want := fake.Pools(); !slices.Equal(got, want) {
		t.Errorf("Pools returned %d pools, want the fake's %d", len(got), len(want))
	}
	for _, p := range got {
		if p.Code == licensespringtest.DemoFullCode && p.Free != 0 {
			t.Errorf("demo full pool has %d free seats, want 0", p.Free)
		}
	}
}

func firstMissing(got, want []string) string {
	for _, w := range want {
		if !slices.Contains(got, w) {
			return w
		}
	}
	return ""
}

func TestErrorClasses(t *testing.T) {
	ctx := context.Background()
	fake := licensespringtest.NewServer(t, licensespringtest.Options{Demo: true})
	c := newClient(t, fake)
	user := fake.NewUser()
	assign := func(codes ...string) error {
		_, err := c.Assign(ctx, vendors.Request{User: user, Licenses: codes})
		return err
	}
	dryRun := func(codes ...string) error {
		_, err := c.Assign(ctx, vendors.Request{User: user, Licenses: codes, DryRun: true})
		return err
	}
	failNext := func(status int) func() { return func() { fake.FailNext(status, 1, 0) } }
	studio := func() error { return assign(licensespringtest.DemoStudioCode) }
	tests := []struct {
		name      string
		setup     func()
		call      func() error
		want      error
		retryable bool
		// noWrite: the adapter must fail before any write call.
		noWrite bool
	}{
		{name: "unknown license id", call: func() error { return assign("999") }, want: vendors.ErrLicenseNotFound},
		{name: "code that is not an id", call: func() error { return assign("../users") }, want: vendors.ErrLicenseNotFound, noWrite: true},
		{name: "full license", call: func() error { return assign(licensespringtest.DemoFullCode) }, want: vendors.ErrCapacity},
		{name: "dry run of a full license", call: func() error { return dryRun(licensespringtest.DemoFullCode) },
			want: vendors.ErrCapacity, noWrite: true},
		{name: "dry run of an unknown license", call: func() error { return dryRun("4242") },
			want: vendors.ErrLicenseNotFound, noWrite: true},
		{name: "other account", call: func() error { _, err := c.List(ctx, "acme", user); return err },
			want: vendors.ErrUnknownAccount, noWrite: true},
		{name: "user that is not an email", call: func() error { _, err := c.List(ctx, "", "ada"); return err },
			want: vendors.ErrUserNotFound, noWrite: true},
		{name: "403", setup: failNext(403), call: studio, want: vendors.ErrForbidden},
		{name: "401", setup: failNext(401), call: studio, want: vendors.ErrAuth},
		{name: "422", setup: failNext(422), call: studio, want: vendors.ErrRejected},
		{name: "504", setup: failNext(504), call: studio, want: vendors.ErrTransient, retryable: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				tt.setup()
			}
			writes := fake.Writes()
			err := tt.call()
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if got := vendors.Retryable(err); got != tt.retryable {
				t.Errorf("Retryable = %v, want %v", got, tt.retryable)
			}
			if got := fake.Writes() - writes; tt.noWrite && got != 0 {
				t.Errorf("made %d write calls, want 0", got)
			}
		})
	}
}

func TestRefusedKeyIsNotRetried(t *testing.T) {
	fake := licensespringtest.NewServer(t, licensespringtest.Options{Demo: true})
	c := newClient(t, fake)
	fake.BreakAuth()
	before := len(fake.Requests())
	_, err := c.List(context.Background(), "", licensespringtest.DemoUsers[0])
	if !errors.Is(err, vendors.ErrAuth) {
		t.Fatalf("List with a revoked key: err = %v, want ErrAuth", err)
	}
	if got := len(fake.Requests()) - before; got != 1 {
		t.Errorf("made %d requests, want 1 (an API key has nothing to refresh)", got)
	}
}

func TestDefaultAccount(t *testing.T) {
	fake := licensespringtest.NewServer(t, licensespringtest.Options{Demo: true})
	c := newClient(t, fake)
	if got, want := c.DefaultAccount(), licensespringtest.DemoAccount; got != want {
		t.Errorf("DefaultAccount = %q, want %q", got, want)
	}
	held, err := c.List(context.Background(), c.DefaultAccount(), licensespringtest.DemoUsers[2])
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	want := []events.Holding{{Code: licensespringtest.DemoCloudCode, Name: "cloud", Type: "subscription", Expires: "2031-03-16"}}
	if !slices.Equal(held, want) {
		t.Errorf("List = %+v, want %+v", held, want)
	}
}

package arcgis_test

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/arcgis/arcgistest"
)

const (
	releaseLicensePath = "/portaladmin/license/releaseLicense"
	provisionSuffix    = "/provisionUserEntitlements"
)

// calls returns the paths of the fake's requests from index from on.
func calls(fake *arcgistest.Server, from int) []string {
	var paths []string
	for _, r := range fake.Requests()[from:] {
		paths = append(paths, r.Path)
	}
	return paths
}

func indexOf(paths []string, match func(string) bool) int {
	return slices.IndexFunc(paths, match)
}

func isRelease(p string) bool   { return p == releaseLicensePath }
func isProvision(p string) bool { return strings.HasSuffix(p, provisionSuffix) }

// On Enterprise, releasing the Pro entitlements of a user whose license is
// checked out (disconnected) first frees it with releaseLicense, sent as
// the seed shows it.
func TestEnterpriseReleaseCallsReleaseLicenseFirst(t *testing.T) {
	tests := []struct {
		name     string
		licenses []string
	}{
		{"named entitlement", []string{proAdvanced}},
		{"release of everything", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFake(t)
			c := newClient(t, testConfig(fake, true))
			user := newUser(fake)
			ctx := context.Background()
			if _, err := c.Assign(ctx, vendors.Request{User: user, Licenses: []string{creator, proAdvanced}}); err != nil {
				t.Fatalf("assign: %v", err)
			}
			fake.SetDisconnected(user, true)
			from := len(fake.Requests())
			if _, err := c.Release(ctx, vendors.Request{User: user, Licenses: tc.licenses}); err != nil {
				t.Fatalf("release: %v", err)
			}
			paths := calls(fake, from)
			rel, prov := indexOf(paths, isRelease), indexOf(paths, isProvision)
			if rel < 0 || prov < 0 || rel > prov {
				t.Errorf("calls %v: releaseLicense at %d, provisionUserEntitlements at %d; want releaseLicense first", paths, rel, prov)
			}
			if got, want := fake.LicenseReleases(), []string{user}; !reflect.DeepEqual(got, want) {
				t.Errorf("LicenseReleases() = %v, want %v", got, want)
			}
			r := fake.Requests()[from+rel]
			want := map[string][]string{"username": {user}, "f": {"json"}, "token": {"REDACTED"}}
			if r.Method != "POST" || !reflect.DeepEqual(r.Form, want) {
				t.Errorf("releaseLicense request %s %v, want POST with form %v", r.Method, r.Form, want)
			}
		})
	}
}

// releaseLicense is only for a license checked out to a device: a user with
// nothing checked out is released without it (the portal would refuse it),
// and a releaseLicense the portal refuses never fails the release.
func TestReleaseLicenseOnlyWhenDisconnected(t *testing.T) {
	tests := []struct {
		name         string
		disconnected bool
		requireAppID bool
		wantCalled   bool
	}{
		{"nothing checked out", false, false, false},
		{"checked out, portal refuses releaseLicense", true, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFake(t)
			fake.RequireAppID(tc.requireAppID)
			c := newClient(t, testConfig(fake, true))
			user := newUser(fake)
			ctx := context.Background()
			if _, err := c.Assign(ctx, vendors.Request{User: user, Licenses: []string{proAdvanced}}); err != nil {
				t.Fatalf("assign: %v", err)
			}
			fake.SetDisconnected(user, tc.disconnected)
			from := len(fake.Requests())
			out, err := c.Release(ctx, vendors.Request{User: user, Licenses: []string{proAdvanced}})
			if err != nil {
				t.Fatalf("release: %v", err)
			}
			if got := out.Licenses; len(got) != 1 || got[0].Status != events.StatusReleased {
				t.Errorf("release: licenses %v, want %s released", got, proAdvanced)
			}
			if slices.Contains(fake.Held(user), proAdvanced) {
				t.Errorf("the fake still shows %s held: %v", proAdvanced, fake.Held(user))
			}
			if called := indexOf(calls(fake, from), isRelease) >= 0; called != tc.wantCalled {
				t.Errorf("releaseLicense called = %v, want %v", called, tc.wantCalled)
			}
		})
	}
}

// ArcGIS Online has no portal admin: a release never calls releaseLicense,
// and releasing nothing held calls it nowhere either.
func TestOnlineNeverCallsReleaseLicense(t *testing.T) {
	fake := newFake(t)
	online := newClient(t, testConfig(fake, false))
	enterprise := newClient(t, testConfig(fake, true))
	ctx := context.Background()
	user := newUser(fake)
	if _, err := online.Assign(ctx, vendors.Request{User: user, Licenses: []string{creator, proAdvanced}}); err != nil {
		t.Fatalf("assign: %v", err)
	}
	if _, err := online.Release(ctx, vendors.Request{User: user, Licenses: []string{proAdvanced}}); err != nil {
		t.Fatalf("release: %v", err)
	}
	if _, err := online.Release(ctx, vendors.Request{User: user}); err != nil {
		t.Fatalf("release all: %v", err)
	}
	if _, err := enterprise.Release(ctx, vendors.Request{User: user, Licenses: []string{proAdvanced}}); err != nil {
		t.Fatalf("enterprise release of nothing held: %v", err)
	}
	if i := indexOf(calls(fake, 0), isRelease); i >= 0 {
		t.Errorf("releaseLicense called (request %d), want never", i)
	}
}

// A released user type falls back to ARCGIS_RELEASE_USER_TYPE: a user
// always has exactly one.
func TestReleaseUserTypeFallsBack(t *testing.T) {
	tests := []struct {
		name     string
		fallback string
		licenses []string
	}{
		{"default viewer", "viewerUT", []string{creator}},
		{"configured lite", "liteUT", []string{creator}},
		{"release of everything", "liteUT", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := newFake(t)
			fake.SetUserTypeQuantity("liteUT", 10)
			cfg := testConfig(fake, false)
			cfg.ReleaseUserType = tc.fallback
			c := newClient(t, cfg)
			user := newUser(fake)
			ctx := context.Background()
			if _, err := c.Assign(ctx, vendors.Request{User: user, Licenses: []string{creator}}); err != nil {
				t.Fatalf("assign: %v", err)
			}
			out, err := c.Release(ctx, vendors.Request{User: user, Licenses: tc.licenses})
			if err != nil {
				t.Fatalf("release: %v", err)
			}
			if got := fake.UserType(user); got != tc.fallback {
				t.Errorf("user type after release %q, want %q", got, tc.fallback)
			}
			wantHeld := []string{"usertype:" + tc.fallback}
			if got := events.Codes(out.Held); !reflect.DeepEqual(got, wantHeld) {
				t.Errorf("held %v, want %v", got, wantHeld)
			}
			wantLicenses := []events.LicenseResult{{Code: creator, Status: events.StatusReleased}}
			if !reflect.DeepEqual(out.Licenses, wantLicenses) {
				t.Errorf("licenses %v, want %v", out.Licenses, wantLicenses)
			}
		})
	}
}

// The fallback type itself cannot be released: the user would still hold
// it. A release of everything leaves it without a word.
func TestReleaseOfFallbackType(t *testing.T) {
	fake := newFake(t)
	c := newClient(t, testConfig(fake, false))
	user := newUser(fake)
	ctx := context.Background()
	writes := fake.Writes()
	_, err := c.Release(ctx, vendors.Request{User: user, Licenses: []string{"usertype:viewerUT"}})
	if !errors.Is(err, vendors.ErrRejected) {
		t.Errorf("release of the fallback type: err = %v, want ErrRejected", err)
	}
	out, err := c.Release(ctx, vendors.Request{User: user})
	if err != nil {
		t.Fatalf("release all: %v", err)
	}
	if len(out.Licenses) != 0 {
		t.Errorf("release all of a bare user: licenses %v, want none", out.Licenses)
	}
	if got := fake.Writes(); got != writes {
		t.Errorf("made %d write calls, want 0", got-writes)
	}
}

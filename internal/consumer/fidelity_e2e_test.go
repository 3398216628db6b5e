package consumer_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/arcgis"
	"github.com/seatkeeper/seatkeeper/internal/vendors/arcgis/arcgistest"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring/licensespringtest"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360/msp360test"
)

// vendorCommand is a command for vendor's default account.
func vendorCommand(vendor, typ, id, user string, codes ...string) events.Command {
	c := command(typ, id, user, codes...)
	c.Data.Vendor, c.Data.Account = vendor, ""
	return c
}

// runCommand publishes cmd through the worker and returns its result.
func runCommand(t *testing.T, e *env, cmd events.Command) events.Result {
	t.Helper()
	e.publish(cmd, "")
	return e.result(cmd.ID)
}

// wantStatus checks that r is of type typ with code at status.
func wantStatus(t *testing.T, r events.Result, typ, code, status string) {
	t.Helper()
	if r.Type != typ || statuses(r)[code] != status {
		t.Errorf("%s: %s %v %+v; want %s with %s %s", r.Data.CommandID, r.Type, r.Data.Licenses, r.Data.Error, typ, code, status)
	}
}

// A LicenseSpring address stored in mixed case, addressed by a command in
// lower case: the assign finds the seat held (no second assign_user), the
// release frees it. Before, the exact filter found nothing: the assign
// failed and the release said not_assigned while the seat stayed taken.
func TestLicenseSpringAddressInAnotherCaseEndToEnd(t *testing.T) {
	fake := licensespringtest.NewServer(t, licensespringtest.Options{})
	id := fake.AddLicense(licensespringtest.License{ProductShortCode: "studio", MaxUsers: 5})
	code := fmt.Sprint(id)
	stored := fake.NewStoredUser()
	if err := fake.AssignUser(id, stored); err != nil {
		t.Fatal(err)
	}
	c := must(licensespring.New(licensespring.Config{BaseURL: fake.URL, APIKey: licensespringtest.APIKey}, fastLimits("licensespring", nil)))
	e := newEnv(t, withVendors(vendors.NewRegistry(c)))
	lower := strings.ToLower(stored)

	writes := fake.Writes()
	r := runCommand(t, e, vendorCommand("licensespring", events.SubjectAssign, "ls-case-assign", lower, code))
	wantStatus(t, r, events.SubjectAssigned, code, events.StatusAlreadyAssigned)
	if got := fake.Writes(); got != writes {
		t.Errorf("assign of a held seat made %d writes, want 0", got-writes)
	}
	r = runCommand(t, e, vendorCommand("licensespring", events.SubjectRelease, "ls-case-release", lower))
	wantStatus(t, r, events.SubjectReleased, code, events.StatusReleased)
	if held := fake.Held(stored); len(held) != 0 {
		t.Errorf("after the release the fake shows %v held by %s, want none", held, stored)
	}
}

// An MSP360 portal that answers an expired token with 403: the worker logs
// in again and the release frees the seat. Before, the 403 was final
// (forbidden) and the seat stayed taken.
func TestMSP360ExpiredTokenAnswered403EndToEnd(t *testing.T) {
	fake := msp360test.NewServer(t, msp360test.Options{})
	fake.AddLicenses("Desktop", 3)
	fake.SetExpiredStatus(403)
	user := fake.AddUser("pat@example.test")
	c := must(msp360.New(msp360.Config{BaseURL: fake.URL, Username: msp360test.Username, Password: msp360test.Password},
		fastLimits("msp360", nil)))
	e := newEnv(t, withVendors(vendors.NewRegistry(c)))

	r := runCommand(t, e, vendorCommand("msp360", events.SubjectAssign, "msp-403-assign", user, "Desktop"))
	wantStatus(t, r, events.SubjectAssigned, "Desktop", events.StatusAssigned)
	fake.ExpireTokens()
	r = runCommand(t, e, vendorCommand("msp360", events.SubjectRelease, "msp-403-release", user, "Desktop"))
	wantStatus(t, r, events.SubjectReleased, "Desktop", events.StatusReleased)
	if held := fake.Held(user); len(held) != 0 {
		t.Errorf("after the release the fake shows %v held, want none", held)
	}
}

// ArcGIS Enterprise: releasing a Pro entitlement of a user with nothing
// checked out frees the seat without releaseLicense (which the portal
// refuses for such a user), and a checked-out license is freed even when
// the portal refuses releaseLicense. Before, every release called it and
// failed with it: the seat stayed taken.
func TestArcGISProReleaseEndToEnd(t *testing.T) {
	fake := arcgistest.NewServer(t, arcgistest.Options{Demo: true})
	fake.SetEntitlementMax("desktopAdvN", 10)
	c := must(arcgis.New(arcgis.Config{PortalURL: fake.PortalURL(), AdminURL: fake.AdminURL(),
		Username: arcgistest.AdminUsername, Password: arcgistest.AdminPassword,
		ProListingID: arcgistest.ProListingID, ReleaseUserType: arcgistest.FallbackUserType}, fastLimits("arcgis", nil)))
	e := newEnv(t, withVendors(vendors.NewRegistry(c)))
	const code = "pro:desktopAdvN"
	for i, tc := range []struct {
		name                       string
		disconnected, requireAppID bool
	}{
		{"nothing checked out", false, false},
		{"checked out, releaseLicense refused", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			user := fmt.Sprintf("e2e-pro-%d", i)
			fake.AddUser(user, "")
			fake.RequireAppID(tc.requireAppID)
			r := runCommand(t, e, vendorCommand("arcgis", events.SubjectAssign, user+"-assign", user, code))
			wantStatus(t, r, events.SubjectAssigned, code, events.StatusAssigned)
			fake.SetDisconnected(user, tc.disconnected)
			r = runCommand(t, e, vendorCommand("arcgis", events.SubjectRelease, user+"-release", user, code))
			wantStatus(t, r, events.SubjectReleased, code, events.StatusReleased)
			if slices.Contains(fake.Held(user), code) {
				t.Errorf("after the release the fake shows %s held: %v", code, fake.Held(user))
			}
		})
	}
}

// A dry run through the worker fails as the real command would: an
// unknown code is license_not_found, a full pool capacity_exhausted, and
// neither is retried.
func TestDryRunFidelityEndToEnd(t *testing.T) {
	fake := arcgistest.NewServer(t, arcgistest.Options{Demo: true})
	c := must(arcgis.New(arcgis.Config{PortalURL: fake.PortalURL(), AdminURL: fake.AdminURL(),
		Username: arcgistest.AdminUsername, Password: arcgistest.AdminPassword,
		ProListingID: arcgistest.ProListingID, ReleaseUserType: arcgistest.FallbackUserType}, fastLimits("arcgis", nil)))
	e := newEnv(t, withVendors(vendors.NewRegistry(c)))
	for _, tc := range []struct{ code, want string }{
		{"pro:noSuchN", events.CodeLicenseNotFound},
		{"usertype:noSuchUT", events.CodeLicenseNotFound},
		{"pro:" + arcgistest.DemoFullEntitlement, events.CodeCapacityExhausted},
		{"usertype:" + arcgistest.DemoFullUserType, events.CodeCapacityExhausted},
	} {
		cmd := vendorCommand("arcgis", events.SubjectAssign, "dry-"+tc.code, "dkim", tc.code)
		cmd.Data.DryRun = true
		r := runCommand(t, e, cmd)
		if r.Type != events.SubjectFailed || r.Data.Error == nil || r.Data.Error.Code != tc.want || r.Data.Error.Retryable {
			t.Errorf("dry assign of %s: %s %+v, want a permanent %s", tc.code, r.Type, r.Data.Error, tc.want)
		}
	}
}

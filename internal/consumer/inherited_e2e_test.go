package consumer_test

import (
	"slices"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365/m365test"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// Seats held through a vendor-side group, end to end through the worker: a
// release cannot free them, says so with the group, and does not fail; the
// vendor still shows the seat taken.
func TestInheritedSeatsEndToEnd(t *testing.T) {
	ui := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	ui.SeedDemoGroup()
	ms := m365test.NewServer(t, m365test.Options{Demo: true})
	reg := vendors.NewRegistry(
		must(uipath.New(uipath.Config{
			BaseURL: ui.URL, ClientID: uipathtest.ClientID, ClientSecret: uipathtest.ClientSecret,
			Scope: uipathtest.Scope, AccountID: account,
		}, fastLimits("uipath", nil))),
		must(m365.New(m365.Config{
			TenantID: m365test.TenantID, ClientID: m365test.ClientID, ClientSecret: m365test.ClientSecret,
			LoginURL: ms.URL, GraphURL: ms.URL,
		}, fastLimits("m365", nil))),
	)
	e := newEnv(t, withVendors(reg))

	t.Run("uipath_release_of_a_group_bundle", func(t *testing.T) {
		user := uipathtest.DemoGroupMember
		e.publish(command(events.SubjectRelease, "inh-ui-release", user, "ATTUNU"), "")
		r := e.result("inh-ui-release")
		want := events.LicenseResult{Code: "ATTUNU", Status: events.StatusInherited, Group: uipathtest.DemoGroupName}
		if r.Type != events.SubjectReleased || !slices.Equal(r.Data.Licenses, []events.LicenseResult{want}) {
			t.Fatalf("release: %s %+v %+v, want released with %+v", r.Type, r.Data.Licenses, r.Data.Error, want)
		}
		if !slices.Contains(ui.Held(account, user), "ATTUNU") || !slices.Contains(r.Data.Held, "ATTUNU") {
			t.Errorf("the seat must stay taken: fake %v, result held %v", ui.Held(account, user), r.Data.Held)
		}
		if got := ui.HeldDirect(account, user); len(got) != 0 {
			t.Errorf("the fake shows %v allocated directly, want none", got)
		}
	})

	t.Run("m365_release_all_with_a_direct_and_an_inherited_sku", func(t *testing.T) {
		user := m365test.DemoDiego
		cmd := command(events.SubjectRelease, "inh-m365-release-all", user)
		cmd.Data.Vendor, cmd.Data.Account = m365.Name, ""
		e.publish(cmd, "")
		r := e.result("inh-m365-release-all")
		if r.Type != events.SubjectReleased {
			t.Fatalf("release-all: %s %+v, want released", r.Type, r.Data.Error)
		}
		got := map[string]events.LicenseResult{}
		for _, l := range r.Data.Licenses {
			got[l.Code] = l
		}
		if l := got[m365test.DemoPowerBI]; l.Status != events.StatusReleased {
			t.Errorf("%s: %+v, want released", m365test.DemoPowerBI, l)
		}
		if l := got[m365test.DemoE3]; l.Status != events.StatusInherited || l.Group != m365test.DemoGroup {
			t.Errorf("%s: %+v, want inherited from %s", m365test.DemoE3, l, m365test.DemoGroup)
		}
		if held := ms.Held(user); !slices.Equal(held, []string{m365test.DemoE3}) || !slices.Equal(r.Data.Held, held) {
			t.Errorf("after release-all the fake shows %v and the result %v, want [%s]", held, r.Data.Held, m365test.DemoE3)
		}
	})
}

package vendortest

import (
	"context"
	"slices"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Inherited binds an adapter to a fake whose users can hold a license
// through a vendor-side group or rule, for RunInherited.
type Inherited struct {
	// Vendor is the adapter, pointed at the fake.
	Vendor vendors.Vendor
	// Account is the account to name in requests ("" uses the default).
	Account string
	// NewUser creates a user who holds Inherited through a group and
	// nothing else, and returns its identifier.
	NewUser func(t *testing.T) string
	// Inherited is the code the group gives; Direct is another code with
	// free seats, which the suite assigns directly.
	Inherited, Direct string
	// Group is how results name the group ("" where the vendor does not
	// tell).
	Group string
	// Held returns the codes whose seats the fake says user takes, however
	// held.
	Held func(t *testing.T, user string) []string
	// HeldDirect returns the codes the fake shows assigned to user
	// directly.
	HeldDirect func(t *testing.T, user string) []string
	// Writes counts the fake's state-changing calls so far.
	Writes func() int
}

// RunInherited checks what an adapter does with a seat held through a
// group: it cannot be released from the user, so a release reports it
// inherited (naming the group where the vendor tells) and the seat stays
// taken; an assign adds no direct copy; a release of everything releases the
// direct seats, reports the inherited ones and does not fail.
func RunInherited(t *testing.T, h Inherited) {
	t.Helper()
	ctx := context.Background()
	req := func(user string, dry bool, codes ...string) vendors.Request {
		return vendors.Request{Account: h.Account, User: user, Licenses: codes, DryRun: dry}
	}
	inherited := events.LicenseResult{Code: h.Inherited, Status: events.StatusInherited, Group: h.Group}

	t.Run("release_reports_inherited", func(t *testing.T) {
		user := h.NewUser(t)
		writes := h.Writes()
		out := mustOutcome(t, "release", h.Vendor.Release, ctx, req(user, false, h.Inherited))
		wantResults(t, out, inherited)
		if got := h.Writes(); got != writes {
			t.Errorf("release of an inherited seat made %d write calls, want 0", got-writes)
		}
		if !slices.Contains(h.Held(t, user), h.Inherited) {
			t.Errorf("the fake no longer shows %s taken: %v", h.Inherited, h.Held(t, user))
		}
		wantSource(t, "release's held", out.Held, h.Inherited, events.SourceGroup, h.Group)

		out = mustOutcome(t, "dry release", h.Vendor.Release, ctx, req(user, true, h.Inherited))
		wantResults(t, out, inherited)
	})

	t.Run("assign_adds_no_direct_copy", func(t *testing.T) {
		user := h.NewUser(t)
		writes := h.Writes()
		out := mustOutcome(t, "assign", h.Vendor.Assign, ctx, req(user, false, h.Inherited))
		wantResults(t, out, events.LicenseResult{Code: h.Inherited, Status: events.StatusAlreadyAssigned})
		if got := h.Writes(); got != writes {
			t.Errorf("assign of an inherited seat made %d write calls, want 0", got-writes)
		}
		// An assign that writes (another code) adds no copy either.
		out = mustOutcome(t, "assign both", h.Vendor.Assign, ctx, req(user, false, h.Inherited, h.Direct))
		wantResults(t, out, events.LicenseResult{Code: h.Inherited, Status: events.StatusAlreadyAssigned},
			events.LicenseResult{Code: h.Direct, Status: events.StatusAssigned})
		if got, want := h.HeldDirect(t, user), []string{h.Direct}; !sameSet(got, want) {
			t.Errorf("the fake shows %v assigned directly, want %v", got, want)
		}
		out = mustOutcome(t, "release", h.Vendor.Release, ctx, req(user, false, h.Inherited))
		wantResults(t, out, inherited)
	})

	t.Run("release_all_releases_direct_reports_inherited", func(t *testing.T) {
		user := h.NewUser(t)
		mustOutcome(t, "assign", h.Vendor.Assign, ctx, req(user, false, h.Direct))
		held, err := h.Vendor.List(ctx, h.Account, user)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		wantSource(t, "list", held, h.Inherited, events.SourceGroup, h.Group)
		wantSource(t, "list", held, h.Direct, events.SourceDirect, "")

		dry := mustOutcome(t, "dry release all", h.Vendor.Release, ctx, req(user, true))
		wantResults(t, dry, events.LicenseResult{Code: h.Direct, Status: events.StatusWouldRelease}, inherited)

		out := mustOutcome(t, "release all", h.Vendor.Release, ctx, req(user, false))
		wantResults(t, out, events.LicenseResult{Code: h.Direct, Status: events.StatusReleased}, inherited)
		if got, want := h.Held(t, user), []string{h.Inherited}; !sameSet(got, want) {
			t.Errorf("after release-all the fake shows %v taken, want %v", got, want)
		}
		if got := events.Codes(out.Held); !sameSet(got, []string{h.Inherited}) {
			t.Errorf("release-all's held = %v, want [%s]", got, h.Inherited)
		}
	})
}

// wantResults checks that out has exactly one result per code of want, equal
// to it.
func wantResults(t *testing.T, out vendors.Outcome, want ...events.LicenseResult) {
	t.Helper()
	for _, w := range want {
		i := slices.IndexFunc(out.Licenses, func(l events.LicenseResult) bool { return l.Code == w.Code })
		if i < 0 || out.Licenses[i] != w {
			t.Errorf("results %+v, want one %+v", out.Licenses, w)
		}
	}
	if len(out.Licenses) != len(want) {
		t.Errorf("%d results %+v, want %d", len(out.Licenses), out.Licenses, len(want))
	}
}

// wantSource checks that held has code from source (and group).
func wantSource(t *testing.T, what string, held []events.Holding, code, source, group string) {
	t.Helper()
	for _, h := range held {
		if h.Code == code && h.Source == source && h.Group == group {
			return
		}
	}
	t.Errorf("%s: %+v has no %s from %q (group %q)", what, held, code, source, group)
}

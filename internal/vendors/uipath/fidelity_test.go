package uipath_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// A user the license service has never known must be assignable, whichever
// way the undocumented allocations read answers for it; a user the Identity
// service does not know is user_not_found.
func TestNeverLicensedUserIsAssignable(t *testing.T) {
	ctx := context.Background()
	for name, mode := range map[string]uipathtest.NeverLicensed{
		"404": uipathtest.NeverLicensedNotFound, "200_empty": uipathtest.NeverLicensedEmpty,
		"204": uipathtest.NeverLicensedNoContent,
	} {
		t.Run(name, func(t *testing.T) {
			srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true, NeverLicensed: mode})
			c := newClient(t, srv, nil)
			user := newUser(t, srv)
			held, err := c.List(ctx, "", user)
			if err != nil || len(held) != 0 {
				t.Fatalf("List of a never-licensed user = %v, %v; want nothing held", held, err)
			}
			out, err := c.Release(ctx, vendors.Request{User: user, Licenses: []string{"RPADEVNU"}})
			if err != nil || out.Licenses[0].Status != events.StatusNotAssigned {
				t.Fatalf("Release = %+v, %v; want not_assigned", out.Licenses, err)
			}
			out, err = c.Assign(ctx, vendors.Request{User: user, Licenses: []string{"RPADEVNU"}})
			if err != nil || out.Licenses[0].Status != events.StatusAssigned {
				t.Fatalf("Assign = %+v, %v; want assigned", out.Licenses, err)
			}
			if _, err := c.List(ctx, "", "no-such-user"); !errors.Is(err, vendors.ErrUserNotFound) {
				t.Errorf("List of an unknown user: err = %v, want ErrUserNotFound", err)
			}
		})
	}
}

// Without the Identity scope a 404 cannot be told apart: user_not_found,
// saying which scope would tell.
func TestNeverLicensedWithoutUserReadScope(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true, NoUserRead: true})
	c := newClient(t, srv, nil)
	_, err := c.List(context.Background(), "", newUser(t, srv))
	if !errors.Is(err, vendors.ErrUserNotFound) || !strings.Contains(err.Error(), uipathtest.UserReadScope) {
		t.Errorf("err = %v, want ErrUserNotFound naming %s", err, uipathtest.UserReadScope)
	}
	// The license scope alone still works for a known user.
	if _, err := c.List(context.Background(), "", uipathtest.DemoAdmin); err != nil {
		t.Errorf("List of a licensed user without the Identity scope: %v", err)
	}
}

// An unknown bundle code is license_not_found, not capacity_exhausted, so
// that a redrive of capacity failures does not re-submit typos; dry runs
// check codes and capacity as the real command does.
func TestUnknownCodeAndDryRunFidelity(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	c := newClient(t, srv, nil)
	user := newUser(t, srv)
	for _, dry := range []bool{false, true} {
		writes := srv.Writes()
		_, err := c.Assign(context.Background(), vendors.Request{User: user, Licenses: []string{"RPADEVNU", "NOSUCHNU"}, DryRun: dry})
		if !errors.Is(err, vendors.ErrLicenseNotFound) || errors.Is(err, vendors.ErrCapacity) || vendors.Retryable(err) {
			t.Errorf("dry %v: assign of an unknown code: err = %v, want ErrLicenseNotFound only", dry, err)
		}
		_, err = c.Assign(context.Background(), vendors.Request{User: user, Licenses: []string{uipathtest.FullCode}, DryRun: dry})
		if !errors.Is(err, vendors.ErrCapacity) {
			t.Errorf("dry %v: assign of a full pool: err = %v, want ErrCapacity", dry, err)
		}
		if dry && srv.Writes() != writes {
			t.Errorf("dry runs made %d writes", srv.Writes()-writes)
		}
	}
	if got := srv.Held(acct, user); len(got) != 0 {
		t.Errorf("the fake shows %v held after refused assigns", got)
	}
}

// held entries carry where a seat comes from and its last use.
func TestHeldCarriesSourceAndLastUse(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	srv.SeedDemoGroup()
	c := newClient(t, srv, nil)
	ctx := context.Background()
	used := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
	user := uipathtest.DemoGroupMember
	if _, err := c.Assign(ctx, vendors.Request{User: user, Licenses: []string{"RPADEVNU"}}); err != nil {
		t.Fatal(err)
	}
	srv.SetLastUse(acct, user, "RPADEVNU", used)
	held, err := c.List(ctx, "", user)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]events.Holding{
		"ATTUNU":   {Code: "ATTUNU", Source: events.SourceGroup, Group: uipathtest.DemoGroupName, LastUsed: uipathtest.DemoLastUse},
		"RPADEVNU": {Code: "RPADEVNU", Source: events.SourceDirect, LastUsed: used},
	}
	if len(held) != len(want) {
		t.Fatalf("held %+v, want %d entries", held, len(want))
	}
	for _, h := range held {
		w := want[h.Code]
		if h.Source != w.Source || h.Group != w.Group || !h.LastUsed.Equal(w.LastUsed) {
			t.Errorf("held %+v, want %+v", h, w)
		}
	}
}

// FindUser matches the e-mail exactly (case aside) in the directory search;
// no match is user_not_found, several are ambiguous, never a guess.
func TestFindUser(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	c := newClient(t, srv, nil)
	ana, twin1, twin2 := newUser(t, srv), newUser(t, srv), newUser(t, srv)
	srv.SetEmail(acct, ana, "Ana.Smith@example.com")
	srv.SetEmail(acct, twin1, "twin@example.com")
	srv.SetEmail(acct, twin2, "TWIN@example.com")
	ctx := context.Background()
	if got, err := c.FindUser(ctx, "", "ana.smith@EXAMPLE.com"); err != nil || got != ana {
		t.Errorf("FindUser(ana) = %q, %v; want %q", got, err, ana)
	}
	// A search term that is a substring of another e-mail is no match.
	if _, err := c.FindUser(ctx, "", "smith@example.com"); !errors.Is(err, vendors.ErrUserNotFound) {
		t.Errorf("FindUser(substring): err = %v, want ErrUserNotFound", err)
	}
	if _, err := c.FindUser(ctx, "", "twin@example.com"); !errors.Is(err, vendors.ErrAmbiguousUser) {
		t.Errorf("FindUser(twin): err = %v, want ErrAmbiguousUser", err)
	}
}

package handlers_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365/m365test"
)

// graphWorld is a world whose vendor is Microsoft 365, behind the circuit
// breaker as the worker wires it.
func graphWorld(t *testing.T) (*world, *m365test.Server, *m365.Client) {
	fake := m365test.NewServer(t, m365test.Options{})
	client, err := m365.New(m365.Config{
		TenantID: m365test.TenantID, ClientID: m365test.ClientID, ClientSecret: config.Secret(m365test.ClientSecret),
		LoginURL: fake.URL, GraphURL: fake.URL, RateLimit: 1000, MaxConcurrency: 8,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, vendor: client, store: newMemStore(), ledger: newMemStore(), clock: newFakeClock()}, fake, client
}

// resolvingHook is hooked for a vendor that resolves user names.
type resolvingHook struct {
	hooked
	r vendors.UserResolver
}

func (v resolvingHook) ResolveUser(ctx context.Context, account, user string) (string, error) {
	return v.r.ResolveUser(ctx, account, user)
}

func graphCmd(typ, id, user string, at time.Time, codes ...string) events.Command {
	return events.NewCommand(typ, "test/hr", id, at, events.CommandData{Vendor: m365.Name, User: user, Licenses: codes})
}

// A Microsoft 365 user named by its user principal name on one replica and
// by its object id on another is one seat holder: while one command holds
// the user, the other spelling is told the user is busy; an older command
// in the other spelling is superseded for the seat the newer one changed;
// the ledger has one entry, under the object id; and once a replica has
// resolved the UPN, both spellings run in one lane there.
func TestAnObjectIDAndItsUPNAreOneSeatHolder(t *testing.T) {
	w, fake, client := graphWorld(t)
	fake.AddSKU("ENTERPRISEPACK", 10, 0)
	const upn = "Jane.Doe@contoso.example"
	oid := fake.AddUser(m365test.User{UPN: upn, UsageLocation: "US"})
	byUPN := graphCmd(events.SubjectAssign, "by-upn", upn, base.Add(time.Minute), "ENTERPRISEPACK")
	byOID := graphCmd(events.SubjectRelease, "by-oid", strings.ToUpper(oid), base, "ENTERPRISEPACK")

	breaker := func(v vendors.Vendor) vendors.Vendor { return vendors.NewBreaker(v, vendors.BreakerConfig{}, nil) }
	b := w.replica("b", breaker)
	var during error
	a := w.replica("a", func(v vendors.Vendor) vendors.Vendor {
		return resolvingHook{hooked{Vendor: v, after: func(string) {
			if during == nil {
				_, _, during = handle(t, b, byOID, 1)
			}
		}}, client}
	}, breaker)

	if laneUPN, laneOID := a.LaneKey(byUPN), a.LaneKey(byOID); laneUPN == laneOID {
		t.Fatalf("lanes before any resolution: both %s; the test assumes they differ", laneUPN)
	}
	r := mustHandle(t, a, byUPN, 2)
	if got := statuses(r)["ENTERPRISEPACK"]; got != events.StatusAssigned {
		t.Fatalf("assign by UPN: %s, want assigned", got)
	}
	var busy *handlers.BusyError
	if !errors.As(during, &busy) {
		t.Errorf("release by object id while the UPN's assign held the user: %v, want BusyError", during)
	}
	r = mustHandle(t, b, byOID, 1)
	if got := statuses(r)["ENTERPRISEPACK"]; got != events.StatusSkippedSuperseded {
		t.Errorf("older release by object id after the newer assign by UPN: %s, want skipped_superseded", got)
	}
	if got := fake.Held(oid); !slices.Equal(got, []string{"ENTERPRISEPACK"}) {
		t.Errorf("the user holds %v, want [ENTERPRISEPACK]: the newer assign stands", got)
	}
	want := []string{handlers.LedgerKey(m365.Name, strings.ToLower(m365test.TenantID), oid)}
	if got := w.ledger.keyList(); !slices.Equal(got, want) {
		t.Errorf("ledger keys %v, want %v: one entry, under the object id", got, want)
	}
	if laneUPN, laneOID := a.LaneKey(byUPN), a.LaneKey(byOID); laneUPN != laneOID {
		t.Errorf("lanes once the UPN is resolved: %s and %s, want one", laneUPN, laneOID)
	}
}

// countingResolver counts the resolutions asked of r.
type countingResolver struct {
	r vendors.UserResolver
	n *int
}

func (c countingResolver) ResolveUser(ctx context.Context, account, user string) (string, error) {
	*c.n++
	return c.r.ResolveUser(ctx, account, user)
}

// A user name is resolved once per worker while its resolution is fresh,
// and again once it is older than ten minutes (a UPN can pass to another
// user after a rename). A name the vendor does not know ends as
// user_not_found, without a hold.
func TestAUserNameIsResolvedOnceWhileFresh(t *testing.T) {
	w, fake, client := graphWorld(t)
	fake.AddSKU("ENTERPRISEPACK", 10, 0)
	fake.AddSKU("SPE_E3", 10, 0)
	const upn = "Jane.Doe@contoso.example"
	fake.AddUser(m365test.User{UPN: upn, UsageLocation: "US"})
	asked := 0
	a := w.replica("a", func(v vendors.Vendor) vendors.Vendor {
		return resolvingHook{hooked{Vendor: v, after: func(string) {}}, countingResolver{client, &asked}}
	})

	mustHandle(t, a, graphCmd(events.SubjectAssign, "c1", upn, base, "ENTERPRISEPACK"), 1)
	mustHandle(t, a, graphCmd(events.SubjectAssign, "c2", strings.ToLower(upn), base.Add(time.Minute), "SPE_E3"), 2)
	if got := asked; got != 1 {
		t.Errorf("two commands for one UPN made %d resolutions, want 1", got)
	}
	w.clock.Advance(10 * time.Minute)
	mustHandle(t, a, graphCmd(events.SubjectRelease, "c3", upn, base.Add(2*time.Minute), "SPE_E3"), 3)
	if got := asked; got != 2 {
		t.Errorf("after ten minutes: %d resolutions, want 2", got)
	}

	keys := w.ledger.keyList()
	r := mustHandle(t, a, graphCmd(events.SubjectAssign, "c4", "nobody@contoso.example", base, "ENTERPRISEPACK"), 4)
	if r.Data.Error == nil || r.Data.Error.Code != events.CodeUserNotFound {
		t.Errorf("assign to an unknown UPN: error %+v, want user_not_found", r.Data.Error)
	}
	if got := w.ledger.keyList(); !slices.Equal(got, keys) {
		t.Errorf("ledger keys after an unknown user: %v, want %v unchanged", got, keys)
	}
}

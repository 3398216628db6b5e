package m365_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365/m365test"
)

// Pools never show negative free seats, name suspended and warning units,
// and leave out SKUs that apply to the company rather than to users.
func TestPoolsNeverNegativeAndNameUnits(t *testing.T) {
	s := newTenant(t)
	s.AddSKU("EXCHANGESTANDARD", 5, 8) // 8 consumed
	s.SetUnits("EXCHANGESTANDARD", 0, 5, 0)
	s.AddSKU("FLOW_FREE", 10, 1)
	s.SetUnits("FLOW_FREE", 10, 0, 4)
	s.AddSKU("RIGHTSMANAGEMENT_ADHOC", 10000, 0)
	s.SetCompanyWide("RIGHTSMANAGEMENT_ADHOC")
	pools, err := newClient(t, testConfig(s)).Pools(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]events.Pool{
		"EXCHANGESTANDARD": {Code: "EXCHANGESTANDARD", Total: 0, Assigned: 8, Free: 0, Suspended: 5},
		"FLOW_FREE":        {Code: "FLOW_FREE", Total: 10, Assigned: 1, Free: 9, Warning: 4},
	}
	for _, p := range pools {
		if p.Free < 0 {
			t.Errorf("pool %+v has negative free seats", p)
		}
		if p.Code == "RIGHTSMANAGEMENT_ADHOC" {
			t.Errorf("pool %+v applies to the company, not to users", p)
		}
		if w, ok := want[p.Code]; ok && p != w {
			t.Errorf("pool %+v, want %+v", p, w)
		}
	}
	if got, want := len(pools), len(s.Pools()); got != want {
		t.Errorf("%d pools, the fake shows %d", got, want)
	}
}

// A user principal name starting with $ is addressed as users('...').
func TestDollarUPN(t *testing.T) {
	s := newTenant(t)
	c := newClient(t, testConfig(s))
	const upn = "$svc-o'brien@contoso.example"
	s.AddUser(m365test.User{UPN: upn, UsageLocation: "US"})
	ctx := context.Background()
	if _, err := c.Assign(ctx, assign(upn, codeA)); err != nil {
		t.Fatalf("Assign: %v", err)
	}
	if held, err := c.List(ctx, "", upn); err != nil || !slices.Equal(events.Codes(held), []string{codeA}) {
		t.Errorf("List = %v, %v; want [%s]", held, err, codeA)
	}
	if out, err := c.Release(ctx, assign(upn)); err != nil || out.Licenses[0].Status != events.StatusReleased {
		t.Errorf("Release all = %+v, %v; want %s released", out, err, codeA)
	}
}

// A dry run checks capacity as the real command does.
func TestDryRunChecksCapacity(t *testing.T) {
	s := newTenant(t)
	c := newClient(t, testConfig(s))
	user := addUser(s)
	writes := s.Writes()
	req := assign(user, codeA, codeFull)
	req.DryRun = true
	if _, err := c.Assign(context.Background(), req); !errors.Is(err, vendors.ErrCapacity) || vendors.Retryable(err) {
		t.Errorf("dry assign of a full SKU: err = %v, want permanent ErrCapacity", err)
	}
	if s.Writes() != writes {
		t.Errorf("the dry run wrote")
	}
}

// The user's last sign-in is every seat's last use, where the tenant can
// tell (Entra ID P1/P2); a tenant without it still lists.
func TestLastSignInIsLastUse(t *testing.T) {
	signedIn := time.Date(2026, 10, 30, 7, 45, 0, 0, time.UTC)
	for _, premium := range []bool{true, false} {
		s := m365test.NewServer(t, m365test.Options{Seed: 1, NoPremium: !premium})
		s.AddSKU(codeA, 10, 0)
		user := addUser(s)
		s.Grant(user, codeA)
		s.SetLastSignIn(user, signedIn)
		c := newClient(t, testConfig(s))
		for range 2 { // the second read, after a refusal, asks no more
			held, err := c.List(context.Background(), "", user)
			if err != nil || len(held) != 1 {
				t.Fatalf("premium %v: List = %v, %v", premium, held, err)
			}
			want := time.Time{}
			if premium {
				want = signedIn
			}
			if !held[0].LastUsed.Equal(want) || held[0].Source != events.SourceDirect {
				t.Errorf("premium %v: held %+v, want a direct seat last used %v", premium, held[0], want)
			}
		}
	}
}

// UPNs compare without regard to case.
func TestUserInAnotherCase(t *testing.T) {
	s := newTenant(t)
	c := newClient(t, testConfig(s))
	s.AddUser(m365test.User{UPN: "Mixed.Case@Contoso.example", UsageLocation: "US"})
	ctx := context.Background()
	if _, err := c.Assign(ctx, assign("Mixed.Case@Contoso.example", codeA)); err != nil {
		t.Fatal(err)
	}
	writes := s.Writes()
	out, err := c.Assign(ctx, assign("mixed.case@contoso.EXAMPLE", codeA))
	if err != nil || out.Licenses[0].Status != events.StatusAlreadyAssigned || s.Writes() != writes {
		t.Errorf("assign in another case = %+v, %v; want already_assigned without a write", out.Licenses, err)
	}
}

// FindUser matches mail or userPrincipalName; no match is user_not_found,
// several are ambiguous.
func TestFindUser(t *testing.T) {
	s := newTenant(t)
	c := newClient(t, testConfig(s))
	ana := s.AddUser(m365test.User{UPN: "ana@contoso.example", Mail: "Ana.Smith@example.com"})
	s.AddUser(m365test.User{UPN: "twin1@contoso.example", Mail: "twin@example.com"})
	s.AddUser(m365test.User{UPN: "twin2@contoso.example", Mail: "TWIN@example.com"})
	ctx := context.Background()
	for _, email := range []string{"ana.smith@example.com", "ANA@contoso.example"} {
		if got, err := c.FindUser(ctx, "", email); err != nil || got != ana {
			t.Errorf("FindUser(%s) = %q, %v; want %q", email, got, err, ana)
		}
	}
	if _, err := c.FindUser(ctx, "", "o'nobody@example.com"); !errors.Is(err, vendors.ErrUserNotFound) {
		t.Errorf("FindUser(nobody): err = %v, want ErrUserNotFound", err)
	}
	if _, err := c.FindUser(ctx, "", "twin@example.com"); !errors.Is(err, vendors.ErrAmbiguousUser) {
		t.Errorf("FindUser(twin): err = %v, want ErrAmbiguousUser", err)
	}
}

package arcgis_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/arcgis/arcgistest"
	"github.com/seatkeeper/seatkeeper/internal/vendors/fakefaults"
	"github.com/seatkeeper/seatkeeper/internal/vendors/vendortest"
)

// FindUser keeps only exact e-mails from the portal's fuzzy search, in any
// case; two members with one e-mail are ambiguous.
func TestDirectory(t *testing.T) {
	fake := newFake(t)
	vendortest.RunDirectory(t, vendortest.DirectoryCase{
		Directory: newClient(t, testConfig(fake, false)),
		NewMember: func(*testing.T) (string, string) {
			user := newUser(fake)
			email := "Ana." + user + "@Example.com"
			fake.SetEmail(user, email)
			// A member the fuzzy search also finds, with another e-mail.
			near := newUser(fake)
			fake.SetEmail(near, "ana."+user+"@example.com.au")
			return email, user
		},
		Share: func(_ *testing.T, email string) {
			fake.SetEmail(newUser(fake), strings.ToLower(email))
		},
		Unknown: "nobody@example.com",
	})
}

// Held licenses carry their last use: the member's last sign-in for the
// user type, its last ArcGIS Pro sign-in for Pro entitlements; -1 (never)
// is no last use.
func TestListCarriesLastLogin(t *testing.T) {
	clock := fakefaults.NewClock(time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC))
	fake := arcgistest.NewServer(t, arcgistest.Options{Now: clock.Now})
	fake.SetUserTypeQuantity("creatorUT", 5)
	fake.SetEntitlementMax("desktopAdvN", 5)
	c := newClient(t, testConfig(fake, false))
	user := newUser(fake)
	ctx := context.Background()
	if _, err := c.Assign(ctx, vendors.Request{User: user, Licenses: []string{creator, proAdvanced}}); err != nil {
		t.Fatal(err)
	}
	lastUsed := func() map[string]time.Time {
		held, err := c.List(ctx, "", user)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		out := map[string]time.Time{}
		for _, h := range held {
			out[h.Code] = h.LastUsed
		}
		return out
	}
	if got := lastUsed(); !got[creator].IsZero() || !got[proAdvanced].IsZero() {
		t.Errorf("last use before any sign-in = %v, want none", got)
	}
	signIn := clock.Now()
	fake.SetLastLogin(user, signIn)
	clock.Advance(time.Hour)
	fake.SetProLastLogin(user, clock.Now())
	got := lastUsed()
	if !got[creator].Equal(signIn) || !got[proAdvanced].Equal(clock.Now()) {
		t.Errorf("last use = %v, want %s at %s and %s at %s", got, creator, signIn, proAdvanced, clock.Now())
	}
}

// Provisioning asks the portal not to e-mail the users, as the ArcGIS API
// for Python does.
func TestProvisionSuppressesCustomerEmail(t *testing.T) {
	fake := newFake(t)
	c := newClient(t, testConfig(fake, true))
	ctx := context.Background()
	for i := range 3 {
		user := newUser(fake)
		if _, err := c.Assign(ctx, vendors.Request{User: user, Licenses: []string{proAdvanced}}); err != nil {
			t.Fatalf("assign %d: %v", i, err)
		}
		if _, err := c.Release(ctx, vendors.Request{User: user}); err != nil {
			t.Fatalf("release %d: %v", i, err)
		}
	}
	if got := fake.CustomerEmails(); got != 0 {
		t.Errorf("the portal would have sent %d customer e-mails, want 0", got)
	}
}

// An error whose details is a string is read like one whose details is a
// list: an unknown member is user_not_found, not an unreadable answer
// retried for a day.
func TestErrorDetailsAsString(t *testing.T) {
	fake := newFake(t)
	c := newClient(t, testConfig(fake, false))
	_, err := c.List(context.Background(), "", fmt.Sprintf("ghost-%d", userSeq.Add(1)))
	if vendors.Code(err) != "user_not_found" || vendors.Retryable(err) {
		t.Errorf("List of an unknown member: err = %v (%s), want permanent user_not_found", err, vendors.Code(err))
	}
}

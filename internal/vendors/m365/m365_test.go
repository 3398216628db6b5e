package m365_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365/m365test"
)

func assign(user string, codes ...string) vendors.Request {
	return vendors.Request{User: user, Licenses: codes}
}

// Graph refuses an assignLicense body without both arrays; every body the
// adapter sent must carry both, as JSON arrays.
func TestAssignLicenseBodiesCarryBothArrays(t *testing.T) {
	s := newTenant(t)
	c := newClient(t, testConfig(s))
	ctx := context.Background()
	user := addUser(s)
	steps := []struct {
		name string
		op   func() error
	}{
		{"assign one", func() error { _, err := c.Assign(ctx, assign(user, codeA)); return err }},
		{"assign another", func() error { _, err := c.Assign(ctx, assign(user, codeA, codeB)); return err }},
		{"release one", func() error { _, err := c.Release(ctx, assign(user, codeA)); return err }},
		{"release all", func() error { _, err := c.Release(ctx, assign(user)); return err }},
	}
	for _, st := range steps {
		if err := st.op(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	bodies := s.AssignBodies()
	if got, want := len(bodies), len(steps); got != want {
		t.Fatalf("the fake received %d assignLicense bodies, want %d", got, want)
	}
	for i, b := range bodies {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatalf("body %d is not a JSON object: %v", i, err)
		}
		for _, key := range []string{"addLicenses", "removeLicenses"} {
			v, ok := raw[key]
			if !ok || !strings.HasPrefix(string(v), "[") {
				t.Errorf("body %d (%s): %s = %s, want a JSON array", i, steps[i].name, key, v)
			}
		}
	}
}

// subscribedSkus is fetched once for many assigns, and again once when a
// code is not in the cache.
func TestSKUCache(t *testing.T) {
	s := newTenant(t)
	c := newClient(t, testConfig(s))
	ctx := context.Background()
	fetches := func() int {
		n := 0
		for _, r := range s.Requests() {
			if r.Path == "/v1.0/subscribedSkus" {
				n++
			}
		}
		return n
	}
	for range 5 {
		if _, err := c.Assign(ctx, assign(addUser(s), codeA, codeB)); err != nil {
			t.Fatalf("Assign: %v", err)
		}
	}
	if got := fetches(); got != 1 {
		t.Errorf("after 5 assigns subscribedSkus was fetched %d times, want 1", got)
	}

	skuID := s.AddSKU("POWER_BI_PRO", 10, 0)
	user := addUser(s)
	if _, err := c.Assign(ctx, assign(user, "power_bi_pro")); err != nil {
		t.Fatalf("Assign of a SKU added since the cache was filled: %v", err)
	}
	if got := fetches(); got != 2 {
		t.Errorf("after a miss subscribedSkus was fetched %d times, want 2", got)
	}

	out, err := c.Assign(ctx, assign(addUser(s), skuID))
	if err != nil {
		t.Fatalf("Assign by skuId: %v", err)
	}
	if got, want := out.Licenses, []events.LicenseResult{{Code: skuID, Status: events.StatusAssigned}}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("Assign by skuId: licenses %v, want %v", got, want)
	}
	if got := out.Held; len(got) != 1 || got[0].Code != "POWER_BI_PRO" || got[0].ID != skuID {
		t.Errorf("Assign by skuId: held %+v, want POWER_BI_PRO with id %s", got, skuID)
	}
	if got := fetches(); got != 2 {
		t.Errorf("a cached skuId made subscribedSkus fetches: %d, want 2", got)
	}

	_, err = c.Assign(ctx, assign(user, "NO_SUCH_SKU"))
	if !errors.Is(err, vendors.ErrLicenseNotFound) {
		t.Errorf("Assign of an unknown part number: err = %v, want ErrLicenseNotFound", err)
	}
	if got := fetches(); got != 3 {
		t.Errorf("an unknown code refreshed subscribedSkus %d times in all, want 3 (one refresh)", got)
	}
}

// Graph's permanent refusals map to the classes of docs/design.md §3, keeping
// Graph's message where the operator has something to fix.
func TestRefusals(t *testing.T) {
	s := newTenant(t)
	c := newClient(t, testConfig(s))
	ctx := context.Background()
	noLocation := s.AddUser(m365test.User{UPN: "nolocation@contoso.example"})
	inherits := addUser(s)
	s.GrantFromGroup(inherits, codeA, testGroup)
	tests := []struct {
		name    string
		op      func() error
		class   error
		message string
	}{
		{"no usage location", func() error { _, err := c.Assign(ctx, assign(noLocation, codeA)); return err },
			vendors.ErrRejected, "License assignment cannot be done for user with invalid usage location."},
		{"unknown user", func() error { _, err := c.Assign(ctx, assign("nobody@contoso.example", codeA)); return err },
			vendors.ErrUserNotFound, ""},
		{"unknown user list", func() error { _, err := c.List(ctx, "", "nobody@contoso.example"); return err },
			vendors.ErrUserNotFound, ""},
		{"full pool", func() error { _, err := c.Assign(ctx, assign(addUser(s), codeFull)); return err },
			vendors.ErrCapacity, "does not have any available licenses"},
		{"unknown SKU on release", func() error { _, err := c.Release(ctx, assign(addUser(s), "NO_SUCH_SKU")); return err },
			vendors.ErrLicenseNotFound, ""},
		{"other tenant", func() error {
			_, err := c.Assign(ctx, vendors.Request{Account: "fabrikam.example", User: inherits, Licenses: []string{codeA}})
			return err
		},
			vendors.ErrUnknownAccount, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.op()
			if !errors.Is(err, tt.class) {
				t.Fatalf("err = %v, want %v", err, tt.class)
			}
			if vendors.Retryable(err) {
				t.Errorf("err %v is retryable, want permanent", err)
			}
			var ve *vendors.Error
			if !errors.As(err, &ve) {
				t.Fatalf("err %v is not a *vendors.Error", err)
			}
			if !strings.Contains(ve.Message, tt.message) {
				t.Errorf("message = %q, want it to contain Graph's %q", ve.Message, tt.message)
			}
		})
	}
	if got := s.Held(inherits); len(got) != 1 || got[0] != codeA {
		t.Errorf("after the refused commands the user holds %v, want [%s]", got, codeA)
	}
}

// A 429 or 503 with Retry-After is transient and carries the wait, for
// reads and writes alike.
func TestRetryAfter(t *testing.T) {
	s := newTenant(t)
	tests := []struct {
		status int
		wait   time.Duration
		class  error
		op     func(c *m365.Client, user string) error
	}{
		{429, 2 * time.Second, vendors.ErrRateLimited, func(c *m365.Client, user string) error {
			_, err := c.Assign(context.Background(), assign(user, codeA))
			return err
		}},
		{503, 3 * time.Second, vendors.ErrTransient, func(c *m365.Client, user string) error {
			_, err := c.Pools(context.Background(), "")
			return err
		}},
		{429, 7 * time.Second, vendors.ErrRateLimited, func(c *m365.Client, user string) error {
			_, err := c.Release(context.Background(), assign(user))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status, "_", tt.wait), func(t *testing.T) {
			// A client of its own: the transport pauses after the answer.
			c := newClient(t, testConfig(s))
			user := addUser(s)
			s.FailNext(tt.status, 1, tt.wait)
			err := tt.op(c, user)
			if !errors.Is(err, tt.class) || !vendors.Retryable(err) {
				t.Fatalf("err = %v, want %v (transient)", err, tt.class)
			}
			if got := vendors.RetryAfterOf(err); got != tt.wait {
				t.Errorf("RetryAfter = %s, want %s", got, tt.wait)
			}
		})
	}
}

// A Graph 401 gets one new token and one repeat; a second 401 is ErrAuth.
// Tokens are otherwise reused.
func TestTokenRefresh(t *testing.T) {
	s := newTenant(t)
	c := newClient(t, testConfig(s))
	ctx := context.Background()
	user := addUser(s)
	for range 3 {
		if _, err := c.List(ctx, "", user); err != nil {
			t.Fatalf("List: %v", err)
		}
	}
	if got := s.TokenRequests(); got != 1 {
		t.Errorf("3 calls made %d token requests, want 1", got)
	}

	s.ExpireTokens()
	calls := len(s.Requests())
	if _, err := c.List(ctx, "", user); err != nil {
		t.Fatalf("List after expiry: %v", err)
	}
	if got, want := s.TokenRequests(), 2; got != want {
		t.Errorf("token requests after expiry = %d, want %d", got, want)
	}
	if got := len(s.Requests()) - calls; got != 2 {
		t.Errorf("Graph calls for one List after expiry = %d, want 2 (refused, repeated)", got)
	}

	s.FailNext(401, 2, 0)
	calls = len(s.Requests())
	_, err := c.List(ctx, "", user)
	if !errors.Is(err, vendors.ErrAuth) || vendors.Retryable(err) {
		t.Fatalf("List with two 401s: err = %v, want ErrAuth (permanent)", err)
	}
	if got := len(s.Requests()) - calls; got != 2 {
		t.Errorf("Graph calls for a persistent 401 = %d, want 2", got)
	}
	if got, want := s.TokenRequests(), 3; got != want {
		t.Errorf("token requests after the 401s = %d, want %d", got, want)
	}
}

// After expiry, concurrent callers share one new token.
func TestConcurrentRefreshFetchesOneToken(t *testing.T) {
	s := newTenant(t)
	c := newClient(t, testConfig(s))
	ctx := context.Background()
	user := addUser(s)
	if _, err := c.List(ctx, "", user); err != nil {
		t.Fatalf("List: %v", err)
	}
	s.ExpireTokens()
	before := s.TokenRequests()
	errs := make(chan error, 16)
	for range cap(errs) {
		go func() {
			_, err := c.List(ctx, "", user)
			errs <- err
		}()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Errorf("List: %v", err)
		}
	}
	if got := s.TokenRequests() - before; got != 1 {
		t.Errorf("%d concurrent calls after expiry made %d token requests, want 1", cap(errs), got)
	}
}

// A call Graph never answers ends, transient, when the caller gives up.
func TestHungCallIsTransient(t *testing.T) {
	s := newTenant(t)
	c := newClient(t, testConfig(s))
	user := addUser(s)
	if _, err := c.List(context.Background(), "", user); err != nil {
		t.Fatalf("List: %v", err)
	}
	s.HangNext(1)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Assign(ctx, assign(user, codeA))
	if !errors.Is(err, vendors.ErrTransient) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hung assign: err = %v, want ErrTransient wrapping the deadline", err)
	}
	if got := s.Held(user); len(got) != 0 {
		t.Errorf("the fake shows %v held after a hung read", got)
	}
}

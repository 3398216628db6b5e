package arcgis_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/arcgis/arcgistest"
)

// A 498 or 499 inside an HTTP 200 body gets one new token and one repeat.
func TestTokenErrorInBodyRefreshesOnce(t *testing.T) {
	for _, code := range []int{498, 499} {
		t.Run(http200(code), func(t *testing.T) {
			fake := newFake(t)
			c := newClient(t, testConfig(fake, false))
			user := newUser(fake)
			ctx := context.Background()
			if _, err := c.List(ctx, "", user); err != nil {
				t.Fatalf("first list: %v", err)
			}
			issued := fake.TokensIssued()
			fake.FailNext(code, 1, 0)
			if _, err := c.List(ctx, "", user); err != nil {
				t.Fatalf("list after a %d: %v, want a transparent refresh", code, err)
			}
			if got := fake.TokensIssued() - issued; got != 1 {
				t.Errorf("generateToken called %d times, want 1", got)
			}
		})
	}
}

func http200(code int) string { return fmt.Sprintf("HTTP 200 with %d", code) }

// A second 498 after the refresh is ErrAuth, permanent, with no third try.
func TestPersistentTokenErrorIsAuth(t *testing.T) {
	fake := newFake(t)
	c := newClient(t, testConfig(fake, false))
	user := newUser(fake)
	ctx := context.Background()
	if _, err := c.List(ctx, "", user); err != nil {
		t.Fatalf("first list: %v", err)
	}
	issued, requests := fake.TokensIssued(), len(fake.Requests())
	fake.FailNext(498, 10, 0)
	t.Cleanup(fake.Recover)
	_, err := c.List(ctx, "", user)
	if !errors.Is(err, vendors.ErrAuth) || vendors.Retryable(err) {
		t.Fatalf("list with tokens always refused: err = %v, want permanent ErrAuth", err)
	}
	if got := fake.TokensIssued() - issued; got != 1 {
		t.Errorf("generateToken called %d times, want 1", got)
	}
	if got := len(fake.Requests()) - requests; got != 2 {
		t.Errorf("made %d license-API calls, want 2 (the call and its one repeat)", got)
	}
}

// Failures map onto seatkeeper's error classes, whether they come as an
// HTTP status, inside an HTTP 200 body, or as a web adaptor's HTML page.
func TestFailureClasses(t *testing.T) {
	fake := newFake(t)
	c := newClient(t, testConfig(fake, true))
	ctx := context.Background()
	tests := []struct {
		name   string
		inject func()
		user   string // "" for a new member
		want   error
	}{
		{"HTML 502 from the web adaptor", func() { fake.FailNextHTML(1) }, "", vendors.ErrTransient},
		{"500 in the body", func() { fake.FailNextInBody(500, 1) }, "", vendors.ErrTransient},
		{"429 in the body", func() { fake.FailNextInBody(429, 1) }, "", vendors.ErrRateLimited},
		{"403 in the body", func() { fake.FailNextInBody(403, 1) }, "", vendors.ErrForbidden},
		{"HTTP 504", func() { fake.FailNext(504, 1, 0) }, "", vendors.ErrTransient},
		{"unknown user", func() {}, "nobody-here", vendors.ErrUserNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			user := tc.user
			if user == "" {
				user = newUser(fake)
			}
			tc.inject()
			_, err := c.List(ctx, "", user)
			if !errors.Is(err, tc.want) {
				t.Fatalf("list: err = %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), "<") {
				t.Errorf("error %q carries the answer's body", err)
			}
			if _, err := c.List(ctx, "", user); tc.user == "" && err != nil {
				t.Errorf("list after the fault: %v", err)
			}
		})
	}
}

// Requests the adapter refuses, or the portal refuses, with the most
// specific class.
func TestRequestErrors(t *testing.T) {
	fake := newFake(t)
	c := newClient(t, testConfig(fake, true))
	ctx := context.Background()
	tests := []struct {
		name string
		req  vendors.Request
		want error
	}{
		{"unknown user", vendors.Request{User: "nobody-here", Licenses: []string{creator}}, vendors.ErrUserNotFound},
		{"unknown account", vendors.Request{Account: "elsewhere", User: "jdoe", Licenses: []string{creator}}, vendors.ErrUnknownAccount},
		{"unknown code", vendors.Request{User: "dkim", Licenses: []string{"creatorUT"}}, vendors.ErrLicenseNotFound},
		{"unknown user type", vendors.Request{User: "dkim", Licenses: []string{"usertype:nopeUT"}}, vendors.ErrLicenseNotFound},
		{"unknown entitlement", vendors.Request{User: "dkim", Licenses: []string{"pro:nopeN"}}, vendors.ErrLicenseNotFound},
		{"two user types", vendors.Request{User: "dkim", Licenses: []string{creator, fullType}}, vendors.ErrRejected},
		{"full user type", vendors.Request{User: "dkim", Licenses: []string{fullType}}, vendors.ErrCapacity},
		{"full entitlement", vendors.Request{User: "dkim", Licenses: []string{fullPro}}, vendors.ErrCapacity},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Assign(ctx, tc.req)
			if !errors.Is(err, tc.want) || vendors.Retryable(err) {
				t.Errorf("assign: err = %v, want permanent %v", err, tc.want)
			}
		})
	}
}

// "self" is the one organisation; commands may also omit it.
func TestDefaultAccount(t *testing.T) {
	fake := newFake(t)
	c := newClient(t, testConfig(fake, false))
	if got := c.DefaultAccount(); got != arcgistest.DemoAccount {
		t.Errorf("DefaultAccount() = %q, want %q", got, arcgistest.DemoAccount)
	}
	held, err := c.List(context.Background(), c.DefaultAccount(), "jdoe")
	if err != nil {
		t.Fatalf("list jdoe: %v", err)
	}
	if len(held) != 2 || held[0].Code != "usertype:creatorUT" || held[0].Name != "Creator" || held[1].Code != proAdvanced {
		t.Errorf("list jdoe = %+v, want the Creator user type and desktopAdvN", held)
	}
}

// No error string carries the password or a token, whatever went wrong:
// net/http's *url.Error names the URL, whose query holds a GET's token.
func TestNoSecretsInErrors(t *testing.T) {
	fake := newFake(t)
	c := newClient(t, testConfig(fake, true))
	user := newUser(fake)
	var errs []error
	collect := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	list := func(ctx context.Context) { _, err := c.List(ctx, "", user); collect(err) }
	ctx := context.Background()
	list(ctx) // a token is issued and cached

	fake.HangNext(1)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	list(short)
	cancel()
	fake.ResetNext(1)
	list(ctx)
	for _, status := range []int{429, 500, 502, 503} {
		fake.FailNext(status, 1, 0)
		list(ctx)
	}
	fake.FailNextHTML(1)
	list(ctx)
	fake.FailNext(498, 2, 0)
	list(ctx)
	_, err := c.Assign(ctx, vendors.Request{User: user, Licenses: []string{fullType}})
	collect(err)
	_, err = c.Assign(ctx, vendors.Request{User: "nobody-here", Licenses: []string{creator}})
	collect(err)
	fake.BreakAuth()
	fake.ExpireTokens()
	list(ctx)

	if len(errs) < 10 {
		t.Fatalf("collected %d errors, want every scenario to fail: %v", len(errs), errs)
	}
	secrets := append(fake.IssuedTokens(), arcgistest.AdminPassword)
	for _, err := range errs {
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("error %q carries a secret", err)
			}
		}
		if strings.Contains(err.Error(), "token=") {
			t.Errorf("error %q carries a URL with a token", err)
		}
	}
}

package uipath_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/fakefaults"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

func TestTokenIsCachedAcrossCalls(t *testing.T) {
	// Users the license service knows: the Identity token stays out of the count.
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true, NeverLicensed: uipathtest.NeverLicensedEmpty})
	c := newClient(t, srv, nil)
	ctx := context.Background()
	user := newUser(t, srv)

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := c.List(ctx, "", user); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, code := range []string{"RPADEVNU", "ATTUNU"} {
		if _, err := c.Assign(ctx, vendors.Request{User: user, Licenses: []string{code}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Pools(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if got := srv.TokenRequests(); got != 1 {
		t.Errorf("%d token requests for %d calls, want 1", got, len(srv.Requests()))
	}

	srv.ExpireTokens()
	for range 3 {
		if _, err := c.List(ctx, "", user); err != nil {
			t.Fatalf("List after ExpireTokens: %v", err)
		}
	}
	if got := srv.TokenRequests(); got != 2 {
		t.Errorf("%d token requests after ExpireTokens and 3 calls, want 2 (one refresh)", got)
	}
}

func TestTokenRenewedBeforeExpiry(t *testing.T) {
	// The adapter and the fake share a clock that moves only when told to.
	// An hour's token is replaced a minute before it expires (a tenth of its
	// life, at most a minute), so the fake never refuses a token it holds
	// expired; a 100 s token ten seconds before.
	for _, tt := range []struct {
		ttl, margin time.Duration
	}{
		{time.Hour, time.Minute},
		{100 * time.Second, 10 * time.Second},
	} {
		t.Run(tt.ttl.String(), func(t *testing.T) {
			clock := fakefaults.NewClock(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
			srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true, TokenTTL: tt.ttl, Now: clock.Now, NeverLicensed: uipathtest.NeverLicensedEmpty})
			c := newClient(t, srv, nil)
			uipath.SetClock(c, clock.Now)
			user := newUser(t, srv)
			list := func() {
				t.Helper()
				if _, err := c.List(context.Background(), "", user); err != nil {
					t.Fatal(err)
				}
			}

			list()
			clock.Advance(tt.ttl - tt.margin - time.Nanosecond)
			list()
			if got := srv.TokenRequests(); got != 1 {
				t.Errorf("%d token requests before the renewal point, want 1", got)
			}
			clock.Advance(time.Nanosecond)
			list()
			if got := srv.TokenRequests(); got != 2 {
				t.Errorf("%d token requests at the renewal point, want 2", got)
			}
			clock.Advance(tt.ttl - tt.margin)
			list()
			if got := srv.TokenRequests(); got != 3 {
				t.Errorf("%d token requests at the second token's renewal point, want 3", got)
			}
			for _, r := range srv.Requests() {
				if r.Status == http.StatusUnauthorized {
					t.Fatalf("a call at %s was refused with 401: the token was used past its expiry", r.At.Format(time.StampMilli))
				}
			}
		})
	}
}

func TestUnauthorizedRefreshesOnce(t *testing.T) {
	// Users the license service knows: the Identity token stays out of the count.
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true, NeverLicensed: uipathtest.NeverLicensedEmpty})
	c := newClient(t, srv, nil)
	ctx := context.Background()
	user := newUser(t, srv)
	if _, err := c.List(ctx, "", user); err != nil {
		t.Fatal(err)
	}

	srv.FailNext(http.StatusUnauthorized, 1, 0)
	if _, err := c.List(ctx, "", user); err != nil {
		t.Errorf("List after one 401: %v, want success with a new token", err)
	}
	if got := srv.TokenRequests(); got != 2 {
		t.Errorf("token requests = %d, want 2", got)
	}

	calls := len(srv.Requests())
	srv.FailNext(http.StatusUnauthorized, 5, 0)
	_, err := c.List(ctx, "", user)
	if !errors.Is(err, vendors.ErrAuth) || vendors.Retryable(err) || vendors.Code(err) != events.CodeAuthFailed {
		t.Errorf("List during persistent 401s: err = %v, want permanent ErrAuth", err)
	}
	if got := len(srv.Requests()) - calls; got != 2 {
		t.Errorf("%d calls during persistent 401s, want 2 (one refresh, then give up)", got)
	}
	if got := srv.TokenRequests(); got != 3 {
		t.Errorf("token requests = %d, want 3", got)
	}
}

func TestTokenEndpointFailures(t *testing.T) {
	tests := []struct {
		name  string
		setup func(srv *uipathtest.Server) uipath.Config
		class error
	}{
		{"wrong secret", func(srv *uipathtest.Server) uipath.Config {
			cfg := demoConfig(srv)
			cfg.ClientSecret = "not-the-secret"
			return cfg
		}, vendors.ErrAuth},
		{"scope not granted", func(srv *uipathtest.Server) uipath.Config {
			cfg := demoConfig(srv)
			cfg.Scope = "OR.Users"
			return cfg
		}, vendors.ErrForbidden},
		{"no token endpoint at the base URL", func(srv *uipathtest.Server) uipath.Config {
			cfg := demoConfig(srv)
			cfg.BaseURL = srv.URL + "/nowhere"
			return cfg
		}, vendors.ErrAuth},
		{"identity service unreachable", func(srv *uipathtest.Server) uipath.Config {
			cfg := demoConfig(srv)
			cfg.BaseURL = closedURL(t)
			return cfg
		}, vendors.ErrTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
			c, err := uipath.New(tt.setup(srv), nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.List(context.Background(), "", "singer-77")
			if !errors.Is(err, tt.class) {
				t.Errorf("err = %v, want %v", err, tt.class)
			}
		})
	}
}

func TestHungConnectionIsBoundedAndTransient(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	const timeout = 300 * time.Millisecond
	c := newClient(t, srv, vendors.NewHTTPClient(uipath.Name, vendors.Limits{RequestTimeout: timeout}, nil))
	user := newUser(t, srv)
	if _, err := c.List(context.Background(), "", user); err != nil {
		t.Fatal(err)
	}

	srv.HangNext(1)
	start := time.Now()
	_, err := c.Assign(context.Background(), vendors.Request{User: user, Licenses: []string{"RPADEVNU"}})
	elapsed := time.Since(start)
	if !errors.Is(err, vendors.ErrTransient) || !vendors.Retryable(err) {
		t.Errorf("Assign over a hung connection: err = %v, want ErrTransient", err)
	}
	if elapsed < timeout || elapsed > timeout+2*time.Second {
		t.Errorf("the hung call returned after %s, want about the client timeout %s", elapsed, timeout)
	}
	if _, err := c.Assign(context.Background(), vendors.Request{User: user, Licenses: []string{"RPADEVNU"}}); err != nil {
		t.Errorf("Assign after the hang: %v", err)
	}
}

func demoConfig(srv *uipathtest.Server) uipath.Config {
	return uipath.Config{
		BaseURL:      srv.URL,
		ClientID:     uipathtest.ClientID,
		ClientSecret: uipathtest.ClientSecret,
		Scope:        "PM.License",
		AccountID:    uipathtest.DemoAccount,
	}
}

// closedURL returns the URL of a server that is no longer listening.
func closedURL(t *testing.T) string {
	dead := uipathtest.New(uipathtest.Options{})
	dead.Close()
	return dead.URL
}

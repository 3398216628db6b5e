package m365_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365/m365test"
)

// No error, whatever its cause, shows the client secret or an access token,
// even when the token endpoint quotes them back.
func TestErrorsHoldNoSecret(t *testing.T) {
	const wrongSecret = "wrong~secret-value-XYZ"
	s := newTenant(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		setup func() *m365.Client // returns the client to use
		class error
	}{
		{"token endpoint 500 quoting the secret", func() *m365.Client {
			s.FailTokenNext(500, 1, "upstream said: client_secret="+m365test.ClientSecret)
			return newClient(t, testConfig(s))
		}, vendors.ErrTransient},
		{"token endpoint 400 quoting the secret", func() *m365.Client {
			s.FailTokenNext(400, 1, "AADSTS50000: bad request client_secret="+m365test.ClientSecret)
			return newClient(t, testConfig(s))
		}, vendors.ErrAuth},
		{"token endpoint 429", func() *m365.Client {
			s.FailTokenNext(429, 1, "slow down "+m365test.ClientSecret)
			return newClient(t, testConfig(s))
		}, vendors.ErrRateLimited},
		{"wrong secret", func() *m365.Client {
			cfg := testConfig(s)
			cfg.ClientSecret = config.Secret(wrongSecret)
			return newClient(t, cfg)
		}, vendors.ErrAuth},
		{"unknown tenant", func() *m365.Client {
			cfg := testConfig(s)
			cfg.TenantID = "fabrikam.example"
			return newClient(t, cfg)
		}, vendors.ErrAuth},
		{"persistent Graph 401 with a token in hand", func() *m365.Client {
			c := newClient(t, testConfig(s))
			if _, err := c.Pools(ctx, ""); err != nil {
				t.Fatalf("Pools: %v", err)
			}
			s.FailNext(401, 2, 0)
			return c
		}, vendors.ErrAuth},
		{"Graph refusal", func() *m365.Client {
			// Two: a refused read is tried once more without the
			// sign-ins, which need a premium tenant.
			s.FailNext(403, 2, 0)
			return newClient(t, testConfig(s))
		}, vendors.ErrForbidden},
		{"secret revoked while a token is cached", func() *m365.Client {
			c := newClient(t, testConfig(s))
			if _, err := c.Pools(ctx, ""); err != nil {
				t.Fatalf("Pools: %v", err)
			}
			s.BreakAuth()
			return c
		}, vendors.ErrAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Cleanup(s.Recover)
			c := tt.setup()
			_, err := c.Assign(ctx, assign(addUser(s), codeA))
			if !errors.Is(err, tt.class) {
				t.Fatalf("err = %v, want %v", err, tt.class)
			}
			secrets := append([]string{m365test.ClientSecret, wrongSecret, "Bearer "}, s.Tokens()...)
			for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%v", errors.Unwrap(err))} {
				for _, secret := range secrets {
					if strings.Contains(text, secret) {
						t.Errorf("error %q contains a secret (%.12s…)", text, secret)
					}
				}
			}
		})
	}
}

func TestConfig(t *testing.T) {
	t.Setenv("M365_TENANT_ID", "contoso.onmicrosoft.com")
	t.Setenv("M365_CLIENT_ID", "app")
	t.Setenv("M365_CLIENT_SECRET", "s3cr3t-value")
	var cfg m365.Config
	if err := config.Process("M365", &cfg); err != nil {
		t.Fatalf("Process: %v", err)
	}
	if !cfg.Configured() {
		t.Errorf("Configured() = false with every credential set")
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if got, want := cfg.LoginURL, "https://login.microsoftonline.com"; got != want {
		t.Errorf("LoginURL = %q, want %q", got, want)
	}
	if got, want := cfg.GraphURL, "https://graph.microsoft.com"; got != want {
		t.Errorf("GraphURL = %q, want %q", got, want)
	}
	if got, want := cfg.Limits(), (vendors.Limits{RatePerSecond: 10, Burst: 4, MaxConcurrency: 4}); got != want {
		t.Errorf("Limits = %+v, want %+v", got, want)
	}
	if got := fmt.Sprintf("%v %+v", cfg, cfg); strings.Contains(got, "s3cr3t") {
		t.Errorf("config prints its secret: %s", got)
	}

	tests := []struct {
		name string
		edit func(*m365.Config)
		want string // a fragment of the error
	}{
		{"no tenant", func(c *m365.Config) { c.TenantID = "" }, "M365_TENANT_ID"},
		{"tenant with a slash", func(c *m365.Config) { c.TenantID = "a/b" }, "M365_TENANT_ID"},
		{"no client id", func(c *m365.Config) { c.ClientID = "" }, "M365_CLIENT_ID"},
		{"no secret", func(c *m365.Config) { c.ClientSecret = "" }, "M365_CLIENT_SECRET"},
		{"relative graph URL", func(c *m365.Config) { c.GraphURL = "graph.microsoft.com" }, "M365_GRAPH_URL"},
		{"login URL with a query", func(c *m365.Config) { c.LoginURL = "https://login.example?x=1" }, "M365_LOGIN_URL"},
		{"negative rate", func(c *m365.Config) { c.RateLimit = -1 }, "M365_RATE_LIMIT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg
			tt.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want an error naming %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("Validate() = %v shows the secret", err)
			}
			if _, err := m365.New(c, nil); err == nil {
				t.Errorf("New accepted an invalid configuration")
			}
		})
	}
	if (m365.Config{}).Configured() {
		t.Errorf("Configured() = true with nothing set")
	}
}

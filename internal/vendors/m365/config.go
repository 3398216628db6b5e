package m365

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Config is the Microsoft 365 adapter's configuration, loaded with
// config.Process("M365", &cfg).
type Config struct {
	// TenantID is the Entra ID tenant (GUID or verified domain); it is also
	// the vendor's default and only account.
	TenantID string `envconfig:"TENANT_ID"`
	// ClientID is the app registration's application (client) id.
	ClientID string `envconfig:"CLIENT_ID"`
	// ClientSecret is the app registration's client secret.
	ClientSecret config.Secret `envconfig:"CLIENT_SECRET"`
	// LoginURL is the Microsoft identity platform's base URL.
	LoginURL string `envconfig:"LOGIN_URL" default:"https://login.microsoftonline.com"`
	// GraphURL is Microsoft Graph's base URL.
	GraphURL string `envconfig:"GRAPH_URL" default:"https://graph.microsoft.com"`
	// RateLimit is the request rate towards Microsoft (token and Graph calls).
	RateLimit float64 `envconfig:"RATE_LIMIT" default:"10"`
	// MaxConcurrency caps the requests in flight towards Microsoft.
	MaxConcurrency int `envconfig:"MAX_CONCURRENCY" default:"4"`
}

// Configured reports whether the operator set any of the credentials. A
// partial configuration counts as configured, so that Validate reports what
// is missing instead of the vendor being silently absent.
func (c Config) Configured() bool {
	return c.TenantID != "" || c.ClientID != "" || c.ClientSecret != ""
}

// Validate checks the configuration. Its messages name the variable, never
// a secret's value.
func (c Config) Validate() error {
	var errs []error
	if c.TenantID == "" {
		errs = append(errs, errors.New("M365_TENANT_ID is required"))
	} else if strings.ContainsAny(c.TenantID, "/?#% \t") {
		errs = append(errs, errors.New("M365_TENANT_ID must be a tenant GUID or domain name"))
	}
	if c.ClientID == "" {
		errs = append(errs, errors.New("M365_CLIENT_ID is required"))
	}
	if c.ClientSecret == "" {
		errs = append(errs, errors.New("M365_CLIENT_SECRET (or M365_CLIENT_SECRET_FILE) is required"))
	}
	for _, u := range []struct{ name, value string }{{"M365_LOGIN_URL", c.LoginURL}, {"M365_GRAPH_URL", c.GraphURL}} {
		if err := checkBaseURL(u.value); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", u.name, err))
		}
	}
	if c.RateLimit < 0 {
		errs = append(errs, errors.New("M365_RATE_LIMIT must not be negative"))
	}
	if c.MaxConcurrency < 0 {
		errs = append(errs, errors.New("M365_MAX_CONCURRENCY must not be negative"))
	}
	return errors.Join(errs...)
}

func checkBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URL")
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("want an absolute http(s) URL")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("want a base URL without query or fragment")
	}
	return nil
}

// Limits returns the transport limits for Microsoft's endpoints.
func (c Config) Limits() vendors.Limits {
	return vendors.Limits{
		RatePerSecond:  c.RateLimit,
		Burst:          max(1, c.MaxConcurrency),
		MaxConcurrency: c.MaxConcurrency,
	}
}

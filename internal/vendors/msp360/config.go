package msp360

import (
	"errors"
	"net/url"

	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Config is the MSP360 adapter's configuration, loaded with
// config.Process("MSP360", &cfg).
type Config struct {
	// BaseURL is the MBS API's base URL.
	BaseURL string `envconfig:"BASE_URL" default:"https://api.mspbackups.com"`
	// Username is the API login created in the MSP360 console.
	Username string `envconfig:"USERNAME"`
	// Password is the API login's password.
	Password config.Secret `envconfig:"PASSWORD"`
	// RateLimit is the request rate towards MSP360 (logins included).
	RateLimit float64 `envconfig:"RATE_LIMIT" default:"5"`
	// MaxConcurrency caps the requests in flight towards MSP360.
	MaxConcurrency int `envconfig:"MAX_CONCURRENCY" default:"4"`
}

// Configured reports whether the operator set any of the credentials. A
// partial configuration counts as configured, so that Validate reports what
// is missing instead of the vendor being silently absent.
func (c Config) Configured() bool {
	return c.Username != "" || c.Password != ""
}

// Validate checks the configuration. Its messages name the variable, never
// a secret's value.
func (c Config) Validate() error {
	var errs []error
	if c.Username == "" {
		errs = append(errs, errors.New("MSP360_USERNAME is required"))
	}
	if c.Password == "" {
		errs = append(errs, errors.New("MSP360_PASSWORD (or MSP360_PASSWORD_FILE) is required"))
	}
	if err := checkBaseURL(c.BaseURL); err != nil {
		errs = append(errs, errors.New("MSP360_BASE_URL: "+err.Error()))
	}
	if c.RateLimit < 0 {
		errs = append(errs, errors.New("MSP360_RATE_LIMIT must not be negative"))
	}
	if c.MaxConcurrency < 0 {
		errs = append(errs, errors.New("MSP360_MAX_CONCURRENCY must not be negative"))
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
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return errors.New("want a base URL without credentials, query or fragment")
	}
	return nil
}

// Limits returns the rate limit and concurrency cap of the HTTP client.
func (c Config) Limits() vendors.Limits {
	return vendors.Limits{RatePerSecond: c.RateLimit, Burst: 1, MaxConcurrency: c.MaxConcurrency}
}

package uipath

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// EnvPrefix is the prefix of the adapter's environment variables.
const EnvPrefix = "UIPATH"

// Config is the adapter's configuration, read from UIPATH_* variables.
type Config struct {
	// BaseURL is the organisation URL, e.g. https://cloud.uipath.com/acmecorp.
	BaseURL string `envconfig:"BASE_URL"`
	// ClientID and ClientSecret are the external application's credentials.
	ClientID     string        `envconfig:"CLIENT_ID"`
	ClientSecret config.Secret `envconfig:"CLIENT_SECRET"`
	// Scope is the OAuth scope requested with the token.
	Scope string `envconfig:"SCOPE" default:"PM.License"`
	// AccountID is the organisation account used when a command names none.
	AccountID string `envconfig:"ACCOUNT_ID"`
	// RateLimit is in requests per second; MaxConcurrency caps requests in flight.
	RateLimit      float64 `envconfig:"RATE_LIMIT" default:"5"`
	MaxConcurrency int     `envconfig:"MAX_CONCURRENCY" default:"4"`
}

// LoadConfig reads the configuration from the environment (secrets also
// from UIPATH_CLIENT_SECRET_FILE).
func LoadConfig() (Config, error) {
	var c Config
	err := config.Process(EnvPrefix, &c)
	return c, err
}

// Configured reports whether any of the settings that identify the vendor is
// present. A partial configuration counts as configured so that Validate can
// name what is missing, instead of the vendor silently going unconfigured.
func (c Config) Configured() bool {
	return c.BaseURL != "" || c.ClientID != "" || c.ClientSecret != ""
}

// Validate names every variable that is missing or malformed. It never
// mentions the secret's value.
func (c Config) Validate() error {
	var errs []error
	if c.BaseURL == "" {
		errs = append(errs, errors.New("UIPATH_BASE_URL is required"))
	} else if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, fmt.Errorf("UIPATH_BASE_URL %q is not an http(s) URL", c.BaseURL))
	}
	if c.ClientID == "" {
		errs = append(errs, errors.New("UIPATH_CLIENT_ID is required"))
	}
	if c.ClientSecret == "" {
		errs = append(errs, errors.New("UIPATH_CLIENT_SECRET (or UIPATH_CLIENT_SECRET_FILE) is required"))
	}
	if strings.TrimSpace(c.Scope) == "" {
		errs = append(errs, errors.New("UIPATH_SCOPE must not be empty"))
	}
	if c.RateLimit < 0 {
		errs = append(errs, fmt.Errorf("UIPATH_RATE_LIMIT %v must not be negative", c.RateLimit))
	}
	if c.MaxConcurrency < 0 {
		errs = append(errs, fmt.Errorf("UIPATH_MAX_CONCURRENCY %d must not be negative", c.MaxConcurrency))
	}
	return errors.Join(errs...)
}

// Limits returns the rate limit and concurrency cap for the vendor's transport.
func (c Config) Limits() vendors.Limits {
	return vendors.Limits{RatePerSecond: c.RateLimit, MaxConcurrency: c.MaxConcurrency}
}

// String prints the configuration with the secret masked.
func (c Config) String() string {
	return fmt.Sprintf("uipath{base_url=%s client_id=%s client_secret=%s scope=%s account_id=%s rate_limit=%v max_concurrency=%d}",
		c.BaseURL, c.ClientID, c.ClientSecret, c.Scope, c.AccountID, c.RateLimit, c.MaxConcurrency)
}

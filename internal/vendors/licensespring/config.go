package licensespring

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// EnvPrefix is the prefix of the adapter's environment variables.
const EnvPrefix = "LICENSESPRING"

// DefaultBaseURL is the Management API origin used when
// LICENSESPRING_BASE_URL is not set.
const DefaultBaseURL = "https://saas.licensespring.com"

// Config is the adapter's configuration, read from LICENSESPRING_* variables.
type Config struct {
	// BaseURL is the Management API origin (without /api/v1).
	BaseURL string `envconfig:"BASE_URL" default:"https://saas.licensespring.com"`
	// APIKey is the Management API key, sent as "Authorization: Api-Key <key>".
	APIKey config.Secret `envconfig:"API_KEY"`
	// RateLimit is in requests per second; MaxConcurrency caps requests in flight.
	RateLimit      float64 `envconfig:"RATE_LIMIT" default:"5"`
	MaxConcurrency int     `envconfig:"MAX_CONCURRENCY" default:"4"`
}

// LoadConfig reads the configuration from the environment (the key also
// from LICENSESPRING_API_KEY_FILE).
func LoadConfig() (Config, error) {
	var c Config
	err := config.Process(EnvPrefix, &c)
	return c, err
}

// Configured reports whether the API key is present: the base URL has a
// default, so the key alone says that the operator meant to use LicenseSpring.
func (c Config) Configured() bool { return c.APIKey != "" }

// Validate names every variable that is missing or malformed. It never
// mentions the key's value. An empty BaseURL is accepted: New uses
// DefaultBaseURL.
func (c Config) Validate() error {
	var errs []error
	if c.BaseURL != "" {
		if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("LICENSESPRING_BASE_URL %q is not an http(s) URL", c.BaseURL))
		}
	}
	if c.APIKey == "" {
		errs = append(errs, errors.New("LICENSESPRING_API_KEY (or LICENSESPRING_API_KEY_FILE) is required"))
	}
	if c.RateLimit < 0 {
		errs = append(errs, fmt.Errorf("LICENSESPRING_RATE_LIMIT %v must not be negative", c.RateLimit))
	}
	if c.MaxConcurrency < 0 {
		errs = append(errs, fmt.Errorf("LICENSESPRING_MAX_CONCURRENCY %d must not be negative", c.MaxConcurrency))
	}
	return errors.Join(errs...)
}

// Limits returns the rate limit and concurrency cap for the vendor's transport.
func (c Config) Limits() vendors.Limits {
	return vendors.Limits{RatePerSecond: c.RateLimit, MaxConcurrency: c.MaxConcurrency}
}

// String prints the configuration with the key masked.
func (c Config) String() string {
	return fmt.Sprintf("licensespring{base_url=%s api_key=%s rate_limit=%v max_concurrency=%d}",
		c.BaseURL, c.APIKey, c.RateLimit, c.MaxConcurrency)
}

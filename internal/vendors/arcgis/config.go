package arcgis

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Config is the adapter's configuration, loaded with
// config.Process("ARCGIS", &cfg).
type Config struct {
	// PortalURL is the sharing REST root (ARCGIS_PORTAL_URL), e.g.
	// https://gis.example.com/portal/sharing/rest.
	PortalURL string `envconfig:"PORTAL_URL" default:"https://www.arcgis.com/sharing/rest"`
	// AdminURL is the Enterprise portal admin root (ARCGIS_ADMIN_URL), e.g.
	// https://gis.example.com/portal/portaladmin. Set, a release of the Pro
	// entitlements of a user whose license is checked out calls
	// license/releaseLicense first, and pools and dry runs read user-type
	// totals from its license resource; empty on ArcGIS Online.
	AdminURL string `envconfig:"ADMIN_URL"`
	// Username is an org administrator or a member with the "Manage
	// Licenses" privilege (ARCGIS_USERNAME).
	Username string `envconfig:"USERNAME"`
	// Password is Username's password (ARCGIS_PASSWORD or
	// ARCGIS_PASSWORD_FILE).
	Password config.Secret `envconfig:"PASSWORD"`
	// ProListingID is the item id of the ArcGIS Pro listing
	// (ARCGIS_PRO_LISTING_ID); without it pro:<entitlement> codes are
	// refused and lists show user types only.
	ProListingID string `envconfig:"PRO_LISTING_ID"`
	// ReleaseUserType is the user type a user falls back to when its user
	// type is released (ARCGIS_RELEASE_USER_TYPE): a user always has one.
	ReleaseUserType string `envconfig:"RELEASE_USER_TYPE" default:"viewerUT"`
	// RateLimit is the request rate in requests per second
	// (ARCGIS_RATE_LIMIT).
	RateLimit float64 `envconfig:"RATE_LIMIT" default:"5"`
	// MaxConcurrency caps requests in flight (ARCGIS_MAX_CONCURRENCY).
	MaxConcurrency int `envconfig:"MAX_CONCURRENCY" default:"4"`
}

// Configured reports whether the required settings are present: the
// credentials (the portal URL has a default).
func (c Config) Configured() bool {
	return c.Username != "" && c.Password.Reveal() != ""
}

// Validate checks the settings; its messages name the variable, never a
// secret's value.
func (c Config) Validate() error {
	var errs []error
	if err := checkURL(c.PortalURL); err != nil {
		errs = append(errs, fmt.Errorf("ARCGIS_PORTAL_URL: %w", err))
	}
	if c.AdminURL != "" {
		if err := checkURL(c.AdminURL); err != nil {
			errs = append(errs, fmt.Errorf("ARCGIS_ADMIN_URL: %w", err))
		}
	}
	if c.Username == "" {
		errs = append(errs, errors.New("ARCGIS_USERNAME is required"))
	}
	if c.Password.Reveal() == "" {
		errs = append(errs, errors.New("ARCGIS_PASSWORD (or ARCGIS_PASSWORD_FILE) is required"))
	}
	if strings.ContainsAny(c.ProListingID, "/?#% ") {
		errs = append(errs, errors.New("ARCGIS_PRO_LISTING_ID must be an item id"))
	}
	if c.ReleaseUserType == "" {
		errs = append(errs, errors.New("ARCGIS_RELEASE_USER_TYPE must not be empty"))
	}
	if c.RateLimit < 0 {
		errs = append(errs, errors.New("ARCGIS_RATE_LIMIT must not be negative"))
	}
	if c.MaxConcurrency < 0 {
		errs = append(errs, errors.New("ARCGIS_MAX_CONCURRENCY must not be negative"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("arcgis: config: %w", errors.Join(errs...))
	}
	return nil
}

func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("must be an absolute http(s) URL")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return errors.New("must not carry a query or fragment")
	}
	return nil
}

// Limits returns the rate limit and concurrency cap of the adapter's HTTP
// client.
func (c Config) Limits() vendors.Limits {
	return vendors.Limits{RatePerSecond: c.RateLimit, MaxConcurrency: c.MaxConcurrency}
}

// String prints the configuration with the password masked.
func (c Config) String() string {
	return fmt.Sprintf("arcgis{portal_url=%s admin_url=%s username=%s password=%s pro_listing_id=%s release_user_type=%s rate_limit=%g max_concurrency=%d}",
		c.PortalURL, c.AdminURL, c.Username, c.Password, c.ProListingID, c.ReleaseUserType, c.RateLimit, c.MaxConcurrency)
}

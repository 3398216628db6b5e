package arcgis_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/arcgis"
)

func TestConfigFromEnvironment(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(secretFile, []byte("s3cret-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ARCGIS_USERNAME", "admin")
	t.Setenv("ARCGIS_PASSWORD_FILE", secretFile)
	var cfg arcgis.Config
	if err := config.Process("ARCGIS", &cfg); err != nil {
		t.Fatalf("Process: %v", err)
	}
	want := arcgis.Config{
		PortalURL:       "https://www.arcgis.com/sharing/rest",
		Username:        "admin",
		Password:        "s3cret-from-file",
		ReleaseUserType: "viewerUT",
		RateLimit:       5,
		MaxConcurrency:  4,
	}
	if cfg != want {
		t.Errorf("config %+v, want %+v", cfg, want)
	}
	if !cfg.Configured() {
		t.Errorf("Configured() = false, want true")
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if s := cfg.String() + fmt.Sprintf("%v %+v", cfg, cfg); strings.Contains(s, "s3cret") {
		t.Errorf("printed config %q shows the password", s)
	}
}

func TestConfigValidate(t *testing.T) {
	good := arcgis.Config{PortalURL: "https://gis.example.com/portal/sharing/rest", Username: "admin",
		Password: "hunter2-secret", ReleaseUserType: "viewerUT", RateLimit: 5, MaxConcurrency: 4}
	tests := []struct {
		name   string
		change func(*arcgis.Config)
		want   string // the variable the message names
	}{
		{"no username", func(c *arcgis.Config) { c.Username = "" }, "ARCGIS_USERNAME"},
		{"no password", func(c *arcgis.Config) { c.Password = "" }, "ARCGIS_PASSWORD"},
		{"relative portal URL", func(c *arcgis.Config) { c.PortalURL = "gis.example.com/sharing" }, "ARCGIS_PORTAL_URL"},
		{"admin URL with a query", func(c *arcgis.Config) { c.AdminURL = "https://gis.example.com/portaladmin?x=1" }, "ARCGIS_ADMIN_URL"},
		{"listing id with a slash", func(c *arcgis.Config) { c.ProListingID = "abc/def" }, "ARCGIS_PRO_LISTING_ID"},
		{"no release user type", func(c *arcgis.Config) { c.ReleaseUserType = "" }, "ARCGIS_RELEASE_USER_TYPE"},
		{"negative rate", func(c *arcgis.Config) { c.RateLimit = -1 }, "ARCGIS_RATE_LIMIT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.change(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want a message naming %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("Validate() = %q shows the password", err)
			}
			if _, err := arcgis.New(cfg, nil); err == nil {
				t.Errorf("New accepted an invalid config")
			}
		})
	}
	if err := good.Validate(); err != nil {
		t.Errorf("Validate() of a good config = %v", err)
	}
}

// Without ARCGIS_PRO_LISTING_ID the adapter handles user types only.
func TestWithoutProListing(t *testing.T) {
	fake := newFake(t)
	cfg := testConfig(fake, false)
	cfg.ProListingID = ""
	c := newClient(t, cfg)
	ctx := context.Background()
	_, err := c.Assign(ctx, vendors.Request{User: "dkim", Licenses: []string{proAdvanced}})
	if !errors.Is(err, vendors.ErrNotLicensed) || !strings.Contains(err.Error(), "ARCGIS_PRO_LISTING_ID") {
		t.Errorf("assign of a Pro entitlement: err = %v, want ErrNotLicensed naming ARCGIS_PRO_LISTING_ID", err)
	}
	held, err := c.List(ctx, "", "jdoe")
	if err != nil || len(held) != 1 || held[0].Code != creator {
		t.Errorf("list jdoe = %v, %v; want the user type only", held, err)
	}
	pools, err := c.Pools(ctx, "")
	if err != nil {
		t.Fatalf("pools: %v", err)
	}
	for _, p := range pools {
		if strings.HasPrefix(p.Code, "pro:") {
			t.Errorf("pool %s listed without a Pro listing", p.Code)
		}
	}
}

// Pools counts every member on an Enterprise portal: user types from
// users/counts against the admin license's maxima, Pro entitlements past
// the first page of the listing's user entitlements.
func TestPoolsAcrossPages(t *testing.T) {
	fake := newFake(t)
	fake.SetUserTypeQuantity("creatorUT", 500)
	fake.SetEntitlementMax("desktopAdvN", 500)
	c := newClient(t, testConfig(fake, true))
	for i := range 230 {
		user := fmt.Sprintf("bulk-%03d", i)
		fake.AddUser(user, "creatorUT")
		if i%2 == 0 {
			if _, err := c.Assign(context.Background(), vendors.Request{User: user, Licenses: []string{proAdvanced}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := c.Pools(context.Background(), "self")
	if err != nil {
		t.Fatalf("pools: %v", err)
	}
	if want := fake.Pools(); !slices.Equal(got, want) {
		t.Errorf("pools %+v, want the fake's %+v", got, want)
	}
}

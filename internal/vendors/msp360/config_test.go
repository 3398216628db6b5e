package msp360_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360"
)

func TestConfigFromEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(path, []byte("from-a-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"MSP360_BASE_URL", "MSP360_PASSWORD", "MSP360_RATE_LIMIT", "MSP360_MAX_CONCURRENCY"} {
		t.Setenv(name, "") // restored after the test
		os.Unsetenv(name)
	}
	t.Setenv("MSP360_USERNAME", "api@example.test")
	t.Setenv("MSP360_PASSWORD_FILE", path)
	var cfg msp360.Config
	if err := config.Process("MSP360", &cfg); err != nil {
		t.Fatalf("Process: %v", err)
	}
	want := msp360.Config{BaseURL: "https://api.mspbackups.com", Username: "api@example.test",
		Password: "from-a-file", RateLimit: 5, MaxConcurrency: 4}
	if cfg != want {
		t.Errorf("config = %+v, want %+v", cfg, want)
	}
	if !cfg.Configured() || cfg.Validate() != nil {
		t.Errorf("Configured = %v, Validate = %v; want true, nil", cfg.Configured(), cfg.Validate())
	}
	if got, want := cfg.Limits(), (vendors.Limits{RatePerSecond: 5, Burst: 1, MaxConcurrency: 4}); got != want {
		t.Errorf("Limits = %+v, want %+v", got, want)
	}
	if s := fmt.Sprintf("%v %+v", cfg, cfg); strings.Contains(s, "from-a-file") {
		t.Errorf("printed config shows the password: %s", s)
	}
}

func TestConfigValidate(t *testing.T) {
	const secret = "hunter2-secret"
	valid := msp360.Config{BaseURL: "https://api.mspbackups.com", Username: "u", Password: secret, RateLimit: 5, MaxConcurrency: 4}
	tests := []struct {
		name       string
		edit       func(*msp360.Config)
		configured bool
		wantErr    string // "" means valid
	}{
		{"valid", func(*msp360.Config) {}, true, ""},
		{"nothing set", func(c *msp360.Config) { c.Username, c.Password = "", "" }, false, "MSP360_USERNAME"},
		{"no password", func(c *msp360.Config) { c.Password = "" }, true, "MSP360_PASSWORD"},
		{"no username", func(c *msp360.Config) { c.Username = "" }, true, "MSP360_USERNAME"},
		{"relative base URL", func(c *msp360.Config) { c.BaseURL = "api.mspbackups.com" }, true, "MSP360_BASE_URL"},
		{"base URL with credentials", func(c *msp360.Config) { c.BaseURL = "https://u:" + secret + "@x" }, true, "MSP360_BASE_URL"},
		{"negative rate", func(c *msp360.Config) { c.RateLimit = -1 }, true, "MSP360_RATE_LIMIT"},
		{"negative concurrency", func(c *msp360.Config) { c.MaxConcurrency = -1 }, true, "MSP360_MAX_CONCURRENCY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.edit(&cfg)
			if got := cfg.Configured(); got != tt.configured {
				t.Errorf("Configured = %v, want %v", got, tt.configured)
			}
			err := cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Errorf("Validate = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate = %v, want an error naming %s", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("Validate error shows the password: %v", err)
			}
			if _, err := msp360.New(cfg, nil); err == nil {
				t.Errorf("New accepted an invalid configuration")
			}
		})
	}
}

func TestNameAndDefaultAccount(t *testing.T) {
	c, err := msp360.New(msp360.Config{BaseURL: "https://api.mspbackups.com", Username: "u", Password: "p"}, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if c.Name() != "msp360" || c.DefaultAccount() != msp360.DefaultAccount || msp360.DefaultAccount != "default" {
		t.Errorf("Name, DefaultAccount = %q, %q; want msp360, default", c.Name(), c.DefaultAccount())
	}
}

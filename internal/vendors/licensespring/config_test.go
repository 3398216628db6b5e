package licensespring_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring"
)

func TestLoadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte("file-k3y-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LICENSESPRING_API_KEY_FILE", path)
	cfg, err := licensespring.LoadConfig()
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if got := cfg.APIKey.Reveal(); got != "file-k3y-value" {
		t.Errorf("APIKey = %q, want the file's contents", got)
	}
	if cfg.BaseURL != licensespring.DefaultBaseURL || cfg.RateLimit != 5 || cfg.MaxConcurrency != 4 {
		t.Errorf("defaults = %s, want base URL %s, rate 5, concurrency 4", cfg, licensespring.DefaultBaseURL)
	}
	if !cfg.Configured() {
		t.Error("Configured = false with a key, want true")
	}
	for _, out := range []string{cfg.String(), fmt.Sprintf("%+v", cfg)} {
		if strings.Contains(out, "file-k3y") {
			t.Errorf("configuration prints the key: %s", out)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  licensespring.Config
		want []string // variables the error must name; none: valid
	}{
		{"valid", licensespring.Config{BaseURL: "https://saas.licensespring.com", APIKey: "s3cret"}, nil},
		{"default base URL", licensespring.Config{APIKey: "s3cret"}, nil},
		{"no key", licensespring.Config{}, []string{"LICENSESPRING_API_KEY"}},
		{"bad URL and limits", licensespring.Config{BaseURL: "saas.licensespring.com", APIKey: "s3cret", RateLimit: -1, MaxConcurrency: -2},
			[]string{"LICENSESPRING_BASE_URL", "LICENSESPRING_RATE_LIMIT", "LICENSESPRING_MAX_CONCURRENCY"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Errorf("Validate = %v, want nil", err)
				}
				if _, err := licensespring.New(tt.cfg, nil); err != nil {
					t.Errorf("New = %v, want a client", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate = nil, want an error naming %v", tt.want)
			}
			for _, name := range tt.want {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("Validate = %v, want it to name %s", err, name)
				}
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("Validate prints the key: %v", err)
			}
			if _, err := licensespring.New(tt.cfg, nil); err == nil {
				t.Error("New accepted an invalid configuration")
			}
		})
	}
	if (licensespring.Config{BaseURL: "https://x"}).Configured() {
		t.Error("Configured = true without a key, want false")
	}
}

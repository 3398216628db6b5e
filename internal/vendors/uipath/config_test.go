package uipath_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
)

func TestLoadConfigDefaults(t *testing.T) {
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte("from-file-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("UIPATH_BASE_URL", "https://cloud.uipath.com/acmecorp")
	t.Setenv("UIPATH_CLIENT_ID", "app")
	t.Setenv("UIPATH_CLIENT_SECRET_FILE", path)
	t.Setenv("UIPATH_ACCOUNT_ID", "a1b2")
	cfg, err := uipath.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Configured() {
		t.Error("Configured() = false")
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if got := cfg.ClientSecret.Reveal(); got != "from-file-secret" {
		t.Errorf("secret = %q, want the file's contents", got)
	}
	if cfg.Scope != "PM.License" || cfg.RateLimit != 5 || cfg.MaxConcurrency != 4 || cfg.AccountID != "a1b2" {
		t.Errorf("cfg = %v, want scope PM.License, rate 5, concurrency 4, account a1b2", cfg)
	}
	if lim := cfg.Limits(); lim.RatePerSecond != 5 || lim.MaxConcurrency != 4 {
		t.Errorf("Limits = %+v", lim)
	}
	for _, s := range []string{cfg.String(), fmt.Sprintf("%v", cfg), fmt.Sprintf("%+v", cfg)} {
		if strings.Contains(s, "from-file-secret") {
			t.Errorf("configuration prints its secret: %s", s)
		}
	}
}

func TestValidateNamesWhatIsMissing(t *testing.T) {
	tests := []struct {
		cfg  uipath.Config
		want []string
	}{
		{uipath.Config{ClientID: "app", Scope: "PM.License"}, []string{"UIPATH_BASE_URL", "UIPATH_CLIENT_SECRET"}},
		{uipath.Config{BaseURL: "cloud.uipath.com/acme", ClientID: "app", ClientSecret: "s3cr3t", Scope: "PM.License"}, []string{"UIPATH_BASE_URL"}},
		{uipath.Config{BaseURL: "https://x/org", ClientSecret: "s3cr3t", Scope: " "}, []string{"UIPATH_CLIENT_ID", "UIPATH_SCOPE"}},
	}
	for _, tt := range tests {
		if !tt.cfg.Configured() {
			t.Errorf("%v: Configured() = false for a partial configuration; Validate must get to say what is missing", tt.cfg)
		}
		err := tt.cfg.Validate()
		if err == nil {
			t.Errorf("%v: Validate() = nil, want it to name %v", tt.cfg, tt.want)
			continue
		}
		for _, name := range tt.want {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("Validate() = %q, want it to name %s", err, name)
			}
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("Validate() prints the secret: %q", err)
		}
	}
	if (uipath.Config{Scope: "PM.License", RateLimit: 5}).Configured() {
		t.Error("Configured() = true with only defaults set")
	}
}

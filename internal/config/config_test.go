package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type spec struct {
	URL   string `envconfig:"URL" default:"http://x"`
	Token Secret `envconfig:"TOKEN"`
}

func TestProcessReadsSecretFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(path, []byte("s3cr3t-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TESTCFG_TOKEN_FILE", path)
	var s spec
	if err := Process("TESTCFG", &s); err != nil {
		t.Fatal(err)
	}
	if got := s.Token.Reveal(); got != "s3cr3t-value" {
		t.Errorf("Token = %q, want the file's contents without the newline", got)
	}
	if got := s.URL; got != "http://x" {
		t.Errorf("URL = %q, want the default", got)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	t.Setenv("TESTCFG_TOKEN", "s3cr3t-value")
	var s spec
	if err := Process("TESTCFG", &s); err != nil {
		t.Fatal(err)
	}
	j, _ := json.Marshal(s)
	for _, out := range []string{fmt.Sprintf("%v", s), fmt.Sprintf("%+v", s), fmt.Sprint(s.Token), string(j)} {
		if strings.Contains(out, "s3cr3t") {
			t.Errorf("secret printed: %s", out)
		}
	}
}

func TestEnvTakesPrecedenceOverFile(t *testing.T) {
	t.Setenv("TESTCFG_TOKEN", "direct")
	t.Setenv("TESTCFG_TOKEN_FILE", "/nonexistent")
	var s spec
	if err := Process("TESTCFG", &s); err != nil {
		t.Fatalf("Process: %v (the file must not be read when the value is set)", err)
	}
	if s.Token.Reveal() != "direct" {
		t.Errorf("Token = %q", s.Token.Reveal())
	}
}

func TestPrintable(t *testing.T) {
	got := Printable("TESTCFG", spec{URL: "http://x", Token: "s3cr3t"})
	if got["TESTCFG_URL"] != "http://x" || got["TESTCFG_TOKEN"] != "******" {
		t.Errorf("Printable = %v, want the URL and a masked token", got)
	}
}

// TestProcessNamesTheVariable: a value of the wrong form is reported with
// the variable's name and the form it takes, not envconfig's wording (field
// names and Go types mean nothing to whoever sets the variable).
func TestProcessNamesTheVariable(t *testing.T) {
	type typed struct {
		Count   int           `envconfig:"COUNT"`
		Rate    float64       `envconfig:"RATE"`
		On      bool          `envconfig:"ON"`
		Timeout time.Duration `envconfig:"TIMEOUT"`
	}
	for _, tt := range []struct{ name, value, want string }{
		{"TESTCFG_COUNT", "lots", `TESTCFG_COUNT="lots": want a whole number, such as 8`},
		{"TESTCFG_RATE", "fast", `TESTCFG_RATE="fast": want a number, such as 2.5`},
		{"TESTCFG_ON", "yes please", `TESTCFG_ON="yes please": want true or false`},
		{"TESTCFG_TIMEOUT", "30", `TESTCFG_TIMEOUT="30": want a duration, such as 30s, 5m or 24h`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(tt.name, tt.value)
			var s typed
			err := Process("TESTCFG", &s)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Process: %v, want %s", err, tt.want)
			}
			var cerr *Error
			if !errors.As(err, &cerr) || cerr.Var != tt.name {
				t.Errorf("Process: %#v, want a *config.Error for %s", err, tt.name)
			}
		})
	}
}

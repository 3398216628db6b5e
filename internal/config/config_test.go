package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

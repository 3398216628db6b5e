package deploy

import (
	"os"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// TestREADMETroubleshooting checks that the README's troubleshooting table
// explains every stable error code, and no code the contract lacks.
func TestREADMETroubleshooting(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, "\n## Troubleshooting by error code\n")
	if i < 0 {
		t.Fatal("README has no Troubleshooting by error code section")
	}
	section := text[i+1:]
	if j := strings.Index(section[3:], "\n## "); j >= 0 {
		section = section[:j+3]
	}
	rows := make(map[string]bool)
	for line := range strings.Lines(section) {
		if code, ok := strings.CutPrefix(line, "| `"); ok {
			code, _, _ = strings.Cut(code, "`")
			rows[code] = true
		}
	}
	for _, code := range events.ErrorCodes {
		if !rows[code] {
			t.Errorf("the troubleshooting table does not explain %s", code)
		}
		delete(rows, code)
	}
	for code := range rows {
		t.Errorf("the troubleshooting table explains %s, which is not an error code", code)
	}
}

// TestREADMEGoVersion: the README asks for the Go that go.mod's go line
// asks for, spelt the same way.
func TestREADMEGoVersion(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	var version string
	for line := range strings.Lines(string(mod)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "go "); ok {
			version = v
		}
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if want := "You need Go " + version + " "; version == "" || !strings.Contains(string(readme), want) {
		t.Errorf("go.mod asks for Go %q; the README does not say %q", version, want)
	}
}

package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunBadPolicyStops: a policy with a syntax error, an unknown function
// or a non-boolean when stops the worker before it starts, with an error
// naming the rule and where it is.
func TestRunBadPolicyStops(t *testing.T) {
	tests := []struct{ name, when, want string }{
		{"syntax error", `person.department == "Eng`, "line 6, column 32"},
		{"unknown function", `frobnicate(person.department)`, "frobnicate"},
		{"non-boolean", `person.department`, "not a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			workerEnv(t, dir)
			file := filepath.Join(dir, "policy.yaml")
			src := "rules:\n  - name: good\n    when: 'true'\n    grant: {uipath: [RPADEVNU]}\n  - name: broken-rule\n    when: " + tt.when + "\n    grant: {m365: [SPE_E3]}\n"
			if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv("SEATKEEPER_POLICY_FILE", file)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var out strings.Builder
			err := run(ctx, []string{"-sandbox"}, &out)
			if err == nil {
				t.Fatal("run = nil, want the bad rule named")
			}
			for _, w := range []string{`rule "broken-rule"`, tt.want, "policy.yaml"} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("run = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

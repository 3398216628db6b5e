package people_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/people"
)

func loadTestPolicy(t testing.TB) *people.Policy {
	t.Helper()
	p, err := people.LoadPolicy("testdata/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBadRuleNamesRuleAndPosition: a rule that does not compile stops the
// load with an error naming the rule, its line and the column of the fault.
func TestBadRuleNamesRuleAndPosition(t *testing.T) {
	tests := []struct {
		name, when string
		want       []string
	}{
		{"syntax error", `person.department == "Eng`, []string{`rule "bad"`, "line 3", "column 32", "when:"}},
		{"syntax error quoted", `'person.department =! "x"'`, []string{`rule "bad"`, "line 3", "when:"}},
		{"unknown function", `frobnicate(person.department)`, []string{`rule "bad"`, "line 3", "column", "frobnicate"}},
		{"non-boolean", `person.department`, []string{`rule "bad"`, "line 3", "not a boolean"}},
		{"string result", `'"Engineering"'`, []string{`rule "bad"`, "not a boolean"}},
		{"empty", `""`, []string{`rule "bad"`, "when is missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "rules:\n  - name: bad\n    when: " + tt.when + "\n    grant: {uipath: [RPADEVNU]}\n"
			_, err := people.ParsePolicy([]byte(src))
			var re *people.RuleError
			if !errors.As(err, &re) {
				t.Fatalf("ParsePolicy = %v, want a *RuleError", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestBadPolicyShapes(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"unknown vendor", "rules:\n  - name: a\n    when: 'true'\n    grant: {oracle: [X]}\n", `grant names vendor "oracle"`},
		{"no grant", "rules:\n  - name: a\n    when: 'true'\n", "grant is empty"},
		{"code twice", "rules:\n  - name: a\n    when: 'true'\n    grant: {uipath: [X, X]}\n", "twice"},
		{"duplicate names", "rules:\n  - name: a\n    when: 'true'\n    grant: {uipath: [X]}\n  - name: a\n    when: 'true'\n    grant: {uipath: [Y]}\n", "rule 1's"},
		{"unknown key", "rules:\n  - name: a\n    wen: 'true'\n", "line 3"},
		{"not YAML", "rules: [", "line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := people.ParsePolicy([]byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParsePolicy = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestExamplePolicyLoads(t *testing.T) {
	if _, err := os.Stat("../../deploy/policy.example.yaml"); os.IsNotExist(err) {
		t.Skip("no deploy/policy.example.yaml")
	}
	if _, err := people.LoadPolicy("../../deploy/policy.example.yaml"); err != nil {
		t.Fatal(err)
	}
}

// TestMissingAttributeDoesNotMatch: a rule reading an attribute the person
// lacks does not match, says why, and the other rules still apply.
func TestMissingAttributeDoesNotMatch(t *testing.T) {
	p := loadTestPolicy(t)
	desired, rules := p.Desired("E1", "e1@example.com", map[string]any{"department": "Engineering"})
	if got := desired["uipath"]; len(got) != 1 || got[0] != "RPADEVNU" {
		t.Errorf("desired[uipath] = %v, want [RPADEVNU]", got)
	}
	if rules[1].Matched || !strings.Contains(rules[1].Error, "title") {
		t.Errorf("gis rule = %+v, want no match naming the missing title", rules[1])
	}
}

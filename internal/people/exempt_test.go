package people_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/people"
)

// TestReclaimExempt: reclaim.exempt is a CEL expression over the person,
// compiled and type-checked at load like a rule's when; a person it
// matches is exempt from reclaim, one it cannot evaluate is not.
func TestReclaimExempt(t *testing.T) {
	p := mustPolicy(t, "rules: []\nreclaim:\n  exempt: person.title.contains(\"Director\") || person.email == \"ceo@example.com\"\n")
	for _, tc := range []struct {
		name, email string
		attrs       map[string]any
		want        bool
	}{
		{"title matches", "a@example.com", map[string]any{"title": "Sales Director"}, true},
		{"email matches", "ceo@example.com", map[string]any{"title": "Chief"}, true},
		{"neither", "b@example.com", map[string]any{"title": "Clerk"}, false},
		{"attribute missing", "c@example.com", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := p.ExemptFromReclaim("E1", tc.email, tc.attrs)
			if got != tc.want {
				t.Errorf("exempt = %v, want %v", got, tc.want)
			}
		})
	}
	if got, err := mustPolicy(t, "rules: []\n").ExemptFromReclaim("E1", "a@example.com", nil); got || err != nil {
		t.Errorf("no reclaim.exempt: exempt %v (%v), want no one", got, err)
	}
}

func TestBadReclaimExempt(t *testing.T) {
	for _, tc := range []struct{ name, exempt, want string }{
		{"syntax error", `person.title ==`, "column"},
		{"unknown function", `frobnicate(person.title)`, "frobnicate"},
		{"non-boolean", `person.title`, "not a boolean"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := people.ParsePolicy([]byte("rules: []\nreclaim:\n  exempt: " + tc.exempt + "\n"))
			var re *people.RuleError
			if !errors.As(err, &re) || !strings.Contains(err.Error(), "reclaim.exempt") ||
				!strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParsePolicy = %v, want a *RuleError naming reclaim.exempt, line 3 and %q", err, tc.want)
			}
		})
	}
}

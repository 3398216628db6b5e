package people_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/people"
)

// hundredRules is a policy of 100 rules of the shapes policies use:
// equality, contains, membership and a combination.
func hundredRules(tb testing.TB) *people.Policy {
	tb.Helper()
	var b strings.Builder
	b.WriteString("rules:\n")
	vendors := events.Vendors
	for i := range 100 {
		var when string
		switch i % 4 {
		case 0:
			when = fmt.Sprintf(`person.department == "Dept%d"`, i)
		case 1:
			when = fmt.Sprintf(`person.title.contains("Title%d")`, i)
		case 2:
			when = fmt.Sprintf(`person.location in ["City%d", "Berlin"]`, i)
		default:
			when = fmt.Sprintf(`person.employment_type == "employee" && person.department.startsWith("Dept%d")`, i)
		}
		fmt.Fprintf(&b, "  - name: r%d\n    when: '%s'\n    grant: {%s: [C%d]}\n", i, when, vendors[i%len(vendors)], i/len(vendors))
	}
	p, err := people.ParsePolicy([]byte(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// BenchmarkDesired100Rules is policy evaluation per person with 100 rules.
func BenchmarkDesired100Rules(b *testing.B) {
	p := hundredRules(b)
	attrs := map[string]any{"department": "Dept40", "title": "Senior Title41 Developer", "location": "Berlin", "employment_type": "employee"}
	b.ReportAllocs()
	for b.Loop() {
		desired, _ := p.Desired("E1", "e1@example.com", attrs)
		if len(desired) == 0 {
			b.Fatal("no rule matched")
		}
	}
}

// BenchmarkReconcile100Rules is a whole joiner plan with 100 rules: policy,
// diff and the license commands.
func BenchmarkReconcile100Rules(b *testing.B) {
	p := hundredRules(b)
	in := people.Input{Event: events.NewPersonEvent(events.SubjectPersonJoined, "hr", "hire", t0, events.PersonData{
		Person: "E1", Email: "e1@example.com",
		Attributes: map[string]any{"department": "Dept40", "title": "Title41", "location": "Berlin", "employment_type": "employee"}})}
	b.ReportAllocs()
	for b.Loop() {
		if plan := p.Reconcile(nil, in, nil); len(plan.Commands) == 0 {
			b.Fatal("no command")
		}
	}
}

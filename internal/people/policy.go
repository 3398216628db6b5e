package people

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"sort"
	"strings"

	"cel.dev/cel-go/cel"
	"go.yaml.in/yaml/v3"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// Policy maps people to licenses: every rule whose When matches a person
// grants its codes; a person's desired licenses are the union over the
// matching rules.
type Policy struct {
	Rules       []Rule
	Offboarding Offboarding
	// exempt is reclaim.exempt compiled: who is never reclaimed from; nil
	// for no one.
	exempt *Rule
	// vendors are the vendors some rule grants at, sorted.
	vendors []string
}

// Rule is one compiled rule of a policy.
type Rule struct {
	Name string
	When string
	// Grant is the license codes per vendor the rule grants.
	Grant map[string][]string
	// Line is the rule's line in the policy file.
	Line int
	prg  cel.Program
}

// Offboarding says what a leaver loses beyond what policy granted.
type Offboarding struct {
	// ReleaseAll also releases, on person.left, every license the person
	// holds at each vendor, including seats assigned by hand.
	ReleaseAll bool `yaml:"release_all"`
}

// RuleError says why a policy did not load, naming the rule and where in
// the file the problem is.
type RuleError struct {
	// Rule is the rule's name ("" when it has none), Index its place
	// (1-based), 0 for a problem outside the rules.
	Rule  string
	Index int
	// Line and Column locate the problem in the policy file; Column is 0
	// when only the line is known.
	Line, Column int
	Msg          string
}

func (e *RuleError) Error() string {
	where := fmt.Sprintf("line %d", e.Line)
	if e.Column > 0 {
		where += fmt.Sprintf(", column %d", e.Column)
	}
	if e.Index == 0 {
		return fmt.Sprintf("policy: %s: %s", where, e.Msg)
	}
	name := fmt.Sprintf("rule %d", e.Index)
	if e.Rule != "" {
		name = fmt.Sprintf("rule %q", e.Rule)
	}
	return fmt.Sprintf("policy: %s (%s): %s", name, where, e.Msg)
}

// wirePolicy is the YAML file.
type wirePolicy struct {
	Rules       []wireRule  `yaml:"rules"`
	Offboarding Offboarding `yaml:"offboarding"`
	Reclaim     wireReclaim `yaml:"reclaim"`
}

// wireReclaim is what the policy says about reclaiming idle seats.
type wireReclaim struct {
	// Exempt is a CEL expression over person: a person it matches is
	// never reclaimed from.
	Exempt yaml.Node `yaml:"exempt"`
}

type wireRule struct {
	Name  string              `yaml:"name"`
	When  yaml.Node           `yaml:"when"`
	Grant map[string][]string `yaml:"grant"`
}

// LoadPolicy reads and compiles the policy file at path.
func LoadPolicy(path string) (*Policy, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	return ParsePolicy(src)
}

// ParsePolicy compiles a policy: every rule's When is parsed and
// type-checked as a boolean CEL expression over person, and every grant
// names a known vendor. The first problem comes back as a *RuleError.
func ParsePolicy(src []byte) (*Policy, error) {
	var w wirePolicy
	dec := yaml.NewDecoder(bytes.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&w); err != nil && !errors.Is(err, io.EOF) { // an empty file is an empty policy
		return nil, yamlError(err)
	}
	var doc yaml.Node
	_ = yaml.Unmarshal(src, &doc)
	lines := ruleLines(&doc)
	env, err := newEnv()
	if err != nil {
		return nil, err
	}
	p := &Policy{Offboarding: w.Offboarding}
	names := map[string]int{}
	perVendor := map[string]map[string]bool{}
	for i, wr := range w.Rules {
		line := 0
		if i < len(lines) {
			line = lines[i]
		}
		fail := func(l, col int, format string, args ...any) error {
			return &RuleError{Rule: wr.Name, Index: i + 1, Line: l, Column: col, Msg: fmt.Sprintf(format, args...)}
		}
		if strings.TrimSpace(wr.Name) == "" {
			return nil, fail(line, 0, "name is missing")
		}
		if prev, dup := names[wr.Name]; dup {
			return nil, fail(line, 0, "name is also rule %d's: rule names must differ", prev)
		}
		names[wr.Name] = i + 1
		r := Rule{Name: wr.Name, When: wr.When.Value, Grant: wr.Grant, Line: line}
		if err := compile(env, &r, &wr.When, "when", fail); err != nil {
			return nil, err
		}
		if err := checkGrant(r.Grant, perVendor, func(f string, a ...any) error { return fail(line, 0, f, a...) }); err != nil {
			return nil, err
		}
		p.Rules = append(p.Rules, r)
	}
	for v := range perVendor {
		p.vendors = append(p.vendors, v)
	}
	sort.Strings(p.vendors)
	if node := &w.Reclaim.Exempt; node.Kind != 0 {
		r := &Rule{Name: "reclaim.exempt", When: node.Value, Line: node.Line}
		fail := func(l, col int, format string, args ...any) error {
			return &RuleError{Line: l, Column: col, Msg: fmt.Sprintf(format, args...)}
		}
		if err := compile(env, r, node, "reclaim.exempt", fail); err != nil {
			return nil, err
		}
		p.exempt = r
	}
	return p, nil
}

// ExemptFromReclaim reports whether reclaim.exempt matches the person:
// their seats are then never reclaimed. A person it cannot evaluate (an
// attribute it reads is missing) is not exempt, and err says why.
func (p *Policy) ExemptFromReclaim(person, email string, attributes map[string]any) (bool, error) {
	if p == nil || p.exempt == nil {
		return false, nil
	}
	subject := make(map[string]any, len(attributes)+2)
	for k, v := range attributes {
		subject[k] = v
	}
	subject["id"], subject["email"] = person, email
	return p.exempt.Match(subject)
}

// HasReclaimExempt reports whether the policy has a reclaim.exempt.
func (p *Policy) HasReclaimExempt() bool { return p != nil && p.exempt != nil }

func yamlError(err error) error {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		return &RuleError{Msg: strings.Join(te.Errors, "; "), Line: lineOf(te.Errors[0])}
	}
	return &RuleError{Msg: err.Error(), Line: lineOf(err.Error())}
}

// lineOf reads the line number from a yaml error ("yaml: line 3: ...").
func lineOf(msg string) int {
	var n int
	if i := strings.Index(msg, "line "); i >= 0 {
		fmt.Sscanf(msg[i+5:], "%d", &n)
	}
	return n
}

// ruleLines returns the line of each rule in the document.
func ruleLines(doc *yaml.Node) []int {
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "rules" && m.Content[i+1].Kind == yaml.SequenceNode {
			var lines []int
			for _, r := range m.Content[i+1].Content {
				lines = append(lines, r.Line)
			}
			return lines
		}
	}
	return nil
}

func checkGrant(grant map[string][]string, perVendor map[string]map[string]bool, fail func(string, ...any) error) error {
	if len(grant) == 0 {
		return fail("grant is empty: a rule grants at least one license")
	}
	for _, v := range slices.Sorted(maps.Keys(grant)) {
		if !events.KnownVendor(v) {
			return fail("grant names vendor %q: want one of %s", v, strings.Join(events.Vendors, ", "))
		}
		if len(grant[v]) == 0 {
			return fail("grant.%s is empty", v)
		}
		if perVendor[v] == nil {
			perVendor[v] = map[string]bool{}
		}
		seen := map[string]bool{}
		for _, code := range grant[v] {
			if code == "" || len(code) > events.MaxUserBytes || strings.ContainsFunc(code, isControl) {
				return fail("grant.%s has a code that is empty, over %d bytes or holds a control character", v, events.MaxUserBytes)
			}
			if seen[code] {
				return fail("grant.%s lists %q twice", v, code)
			}
			seen[code] = true
			perVendor[v][code] = true
		}
		if n := len(perVendor[v]); n > events.MaxLicenses {
			return fail("the rules grant %d codes at %s, over the %d a command may carry", n, v, events.MaxLicenses)
		}
	}
	return nil
}

func isControl(r rune) bool { return r < 0x20 || (r >= 0x7f && r <= 0x9f) }

// Vendors returns the vendors some rule grants at, sorted.
func (p *Policy) Vendors() []string { return p.vendors }

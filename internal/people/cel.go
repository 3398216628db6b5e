package people

import (
	"fmt"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/checker"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/ext"
	"cel.dev/cel-go/interpreter"
	"go.yaml.in/yaml/v3"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// costLimit bounds one rule's worst-case evaluation cost, estimated at load
// from the limits of a person event, so that a rule such as a nested
// comprehension cannot stall the worker; ordinary rules cost tens to
// hundreds.
const costLimit = 100_000

// personSizes bounds the sizes of what a rule reads: person has at most
// MaxAttributes attributes plus id and email; an attribute is a string of at
// most MaxFieldBytes or a list of at most MaxLicenses strings.
type personSizes struct{}

func (personSizes) EstimateSize(n checker.AstNode) *checker.SizeEstimate {
	path := n.Path()
	if len(path) == 0 || path[0] != "person" {
		return nil
	}
	size := uint64(events.MaxFieldBytes)
	if len(path) == 1 {
		size = events.MaxAttributes + 2
	}
	return &checker.SizeEstimate{Min: 0, Max: size}
}

func (personSizes) EstimateCallCost(string, string, *checker.AstNode, []checker.AstNode) *checker.CallEstimate {
	return nil
}

// newEnv declares what a rule may read: person, a map from attribute name
// to value, with id and email beside the HR attributes.
func newEnv() (*cel.Env, error) {
	return cel.NewEnv(
		cel.Variable("person", cel.MapType(cel.StringType, cel.DynType)),
		cel.CrossTypeNumericComparisons(true),
		ext.Strings(),
	)
}

// compile parses and type-checks r.When as a boolean expression. when is
// the YAML node of the expression, to turn CEL's positions into the file's;
// field is its name in the file (when, or reclaim.exempt).
func compile(env *cel.Env, r *Rule, when *yaml.Node, field string, fail func(line, col int, f string, a ...any) error) error {
	if strings.TrimSpace(r.When) == "" {
		return fail(r.Line, 0, "%s is missing: a CEL expression over person, e.g. person.department == \"Engineering\"", field)
	}
	ast, iss := env.Compile(r.When)
	if iss != nil && iss.Err() != nil {
		e := iss.Errors()[0]
		loc := e.Location
		line, col := when.Line, when.Column
		if loc.Line() > 1 {
			line, col = when.Line+loc.Line()-1, loc.Column()+1
		} else if when.Style == 0 { // a plain scalar starts where the text does
			col += loc.Column()
		} else {
			col += loc.Column() + 1 // past the opening quote
		}
		return fail(line, col, "%s: %s", field, e.Message)
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return fail(when.Line, when.Column, "%s is %s, not a boolean: compare it (e.g. == \"x\") or test it with has()", field, ast.OutputType())
	}
	// The worst case is bounded at load, from the limits of a person event,
	// instead of tracked at every evaluation (which doubled its cost).
	est, err := env.EstimateCost(ast, personSizes{})
	if err != nil {
		return fail(when.Line, when.Column, "%s: %v", field, err)
	}
	if est.Max > costLimit {
		return fail(when.Line, when.Column, "%s may cost up to %d to evaluate, over the limit of %d: simplify it", field, est.Max, costLimit)
	}
	// OptOptimize folds constants (a list literal in an "in" test is built
	// once, not per person).
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		return fail(when.Line, when.Column, "%s: %v", field, err)
	}
	r.prg = prg
	return nil
}

// Match evaluates the rule against person. A rule that cannot be
// evaluated (an attribute it reads is missing) does not match; err says why.
func (r *Rule) Match(person map[string]any) (matched bool, err error) {
	return r.match(activation(person))
}

// activation wraps a person for evaluation, once for all the rules.
func activation(person map[string]any) interpreter.Activation {
	act, _ := interpreter.NewActivation(map[string]any{"person": types.DefaultTypeAdapter.NativeToValue(person)})
	return act
}

func (r *Rule) match(act interpreter.Activation) (bool, error) {
	out, _, err := r.prg.Eval(act)
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("when gave %v, not a boolean", out.Value())
	}
	return b, nil
}

package people

import (
	"fmt"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/ext"
	"go.yaml.in/yaml/v3"
)

// costLimit bounds one rule's evaluation, so that a rule such as a huge
// list comprehension cannot stall the worker; ordinary rules cost tens.
const costLimit = 100_000

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
// the YAML node of the expression, to turn CEL's positions into the file's.
func compile(env *cel.Env, r *Rule, when *yaml.Node, fail func(line, col int, f string, a ...any) error) error {
	if strings.TrimSpace(r.When) == "" {
		return fail(r.Line, 0, "when is missing: a CEL expression over person, e.g. person.department == \"Engineering\"")
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
		return fail(line, col, "when: %s", e.Message)
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		return fail(when.Line, when.Column, "when is %s, not a boolean: compare it (e.g. == \"x\") or test it with has()", ast.OutputType())
	}
	prg, err := env.Program(ast, cel.CostLimit(costLimit))
	if err != nil {
		return fail(when.Line, when.Column, "when: %v", err)
	}
	r.prg = prg
	return nil
}

// Match evaluates the rule against person. A rule that cannot be
// evaluated (an attribute it reads is missing) does not match; err says why.
func (r *Rule) Match(person map[string]any) (matched bool, err error) {
	out, _, err := r.prg.Eval(map[string]any{"person": person})
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("when gave %v, not a boolean", out.Value())
	}
	return b, nil
}

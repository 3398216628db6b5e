package events_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

const (
	schemaDir   = "../../docs/schema"
	exampleDir  = "../../docs/schema/examples"
	designPath  = "../../docs/design.md"
	commandFile = "command.schema.json"
	resultFile  = "result.schema.json"
	personFile  = "person.schema.json"
)

// designExamples names, in order, the committed copies of docs/design.md's JSON
// blocks.
var designExamples = []string{"command-assign.json", "result-assigned.json", "person-joined.json"}

var (
	schemasOnce sync.Once
	schemas     map[string]*jsonschema.Schema
	schemasErr  error
)

// schema returns the compiled schema docs/schema/<file>, with format
// assertions on (draft 2020-12 leaves them off by default).
func schema(t testing.TB, file string) *jsonschema.Schema {
	t.Helper()
	schemasOnce.Do(func() {
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		c.AssertFormat()
		schemas = make(map[string]*jsonschema.Schema)
		for _, f := range []string{commandFile, resultFile, personFile} {
			var sch *jsonschema.Schema
			sch, schemasErr = c.Compile(filepath.Join(schemaDir, f))
			if schemasErr != nil {
				return
			}
			schemas[f] = sch
		}
	})
	if schemasErr != nil {
		t.Fatalf("compile schemas: %v", schemasErr)
	}
	return schemas[file]
}

// validate reports whether payload is JSON that sch accepts. Bytes that are
// not UTF-8 are not JSON text (RFC 8259).
func validate(sch *jsonschema.Schema, payload []byte) error {
	if !utf8.Valid(payload) {
		return errNotUTF8
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

var errNotUTF8 = errors.New("payload is not UTF-8")

func readExample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(exampleDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func exampleNames(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(exampleDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatalf("no examples under %s", exampleDir)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}

func TestExamplesValidate(t *testing.T) {
	for _, name := range exampleNames(t) {
		t.Run(name, func(t *testing.T) {
			file := schemaFor(name)
			if err := validate(schema(t, file), readExample(t, name)); err != nil {
				t.Errorf("%s against %s: %v", name, file, err)
			}
		})
	}
}

// schemaFor names the schema an example follows, by its name's prefix.
func schemaFor(example string) string {
	switch {
	case strings.HasPrefix(example, "command-"):
		return commandFile
	case strings.HasPrefix(example, "person-"):
		return personFile
	}
	return resultFile
}

// TestCommandExamplesDecode checks that the code accepts every command
// example, on the subject its type names.
func TestCommandExamplesDecode(t *testing.T) {
	for _, name := range exampleNames(t) {
		if !strings.HasPrefix(name, "command-") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			payload := readExample(t, name)
			if _, err := decode(payload); err != nil {
				t.Errorf("DecodeCommand(%s) = %v, want no error", name, err)
			}
		})
	}
}

var jsonBlock = regexp.MustCompile("(?s)```json\n(.*?)```")

// TestDesignExamplesMatch keeps the committed examples equal to docs/design.md's,
// which CI checks out beside the repository.
func TestDesignExamplesMatch(t *testing.T) {
	design, err := os.ReadFile(designPath)
	if os.IsNotExist(err) {
		t.Logf("%s is absent: not comparing the examples with docs/design.md", designPath)
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	blocks := jsonBlock.FindAllSubmatch(design, -1)
	if got, want := len(blocks), len(designExamples); got != want {
		t.Fatalf("docs/design.md has %d json blocks, want %d (%v): add or remove the committed copy", got, want, designExamples)
	}
	for i, name := range designExamples {
		var got, want any
		if err := json.Unmarshal(blocks[i][1], &got); err != nil {
			t.Errorf("docs/design.md json block %d: %v", i+1, err)
			continue
		}
		if err := json.Unmarshal(readExample(t, name), &want); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("docs/design.md json block %d differs from %s:\n got %s\nwant %s", i+1, name, blocks[i][1], readExample(t, name))
		}
	}
}

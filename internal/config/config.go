// Package config loads seatkeeper's configuration from the environment with
// envconfig, adding what envconfig lacks: secrets that can come from files
// (NAME_FILE) and that print masked.
package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/kelseyhightower/envconfig"
)

// Secret is a configuration value that must never be printed. Its String
// and MarshalText show only whether it is set.
type Secret string

// String returns a mask.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "******"
}

// MarshalText masks the secret in JSON and text encodings.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the secret's value, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }

// Process fills spec (a pointer to a struct with envconfig tags) from the
// environment variables prefixed with prefix (as envconfig does), then fills
// every empty Secret field NAME from the file named by NAME_FILE.
//
// A value that cannot be read is an *Error naming the variable and the form
// it wants, never envconfig's own wording (field names, Go types).
func Process(prefix string, spec any) error {
	if err := envconfig.Process(prefix, spec); err != nil {
		var perr *envconfig.ParseError
		if errors.As(err, &perr) {
			return &Error{Var: perr.KeyName, Value: perr.Value, Want: wantedForm(perr.TypeName)}
		}
		return err
	}
	return fillSecretFiles(prefix, reflect.ValueOf(spec).Elem())
}

// Error is a variable whose value is not of the form its setting takes.
type Error struct {
	Var   string // the variable, e.g. SEATKEEPER_CONCURRENCY
	Value string // what it holds
	Want  string // the form it takes, e.g. "a whole number"
}

// Error reads "SEATKEEPER_CONCURRENCY="lots": want a whole number".
func (e *Error) Error() string {
	return fmt.Sprintf("%s=%q: want %s", e.Var, e.Value, e.Want)
}

// wantedForm describes, for a person, the values a Go type takes.
func wantedForm(typeName string) string {
	switch typeName {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "a whole number, such as 8"
	case "float32", "float64":
		return "a number, such as 2.5"
	case "bool":
		return "true or false"
	case "time.Duration", "Duration":
		return "a duration, such as 30s, 5m or 24h"
	}
	return "a value of type " + typeName
}

var secretType = reflect.TypeOf(Secret(""))

func fillSecretFiles(prefix string, v reflect.Value) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f, fv := t.Field(i), v.Field(i)
		if f.Type.Kind() == reflect.Struct && f.Anonymous {
			if err := fillSecretFiles(prefix, fv); err != nil {
				return err
			}
			continue
		}
		if f.Type != secretType || fv.String() != "" {
			continue
		}
		name := envName(prefix, f)
		path := os.Getenv(name + "_FILE")
		if path == "" {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			// The path is not a secret; the file's contents are.
			return fmt.Errorf("%s_FILE: %w", name, err)
		}
		fv.SetString(strings.TrimRight(string(b), "\r\n"))
	}
	return nil
}

// envName returns the variable envconfig reads for field f: an explicit
// split_words:"false" name under the prefix, unless ignored by "ignored".
func envName(prefix string, f reflect.StructField) string {
	name := f.Tag.Get("envconfig")
	if name == "" {
		name = strings.ToUpper(f.Name)
	}
	if prefix == "" {
		return strings.ToUpper(name)
	}
	return strings.ToUpper(prefix + "_" + name)
}

// Printable returns spec's settings keyed by their environment variable
// names, values formatted with %v, so secrets show masked and durations read
// as "25s". It is what a worker logs at start.
func Printable(prefix string, spec any) map[string]string {
	out := make(map[string]string)
	v := reflect.Indirect(reflect.ValueOf(spec))
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		out[envName(prefix, f)] = fmt.Sprintf("%v", v.Field(i).Interface())
	}
	return out
}

package events_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// edit changes a command held as a JSON object; path is dotted ("data.user").
type edit func(m map[string]any)

func set(path string, v any) edit {
	return func(m map[string]any) {
		obj, key := walk(m, path)
		obj[key] = v
	}
}

func del(path string) edit {
	return func(m map[string]any) {
		obj, key := walk(m, path)
		delete(obj, key)
	}
}

func walk(m map[string]any, path string) (map[string]any, string) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		m = m[p].(map[string]any)
	}
	return m, parts[len(parts)-1]
}

// command returns docs/design.md's assign command with edits applied.
func command(edits ...edit) []byte {
	m := map[string]any{
		"specversion":     "1.0",
		"type":            "license.assign",
		"source":          "hr/workday",
		"id":              "wd-evt-000017",
		"time":            "2026-11-24T09:00:00Z",
		"datacontenttype": "application/json",
		"data": map[string]any{
			"vendor":   "uipath",
			"account":  "a1b2c3d4-0000-0000-0000-000000000001",
			"user":     "singer-77",
			"licenses": []any{"RPADEVNU", "ATTUNU"},
			"reason":   "onboarding",
			"dry_run":  false,
		},
	}
	for _, e := range edits {
		e(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// codes returns n distinct license codes.
func codes(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = fmt.Sprintf("L%03d", i)
	}
	return out
}

// subjectOf returns the subject a correct publisher would use for payload:
// its type when that is a command type, else license.assign.
func subjectOf(payload []byte) string {
	var env struct {
		Type any `json:"type"`
	}
	_ = json.Unmarshal(payload, &env)
	if t, ok := env.Type.(string); ok {
		for _, s := range events.CommandSubjects {
			if s == t {
				return t
			}
		}
	}
	return events.SubjectAssign
}

func decode(payload []byte) (events.Command, error) {
	return events.DecodeCommand(subjectOf(payload), payload)
}

var (
	release = set("type", "license.release")
	list    = set("type", "license.list")
)

// commandCases covers every rule of validate.go, each limit at the boundary
// and one past it. field is empty for a valid command, else what the message
// must name; code defaults to invalid_command.
var commandCases = []struct {
	name    string
	payload []byte
	field   string
	code    string
}{
	{name: "design example", payload: command()},
	{name: "release all, licenses omitted", payload: command(release, del("data.licenses"))},
	{name: "release all, licenses empty", payload: command(release, set("data.licenses", []any{}))},
	{name: "list a user", payload: command(list, del("data.licenses"))},
	{name: "list pools", payload: command(list, del("data.user"), del("data.licenses"))},
	{name: "list ignores licenses", payload: command(list, set("data.licenses", append(codes(51), "", "\x01")))},
	{name: "minimal", payload: command(del("time"), del("datacontenttype"), del("data.account"), del("data.reason"), del("data.dry_run"))},
	{name: "id 200 characters", payload: command(set("id", strings.Repeat("é", 200)))},
	{name: "id with spaces and symbols", payload: command(set("id", "HR #17 / onboarding ✓"))},
	{name: "user 256 bytes", payload: command(set("data.user", strings.Repeat("u", 256)))},
	{name: "account 256 bytes", payload: command(set("data.account", strings.Repeat("a", 256)))},
	{name: "50 licenses", payload: command(set("data.licenses", codes(50)))},
	{name: "license code 256 bytes", payload: command(set("data.licenses", []any{strings.Repeat("L", 256)}))},
	{name: "source 1024 bytes", payload: command(set("source", strings.Repeat("s", 1024)))},
	{name: "reason 1024 bytes", payload: command(set("data.reason", strings.Repeat("r", 1024)))},
	{name: "time with offset and fraction", payload: command(set("time", "2026-11-24T10:00:00.123456+01:00"))},
	{name: "datacontenttype with charset", payload: command(set("datacontenttype", "application/json; charset=utf-8"))},
	{name: "extension attribute", payload: command(set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))},
	{name: "redriveof", payload: command(set("redriveof", "wd-evt-000016"))},
	{name: "auth context", payload: command(set("authtype", "api_key"), set("authid", "webhook:bamboohr"))},

	{name: "id missing", payload: command(del("id")), field: "id"},
	{name: "id empty", payload: command(set("id", "")), field: "id"},
	{name: "id 201 characters", payload: command(set("id", strings.Repeat("é", 201))), field: "id"},
	{name: "id with a tab", payload: command(set("id", "wd\tevt")), field: "id"},
	{name: "id with a zero-width space", payload: command(set("id", "wd\u200bevt")), field: "id"},
	{name: "id a number", payload: command(set("id", 17)), field: "id"},
	{name: "ID in upper case", payload: command(del("id"), set("ID", "wd-evt-000017")), field: "ID"},
	{name: "specversion missing", payload: command(del("specversion")), field: "specversion"},
	{name: "specversion 0.3", payload: command(set("specversion", "0.3")), field: "specversion"},
	{name: "specversion a number", payload: command(set("specversion", 1.0)), field: "specversion"},
	{name: "source missing", payload: command(del("source")), field: "source"},
	{name: "source empty", payload: command(set("source", "")), field: "source"},
	{name: "source 1025 bytes", payload: command(set("source", strings.Repeat("s", 1025))), field: "source"},
	{name: "type missing", payload: command(del("type")), field: "type"},
	{name: "type a result type", payload: command(set("type", "license.assigned")), field: "type"},
	{name: "time not a timestamp", payload: command(set("time", "yesterday")), field: "time"},
	{name: "time one-digit hour", payload: command(set("time", "2026-11-24T9:00:00Z")), field: "time"},
	{name: "time comma fraction", payload: command(set("time", "2026-11-24T09:00:00,5Z")), field: "time"},
	{name: "time offset +24:00", payload: command(set("time", "2026-11-24T09:00:00+24:00")), field: "time"},
	{name: "time lower-case t", payload: command(set("time", "2026-11-24t09:00:00Z")), field: "time"},
	{name: "time 30 February", payload: command(set("time", "2026-02-30T09:00:00Z")), field: "time"},
	{name: "time null", payload: command(set("time", nil)), field: "time"},
	{name: "datacontenttype text/plain", payload: command(set("datacontenttype", "text/plain")), field: "datacontenttype"},
	{name: "datacontenttype application/jsonx", payload: command(set("datacontenttype", "application/jsonx")), field: "datacontenttype"},
	{name: "datacontenttype with a control character", payload: command(set("datacontenttype", "application/json;\x00")), field: "datacontenttype"},
	{name: "redriveof empty", payload: command(set("redriveof", "")), field: "redriveof"},
	{name: "authid a number", payload: command(set("authid", 7)), field: "authid"},
	{name: "authid with a control character", payload: command(set("authid", "bearer:\x01")), field: "authid"},
	{name: "data_base64", payload: command(del("data"), set("data_base64", "e30=")), field: "data_base64"},
	{name: "data missing", payload: command(del("data")), field: "data"},
	{name: "data null", payload: command(set("data", nil)), field: "data"},
	{name: "data a string", payload: command(set("data", "uipath")), field: "data"},
	{name: "data a list", payload: command(set("data", []any{})), field: "data"},
	{name: "unknown data field", payload: command(set("data.priority", "high")), field: "data.priority"},
	{name: "data field in another case", payload: command(del("data.vendor"), set("data.Vendor", "uipath")), field: "data.Vendor"},
	{name: "vendor missing", payload: command(del("data.vendor")), field: "data.vendor"},
	{name: "vendor unknown", payload: command(set("data.vendor", "oracle")), field: "data.vendor", code: events.CodeUnknownVendor},
	{name: "vendor in another case", payload: command(set("data.vendor", "UiPath")), field: "data.vendor", code: events.CodeUnknownVendor},
	{name: "vendor a number", payload: command(set("data.vendor", 1)), field: "data.vendor"},
	{name: "user missing for assign", payload: command(del("data.user")), field: "data.user"},
	{name: "user empty for release", payload: command(release, set("data.user", "")), field: "data.user"},
	{name: "user 257 bytes", payload: command(set("data.user", strings.Repeat("u", 257))), field: "data.user"},
	{name: "user with a newline", payload: command(set("data.user", "singer\n77")), field: "data.user"},
	{name: "user with a C1 control", payload: command(set("data.user", "singer\u008577")), field: "data.user"},
	{name: "user null", payload: command(set("data.user", nil)), field: "data.user"},
	{name: "account 257 bytes", payload: command(set("data.account", strings.Repeat("a", 257))), field: "data.account"},
	{name: "account with DEL", payload: command(set("data.account", "a\x7f")), field: "data.account"},
	{name: "reason 1025 bytes", payload: command(set("data.reason", strings.Repeat("r", 1025))), field: "data.reason"},
	{name: "licenses missing for assign", payload: command(del("data.licenses")), field: "data.licenses"},
	{name: "licenses empty for assign", payload: command(set("data.licenses", []any{})), field: "data.licenses"},
	{name: "51 licenses", payload: command(set("data.licenses", codes(51))), field: "data.licenses"},
	{name: "51 licenses for release", payload: command(release, set("data.licenses", codes(51))), field: "data.licenses"},
	{name: "license code empty", payload: command(set("data.licenses", []any{"RPADEVNU", ""})), field: "data.licenses[1]"},
	{name: "license code 257 bytes", payload: command(set("data.licenses", []any{strings.Repeat("L", 257)})), field: "data.licenses[0]"},
	{name: "license code with a control character", payload: command(set("data.licenses", []any{"RPA\x1bDEV"})), field: "data.licenses[0]"},
	{name: "vendor with a leading space", payload: command(set("data.vendor", " uipath")), field: "data.vendor"},
	{name: "account with a trailing space", payload: command(set("data.account", "a1b2 ")), field: "data.account"},
	{name: "user with a leading space", payload: command(set("data.user", " singer-77")), field: "data.user"},
	{name: "user with a trailing tab", payload: command(set("data.user", "singer-77\t")), field: "data.user"},
	{name: "user with a no-break space", payload: command(set("data.user", "singer-77\u00a0")), field: "data.user"},
	{name: "user with a space inside", payload: command(set("data.user", "singer 77"))},
	{name: "license code with a trailing space", payload: command(set("data.licenses", []any{"ATTUNU", "RPADEVNU "})), field: "data.licenses[1]"},
	{name: "license listed twice", payload: command(set("data.licenses", []any{"ATTUNU", "ATTUNU"})), field: "data.licenses[1]"},
	{name: "licenses a string", payload: command(set("data.licenses", "RPADEVNU")), field: "data.licenses"},
	{name: "licenses of numbers", payload: command(set("data.licenses", []any{1})), field: "data.licenses"},
	{name: "licenses null", payload: command(set("data.licenses", nil)), field: "data.licenses"},
	{name: "dry_run a string", payload: command(set("data.dry_run", "true")), field: "data.dry_run"},
	{name: "empty payload", payload: []byte(" \n"), field: "payload"},
	{name: "not JSON", payload: []byte("assign singer-77 RPADEVNU"), field: "payload"},
	{name: "truncated JSON", payload: command()[:40], field: "payload"},
	{name: "trailing data", payload: append(command(), " {}"...), field: "payload"},
	{name: "a JSON list", payload: []byte(`[{"specversion":"1.0"}]`), field: "payload"},
	{name: "JSON null", payload: []byte("null"), field: "payload"},
	{name: "a JSON string", payload: []byte(`"license.assign"`), field: "payload"},
	{name: "not UTF-8", payload: []byte(strings.Replace(string(command()), "onboarding", "on\xffboarding", 1)), field: "payload"},
}

// TestDecodeCommandAgreesWithSchema checks that DecodeCommand and
// command.schema.json give every case the same verdict.
func TestDecodeCommandAgreesWithSchema(t *testing.T) {
	sch := schema(t, commandFile)
	for _, tt := range commandCases {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decode(tt.payload)
			schemaErr := validate(sch, tt.payload)
			if got, want := err == nil, schemaErr == nil; got != want {
				t.Errorf("DecodeCommand accepts = %v (%v), schema accepts = %v (%v)", got, err, want, schemaErr)
			}
			checkVerdict(t, err, tt.field, tt.code)
		})
	}
}

// checkVerdict checks err against the expected outcome: no error when field
// is empty, else a *ValidationError with code (default invalid_command) whose
// message names field.
func checkVerdict(t *testing.T, err error, field, code string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Errorf("DecodeCommand: %v, want no error", err)
		}
		return
	}
	var verr *events.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("DecodeCommand error = %v (%T), want a *events.ValidationError", err, err)
	}
	if code == "" {
		code = events.CodeInvalidCommand
	}
	if verr.Code != code {
		t.Errorf("Code = %q, want %q (message %q)", verr.Code, code, verr.Message)
	}
	if !strings.Contains(verr.Message, field) {
		t.Errorf("Message = %q, want it to name %s", verr.Message, field)
	}
}

// TestDecodeCommandBeyondSchema covers the rules command.schema.json cannot
// express (its $comment lists them): the schema accepts each of these
// commands and DecodeCommand refuses them.
func TestDecodeCommandBeyondSchema(t *testing.T) {
	sch := schema(t, commandFile)
	padded := command(set("padding", strings.Repeat(" ", events.MaxPayloadBytes)))
	tests := []struct {
		name    string
		subject string
		payload []byte
		field   string
	}{
		{"type differs from the subject", events.SubjectRelease, command(), "subject"},
		{"payload over 64 KiB", events.SubjectAssign, padded, "payload"},
		{"id given twice", events.SubjectAssign, []byte(`{"id":"a",` + string(command()[1:])), "id"},
		{"data field given twice", events.SubjectAssign, []byte(strings.Replace(string(command()), `"user":`, `"user":"x","user":`, 1)), "data.user"},
		{"user 129 two-byte characters", events.SubjectAssign, command(set("data.user", strings.Repeat("é", 129))), "data.user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := validate(sch, tt.payload); err != nil {
				t.Errorf("schema refuses the command (%v); move the case to commandCases", err)
			}
			_, err := events.DecodeCommand(tt.subject, tt.payload)
			checkVerdict(t, err, tt.field, "")
		})
	}
}

package events_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// personEvent returns docs/design.md's person.joined event with edits applied.
func personEvent(edits ...edit) []byte {
	m := map[string]any{
		"specversion": "1.0", "type": "person.joined", "source": "hr/bamboohr",
		"id": "bhr-1042-hire", "time": "2026-12-01T08:00:00Z", "datacontenttype": "application/json",
		"data": map[string]any{
			"person": "E1042", "email": "ana.smith@example.com",
			"attributes": map[string]any{"department": "Engineering", "title": "Senior GIS Developer"},
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

var left = set("type", "person.left")

var personCases = []struct {
	name    string
	payload []byte
	field   string
}{
	{name: "design example", payload: personEvent()},
	{name: "left with only the person", payload: personEvent(left, del("data.email"), del("data.attributes"))},
	{name: "changed", payload: personEvent(set("type", "person.changed"))},
	{name: "attributes of every kind", payload: personEvent(set("data.attributes", map[string]any{
		"grade": 7, "manager": true, "groups": []any{"gis", "eng"}, "_x1": ""}))},
	{name: "id 176 characters", payload: personEvent(set("id", strings.Repeat("é", 176)))},
	{name: "64 attributes", payload: personEvent(set("data.attributes", attrs(64)))},

	{name: "id 177 characters", payload: personEvent(set("id", strings.Repeat("é", 177))), field: "id"},
	{name: "id missing", payload: personEvent(del("id")), field: "id"},
	{name: "type a command type", payload: personEvent(set("type", "license.assign")), field: "type"},
	{name: "person missing", payload: personEvent(del("data.person")), field: "data.person"},
	{name: "person empty", payload: personEvent(set("data.person", "")), field: "data.person"},
	{name: "person 257 bytes", payload: personEvent(set("data.person", strings.Repeat("p", 257))), field: "data.person"},
	{name: "email missing for joined", payload: personEvent(del("data.email")), field: "data.email"},
	{name: "email without @", payload: personEvent(set("data.email", "ana.smith")), field: "data.email"},
	{name: "email with a space", payload: personEvent(set("data.email", "ana smith@example.com")), field: "data.email"},
	{name: "email with two @", payload: personEvent(set("data.email", "a@b@example.com")), field: "data.email"},
	{name: "unknown data field", payload: personEvent(set("data.vendor", "uipath")), field: "data.vendor"},
	{name: "attribute name with a dash", payload: personEvent(set("data.attributes", map[string]any{"cost-center": "1"})), field: "cost-center"},
	{name: "attribute name in upper case", payload: personEvent(set("data.attributes", map[string]any{"Department": "x"})), field: "Department"},
	{name: "attribute an object", payload: personEvent(set("data.attributes", map[string]any{"org": map[string]any{}})), field: "data.attributes.org"},
	{name: "attribute null", payload: personEvent(set("data.attributes", map[string]any{"org": nil})), field: "data.attributes.org"},
	{name: "attribute list of numbers", payload: personEvent(set("data.attributes", map[string]any{"org": []any{1}})), field: "data.attributes.org"},
	{name: "attribute with a control character", payload: personEvent(set("data.attributes", map[string]any{"org": "a\x01"})), field: "data.attributes.org"},
	{name: "65 attributes", payload: personEvent(set("data.attributes", attrs(65))), field: "data.attributes"},
	{name: "attributes a list", payload: personEvent(set("data.attributes", []any{})), field: "data.attributes"},
	{name: "extension attribute", payload: personEvent(set("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"))},
	{name: "not JSON", payload: []byte("hire E1042"), field: "payload"},
}

func attrs(n int) map[string]any {
	m := make(map[string]any, n)
	for i := range n {
		m["a"+strings.Repeat("x", i)] = "v"
	}
	return m
}

// TestDecodePersonEventAgreesWithSchema checks that DecodePersonEvent and
// person.schema.json give every case the same verdict, and that a refusal
// names the field.
func TestDecodePersonEventAgreesWithSchema(t *testing.T) {
	sch := schema(t, personFile)
	for _, tt := range personCases {
		t.Run(tt.name, func(t *testing.T) {
			var typ struct{ Type string }
			_ = json.Unmarshal(tt.payload, &typ)
			subject := typ.Type
			if !strings.HasPrefix(subject, "person.") {
				subject = events.SubjectPersonJoined
			}
			_, err := events.DecodePersonEvent(subject, tt.payload)
			schemaErr := validate(sch, tt.payload)
			if got, want := err == nil, schemaErr == nil; got != want {
				t.Errorf("DecodePersonEvent accepts = %v (%v), schema accepts = %v (%v)", got, err, want, schemaErr)
			}
			checkVerdict(t, err, tt.field, "")
		})
	}
}

func TestDecodePersonEventSubjectMustMatch(t *testing.T) {
	ev, err := events.DecodePersonEvent(events.SubjectPersonLeft, personEvent())
	checkVerdict(t, err, "subject", "")
	if ev.ID != "bhr-1042-hire" || ev.Data.Person != "E1042" {
		t.Errorf("refused event = %+v, want its id and person kept for the failure", ev)
	}
}

// TestCommandEmailInsteadOfUser: a license command may name the person's
// e-mail instead of the vendor's user id.
func TestCommandEmailInsteadOfUser(t *testing.T) {
	sch := schema(t, commandFile)
	for _, tt := range []struct {
		name    string
		payload []byte
		field   string
	}{
		{"email instead of user", command(del("data.user"), set("data.email", "ana.smith@example.com"), set("data.person", "E1042")), ""},
		{"bad email", command(del("data.user"), set("data.email", "ana")), "data.email"},
		{"neither", command(del("data.user")), "data.user"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := events.DecodeCommand(events.SubjectAssign, tt.payload)
			schemaErr := validate(sch, tt.payload)
			if got, want := err == nil, schemaErr == nil; got != want {
				t.Errorf("DecodeCommand accepts = %v (%v), schema accepts = %v (%v)", got, err, want, schemaErr)
			}
			checkVerdict(t, err, tt.field, "")
		})
	}
}

// TestPersonResultMatchesSchema: outcomes the code builds (reconciled,
// skipped, failed) are what person-result.schema.json describes.
func TestPersonResultMatchesSchema(t *testing.T) {
	sch := schema(t, outcomeFile)
	ev := events.NewPersonEvent(events.SubjectPersonChanged, "hr", "e1", t0, events.PersonData{Person: "E1", Email: "a@example.com"})
	for name, data := range map[string]events.PersonResultData{
		"empty":   {},
		"skipped": {Skipped: &events.Skip{Reason: events.SkipSuperseded, NewerEvent: "e2", NewerTime: t0}},
		"failed":  {Error: &events.Error{Code: events.CodeInvalidCommand, Message: "data.email is missing"}},
		"release all": {Commands: []events.PlannedCommand{{ID: "e1/m365/release", Type: events.SubjectRelease, Vendor: "m365", All: true}},
			Rules: []events.RuleOutcome{{Name: "r", Error: "no such key: x"}}},
	} {
		b, _ := json.Marshal(events.NewPersonResult(ev, 1, t0, data))
		if err := validate(sch, b); err != nil {
			t.Errorf("%s: %v\n%s", name, err, b)
		}
	}
}

var t0 = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

package events_test

import (
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

func TestUntil(t *testing.T) {
	cmd := func(typ, until string) []byte {
		return []byte(`{"specversion":"1.0","type":"` + typ + `","source":"s","id":"i","time":"2026-12-01T09:00:00Z",` +
			`"data":{"vendor":"arcgis","user":"ana","licenses":["usertype:creatorUT"],"until":` + until + `}}`)
	}
	for _, c := range []struct {
		name, typ, until, err string
		schemaOK              bool
	}{
		{"ahead", events.SubjectAssign, `"2027-05-30T09:00:00Z"`, "", true},
		{"with an offset", events.SubjectAssign, `"2027-05-30T09:00:00.5+02:00"`, "", true},
		{"not after time", events.SubjectAssign, `"2026-12-01T09:00:00Z"`, "data.until 2026-12-01T09:00:00Z is not after time", true},
		{"on a release", events.SubjectRelease, `"2027-05-30T09:00:00Z"`, "data.until is only for license.assign", true},
		{"not a time", events.SubjectAssign, `"in six months"`, `data.until "in six months" is not an RFC 3339 timestamp`, false},
		{"hour 24", events.SubjectAssign, `"2027-05-30T24:00:00Z"`, "is not an RFC 3339 timestamp", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			payload := cmd(c.typ, c.until)
			got, err := events.DecodeCommand(c.typ, payload)
			switch {
			case c.err == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
				t.Fatalf("error %v, want one containing %q", err, c.err)
			case c.err == "" && got.Data.Until.IsZero():
				t.Errorf("until not decoded")
			}
			if schemaErr := validate(schema(t, commandFile), payload); (schemaErr == nil) != c.schemaOK {
				t.Errorf("schema accepts = %v (%v), want %v", schemaErr == nil, schemaErr, c.schemaOK)
			}
		})
	}
}

func TestReclaimCommand(t *testing.T) {
	cmd := func(typ, data string) []byte {
		return []byte(`{"specversion":"1.0","type":"` + typ + `","source":"s","id":"i","data":{"vendor":"arcgis",` + data + `}}`)
	}
	for _, c := range []struct {
		name, typ, data, err string
	}{
		{"whole account", events.SubjectReclaim, `"inactive_days":90,"warn_days":7,"exempt":["ceo"]`, ""},
		{"one user, some codes", events.SubjectReclaim, `"user":"ana","licenses":["usertype:creatorUT"],"inactive_days":30`, ""},
		{"no threshold", events.SubjectReclaim, `"warn_days":7`, "data.inactive_days must be at least 1"},
		{"negative warning", events.SubjectReclaim, `"inactive_days":90,"warn_days":-1`, "data.warn_days must not be negative"},
		{"threshold on an assign", events.SubjectAssign, `"user":"ana","licenses":["x"],"inactive_days":90`, "only for license.reclaim"},
	} {
		t.Run(c.name, func(t *testing.T) {
			payload := cmd(c.typ, c.data)
			_, err := events.DecodeCommand(c.typ, payload)
			if (err == nil) != (c.err == "") || (err != nil && !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("error %v, want %q", err, c.err)
			}
			if schemaErr := validate(schema(t, commandFile), payload); (schemaErr == nil) != (err == nil) {
				t.Errorf("schema accepts = %v (%v), DecodeCommand accepts = %v", schemaErr == nil, schemaErr, err == nil)
			}
		})
	}
}

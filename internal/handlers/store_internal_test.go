package handlers

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// record.marshal writes what json.Marshal writes, field for field, with
// and without a result, and refuses a result that is no JSON object.
func TestARecordEncodesAsJSONMarshalDoes(t *testing.T) {
	at := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	for _, rec := range []record{
		{State: stateDeferred, Digest: "d1", FirstAttempt: at, Attempts: 3},
		{State: stateDone, Digest: "d2", FirstAttempt: at, Attempts: 1, Subject: "license.assigned",
			Result: json.RawMessage(`{"id":"c/result","data":{"licenses":[{"code":"A","status":"assigned"}],"note":"\u00e9 \"q\""}}`), Published: true},
	} {
		got, err := rec.marshal()
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		var g, w map[string]any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%s: %v", got, err)
		}
		if err := json.Unmarshal(want, &w); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("marshal:\n%s\njson.Marshal:\n%s", got, want)
		}
	}
	if _, err := (record{State: stateDone, Result: json.RawMessage(`"x"`)}).marshal(); err == nil {
		t.Error("a result that is no JSON object was encoded")
	}
}

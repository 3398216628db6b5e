package events_test

import (
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// BenchmarkDecodeCommand decodes and validates the documented assign
// command, as the worker does for every message it pulls.
func BenchmarkDecodeCommand(b *testing.B) {
	payload, err := os.ReadFile("../../docs/schema/examples/command-assign.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := events.DecodeCommand(events.SubjectAssign, payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeResult encodes an assign's result, as the worker does for
// every command it finishes.
func BenchmarkEncodeResult(b *testing.B) {
	cmd := events.NewCommand(events.SubjectAssign, "hr/workday", "wd-evt-000017", time.Now(), events.CommandData{
		Vendor: "uipath", User: "singer-77", Licenses: []string{"RPADEVNU", "ATTUNU"},
	})
	res := events.NewResult(cmd, 42, time.Now(), events.ResultData{
		Account:  "b3c4d5e6-0000-0000-0000-00000000be0c",
		Licenses: []events.LicenseResult{{Code: "RPADEVNU", Status: events.StatusAssigned}, {Code: "ATTUNU", Status: events.StatusAlreadyAssigned}},
		Held:     []string{"ATTUNU", "RPADEVNU"},
	})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(res); err != nil {
			b.Fatal(err)
		}
	}
}

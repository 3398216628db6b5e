package ingress

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// BenchmarkPrepare measures validating one command and setting its auth
// context, the ingress's own work per event besides HTTP and JetStream.
func BenchmarkPrepare(b *testing.B) {
	raw, _ := json.Marshal(events.NewCommand(events.SubjectAssign, "hr/workday", "wd-evt-000017", time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC),
		events.CommandData{Vendor: "uipath", Account: "a1b2c3d4-0000-0000-0000-000000000001", User: "singer-77", Licenses: []string{"RPADEVNU", "ATTUNU"}, Reason: "onboarding"}))
	k := DefaultKinds()
	cred := Credential{Scheme: "webhook", Name: "bamboohr"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.prepare(raw, cred); err != nil {
			b.Fatal(err)
		}
	}
}

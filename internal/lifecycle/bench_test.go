package lifecycle

import (
	"fmt"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// BenchmarkReclaimPlan judges 1,000 seats (the ArcGIS project's pool).
func BenchmarkReclaimPlan(b *testing.B) {
	r := Reclaim{Inactive: 90 * 24 * time.Hour, Warn: 7 * 24 * time.Hour}
	holders := make([]Holder, 1000)
	for i := range holders {
		holders[i] = Holder{User: fmt.Sprintf("user-%04d", i),
			Holdings: []events.Holding{{Code: "usertype:creatorUT", LastUsed: day(i % 300)}}}
	}
	b.ReportAllocs()
	for b.Loop() {
		if len(r.Plan(day(300), "arcgis", "org", holders)) != 1000 {
			b.Fatal("lost seats")
		}
	}
}

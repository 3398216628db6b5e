package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// publish watch shows the lifecycle notices: --type pool_low selects them,
// and a pool_low row says which pool and how much of it is free.
func TestWatchShowsPoolLow(t *testing.T) {
	f := resultFilter{types: stringList{"pool_low"}}
	subs, err := f.subjects()
	if err != nil || len(subs) != 1 || subs[0] != events.SubjectPoolLow {
		t.Fatalf("--type pool_low: %v %v", subs, err)
	}
	n := events.NewNotice(events.SubjectPoolLow, "pool_low/arcgis/self/usertype:creatorUT/0", "arcgis/self",
		time.Date(2026, 12, 2, 7, 0, 0, 0, time.UTC),
		events.PoolLowData{Vendor: "arcgis", Account: "self", Code: "usertype:creatorUT", Total: 5, Assigned: 5, Threshold: 0.1})
	raw, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if ok, err := printLifecycleRow(&buf, raw, n.Type); !ok || err != nil {
		t.Fatalf("printLifecycleRow: %v %v", ok, err)
	}
	for _, want := range []string{"pool_low", "arcgis", "usertype:creatorUT", "0 of 5 free"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("row lacks %q: %s", want, buf.String())
		}
	}
}

package metrics_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seatkeeper/seatkeeper/internal/metrics"
)

// TestPersonOutcomesCounted: a person event's outcome is counted in
// seatkeeper_person_events_total by event type and outcome.
func TestPersonOutcomesCounted(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	m.ObservePerson("person.left", "scheduled")
	m.ObservePerson("person.left", "reconciled")
	m.ObservePerson("person.left", "reconciled")
	got := map[string]float64{}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "seatkeeper_person_events_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range s.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			got[labels["type"]+" "+labels["outcome"]] = s.GetCounter().GetValue()
		}
	}
	want := map[string]float64{"person.left reconciled": 2, "person.left scheduled": 1}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("seatkeeper_person_events_total{%s} = %v, want %v", k, got[k], v)
		}
	}
}

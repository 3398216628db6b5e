package ingress

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes of one event, as the events metric counts them.
const (
	outcomeAccepted    = "accepted"
	outcomeDuplicate   = "duplicate"
	outcomeInvalid     = "invalid"
	outcomeUnavailable = "unavailable"
	// typeOther counts events of a type the ingress does not take: their
	// type is free text, and a label must not be.
	typeOther = "other"
)

// Metrics are the ingress's collectors.
type Metrics struct {
	Requests *prometheus.CounterVec
	Events   *prometheus.CounterVec
	Latency  prometheus.Histogram
}

// NewMetrics creates the collectors and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seatkeeper_ingress_requests_total",
			Help: "HTTP requests to the ingress, by method and response status.",
		}, []string{"method", "status"}),
		Events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seatkeeper_ingress_events_total",
			Help: "Events received over HTTP, by type and outcome (accepted, duplicate, invalid, unavailable).",
		}, []string{"type", "outcome"}),
		Latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "seatkeeper_ingress_request_duration_seconds",
			Help:    "Time to answer a POST, from its headers to the answer, publishing included.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2.5, 12),
		}),
	}
	reg.MustRegister(m.Requests, m.Events, m.Latency)
	return m
}

func (m *Metrics) request(method string, status int, elapsed time.Duration) {
	if m == nil {
		return
	}
	m.Requests.WithLabelValues(method, strconv.Itoa(status)).Inc()
	if method == "POST" {
		m.Latency.Observe(elapsed.Seconds())
	}
}

func (m *Metrics) event(k Kinds, typ, outcome string) {
	if m == nil {
		return
	}
	if _, ok := k[typ]; !ok {
		typ = typeOther
	}
	m.Events.WithLabelValues(typ, outcome).Inc()
}

// Package metrics holds the worker's Prometheus collectors (docs/design.md §8)
// and implements the observer interfaces of the packages that feed them.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Metrics are the worker's collectors.
type Metrics struct {
	Commands        *prometheus.CounterVec
	CommandLatency  *prometheus.HistogramVec
	VendorRequests  *prometheus.CounterVec
	VendorLatency   *prometheus.HistogramVec
	Retries         *prometheus.CounterVec
	InFlight        prometheus.Gauge
	ConsumerPending prometheus.Gauge
	PoolTotal       *prometheus.GaugeVec
	PoolAssigned    *prometheus.GaugeVec
	Circuit         *prometheus.GaugeVec
	// ResultPublishFailures counts failed attempts to publish a result.
	ResultPublishFailures *prometheus.CounterVec
	// PersonEvents counts person event outcomes.
	PersonEvents *prometheus.CounterVec
}

// New creates the collectors and registers them with reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seatkeeper_commands_total",
			Help: "Commands handled, by type, vendor and outcome (ok, an error code, replayed, deferred).",
		}, []string{"type", "vendor", "outcome"}),
		CommandLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "seatkeeper_command_duration_seconds",
			Help:    "Time to handle one delivery of a command, vendor calls and retries included.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 14),
		}, []string{"type", "vendor"}),
		VendorRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seatkeeper_vendor_requests_total",
			Help: "HTTP requests to vendor APIs, by vendor, operation and status (\"error\": no answer).",
		}, []string{"vendor", "operation", "status"}),
		VendorLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "seatkeeper_vendor_request_duration_seconds",
			Help:    "Latency of vendor API requests.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 10),
		}, []string{"vendor", "operation"}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seatkeeper_vendor_retries_total",
			Help: "In-process retries of vendor operations after transient failures.",
		}, []string{"vendor"}),
		InFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "seatkeeper_commands_in_flight",
			Help: "Commands this worker holds: running, waiting on a vendor, or queued in their lane.",
		}),
		ConsumerPending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "seatkeeper_consumer_pending",
			Help: "Commands in the stream not yet delivered to any worker.",
		}),
		PoolTotal: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "seatkeeper_license_pool_total",
			Help: "Seats in a vendor's license pool.",
		}, []string{"vendor", "account", "code"}),
		PoolAssigned: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "seatkeeper_license_pool_assigned",
			Help: "Seats assigned in a vendor's license pool.",
		}, []string{"vendor", "account", "code"}),
		Circuit: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "seatkeeper_vendor_circuit_state",
			Help: "1 for a vendor's current circuit breaker state (closed, open, half_open), 0 for the others.",
		}, []string{"vendor", "state"}),
		ResultPublishFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seatkeeper_result_publish_failures_total",
			Help: "Failed attempts to publish a result to LICENSE_EVENTS, by reason (stream_missing, stream_full, too_large, timeout, other).",
		}, []string{"reason"}),
		PersonEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "seatkeeper_person_events_total",
			Help: "Person event outcomes, by event type and outcome (reconciled, skipped, scheduled, or an error code).",
		}, []string{"type", "outcome"}),
	}
	reg.MustRegister(m.Commands, m.CommandLatency, m.VendorRequests, m.VendorLatency, m.Retries,
		m.InFlight, m.ConsumerPending, m.PoolTotal, m.PoolAssigned, m.Circuit, m.ResultPublishFailures, m.PersonEvents)
	return m
}

// ObserveCommand implements handlers.Observer.
func (m *Metrics) ObserveCommand(commandType, vendor, outcome string, elapsed time.Duration) {
	m.Commands.WithLabelValues(commandType, vendor, outcome).Inc()
	m.CommandLatency.WithLabelValues(commandType, vendor).Observe(elapsed.Seconds())
}

// ObserveRetries implements handlers.Observer.
func (m *Metrics) ObserveRetries(vendor string, n int) {
	m.Retries.WithLabelValues(vendor).Add(float64(n))
}

// ObserveVendorRequest implements vendors.Observer.
func (m *Metrics) ObserveVendorRequest(vendor, op, status string, elapsed time.Duration) {
	m.VendorRequests.WithLabelValues(vendor, op, status).Inc()
	m.VendorLatency.WithLabelValues(vendor, op).Observe(elapsed.Seconds())
}

// ObserveCircuit implements vendors.CircuitObserver.
func (m *Metrics) ObserveCircuit(vendor, state string) {
	for _, s := range []string{vendors.CircuitClosed, vendors.CircuitOpen, vendors.CircuitHalfOpen} {
		v := 0.0
		if s == state {
			v = 1
		}
		m.Circuit.WithLabelValues(vendor, s).Set(v)
	}
}

// ObserveInFlight implements consumer.Observer.
func (m *Metrics) ObserveInFlight(n int) { m.InFlight.Set(float64(n)) }

// ObservePublishFailure implements consumer.Observer.
func (m *Metrics) ObservePublishFailure(reason string) {
	m.ResultPublishFailures.WithLabelValues(reason).Inc()
}

// ObservePerson implements consumer.PeopleObserver.
func (m *Metrics) ObservePerson(eventType, outcome string) {
	m.PersonEvents.WithLabelValues(eventType, outcome).Inc()
}

// ObservePools records a vendor's pools.
func (m *Metrics) ObservePools(vendor, account string, pools []events.Pool) {
	for _, p := range pools {
		m.PoolTotal.WithLabelValues(vendor, account, p.Code).Set(float64(p.Total))
		m.PoolAssigned.WithLabelValues(vendor, account, p.Code).Set(float64(p.Assigned))
	}
}

package consumer_test

import (
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// A vendor in an outage trips its circuit breaker: its commands are handed
// back to JetStream without calling it (far fewer calls than commands),
// another vendor is unaffected, and once the vendor is back a probe closes
// the circuit and every command succeeds.
func TestOpenCircuitDelaysCommandsWithoutCallingTheVendor(t *testing.T) {
	fx := fixtures(t, nil)[:2]
	down, up := fx[0], fx[1]
	reg := vendors.NewRegistry(
		vendors.NewBreaker(down.vendor, vendors.BreakerConfig{Threshold: 3, Cooldown: 500 * time.Millisecond}, nil),
		up.vendor,
	)
	e := newEnv(t, withVendors(reg), withConcurrency(16), withPolicy(isolationPolicy(time.Hour, time.Hour)), startLater)
	down.failAll()
	downIDs := assignAll(e, []*fixture{down}, 40, "cb")[down.name]
	e.start()
	// While it is down, the other vendor works.
	for _, id := range assignAll(e, []*fixture{up}, 10, "cb-up")[up.name] {
		if r := e.result(id); r.Type != events.SubjectAssigned {
			t.Errorf("%s: %s %+v", id, r.Type, r.Data.Error)
		}
	}
	testproc.Eventually(t, "the failing vendor's circuit to open", func() bool {
		b, _ := reg.Get(down.name)
		return b.(*vendors.Breaker).State() != vendors.CircuitClosed
	})
	if n := len(e.await(0, func(r events.Result) bool { return r.Data.Vendor == down.name })); n != 0 {
		t.Fatalf("%d of the failing vendor's commands ended during the outage", n)
	}
	down.recover()
	for _, id := range downIDs {
		if r := e.result(id); r.Type != events.SubjectAssigned {
			t.Errorf("%s after recovery: %s %+v", id, r.Type, r.Data.Error)
		}
	}
	calls := down.calls()
	t.Logf("%d commands, %d calls to the failing vendor in all", len(downIDs), calls)
	// Each command needs two calls (read, write) once the vendor is back;
	// during the outage only the first failures and the probes reach it:
	// fewer calls than there are commands, where retrying without a breaker
	// makes every held command call again every 100 ms.
	if outage := calls - 2*len(downIDs); outage >= len(downIDs) {
		t.Errorf("the failing vendor got %d calls during the outage for %d commands: the breaker did not hold them back", outage, len(downIDs))
	}
}

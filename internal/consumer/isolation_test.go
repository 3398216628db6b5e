package consumer_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// isolationPolicy retries quickly, in-process for inProcess, in all for
// total.
func isolationPolicy(inProcess, total time.Duration) vendors.RetryPolicy {
	return vendors.RetryPolicy{
		InitialInterval: 20 * time.Millisecond, MaxInterval: 100 * time.Millisecond,
		InProcessBudget: inProcess, TotalBudget: total, MaxDeferral: 500 * time.Millisecond,
	}
}

// assignAll publishes n assigns per fixture, each for a fresh user, and
// returns their ids by vendor.
func assignAll(e *env, fx []*fixture, n int, prefix string) map[string][]string {
	ids := make(map[string][]string)
	var cmds []events.Command
	for i := 0; i < n; i++ {
		for _, f := range fx {
			c := command(events.SubjectAssign, fmt.Sprintf("%s-%s-%d", prefix, f.name, i), f.newUser(), f.code)
			c.Data.Vendor, c.Data.Account = f.name, ""
			cmds = append(cmds, c)
			ids[f.name] = append(ids[f.name], c.ID)
		}
	}
	for _, c := range cmds {
		e.publish(c, "")
	}
	return ids
}

// A mixed run of 500 commands over all five vendors with one vendor's fake
// answering 500 to everything: every command of the other four gets its
// result while the failing vendor's are still retrying (none of theirs has
// ended yet), and the failing vendor's succeed once its fake recovers.
func TestOneVendorDownDoesNotBlockTheOthers(t *testing.T) {
	fx := fixtures(t, nil)
	// The failing vendor's commands retry in-process without end, holding
	// their slots: only the per-vendor share of the window keeps the
	// others moving.
	e := newEnv(t, withVendors(registry(fx)), withConcurrency(32), withPolicy(isolationPolicy(time.Hour, time.Hour)), startLater)
	failing := fx[0]
	failing.failAll()
	// All 500 are queued before the worker starts, in vendor-interleaved
	// order, so the failing vendor's commands are among the first pulled.
	ids := assignAll(e, fx, 100, "iso")
	e.start()
	for _, f := range fx[1:] {
		for _, id := range ids[f.name] {
			if r := e.result(id); r.Type != events.SubjectAssigned {
				t.Errorf("%s: %s %+v, want assigned", id, r.Type, r.Data.Error)
			}
		}
	}
	if n := len(e.await(0, func(r events.Result) bool { return r.Data.Vendor == failing.name })); n != 0 {
		t.Fatalf("%d of the failing vendor's commands ended while it was down; want them all still retrying", n)
	}
	if failing.writes() != 0 {
		t.Fatalf("the failing vendor's fake accepted writes while down")
	}
	failing.recover()
	for _, id := range ids[failing.name] {
		if r := e.result(id); r.Type != events.SubjectAssigned {
			t.Errorf("%s after recovery: %s %+v, want assigned", id, r.Type, r.Data.Error)
		}
	}
}

// A vendor that stays down past the total budget: its commands end as
// retries_exhausted, retryable, with the last failure in the message.
func TestOutageOutlastingTheBudgetEndsRetriesExhausted(t *testing.T) {
	fx := fixtures(t, nil)[:1]
	e := newEnv(t, withVendors(registry(fx)), withPolicy(isolationPolicy(200*time.Millisecond, time.Second)))
	fx[0].failAll()
	ids := assignAll(e, fx, 5, "out")
	for _, id := range ids[fx[0].name] {
		r := e.result(id)
		if r.Data.Error == nil || r.Data.Error.Code != events.CodeRetriesExhausted || !r.Data.Error.Retryable ||
			!strings.Contains(r.Data.Error.Message, "HTTP 500") || r.Data.Attempts < 2 {
			t.Errorf("%s: %s %+v after %d attempts, want retryable retries_exhausted naming HTTP 500 after several attempts", id, r.Type, r.Data.Error, r.Data.Attempts)
		}
	}
}

// BenchmarkHealthyVendorsThroughput measures the four healthy vendors'
// commands/s alone and while the fifth vendor is down with its commands
// retrying. Each iteration publishes 100 commands per healthy vendor; the
// failing vendor gets 100 commands before the clock starts.
func BenchmarkHealthyVendorsThroughput(b *testing.B) {
	for _, down := range []bool{false, true} {
		name := "alone"
		if down {
			name = "one_vendor_down"
		}
		b.Run(name, func(b *testing.B) {
			fx := fixtures(b, nil)
			e := newEnv(b, withVendors(registry(fx)), withConcurrency(32), withPolicy(isolationPolicy(200*time.Millisecond, time.Hour)))
			healthy := fx[1:]
			if down {
				fx[0].failAll()
				assignAll(e, fx[:1], 100, "down")
			}
			b.ResetTimer()
			start := time.Now()
			done := 0
			for i := 0; i < b.N; i++ {
				ids := assignAll(e, healthy, 100, fmt.Sprintf("bench%d", i))
				for _, vids := range ids {
					for _, id := range vids {
						e.result(id)
						done++
					}
				}
			}
			b.ReportMetric(float64(done)/time.Since(start).Seconds(), "healthy_cmds/s")
		})
	}
}

package consumer_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// withDefaults runs the worker as it runs when nothing is configured: its
// default concurrency, settings and retry policy.
func withDefaults(c *envConfig) {
	c.so.Concurrency = 0
	c.so.Settings = consumer.DefaultSettings(consumer.DefaultConcurrency)
	c.so.Policy = vendors.DefaultRetryPolicy()
}

// One vendor fails every request with 1,500 of its commands queued ahead of
// 50 for another vendor, on one worker at its defaults: the 50 finish while
// the first vendor is still down, because a deferred command waits in a
// schedule and not in an ack-pending slot. Once the vendor recovers, all
// 1,500 finish too. LICENSE_EVENTS holds exactly one result per command.
func TestOneVendorsBacklogDoesNotStarveAnother(t *testing.T) {
	if testing.Short() {
		t.Skip("1,550 commands")
	}
	t.Run("defaults", func(t *testing.T) { backlog(t, withDefaults) })
	// A window of 256 holds few of the backlog: the rest is put off.
	t.Run("concurrency 32", func(t *testing.T) {
		backlog(t, withDefaults, func(c *envConfig) {
			c.so.Concurrency, c.so.Settings = 32, consumer.DefaultSettings(32)
		})
	})
}

func backlog(t *testing.T, opts ...envOption) {
	fx := fixtures(t, nil)
	down, up := fx[0], fx[1]
	down.setSeats(2000)
	reg := vendors.NewRegistry(vendors.NewBreaker(down.vendor, vendors.BreakerConfig{}, nil),
		vendors.NewBreaker(up.vendor, vendors.BreakerConfig{}, nil))
	e := newEnv(t, append(opts, withVendors(reg), startLater)...)
	down.failAll()
	downIDs := assignAll(e, []*fixture{down}, 1500, "backlog")[down.name]
	upIDs := assignAll(e, []*fixture{up}, 50, "behind")[up.name]
	start := time.Now()
	e.start()
	for _, id := range upIDs {
		if r := e.result(id); r.Type != events.SubjectAssigned {
			t.Errorf("%s: %s %+v, want assigned", id, r.Type, r.Data.Error)
		}
	}
	took := time.Since(start)
	if n := len(e.await(0, func(r events.Result) bool { return r.Data.Vendor == down.name })); n != 0 {
		t.Fatalf("%d of the failing vendor's commands ended while it was down", n)
	}
	// Generous: without the schedules the 50 wait for the backlog's whole
	// retry budget (a day).
	if took > time.Minute {
		t.Errorf("the other vendor's 50 commands took %s behind the backlog, want under a minute", took)
	}
	// Waiting out their deferrals, the backlog's commands hold no
	// ack-pending slot.
	testproc.Eventually(t, "the backlog to leave the ack-pending set", func() bool {
		return ackPending(t, e) < 100
	})
	down.recover()
	for _, id := range downIDs {
		if r := e.result(id); r.Type != events.SubjectAssigned {
			t.Errorf("%s after recovery: %s %+v, want assigned", id, r.Type, r.Data.Error)
		}
	}
	e.settled()
	dups, lost := duplicatesAndLost(t, e, append(downIDs, upIDs...))
	t.Logf("scenario=backlog down=%d behind=%d behind_done_in=%s duplicates=%d lost=%d",
		len(downIDs), len(upIDs), took.Round(100*time.Millisecond), dups, lost)
}

// ackPending returns the worker consumer's delivered but unacked commands
// (MaxInt when it cannot tell).
func ackPending(t *testing.T, e *env) int {
	t.Helper()
	cons, err := e.js.Consumer(context.Background(), events.CommandStream, events.WorkerConsumer)
	if err != nil {
		return math.MaxInt
	}
	info, err := cons.Info(context.Background())
	if err != nil {
		return math.MaxInt
	}
	return info.NumAckPending
}

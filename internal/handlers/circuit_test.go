package handlers_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// While a vendor's circuit is open, a command for it is deferred before
// anything is read or written: no record, no hold, no vendor call. A
// backlog of a vendor in an outage then costs the worker its deferrals
// only, not a full command's bookkeeping each, and the other vendors'
// commands keep their pace. The last delivery still ends in a result, and
// once the cooldown is over the next command is let through as the probe.
func TestAnOpenCircuitDefersBeforeAnyBookkeeping(t *testing.T) {
	w := newWorld(t)
	w.fake.SetPool(account, "AAA", 5)
	for _, u := range []string{"u1", "u2", "u3"} {
		w.fake.AddUser(account, u)
	}
	h := w.replica("a", func(v vendors.Vendor) vendors.Vendor {
		return vendors.NewBreaker(v, vendors.BreakerConfig{Threshold: 3, Cooldown: 30 * time.Second, Now: w.clock.Now}, nil)
	})
	deliver := func(c events.Command, final bool) (handlers.Reply, error) {
		return h.Handle(context.Background(), handlers.Delivery{Command: c, Seq: 1, Published: time.Now(), Final: final})
	}

	w.fake.SetFailureRate(1, http.StatusServiceUnavailable)
	if _, err := deliver(cmd(events.SubjectAssign, "opens", "u1", w.clock.Now(), "AAA"), false); !errors.Is(err, vendors.ErrCircuitOpen) {
		t.Fatalf("first command against the failing vendor: %v, want deferred once the circuit opened", err)
	}
	writes, calls := w.store.writeCount()+w.ledger.writeCount(), len(w.fake.Requests())

	_, err := deliver(cmd(events.SubjectAssign, "waits", "u2", w.clock.Now(), "AAA"), false)
	var d *vendors.Deferral
	if !errors.As(err, &d) || d.Delay <= 0 || !errors.Is(err, vendors.ErrCircuitOpen) {
		t.Fatalf("command while the circuit is open: %v, want a deferral with a delay", err)
	}
	if got := w.store.writeCount() + w.ledger.writeCount() - writes; got != 0 {
		t.Errorf("the deferral wrote %d times to the buckets, want none", got)
	}
	if _, err := handlers.LookupRecord(context.Background(), w.store, "waits"); !errors.Is(err, handlers.ErrNotFound) {
		t.Errorf("record of the deferred command: %v, want none stored", err)
	}
	if got := len(w.fake.Requests()) - calls; got != 0 {
		t.Errorf("the open circuit let %d calls through", got)
	}

	reply, err := deliver(cmd(events.SubjectAssign, "last", "u3", w.clock.Now(), "AAA"), true)
	if err != nil || reply.Subject != events.SubjectFailed {
		t.Errorf("last delivery while the circuit is open: %s, %v; want a license.failed result", reply.Subject, err)
	}

	w.fake.Recover()
	w.clock.Advance(30 * time.Second)
	reply, err = deliver(cmd(events.SubjectAssign, "waits", "u2", w.clock.Now(), "AAA"), false)
	if err != nil || reply.Subject != events.SubjectAssigned {
		t.Errorf("after the cooldown: %s, %v; want the command let through as the probe and assigned", reply.Subject, err)
	}
}

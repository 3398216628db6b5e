package consumer_test

import (
	"context"
	"testing"

	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// A vendor whose circuit is open takes no share of the window: its
// commands are deferred at once, so the healthy vendor's backlog queued
// among them fills the window as a lone vendor's does, instead of its
// overflow being parked through schedules behind the rest of the stream.
func TestAnOpenCircuitTakesNoShareOfTheWindow(t *testing.T) {
	fx := fixtures(t, nil)
	up, down := fx[0], fx[2]
	broken := vendors.NewBreaker(down.vendor, vendors.BreakerConfig{}, nil)
	e := newEnv(t, withVendors(vendors.NewRegistry(up.vendor, broken)), withConcurrency(4), startLater)
	down.failAll()
	for broken.State() != vendors.CircuitOpen {
		if _, err := broken.List(context.Background(), down.vendor.DefaultAccount(), down.newUser()); err == nil {
			t.Fatal("the failing vendor answered a call")
		}
	}
	ids := assignAll(e, []*fixture{down, up}, 200, "share")
	e.start()
	for _, id := range ids[up.name] {
		if r := e.result(id); r.Type != events.SubjectAssigned {
			t.Errorf("%s: %s %+v, want assigned", id, r.Type, r.Data.Error)
		}
	}
	parked := e.logs.FilterMessage("command").FilterField(zap.String("vendor", up.name)).
		FilterField(zap.String("action", "later")).Len()
	if parked != 0 {
		t.Errorf("%d of the healthy vendor's commands were put off while the other's circuit was open, want none", parked)
	}
	if broken.State() != vendors.CircuitOpen {
		t.Fatalf("circuit %s, want still open: the test ran past the cooldown", broken.State())
	}
}

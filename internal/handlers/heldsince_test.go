package handlers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// The ledger keeps since when seatkeeper has left a user holding a seat:
// the assign that gave it. A re-sent assign that finds it held keeps the
// older time (or a daily onboarding file would keep every seat young); a
// release forgets it, and the next assign starts it again. HeldSince reads
// it with the last command's outcome folded in, which a command leaves to
// the next one to write.
func TestHeldSinceIsTheAssignThatGaveTheSeat(t *testing.T) {
	w := newWorld(t)
	w.fake.SetPool(account, "AAA", 5)
	w.fake.SetPool(account, "BBB", 5)
	w.fake.AddUser(account, "hs-user")
	h := w.replica("replica-a")
	t0 := w.clock.Now().Add(-48 * time.Hour)
	since := func() map[string]time.Time {
		t.Helper()
		got, err := handlers.HeldSince(context.Background(), w.ledger, w.store, "uipath", account, "HS-User")
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	steps := []struct {
		cmd  events.Command
		want map[string]time.Time
	}{
		{cmd(events.SubjectAssign, "hs-1", "hs-user", t0, "AAA"), map[string]time.Time{"AAA": t0}},
		{cmd(events.SubjectAssign, "hs-2", "hs-user", t0.Add(time.Hour), "AAA", "BBB"),
			map[string]time.Time{"AAA": t0, "BBB": t0.Add(time.Hour)}},
		{cmd(events.SubjectRelease, "hs-3", "hs-user", t0.Add(2*time.Hour), "AAA"), map[string]time.Time{"BBB": t0.Add(time.Hour)}},
		{cmd(events.SubjectAssign, "hs-4", "hs-user", t0.Add(3*time.Hour), "AAA"),
			map[string]time.Time{"AAA": t0.Add(3 * time.Hour), "BBB": t0.Add(time.Hour)}},
		{cmd(events.SubjectRelease, "hs-5", "hs-user", t0.Add(4*time.Hour)), map[string]time.Time{}},
	}
	for i, s := range steps {
		if r := mustHandle(t, h, s.cmd, uint64(i+1)); r.Type == events.SubjectFailed {
			t.Fatalf("%s: %+v", s.cmd.ID, r.Data.Error)
		}
		got := since()
		if len(got) != len(s.want) {
			t.Fatalf("after %s: held since %v, want %v", s.cmd.ID, got, s.want)
		}
		for code, at := range s.want {
			if !got[code].Equal(at) {
				t.Errorf("after %s: %s held since %s, want %s", s.cmd.ID, code, got[code], at)
			}
		}
	}
	// A seat the user held before seatkeeper's first assign counts from
	// that assign (already_assigned where the ledger did not record it
	// held): the ledger cannot tell how long before it was given, and errs
	// on keeping the seat. The next assign that finds it keeps that time.
	admin := uipathtest.DemoAdmin
	for i, at := range []time.Time{t0, t0.Add(time.Hour)} {
		c := cmd(events.SubjectAssign, fmt.Sprintf("hs-admin-%d", i), admin, at, "RPADEVPRONU")
		if r := mustHandle(t, h, c, uint64(10+i)); statuses(r)["RPADEVPRONU"] != events.StatusAlreadyAssigned {
			t.Fatalf("%s: %v, want already_assigned", c.ID, statuses(r))
		}
		got, err := handlers.HeldSince(context.Background(), w.ledger, w.store, "uipath", account, admin)
		if err != nil || !got["RPADEVPRONU"].Equal(t0) {
			t.Errorf("after %s: held since %v (%v), want RPADEVPRONU since %s", c.ID, got, err, t0)
		}
	}
	got, err := handlers.HeldSince(context.Background(), w.ledger, w.store, "uipath", account, "nobody")
	if err != nil || len(got) != 0 {
		t.Errorf("a user the ledger does not know: %v, %v", got, err)
	}
}

// An assign still under way (here paused right after the vendor gave the
// seat, before its record is stored) counts: its seats are held since its
// time, or a reclaim running meanwhile would judge a seat being given by
// the last use of its user's previous one.
func TestHeldSinceCountsACommandUnderWay(t *testing.T) {
	w := newWorld(t)
	w.fake.SetPool(account, "AAA", 5)
	w.fake.AddUser(account, "hs-busy")
	paused, resume := make(chan struct{}), make(chan struct{})
	h := w.replica("replica-a", func(v vendors.Vendor) vendors.Vendor {
		return hooked{Vendor: v, after: func(string) {
			close(paused)
			<-resume
		}}
	})
	at := w.clock.Now().Add(-time.Hour)
	done := make(chan struct{})
	go func() {
		defer close(done)
		mustHandle(t, h, cmd(events.SubjectAssign, "hs-busy-1", "hs-busy", at, "AAA"), 1)
	}()
	<-paused
	got, err := handlers.HeldSince(context.Background(), w.ledger, w.store, "uipath", account, "hs-busy")
	close(resume)
	<-done
	if err != nil || !got["AAA"].Equal(at) {
		t.Errorf("while the assign is under way: held since %v (%v), want AAA since %s", got, err, at)
	}
}

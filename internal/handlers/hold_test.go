package handlers_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// pausing wraps a vendor so that the first assign, once it has reached the
// vendor, runs pause before its caller carries on.
func pausing(pause func()) func(vendors.Vendor) vendors.Vendor {
	done := false
	return func(v vendors.Vendor) vendors.Vendor {
		return hooked{Vendor: v, after: func(string) {
			if !done {
				done = true
				pause()
			}
		}}
	}
}

// A second replica given a command for a user held by a live command is
// told the user is busy; it takes the hold over only once the holder's
// revision has stayed unchanged for a whole lease on its own clock, and
// never by reading a time the holder wrote.
func TestAHoldIsTakenOverOnlyAfterAWholeLeaseUnchanged(t *testing.T) {
	w := newWorld(t)
	w.fake.SetPool(account, "AAA", 5)
	w.fake.SetPool(account, "BBB", 5)
	w.fake.AddUser(account, "u1")
	b := w.replica("b")
	var during []error
	a := w.replica("a", pausing(func() {
		// A is mid-command, its hold fresh.
		_, _, err := handle(t, b, cmd(events.SubjectAssign, "b-1", "u1", base, "BBB"), 2)
		during = append(during, err)
		w.clock.Advance(lease - time.Second)
		_, _, err = handle(t, b, cmd(events.SubjectAssign, "b-1", "u1", base, "BBB"), 2)
		during = append(during, err)
	}))
	mustHandle(t, a, cmd(events.SubjectAssign, "a-1", "u1", base, "AAA"), 1)
	for i, err := range during {
		var busy *handlers.BusyError
		if !errors.As(err, &busy) {
			t.Errorf("replica B while A holds the user (try %d): %v, want BusyError", i+1, err)
		}
	}

	// A crashed holder: its hold stays, unrenewed. B waits a whole lease
	// from when it first saw it.
	w.store.setFailWrites(true)
	if _, _, err := handle(t, a, cmd(events.SubjectAssign, "a-2", "u1", base.Add(time.Minute), "AAA"), 3); err == nil {
		t.Fatal("a-2 with the idempotency bucket down: want an error")
	}
	w.store.setFailWrites(false)
	_, _, err := handle(t, b, cmd(events.SubjectAssign, "b-1", "u1", base, "BBB"), 2)
	var busy *handlers.BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("b-1 on first sight of a-2's hold: %v, want BusyError", err)
	}
	w.clock.Advance(lease - time.Millisecond)
	if _, _, err := handle(t, b, cmd(events.SubjectAssign, "b-1", "u1", base, "BBB"), 2); !errors.As(err, &busy) {
		t.Fatalf("b-1 just short of a lease: %v, want BusyError", err)
	}
	w.clock.Advance(time.Millisecond)
	r := mustHandle(t, b, cmd(events.SubjectAssign, "b-1", "u1", base, "BBB"), 2)
	if got := statuses(r)["BBB"]; got != events.StatusAssigned {
		t.Errorf("b-1 after taking over: %s, want assigned", got)
	}
}

// A holder whose renewals fail stops before its next vendor write once it
// can no longer show the hold is its own, and publishes nothing.
func TestAHolderThatCannotRenewStopsBeforeItsNextVendorWrite(t *testing.T) {
	w := newWorld(t)
	w.fake.SetPool(account, "AAA", 5)
	w.fake.AddUser(account, "u1")
	w.fake.FailNext(503, 1, 0)
	calls := 0
	a := w.replica("a", func(v vendors.Vendor) vendors.Vendor {
		return hooked{Vendor: v, after: func(string) {
			calls++
			if calls == 1 {
				// The first attempt failed at the vendor; meanwhile the
				// ledger stops answering for longer than the hold is
				// trusted.
				w.ledger.setFailWrites(true)
				w.clock.Advance(lease)
			}
		}}
	})
	_, _, err := handle(t, a, cmd(events.SubjectAssign, "a-1", "u1", base, "AAA"), 1)
	if !errors.Is(err, handlers.ErrClaimLost) {
		t.Fatalf("a-1: %v, want ErrClaimLost", err)
	}
	if calls != 1 {
		t.Errorf("the vendor was called %d times, want once: no attempt after the hold lapsed", calls)
	}
	if got := w.fake.Held(account, "u1"); len(got) != 0 {
		t.Errorf("u1 holds %v, want nothing", got)
	}
}

// The review's scenario: replica A's store writes fail for longer than its
// lease while it works on a newer command; replica B takes the user over
// for an older one. The older never undoes the newer, A publishes no
// success it did not keep, and the newer, delivered again, stands.
func TestALapsedNewerCommandIsNeverUndoneByAnOlderOne(t *testing.T) {
	w := newWorld(t)
	w.fake.SetPool(account, "AAA", 5)
	w.fake.AddUser(account, "u1")
	newer := cmd(events.SubjectAssign, "newer", "u1", base.Add(time.Minute), "AAA")
	older := cmd(events.SubjectRelease, "older", "u1", base, "AAA")
	b := w.replica("b")
	var olderResult events.Result
	a := w.replica("a", pausing(func() {
		// A has assigned AAA at the vendor; now its stores stop
		// answering, for longer than a lease.
		w.ledger.setFailWrites(true)
		w.store.setFailWrites(true)
		w.clock.Advance(lease / 3)
		w.clock.Advance(lease / 3)
		// B sees A's hold, waits a whole lease, and takes the user over
		// for the older release. Its own writes reach the stores.
		w.ledger.setFailWrites(false)
		w.store.setFailWrites(false)
		if _, _, err := handle(t, b, older, 1); err == nil {
			t.Error("older on first sight of A's hold: want BusyError")
		}
		w.ledger.setFailWrites(true)
		w.store.setFailWrites(true)
		w.clock.Advance(lease)
		w.ledger.setFailWrites(false)
		w.store.setFailWrites(false)
		olderResult = mustHandle(t, b, older, 1)
	}))
	_, reply, err := handle(t, a, newer, 2)
	if err == nil {
		t.Errorf("replica A published %s for the newer assign after losing its hold; want no result", reply.Subject)
	}
	if got := statuses(olderResult)["AAA"]; got != events.StatusSkippedSuperseded {
		t.Errorf("older release taken over from a lapsed newer assign: %s, want skipped_superseded", got)
	}
	if got := w.fake.Held(account, "u1"); !slices.Equal(got, []string{"AAA"}) {
		t.Errorf("u1 holds %v after the older release, want [AAA]: the newer assign stands", got)
	}
	// The newer command, delivered again, ends in a result that is true.
	r := mustHandle(t, w.replica("a"), newer, 2)
	if got := statuses(r)["AAA"]; got != events.StatusAlreadyAssigned && got != events.StatusAssigned {
		t.Errorf("newer delivered again: %s, want assigned or already_assigned", got)
	}
	if got := w.fake.Held(account, "u1"); !slices.Equal(got, []string{"AAA"}) {
		t.Errorf("u1 holds %v at the end, want [AAA]", got)
	}
}

// A successful command's record is its only write besides its hold: it
// leaves its user held, and the next command folds its outcome in from
// its stored result, at once, without waiting out a lease.
func TestTheHappyPathWritesTheHoldAndTheRecordOnly(t *testing.T) {
	w := newWorld(t)
	w.fake.SetPool(account, "AAA", 5)
	w.fake.AddUser(account, "u1")
	h := w.replica("a")
	mustHandle(t, h, cmd(events.SubjectAssign, "hire", "u1", base.Add(time.Minute), "AAA"), 2)
	if got := w.store.writeCount() + w.ledger.writeCount(); got != 2 {
		t.Errorf("an assign made %d bucket writes, want 2 (hold and record)", got)
	}
	stale := mustHandle(t, w.replica("b"), cmd(events.SubjectRelease, "stale", "u1", base, "AAA"), 1)
	if got := statuses(stale)["AAA"]; got != events.StatusSkippedSuperseded {
		t.Errorf("older release on another replica right after: %s, want skipped_superseded", got)
	}
	if got := w.fake.Held(account, "u1"); !slices.Equal(got, []string{"AAA"}) {
		t.Errorf("u1 holds %v, want [AAA]", got)
	}
}

// One user spelled two ways (case, the default account left out) is one
// seat holder: one ledger entry, whose order covers both spellings.
func TestOneUserInTwoSpellingsIsOneSeatHolder(t *testing.T) {
	w := newWorld(t)
	w.fake.SetPool(account, "AAA", 5)
	w.fake.AddUser(account, "u1")
	// The fake compares ids exactly; UiPath user ids are GUIDs, which the
	// vendor does not. The superseded release only reads U1's licenses.
	w.fake.AddUser(account, "U1")
	a, b := w.replica("a"), w.replica("b")
	mustHandle(t, a, cmd(events.SubjectAssign, "hire", "u1", base.Add(time.Minute), "AAA"), 2)
	stale := cmd(events.SubjectRelease, "stale", "U1", base, "AAA")
	stale.Data.Account = ""
	r := mustHandle(t, b, stale, 1)
	if got := statuses(r)["AAA"]; got != events.StatusSkippedSuperseded {
		t.Errorf("older release for U1 without its account: %s, want skipped_superseded", got)
	}
	if got := w.ledger.keyList(); len(got) != 1 {
		t.Errorf("ledger keys %v, want one", got)
	}
	if a.LaneKey(stale) != a.LaneKey(cmd(events.SubjectAssign, "x", "u1", base)) {
		t.Error("the two spellings run in different lanes")
	}
}

// A user to whom nothing was applied has no ledger entry.
func TestNoLedgerEntryWhenNothingWasApplied(t *testing.T) {
	w := newWorld(t)
	h := w.replica("a")
	r := mustHandle(t, h, cmd(events.SubjectAssign, "ghost", "no-such-user", base, "AAA"), 1)
	if r.Data.Error == nil {
		t.Fatalf("assign to an unknown user: %s, want a failure", r.Type)
	}
	if got := w.ledger.keyList(); len(got) != 0 {
		t.Errorf("ledger keys %v, want none", got)
	}
}

// The ledger key names vendor, account and user readably, escaping only
// what KV keys forbid, and one key names one (account, user) pair.
func TestLedgerKeysAreReadable(t *testing.T) {
	for _, tc := range []struct{ account, user, want string }{
		{"0f8c-11", "jane.doe@contoso.com", "m365.0f8c-11.jane.doe=40contoso.com"},
		{"a.b", "c", "m365.a=2Eb.c"},
		{"a", "b.c", "m365.a.b.c"},
		{"t", ".x..y.", "m365.t.=2Ex.=2Ey=2E"},
		{"t", "a=b c", "m365.t.a=3Db=20c"},
	} {
		if got := handlers.LedgerKey("m365", tc.account, tc.user); got != tc.want {
			t.Errorf("LedgerKey(m365, %q, %q) = %q, want %q", tc.account, tc.user, got, tc.want)
		}
	}
}

var _ = context.Background

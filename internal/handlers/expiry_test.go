package handlers_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
)

// A release says which of the seats it freed can have no expiry pending,
// so that no schedule is cancelled where none can be: a seat assigned
// without until, or never recorded. A seat an assign with until was
// applied to is not among them, on any replica, nor is one whose ledger
// record an earlier build wrote (it may have scheduled an expiry).
func TestAReleaseKnowsWhereNoExpiryIsPending(t *testing.T) {
	w := newWorld(t)
	w.pools("u1", "AAA", "BBB", "CCC")
	a, b := w.replica("a"), w.replica("b")
	mustHandle(t, a, cmd(events.SubjectAssign, "plain", "u1", base, "AAA"), 1)
	timed := cmd(events.SubjectAssign, "timed", "u1", base.Add(time.Minute), "BBB")
	timed.Data.Until = base.Add(30 * 24 * time.Hour)
	mustHandle(t, a, timed, 2)
	// Replica b folds in what a did from the stored records.
	_, reply, err := handle(t, b, cmd(events.SubjectRelease, "leave", "u1", base.Add(2*time.Minute), "AAA", "BBB", "CCC"), 3)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"AAA", "CCC"}; !slices.Equal(reply.Unscheduled, want) {
		t.Errorf("release after a plain and a timed assign: unscheduled %v, want %v", reply.Unscheduled, want)
	}
	// Released, BBB has no expiry pending any more.
	mustHandle(t, a, cmd(events.SubjectAssign, "again", "u1", base.Add(3*time.Minute), "BBB"), 4)
	_, reply, err = handle(t, a, cmd(events.SubjectRelease, "leave-again", "u1", base.Add(4*time.Minute), "BBB"), 5)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"BBB"}; !slices.Equal(reply.Unscheduled, want) {
		t.Errorf("release after release and a plain assign: unscheduled %v, want %v", reply.Unscheduled, want)
	}
}

// A seat an earlier build recorded (no expiry state) and a hold an earlier
// build left (no expiry state) may stand for an assign with until: a
// release there cancels as before.
func TestAnEarlierBuildsLedgerLeavesExpiriesToCancel(t *testing.T) {
	w := newWorld(t)
	w.pools("u1", "AAA", "BBB")
	h := w.replica("a")
	// The earlier build's entry: AAA recorded without expiry state, and
	// the hold of a finished assign of BBB without it either.
	mustHandle(t, h, cmd(events.SubjectAssign, "old-aaa", "u1", base, "AAA"), 1)
	mustHandle(t, h, cmd(events.SubjectAssign, "old-bbb", "u1", base.Add(time.Minute), "BBB"), 2)
	key := handlers.LedgerKey("uipath", account, "u1")
	raw, rev, err := w.ledger.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	var entry map[string]any
	if err := jsonUnmarshal(raw, &entry); err != nil {
		t.Fatal(err)
	}
	for _, s := range entry["seats"].(map[string]any) {
		delete(s.(map[string]any), "expiry")
	}
	delete(entry["hold"].(map[string]any), "expiry")
	if _, err := w.ledger.Update(context.Background(), key, mustJSON(t, entry), rev); err != nil {
		t.Fatal(err)
	}
	_, reply, err := handle(t, w.replica("b"), cmd(events.SubjectRelease, "leave", "u1", base.Add(2*time.Minute), "AAA", "BBB"), 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(reply.Unscheduled) != 0 {
		t.Errorf("release over an earlier build's ledger: unscheduled %v, want none", reply.Unscheduled)
	}
}

// A worker's next command for a user whose hold it left in place needs no
// read of the ledger entry: it writes its hold over the revision it wrote
// last. If another replica changed the entry meanwhile, that write fails
// and the entry is read after all, and the outcome is the same.
func TestTheNextCommandOfAUserReusesTheEntryItsWorkerWrote(t *testing.T) {
	w := newWorld(t)
	w.pools("u1", "AAA", "BBB", "CCC")
	a, b := w.replica("a"), w.replica("b")
	mustHandle(t, a, cmd(events.SubjectAssign, "first", "u1", base, "AAA"), 1)
	reads := w.ledger.readCount()
	mustHandle(t, a, cmd(events.SubjectAssign, "second", "u1", base.Add(time.Minute), "BBB"), 2)
	if n := w.ledger.readCount() - reads; n != 0 {
		t.Errorf("the user's next command on the same worker read the ledger %d times, want 0", n)
	}
	// b changes the user; a's remembered revision is stale now.
	mustHandle(t, b, cmd(events.SubjectRelease, "b-release", "u1", base.Add(2*time.Minute), "AAA"), 3)
	reads = w.ledger.readCount()
	stale := mustHandle(t, a, cmd(events.SubjectAssign, "stale", "u1", base.Add(90*time.Second), "AAA"), 4)
	if n := w.ledger.readCount() - reads; n == 0 {
		t.Errorf("after another replica changed the user, the ledger was not read")
	}
	if got := statuses(stale)["AAA"]; got != events.StatusSkippedSuperseded {
		t.Errorf("assign older than b's release of AAA: %s, want skipped_superseded", got)
	}
	if got := w.fake.Held(account, "u1"); !slices.Equal(got, []string{"BBB"}) {
		t.Errorf("u1 holds %v, want [BBB]", got)
	}
}

// pools gives the world's account a pool of 5 seats of each code and the
// user user.
func (w *world) pools(user string, codes ...string) {
	for _, code := range codes {
		w.fake.SetPool(account, code, 5)
	}
	w.fake.AddUser(account, user)
}

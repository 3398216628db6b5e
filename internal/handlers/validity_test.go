package handlers_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
)

// A command two hours ahead of the worker's clock is invalid_command: the
// vendor is untouched, nothing is stored, and the user's next normal
// command is applied (a mistyped year does not freeze the user).
func TestAFutureTimeIsInvalid(t *testing.T) {
	w := newWorld(t)
	w.fake.SetPool(account, "AAA", 5)
	w.fake.AddUser(account, "u1")
	h := w.replica("a")
	calls := len(w.fake.Requests())
	future := cmd(events.SubjectRelease, "typo", "u1", w.clock.Now().Add(2*time.Hour), "AAA")
	r := mustHandle(t, h, future, 1)
	if r.Data.Error == nil || r.Data.Error.Code != events.CodeInvalidCommand || !strings.Contains(r.Data.Error.Message, future.Time.Format(time.RFC3339)) {
		t.Errorf("command 2 h ahead: %s %+v, want invalid_command naming its time", r.Type, r.Data.Error)
	}
	if n := len(w.fake.Requests()) - calls; n != 0 {
		t.Errorf("the vendor got %d calls, want none", n)
	}
	if got := append(w.store.keyList(), w.ledger.keyList()...); len(got) != 0 {
		t.Errorf("stored %v, want nothing", got)
	}
	next := mustHandle(t, h, cmd(events.SubjectAssign, "next", "u1", w.clock.Now(), "AAA"), 2)
	if got := statuses(next)["AAA"]; got != events.StatusAssigned {
		t.Errorf("the next command: %s, want assigned", got)
	}
	// Within the allowed skew is fine.
	soon := mustHandle(t, h, cmd(events.SubjectRelease, "soon", "u1", w.clock.Now().Add(4*time.Minute), "AAA"), 3)
	if got := statuses(soon)["AAA"]; got != events.StatusReleased {
		t.Errorf("a command 4 min ahead: %s %+v, want released", got, soon.Data.Error)
	}
}

// The same id with another meaning is idempotency_conflict: the vendor is
// not called, the first command's record stands, and the failure has its
// own result id. The same meaning in another spelling replays.
func TestAnIDReusedForAnotherCommandIsAConflict(t *testing.T) {
	w := newWorld(t)
	w.fake.SetPool(account, "AAA", 5)
	w.fake.AddUser(account, "u1")
	h := w.replica("a")
	first := cmd(events.SubjectRelease, "id-1", "u1", base, "AAA")
	_, firstReply, err := handle(t, h, first, 1)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := handlers.LookupRecord(t.Context(), w.store, "id-1")
	calls := len(w.fake.Requests())

	other := cmd(events.SubjectAssign, "id-1", "u1", base, "AAA")
	r, reply, err := handle(t, h, other, 2)
	if err != nil {
		t.Fatal(err)
	}
	if r.Data.Error == nil || r.Data.Error.Code != events.CodeIdempotencyConflict {
		t.Fatalf("id-1 reused for an assign: %s %+v, want idempotency_conflict", r.Type, r.Data.Error)
	}
	if want := handlers.ConflictID("id-1", handlers.Digest(other)); reply.ID != want || r.ID != want || !strings.HasPrefix(want, "id-1/conflict-") {
		t.Errorf("conflict result id %q (event %q), want %q", reply.ID, r.ID, want)
	}
	if n := len(w.fake.Requests()) - calls; n != 0 {
		t.Errorf("the vendor got %d calls, want none", n)
	}
	again, _ := handlers.LookupRecord(t.Context(), w.store, "id-1")
	if !slices.Equal(again.Result, stored.Result) {
		t.Error("the first command's stored result changed")
	}

	same := first
	same.Data.Account, same.Data.User, same.Data.Licenses = "", "U1", []string{"AAA", "AAA"}
	same.Source, same.Time = "hr/other", base.Add(time.Hour)
	_, replay, err := handle(t, h, same, 3)
	if err != nil || !replay.Replayed || string(replay.Payload) != string(firstReply.Payload) {
		t.Errorf("id-1 again with the same meaning, spelled otherwise: replayed %v, err %v; want the first result replayed", replay.Replayed, err)
	}
}

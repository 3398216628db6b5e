package consumer_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
)

// A command id re-published (past the duplicate window) for another
// command is idempotency_conflict: the vendor is not called, and the
// original result stays as it was, in the bucket and in LICENSE_EVENTS.
func TestAnIDReusedWithAnotherPayloadIsAConflict(t *testing.T) {
	e := newEnv(t)
	e.fake.AddUser(account, "conflict-user")
	first := command(events.SubjectAssign, "conflict-1", "conflict-user", "ATTUNU")
	e.publish(first, "")
	original := e.result(first.ID)
	e.settled() // the record is stored after the result is published, before the ack
	stored, err := handlers.LookupRecord(context.Background(), commandStore(e), first.ID)
	if err != nil {
		t.Fatal(err)
	}
	calls := len(e.fake.Requests())

	other := command(events.SubjectRelease, first.ID, "conflict-user", "ATTUNU")
	e.publish(other, "conflict-1-again") // another Nats-Msg-Id: as if past the window
	got := e.await(1, func(r events.Result) bool { return r.Type == events.SubjectFailed && r.Data.CommandID == first.ID })[0].res
	if got.Data.Error == nil || got.Data.Error.Code != events.CodeIdempotencyConflict || !strings.HasPrefix(got.ID, first.ID+"/conflict-") {
		t.Fatalf("reused id: %s %s %+v, want idempotency_conflict with id %s/conflict-<digest>", got.Type, got.ID, got.Data.Error, first.ID)
	}
	if n := len(e.fake.Requests()) - calls; n != 0 {
		t.Errorf("the vendor got %d calls, want none", n)
	}
	again, err := handlers.LookupRecord(context.Background(), commandStore(e), first.ID)
	if err != nil || !slices.Equal(again.Result, stored.Result) {
		t.Errorf("the stored result of %s changed (err %v)", first.ID, err)
	}
	e.settled()
	trail := testproc.StoredResults(t, e.js)[first.ID]
	if want := []string{original.Type, events.SubjectFailed}; !slices.Equal(trail, want) {
		t.Errorf("LICENSE_EVENTS holds %v for %s, want %v: the original once, then the conflict", trail, first.ID, want)
	}
}

// commandStore is the running worker's idempotency bucket.
func commandStore(e *env) handlers.Store { return consumer.KVStore{KV: e.svc.Commands} }

package handlers_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// counting wraps a vendor so that every assign and release is counted.
func counting(n *int) func(vendors.Vendor) vendors.Vendor {
	return func(v vendors.Vendor) vendors.Vendor {
		return hooked{Vendor: v, after: func(string) { *n++ }}
	}
}

// A delivery that publishes its own result publishes it before storing
// it, and stores it once, marked published: the happy path writes the hold
// and the record only, and a replay of the command knows without another
// write that its result is in the stream.
func TestAPublishedResultIsStoredOnceMarkedPublished(t *testing.T) {
	w := newWorld(t)
	w.fake.SetPool(account, "AAA", 5)
	w.fake.AddUser(account, "u1")
	h := w.replica("a")
	c := cmd(events.SubjectAssign, "hire", "u1", base, "AAA")
	published := 0
	d := handlers.Delivery{Command: c, Seq: 1, Published: base, Publish: func(_ context.Context, r handlers.Reply) error {
		published++
		if _, err := handlers.LookupRecord(context.Background(), w.store, "hire"); !errors.Is(err, handlers.ErrNotFound) {
			t.Errorf("the record was read as %v while its result was published, want not stored yet", err)
		}
		return nil
	}}
	reply, err := h.Handle(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if !reply.Published || reply.Replayed || published != 1 {
		t.Errorf("reply published=%v replayed=%v after %d publishes, want published once, not replayed", reply.Published, reply.Replayed, published)
	}
	if got := w.store.writeCount() + w.ledger.writeCount(); got != 2 {
		t.Errorf("an assign that publishes its result made %d bucket writes, want 2 (hold and record)", got)
	}
	d.Seq = 9 // the command published again, days later
	again, err := h.Handle(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replayed || !again.Published || published != 1 || string(again.Payload) != string(reply.Payload) {
		t.Errorf("replay: replayed=%v published=%v, %d publishes, same bytes %v; want a replay known to be published, nothing published again",
			again.Replayed, again.Published, published, string(again.Payload) == string(reply.Payload))
	}
}

// A result that could not be published is stored unpublished and the
// failure returned: the next delivery replays it for publishing, without
// calling the vendor again.
func TestAResultThatCouldNotBePublishedIsStoredUnpublished(t *testing.T) {
	w := newWorld(t)
	w.fake.SetPool(account, "AAA", 5)
	w.fake.AddUser(account, "u1")
	calls := 0
	h := w.replica("a", counting(&calls))
	c := cmd(events.SubjectAssign, "hire", "u1", base, "AAA")
	full := errors.New("stream full")
	d := handlers.Delivery{Command: c, Seq: 1, Published: base, Publish: func(context.Context, handlers.Reply) error {
		return full
	}}
	if _, err := h.Handle(context.Background(), d); !errors.Is(err, full) {
		t.Fatalf("publish failed: Handle returned %v, want the publish error", err)
	}
	w.clock.Advance(time.Second)
	again, err := h.Handle(context.Background(), handlers.Delivery{Command: c, Seq: 1, Published: base})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Replayed || again.Published || again.Subject != events.SubjectAssigned {
		t.Errorf("next delivery: %s replayed=%v published=%v, want the stored license.assigned replayed, not yet published",
			again.Subject, again.Replayed, again.Published)
	}
	if calls != 1 {
		t.Errorf("the vendor was called %d times, want once", calls)
	}
}

package consumer_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// A worker whose vendor calls outlast its hold's lease keeps the hold
// alive, so a second replica given the same command meanwhile is told it is
// busy instead of running it too; once the first finishes, the second
// replays its result.
func TestLongRunningCommandKeepsItsClaim(t *testing.T) {
	js := newJS(t)
	ctx := context.Background()
	res, err := consumer.Setup(ctx, js, consumer.DefaultSettings(4))
	if err != nil {
		t.Fatal(err)
	}
	fake := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	fake.SetLatency(time.Second) // a read and a write: 2 s, twice the lease
	client := uipathClient(t, fake)
	replica := func(owner string) *handlers.Handler {
		return handlers.New(handlers.Options{
			Store: consumer.KVStore{KV: res.Commands}, Ledger: consumer.KVStore{KV: res.Ledger},
			Vendors: vendors.NewRegistry(client), Policy: testPolicy(), Owner: owner, Lease: time.Second,
		})
	}
	a, b := replica("replica-a"), replica("replica-b")
	d := handlers.Delivery{Command: command(events.SubjectAssign, "long-1", user1, "ATTUNU"), Seq: 1, Published: time.Now()}

	// The command's hold on its user is its claim.
	key := handlers.LedgerKey("uipath", account, user1)
	watch, err := res.Ledger.Watch(ctx, key, jetstream.UpdatesOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Stop()
	type outcome struct {
		reply handlers.Reply
		err   error
	}
	first := make(chan outcome, 1)
	go func() {
		r, err := a.Handle(ctx, d)
		first <- outcome{r, err}
	}()
	// The hold is written, then renewed by A's lease keeper; wait for a
	// renewal and for the hold's first lease to have run out.
	var claimedAt time.Time
	for renewals := 0; renewals < 2; {
		select {
		case u := <-watch.Updates():
			if u == nil {
				continue
			}
			if claimedAt.IsZero() {
				claimedAt = time.Now()
			}
			renewals++
		case <-time.After(30 * time.Second):
			t.Fatal("the hold was never renewed")
		}
	}
	if wait := time.Until(claimedAt.Add(time.Second)); wait > 0 {
		<-time.After(wait)
	}
	_, err = b.Handle(ctx, d)
	var busy *handlers.BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("replica B, with A's hold renewed past its first lease: err = %v, want BusyError", err)
	}
	got := <-first
	if got.err != nil {
		t.Fatalf("replica A: %v", got.err)
	}
	again, err := b.Handle(ctx, d)
	if err != nil || !again.Replayed || string(again.Payload) != string(got.reply.Payload) {
		t.Errorf("replica B after A finished: replayed %v, err %v; want A's result replayed", again.Replayed, err)
	}
	if n := len(fake.Requests()); n != 2 {
		t.Errorf("the vendor got %d calls, want A's read and write only", n)
	}
}

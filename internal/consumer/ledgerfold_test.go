package consumer_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// A successful assign leaves its hold on its user in the ledger (releasing
// it would cost a write); the next command, on another replica, folds its
// stored outcome in at once: a release older than the assign is
// skipped_superseded without waiting out the hold's lease, and the ledger
// then records the assign as the newest command applied to its seat.
func TestAnEndedHoldIsFoldedIn(t *testing.T) {
	ctx := context.Background()
	res, err := consumer.Setup(ctx, newJS(t), consumer.DefaultSettings(4))
	if err != nil {
		t.Fatal(err)
	}
	fake := uipathtest.NewServer(t, uipathtest.Options{})
	fake.SetPool(account, "TSTNU", 1)
	fake.AddUser(account, "fold-user")
	client := uipathClient(t, fake)
	handler := func(owner string) *handlers.Handler {
		return handlers.New(handlers.Options{
			Store: consumer.KVStore{KV: res.Commands}, Ledger: consumer.KVStore{KV: res.Ledger}, Vendors: vendors.NewRegistry(client),
			Policy: testPolicy(), Owner: owner, Lease: time.Hour,
		})
	}
	hired := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

	assign := command(events.SubjectAssign, "fold-assign", "fold-user", "TSTNU")
	assign.Time = hired
	reply, err := handler("replica-a").Handle(ctx, handlers.Delivery{Command: assign, Seq: 1})
	if err != nil || reply.Subject != events.SubjectAssigned {
		t.Fatalf("assign: %s, %v; want license.assigned", reply.Subject, err)
	}
	if e := ledgerEntry(t, res.Ledger); e.Hold.Command != assign.ID {
		t.Fatalf("ledger entry %+v: want it still held by %s", e, assign.ID)
	}

	stale := command(events.SubjectRelease, "fold-stale-release", "fold-user", "TSTNU")
	stale.Time = hired.Add(-time.Minute)
	writes := fake.Writes()
	reply, err = handler("replica-b").Handle(ctx, handlers.Delivery{Command: stale, Seq: 2})
	if err != nil {
		t.Fatalf("stale release: %v; want a result at once (the assign has ended)", err)
	}
	var r events.Result
	if err := json.Unmarshal(reply.Payload, &r); err != nil {
		t.Fatal(err)
	}
	if got := statuses(r)["TSTNU"]; got != events.StatusSkippedSuperseded {
		t.Errorf("stale release: TSTNU %s, want %s", got, events.StatusSkippedSuperseded)
	}
	if n := fake.Writes() - writes; n != 0 {
		t.Errorf("the stale release made %d writes at the vendor, want 0", n)
	}
	if held := fake.Held(account, "fold-user"); !slices.Equal(held, []string{"TSTNU"}) {
		t.Errorf("fold-user holds %v, want [TSTNU]: the newer assign stands", held)
	}
	e := ledgerEntry(t, res.Ledger)
	if s := e.Seats["TSTNU"]; e.Hold.Command != "" || !s.Time.Equal(hired) || s.Command != assign.ID || !slices.Equal(e.Assigned, []string{"TSTNU"}) {
		t.Errorf("ledger entry %+v: want no hold, the assign recorded as the newest on TSTNU, TSTNU assigned", e)
	}
}

type ledgerView struct {
	Hold struct {
		Command string `json:"command"`
	} `json:"hold"`
	Seats map[string]struct {
		Time    time.Time `json:"time"`
		Command string    `json:"command"`
	} `json:"seats"`
	Assigned []string `json:"assigned"`
}

// ledgerEntry reads fold-user's entry of the ledger bucket.
func ledgerEntry(t *testing.T, kv jetstream.KeyValue) ledgerView {
	t.Helper()
	key := handlers.LedgerKey("uipath", account, "fold-user")
	entry, err := kv.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("ledger %s: %v", key, err)
	}
	var v ledgerView
	if err := json.Unmarshal(entry.Value(), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

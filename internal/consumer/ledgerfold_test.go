package consumer_test

import (
	"context"
	"encoding/json"
	"errors"
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

// An assign whose release of its user never lands (the ledger write fails
// after the vendor call, the result is stored) still counts as applied: a
// release older than it, coming next, is skipped_superseded at once instead
// of waiting out the assign's hold and then undoing it.
func TestAReleaseThatNeverLandedIsFoldedIn(t *testing.T) {
	ctx := context.Background()
	res, err := consumer.Setup(ctx, newJS(t), consumer.DefaultSettings(4))
	if err != nil {
		t.Fatal(err)
	}
	fake := uipathtest.NewServer(t, uipathtest.Options{})
	fake.SetPool(account, "TSTNU", 1)
	fake.AddUser(account, "fold-user")
	client := uipathClient(t, fake)
	ledger := consumer.KVStore{KV: res.Ledger}
	handler := func(l handlers.Store) *handlers.Handler {
		return handlers.New(handlers.Options{
			Store: consumer.KVStore{KV: res.Commands}, Ledger: l, Vendors: vendors.NewRegistry(client),
			Policy: testPolicy(), Owner: "fold-test", Lease: time.Hour,
		})
	}
	hired := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

	assign := command(events.SubjectAssign, "fold-assign", "fold-user", "TSTNU")
	assign.Time = hired
	failing := &refuseRelease{Store: ledger}
	reply, err := handler(failing).Handle(ctx, handlers.Delivery{Command: assign, Seq: 1})
	if err != nil || reply.Subject != events.SubjectAssigned {
		t.Fatalf("assign: %s, %v; want license.assigned", reply.Subject, err)
	}
	if failing.refused != 1 {
		t.Fatalf("the store refused %d releases of the user, want 1", failing.refused)
	}
	if e := ledgerEntry(t, res.Ledger); e.BusyBy != assign.ID {
		t.Fatalf("ledger entry %+v: want it still held by %s, as the failed release left it", e, assign.ID)
	}

	stale := command(events.SubjectRelease, "fold-stale-release", "fold-user", "TSTNU")
	stale.Time = hired.Add(-time.Minute)
	writes := fake.Writes()
	reply, err = handler(ledger).Handle(ctx, handlers.Delivery{Command: stale, Seq: 2})
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
	if e := ledgerEntry(t, res.Ledger); e.BusyBy != "" || !e.LastTime.Equal(hired) || e.LastCommand != assign.ID {
		t.Errorf("ledger entry %+v: want no hold and the assign recorded as the last applied", e)
	}
}

// refuseRelease is the ledger store with one failure injected: it refuses
// the write that releases a user, as an unreachable NATS would.
type refuseRelease struct {
	handlers.Store
	refused int
}

func (s *refuseRelease) Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error) {
	var e struct {
		BusyBy string `json:"busy_by"`
	}
	if err := json.Unmarshal(value, &e); err == nil && e.BusyBy == "" {
		s.refused++
		return 0, errors.New("nats: timeout")
	}
	return s.Store.Update(ctx, key, value, rev)
}

type ledgerView struct {
	BusyBy      string    `json:"busy_by"`
	LastTime    time.Time `json:"last_time"`
	LastCommand string    `json:"last_command"`
}

// ledgerEntry reads the only entry of the ledger bucket.
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

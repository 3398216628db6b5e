package consumer_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365/m365test"
)

// One Microsoft 365 user addressed in several spellings (the UPN in
// another case, the tenant left to its default, its object id) through two
// replicas is one seat holder: its commands are ordered as one (no command
// is applied after a newer one; the newest stands, whatever the delivery
// order), and the ledger has one entry for it, under the object id.
func TestOneUserInEverySpellingThroughTwoReplicas(t *testing.T) {
	fx := m365Fixture(t, nil)
	e := newEnv(t, startLater, withVendors(registry([]*fixture{fx})))
	oid := fx.newUser()
	upn := "fx1@contoso.example"
	spell := []func(*events.Command){
		func(c *events.Command) { c.Data.User, c.Data.Account = upn, m365test.TenantID },
		func(c *events.Command) { c.Data.User, c.Data.Account = strings.ToUpper(upn), "" },
		func(c *events.Command) { c.Data.User, c.Data.Account = oid, "" },
	}
	const n = 21 // alternating assign and release; the newest is an assign
	base := time.Now().Add(-time.Hour)
	var ids []string
	for k := range n {
		i := k * 8 % n // published out of time order
		typ := events.SubjectAssign
		if i%2 == 1 {
			typ = events.SubjectRelease
		}
		c := events.NewCommand(typ, "test/hr", fmt.Sprintf("spell-%02d", i), base.Add(time.Duration(i)*time.Minute),
			events.CommandData{Vendor: "m365", Licenses: []string{fx.code}})
		spell[k%len(spell)](&c)
		e.publish(c, "")
		ids = append(ids, c.ID)
	}
	e.start()
	e.startReplica("test-worker-2")
	var applied []events.Result // the commands that changed or checked the seat
	for _, id := range ids {
		r := e.result(id)
		if r.Data.Error != nil {
			t.Errorf("%s: %+v", id, r.Data.Error)
		}
		if len(r.Data.Licenses) == 1 && r.Data.Licenses[0].Status != events.StatusSkippedSuperseded {
			applied = append(applied, r)
		}
	}
	// One at a time, so the order of their results is the order they were
	// applied in; per-seat ordering makes that the order of their times.
	slices.SortFunc(applied, func(a, b events.Result) int { return a.Time.Compare(b.Time) })
	for i := 1; i < len(applied); i++ {
		if applied[i].Data.CommandID < applied[i-1].Data.CommandID {
			t.Errorf("%s was applied after the newer %s", applied[i].Data.CommandID, applied[i-1].Data.CommandID)
		}
	}
	held := fx.held(upn)
	if !slices.Equal(held, []string{fx.code}) {
		t.Errorf("the user holds %v, want [%s]: the newest command was an assign", held, fx.code)
	}
	keys, err := e.svc.Ledger.ListKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	for k := range keys.Keys() {
		entries = append(entries, k)
	}
	if want := handlers.LedgerKey("m365", strings.ToLower(m365test.TenantID), oid); !slices.Equal(entries, []string{want}) {
		t.Errorf("ledger entries %v, want one: %s", entries, want)
	}
	e.settled()
	dups, lost := duplicatesAndLost(t, e, ids)
	t.Logf("scenario=three-spellings commands=%d replicas=2 applied=%d held=%v ledger_entries=%d duplicates=%d lost=%d",
		n, len(applied), held, len(entries), dups, lost)
}

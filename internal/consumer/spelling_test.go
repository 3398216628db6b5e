package consumer_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365/m365test"
)

// One Microsoft 365 user addressed in two spellings (the UPN in another
// case, the tenant left to its default) through two replicas is one seat
// holder: its commands are ordered as one (the newest stands, whatever the
// delivery order), and the ledger has one entry for it.
func TestOneUserInTwoSpellingsThroughTwoReplicas(t *testing.T) {
	fx := m365Fixture(t, nil)
	e := newEnv(t, startLater, withVendors(registry([]*fixture{fx})))
	fx.newUser()
	upn := "fx1@contoso.example"
	spell := []func(*events.Command){
		func(c *events.Command) { c.Data.User, c.Data.Account = upn, m365test.TenantID },
		func(c *events.Command) { c.Data.User, c.Data.Account = strings.ToUpper(upn), "" },
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
		spell[k%2](&c)
		e.publish(c, "")
		ids = append(ids, c.ID)
	}
	e.start()
	e.startReplica("test-worker-2")
	for _, id := range ids {
		if r := e.result(id); r.Data.Error != nil {
			t.Errorf("%s: %+v", id, r.Data.Error)
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
	if len(entries) != 1 {
		t.Errorf("ledger entries %v, want one", entries)
	}
	e.settled()
	dups, lost := duplicatesAndLost(t, e, ids)
	t.Logf("scenario=two-spellings commands=%d replicas=2 held=%v ledger_entries=%d duplicates=%d lost=%d", n, held, len(entries), dups, lost)
}

package consumer_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// assign / release / assign for each of 200 users, published in order with
// increasing time, across 2 replicas: the vendor's final state is the last
// command's for every user; stale commands re-published afterwards are
// skipped_superseded and change nothing.
func TestOrderPerUserAcrossReplicas(t *testing.T) {
	const users = 200
	e := newEnv(t, startLater)
	e.fake.SetPool(account, "TSTNU", users)
	base := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	type step struct {
		typ string
		at  time.Time
	}
	steps := []step{
		{events.SubjectAssign, base},
		{events.SubjectRelease, base.Add(time.Minute)},
		{events.SubjectAssign, base.Add(2 * time.Minute)},
	}
	var ids []string
	for u := 0; u < users; u++ {
		e.fake.AddUser(account, fmt.Sprintf("ord-%03d", u))
	}
	// Interleave users so that both replicas see every user's commands.
	for s, st := range steps {
		for u := 0; u < users; u++ {
			c := command(st.typ, fmt.Sprintf("ord-%03d-%d", u, s), fmt.Sprintf("ord-%03d", u), "TSTNU")
			c.Time = st.at
			e.publish(c, "")
			ids = append(ids, c.ID)
		}
	}
	e.start()
	e.startReplica("test-worker-2")
	for _, id := range ids {
		e.result(id)
	}
	wrong := wrongFinalStates(t, e, users)

	writes := e.fake.Writes()
	for u := 0; u < users; u++ {
		c := command(events.SubjectRelease, fmt.Sprintf("stale-%03d", u), fmt.Sprintf("ord-%03d", u), "TSTNU")
		c.Time = steps[1].at
		e.publish(c, "")
	}
	for u := 0; u < users; u++ {
		r := e.result(fmt.Sprintf("stale-%03d", u))
		if got := statuses(r)["TSTNU"]; got != events.StatusSkippedSuperseded || r.Type != events.SubjectReleased {
			t.Errorf("stale release for ord-%03d: %s %s %+v, want released/skipped_superseded", u, r.Type, got, r.Data.Error)
		}
		if !slices.Equal(r.Data.Held, []string{"TSTNU"}) {
			t.Errorf("stale release for ord-%03d reports held %v, want the vendor's [TSTNU]", u, r.Data.Held)
		}
	}
	stale := e.fake.Writes() - writes
	if stale != 0 {
		t.Errorf("stale commands made %d writes at the vendor, want 0", stale)
	}
	wrong += wrongFinalStates(t, e, users)
	e.settled()
	dups, lost := duplicatesAndLost(t, e, ids)
	t.Logf("scenario=order-across-replicas commands=%d replicas=2 users=%d faults=\"%d stale releases re-published\" results=%d duplicates=%d lost=%d wrong_final_state=%d stale_writes=%d",
		len(ids)+users, users, users, len(ids)+users-lost, dups, lost, wrong, stale)
}

// wrongFinalStates counts the users ord-000.. whose licenses at the vendor
// are not what their last command asked for (TSTNU assigned), failing the
// test for each.
func wrongFinalStates(t *testing.T, e *env, users int) int {
	t.Helper()
	wrong := 0
	for u := 0; u < users; u++ {
		if got := e.fake.Held(account, fmt.Sprintf("ord-%03d", u)); !slices.Equal(got, []string{"TSTNU"}) {
			wrong++
			t.Errorf("ord-%03d holds %v, want [TSTNU] (the last command was an assign)", u, got)
		}
	}
	return wrong
}

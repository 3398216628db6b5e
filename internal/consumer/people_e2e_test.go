package consumer_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/people"
)

var hired = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

// TestPersonJoinMoveLeave takes one person through joining (two rules
// match: the union of their grants at every vendor, each user found from
// the e-mail), the same event again (nothing changes), a move (only what
// policy no longer grants is released), an older change arriving late
// (skipped, and says so), a seat assigned by hand and leaving with
// release_all (every seat released at every vendor, the hand-assigned one
// too).
func TestPersonJoinMoveLeave(t *testing.T) {
	vs := directoryVendors(t, 20)
	e := newPeopleEnv(t, vs, peoplePolicy(t, vs, true))
	const email = "ana.smith@example.com"
	users := map[string]string{}
	for _, v := range vs {
		users[v.name] = v.addPerson(email)
	}
	heldAt := func(v *directoryVendor) []string { return v.held(users[v.name]) }

	engGIS := map[string]any{"department": "Engineering", "title": "Senior GIS Developer"}
	join := personEvent(events.SubjectPersonJoined, "hire-1042", "E1042", email, hired, engGIS)
	e.publishPerson(join, "")
	r, results := e.applied(join.ID)
	if len(r.Data.Commands) != len(vs) {
		t.Fatalf("joiner: %d commands %+v, want one assign per vendor", len(r.Data.Commands), r.Data.Commands)
	}
	for i, v := range vs {
		want := []string{v.eng}
		if i > 0 {
			want = append(want, v.gis)
		}
		res := results[people.CommandID(join.ID, v.name, events.SubjectAssign)]
		if res.Type != events.SubjectAssigned || res.Data.User != users[v.name] || res.Data.Email != email || res.Data.Person != "E1042" {
			t.Errorf("%s: %s user %q email %q person %q error %+v; want assigned to %q, carrying e-mail and person",
				v.name, res.Type, res.Data.User, res.Data.Email, res.Data.Person, res.Data.Error, users[v.name])
		}
		if got := heldAt(v); !sameSet(got, want) {
			t.Errorf("%s holds %v after joining, want %v", v.name, got, want)
		}
	}

	writes := func() (n int) {
		for _, v := range vs {
			n += v.writes()
		}
		return n
	}
	before := writes()
	e.publishPerson(join, "redelivered-"+join.ID) // past the stream's duplicate check
	e.settled()
	if got := writes(); got != before {
		t.Errorf("the same joiner event again made %d vendor writes, want none", got-before)
	}

	moved := map[string]any{"department": "Sales", "title": "Senior GIS Developer"}
	move := personEvent(events.SubjectPersonChanged, "move-1042", "E1042", email, hired.Add(24*time.Hour), moved)
	e.publishPerson(move, "")
	r, _ = e.applied(move.ID)
	for i, v := range vs {
		var want []string
		if i > 0 {
			want = []string{v.gis}
		}
		if got := heldAt(v); !sameSet(got, want) {
			t.Errorf("%s holds %v after the move, want %v (plan %+v)", v.name, got, want, r.Data.Commands)
		}
	}

	late := personEvent(events.SubjectPersonChanged, "late-1042", "E1042", email, hired.Add(time.Hour), engGIS)
	e.publishPerson(late, "")
	if r := e.reconciled(late.ID); r.Data.Skipped == nil || r.Data.Skipped.NewerEvent != move.ID || len(r.Data.Commands) != 0 {
		t.Errorf("older change: %+v, want skipped as superseded by %s with no command", r.Data, move.ID)
	}

	byHand := vs[0]
	cmd := events.NewCommand(events.SubjectAssign, "it/desk", "by-hand", hired.Add(48*time.Hour), events.CommandData{
		Vendor: byHand.name, Email: email, Licenses: []string{byHand.gis}})
	e.publish(cmd, "")
	if res := e.result(cmd.ID); res.Type != events.SubjectAssigned || res.Data.User != users[byHand.name] {
		t.Fatalf("assign by e-mail: %s user %q %+v", res.Type, res.Data.User, res.Data.Error)
	}

	leave := personEvent(events.SubjectPersonLeft, "leave-1042", "E1042", "", hired.Add(72*time.Hour), nil)
	e.publishPerson(leave, "")
	r, results = e.applied(leave.ID)
	for _, v := range vs {
		if got := heldAt(v); len(got) != 0 {
			t.Errorf("%s still holds %v after leaving (results %+v)", v.name, got, results)
		}
	}
}

// TestPersonUnknownAtOneVendor: the vendor that does not know the person
// fails user_not_found; the others are applied.
func TestPersonUnknownAtOneVendor(t *testing.T) {
	vs := directoryVendors(t, 5)
	e := newPeopleEnv(t, vs, peoplePolicy(t, vs, false))
	const email = "bo.chen@example.com"
	for _, v := range vs[1:] {
		v.addPerson(email)
	}
	ev := personEvent(events.SubjectPersonJoined, "hire-7", "E7", email, hired, map[string]any{"department": "Engineering", "title": "Clerk"})
	e.publishPerson(ev, "")
	_, results := e.applied(ev.ID)
	for i, v := range vs {
		res := results[people.CommandID(ev.ID, v.name, events.SubjectAssign)]
		switch {
		case i == 0 && (res.Data.Error == nil || res.Data.Error.Code != events.CodeUserNotFound):
			t.Errorf("%s: %s %+v, want user_not_found", v.name, res.Type, res.Data.Error)
		case i > 0 && res.Type != events.SubjectAssigned:
			t.Errorf("%s: %s %+v, want assigned", v.name, res.Type, res.Data.Error)
		}
	}
}

// TestInvalidPersonEventFails: a bad person event gets person.failed
// naming the problem, and is not redelivered.
func TestInvalidPersonEventFails(t *testing.T) {
	vs := directoryVendors(t, 1)
	e := newPeopleEnv(t, vs, peoplePolicy(t, vs, false))
	e.publishRaw(events.SubjectPersonJoined, []byte(`{"specversion":"1.0","type":"person.joined","source":"hr","id":"bad-1","data":{"person":"E1"}}`), "")
	r := e.reconciled("bad-1")
	if r.Type != events.SubjectPersonFailed || r.Data.Error == nil || r.Data.Error.Code != events.CodeInvalidCommand ||
		!strings.Contains(r.Data.Error.Message, "data.email") {
		t.Errorf("outcome %+v, want person.failed invalid_command naming data.email", r.Data)
	}
}

// TestStaleIdentityResolvedAgain: a cached user id that the vendor answers
// user_not_found is forgotten and the e-mail resolved again, once.
func TestStaleIdentityResolvedAgain(t *testing.T) {
	vs := directoryVendors(t, 2)
	e := newPeopleEnv(t, vs, peoplePolicy(t, vs, false))
	v := vs[0]
	const email = "cy.diaz@example.com"
	user := v.addPerson(email)
	kv, err := e.js.KeyValue(context.Background(), events.PeopleBucket)
	if err != nil {
		t.Fatal(err)
	}
	stale := "00000000-dead-4000-8000-000000000000"
	if err := (consumer.Identities{KV: kv}).Remember(context.Background(), v.name, v.vendor.DefaultAccount(), "person:E9", stale); err != nil {
		t.Fatal(err)
	}
	cmd := events.NewCommand(events.SubjectAssign, "it/desk", "stale-1", hired, events.CommandData{
		Vendor: v.name, Email: email, Person: "E9", Licenses: []string{v.eng}})
	e.publish(cmd, "")
	res := e.result(cmd.ID)
	if res.Type != events.SubjectAssigned || res.Data.User != user {
		t.Errorf("assign with a stale cached id: %s user %q %+v, want assigned to %q", res.Type, res.Data.User, res.Data.Error, user)
	}
}

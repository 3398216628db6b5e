package consumer_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// TestDatedLeaverReconciledAtItsDate: a person.left whose effective time
// is five seconds ahead is scheduled (person.scheduled says when), and
// reconciled at that time, not before: its person.reconciled is published
// no earlier than the date, and the person holds every seat until then.
func TestDatedLeaverReconciledAtItsDate(t *testing.T) {
	vs := directoryVendors(t, 5)
	e := newPeopleEnv(t, vs, peoplePolicy(t, vs, false))
	const email = "dee.lane@example.com"
	users := map[string]string{}
	for _, v := range vs {
		users[v.name] = v.addPerson(email)
	}
	join := personEvent(events.SubjectPersonJoined, "dated-hire", "E31", email, hired,
		map[string]any{"department": "Engineering", "title": "Clerk"})
	e.publishPerson(join, "")
	e.applied(join.ID)

	sched, err := e.nc.SubscribeSync(events.SubjectPersonScheduled)
	if err != nil {
		t.Fatal(err)
	}
	effective := time.Now().Add(5 * time.Second).UTC()
	leave := personEvent(events.SubjectPersonLeft, "dated-leave", "E31", "", time.Now().Add(-time.Second), nil)
	leave.Data.Effective = effective
	e.publishPerson(leave, "")

	m, err := sched.NextMsg(30 * time.Second)
	if err != nil {
		t.Fatalf("no person.scheduled for a leaver dated %s: %v", effective, err)
	}
	var s events.PersonResult
	if err := json.Unmarshal(m.Data, &s); err != nil || s.Data.EventID != leave.ID || !s.Data.Scheduled.Equal(effective) {
		t.Fatalf("scheduled outcome %+v (%v), want event %s scheduled for %s", s.Data, err, leave.ID, effective)
	}
	for _, v := range vs {
		if got := v.held(users[v.name]); len(got) != 1 {
			t.Errorf("%s holds %v once the leaver is scheduled, want the seat kept until %s", v.name, got, effective)
		}
	}

	r, results := e.applied(leave.ID)
	if r.Type != events.SubjectPersonReconciled || len(r.Data.Commands) != len(vs) {
		t.Fatalf("dated leaver: %s %+v, want reconciled with one release per vendor", r.Type, r.Data)
	}
	if r.Time.Before(effective) {
		t.Errorf("dated leaver reconciled at %s, before its date %s", r.Time, effective)
	}
	for _, res := range results {
		if res.Type != events.SubjectReleased {
			t.Errorf("%s: %s %+v, want released", res.Data.CommandID, res.Type, res.Data.Error)
		}
	}
	for _, v := range vs {
		if got := v.held(users[v.name]); len(got) != 0 {
			t.Errorf("%s still holds %v after the dated leaver", v.name, got)
		}
	}
}

// TestPersonEventTimeAheadFails: a person event whose time is further
// ahead of the worker's clock than the allowed skew is person.failed
// naming its time, with no command published (each would be refused).
func TestPersonEventTimeAheadFails(t *testing.T) {
	vs := directoryVendors(t, 2)
	e := newPeopleEnv(t, vs, peoplePolicy(t, vs, false))
	ahead := personEvent(events.SubjectPersonJoined, "hire-2062", "E62", "ty.ng@example.com", time.Now().AddDate(36, 0, 0),
		map[string]any{"department": "Engineering", "title": "Clerk"})
	e.publishPerson(ahead, "")
	r := e.reconciled(ahead.ID)
	if r.Type != events.SubjectPersonFailed || r.Data.Error == nil || r.Data.Error.Code != events.CodeInvalidCommand ||
		!strings.Contains(r.Data.Error.Message, "time") || len(r.Data.Commands) != 0 {
		t.Errorf("event dated 36 years ahead: %s %+v, want person.failed invalid_command naming its time, no command", r.Type, r.Data)
	}
}

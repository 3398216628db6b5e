package people_test

import (
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/people"
)

func TestDue(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	ev := func(effective time.Time) events.PersonEvent {
		return events.PersonEvent{Type: events.SubjectPersonLeft, Time: now.Add(-time.Hour), Data: events.PersonData{Person: "E1", Effective: effective}}
	}
	for _, tc := range []struct {
		name      string
		effective time.Time
		fired     bool
		want      bool
	}{
		{"no date", time.Time{}, false, true},
		{"date passed", now.Add(-time.Second), false, true},
		{"date now", now, false, true},
		{"date ahead", now.Add(time.Second), false, false},
		{"fired by its schedule, worker clock behind", now.Add(time.Second), true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := people.Due(ev(tc.effective), now, tc.fired); got != tc.want {
				t.Errorf("Due = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestScheduleSubject(t *testing.T) {
	a, b := people.ScheduleSubject("E.1 *", "leave>1"), people.ScheduleSubject("E.1 *", "move-1")
	if a == b {
		t.Errorf("two events of one person share schedule subject %s", a)
	}
	for _, s := range []string{a, b} {
		rest := strings.TrimPrefix(s, events.PersonSchedulePrefix+".")
		if strings.ContainsAny(rest, "*> ") || strings.Count(rest, ".") != 1 {
			t.Errorf("schedule subject %s: want two plain tokens after %s", s, events.PersonSchedulePrefix)
		}
	}
}

// TestDatedEventOrdersByItsDate: a dated leaver applies after a change
// published later but effective before the leaving date.
func TestDatedEventOrdersByItsDate(t *testing.T) {
	p := mustPolicy(t, `rules:
  - name: eng
    when: person.department == "Engineering"
    grant: {uipath: [A]}
`)
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	leave := events.NewPersonEvent(events.SubjectPersonLeft, "hr", "leave", t0, events.PersonData{Person: "E1"})
	leave.Data.Effective = t0.Add(30 * 24 * time.Hour)
	change := events.NewPersonEvent(events.SubjectPersonChanged, "hr", "change", t0.Add(time.Hour),
		events.PersonData{Person: "E1", Email: "e1@example.com", Attributes: map[string]any{"department": "Engineering"}})
	after := p.Reconcile(nil, people.Input{Event: change, Seq: 2}, nil)
	got := p.Reconcile(&after.Record, people.Input{Event: leave, Seq: 1}, nil)
	if got.Result.Skipped != nil || len(got.Commands) != 1 || got.Commands[0].Type != events.SubjectRelease {
		t.Fatalf("dated leaver after a newer change: skipped %+v commands %+v, want applied with one release", got.Result.Skipped, got.Commands)
	}
	if !got.Commands[0].Time.Equal(leave.Data.Effective) {
		t.Errorf("release carries time %s, want the leaving date %s", got.Commands[0].Time, leave.Data.Effective)
	}
}

func mustPolicy(t *testing.T, src string) *people.Policy {
	t.Helper()
	p, err := people.ParsePolicy([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSenderCarried: the sender of a person event (its authid, set by the
// HTTP ingress) is carried into the commands derived from it and into its
// outcome.
func TestSenderCarried(t *testing.T) {
	p := mustPolicy(t, `rules:
  - name: eng
    when: person.department == "Engineering"
    grant: {uipath: [A]}
`)
	ev := events.NewPersonEvent(events.SubjectPersonJoined, "hr", "hire", time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC),
		events.PersonData{Person: "E1", Email: "e1@example.com", Attributes: map[string]any{"department": "Engineering"}})
	ev.AuthType, ev.AuthID = "app_user", "bamboohr-webhook"
	plan := p.Reconcile(nil, people.Input{Event: ev, Seq: 1}, nil)
	if len(plan.Commands) != 1 || plan.Commands[0].AuthID != ev.AuthID || plan.Commands[0].AuthType != ev.AuthType {
		t.Errorf("commands %+v, want one carrying authid %q", plan.Commands, ev.AuthID)
	}
	if r := events.NewPersonResult(ev, 1, time.Now(), plan.Result); r.Data.EventAuthID != ev.AuthID {
		t.Errorf("outcome event_authid %q, want %q", r.Data.EventAuthID, ev.AuthID)
	}
}

package people_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/people"
)

var t0 = time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)

func event(typ, id string, at time.Time, attrs map[string]any) people.Input {
	return people.Input{Event: events.NewPersonEvent(typ, "hr/test", id, at, events.PersonData{
		Person: "E1042", Email: "ana.smith@example.com", Attributes: attrs,
	})}
}

var engineerGIS = map[string]any{"department": "Engineering", "title": "Senior GIS Developer", "employment_type": "employee"}

// summary is a plan's commands as "<id> <licenses|ALL>".
func summary(cmds []events.Command) []string {
	var out []string
	for _, c := range cmds {
		s := c.ID
		for _, l := range c.Data.Licenses {
			s += " " + l
		}
		if c.Type == events.SubjectRelease && len(c.Data.Licenses) == 0 {
			s += " ALL"
		}
		out = append(out, s)
	}
	return out
}

func check(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func TestJoinerMoverLeaver(t *testing.T) {
	p := loadTestPolicy(t)

	join := p.Reconcile(nil, event(events.SubjectPersonJoined, "hire", t0, engineerGIS), nil)
	check(t, "joiner", summary(join.Commands), []string{
		"hire/arcgis/assign usertype:creatorUT pro:desktopAdvN",
		"hire/m365/assign SPE_E3 POWER_BI_PRO",
		"hire/uipath/assign RPADEVNU",
	})
	for _, c := range join.Commands {
		if c.Data.Email != "ana.smith@example.com" || c.Data.Person != "E1042" || !c.Time.Equal(t0) || c.Data.User != "" {
			t.Errorf("command %s = %+v, want the e-mail, the person and the event's time, no user", c.ID, c.Data)
		}
	}
	rec := join.Record

	again := p.Reconcile(&rec, event(events.SubjectPersonJoined, "hire", t0, engineerGIS), nil)
	check(t, "the same event again", summary(again.Commands), summary(join.Commands))
	if again.Store {
		t.Error("a replayed event stores the record again, want it left as it is")
	}

	moved := map[string]any{"department": "Sales", "title": "GIS Analyst", "employment_type": "employee"}
	move := p.Reconcile(&rec, event(events.SubjectPersonChanged, "move", t0.Add(time.Hour), moved), nil)
	check(t, "mover", summary(move.Commands), []string{"move/uipath/release RPADEVNU"})
	rec = move.Record

	same := p.Reconcile(&rec, event(events.SubjectPersonChanged, "no-op", t0.Add(2*time.Hour), moved), nil)
	check(t, "a change that changes no grant", summary(same.Commands), nil)
	rec = same.Record

	leave := p.Reconcile(&rec, event(events.SubjectPersonLeft, "leave", t0.Add(3*time.Hour), nil), nil)
	check(t, "leaver with release_all", summary(leave.Commands), []string{
		"leave/arcgis/release ALL", "leave/m365/release ALL", "leave/uipath/release ALL",
	})
	if !leave.Record.Left || len(leave.Record.Granted) != 0 {
		t.Errorf("record after leaving = %+v, want left with nothing granted", leave.Record)
	}
}

func TestLeaverWithoutReleaseAll(t *testing.T) {
	p := loadTestPolicy(t)
	p.Offboarding.ReleaseAll = false
	join := p.Reconcile(nil, event(events.SubjectPersonJoined, "hire", t0, engineerGIS), nil)
	leave := p.Reconcile(&join.Record, event(events.SubjectPersonLeft, "leave", t0.Add(time.Hour), nil), nil)
	check(t, "leaver", summary(leave.Commands), []string{
		"leave/arcgis/release usertype:creatorUT pro:desktopAdvN",
		"leave/m365/release SPE_E3 POWER_BI_PRO",
		"leave/uipath/release RPADEVNU",
	})
}

// TestOlderEventSkipped: events for one person apply in time order; an
// older one arriving late is skipped and says which event superseded it.
func TestOlderEventSkipped(t *testing.T) {
	p := loadTestPolicy(t)
	join := p.Reconcile(nil, event(events.SubjectPersonJoined, "hire", t0, engineerGIS), nil)
	newer := p.Reconcile(&join.Record, event(events.SubjectPersonChanged, "newer", t0.Add(2*time.Hour), engineerGIS), nil)
	rec := newer.Record
	older := p.Reconcile(&rec, event(events.SubjectPersonChanged, "older", t0.Add(time.Hour), map[string]any{"department": "Sales"}), nil)
	if older.Store || len(older.Commands) != 0 {
		t.Errorf("older event: store %v, commands %q; want neither", older.Store, summary(older.Commands))
	}
	if s := older.Result.Skipped; s == nil || s.Reason != events.SkipSuperseded || s.NewerEvent != "newer" {
		t.Errorf("Skipped = %+v, want superseded by newer", s)
	}
}

func TestUnknownLeaverWithoutEmailFails(t *testing.T) {
	p := loadTestPolicy(t)
	in := event(events.SubjectPersonLeft, "leave", t0, nil)
	in.Event.Data.Email = ""
	plan := p.Reconcile(nil, in, nil)
	if plan.Result.Error == nil || plan.Result.Error.Code != events.CodeUserNotFound || len(plan.Commands) != 0 {
		t.Errorf("plan = %+v, want user_not_found and no command", plan.Result)
	}
}

// TestEveryDerivedIDIsValid: the longest person event id still gives
// command ids within the command limit.
func TestEveryDerivedIDIsValid(t *testing.T) {
	p := loadTestPolicy(t)
	long := string(make([]rune, 0))
	for range events.MaxPersonEventIDLength {
		long += "é"
	}
	in := event(events.SubjectPersonLeft, long, t0, nil)
	for _, c := range p.Reconcile(nil, in, []string{"licensespring"}).Commands {
		payload, _ := jsonMarshal(c)
		if _, err := events.DecodeCommand(c.Type, payload); err != nil {
			t.Errorf("derived command %q: %v", c.ID, err)
		}
	}
}

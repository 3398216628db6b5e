package lifecycle

import (
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// clock is the tests' fake clock: days from a fixed start.
var start = time.Date(2027, 1, 1, 9, 0, 0, 0, time.UTC)

func day(n int) time.Time { return start.Add(time.Duration(n) * 24 * time.Hour) }

func TestReclaimPlanFindsExactlyTheIdleSeats(t *testing.T) {
	r := Reclaim{
		Inactive: 90 * 24 * time.Hour, Warn: 7 * 24 * time.Hour,
		Exempt: func(u string) bool { return u == "ceo" },
	}
	now := day(200)
	holders := []Holder{
		{User: "ana", Holdings: []events.Holding{{Code: "creatorUT", LastUsed: day(100)}}},                                                      // 100 days: idle
		{User: "bo", Holdings: []events.Holding{{Code: "creatorUT", LastUsed: day(110)}}},                                                       // exactly 90: active
		{User: "cy", Holdings: []events.Holding{{Code: "creatorUT", LastUsed: day(150)}, {Code: "pro:desktopAdvN", LastUsed: day(10)}}},         // one of two idle
		{User: "ceo", Holdings: []events.Holding{{Code: "creatorUT", LastUsed: day(1)}}},                                                        // exempt
		{User: "dee", Holdings: []events.Holding{{Code: "creatorUT"}}},                                                                          // no last use reported
		{User: "eve", Holdings: []events.Holding{{Code: "creatorUT", LastUsed: day(5), Source: events.SourceGroup}}},                            // through a group
		{User: "fox", Holdings: []events.Holding{{Code: "creatorUT", LastUsed: day(5)}}, Assigned: map[string]time.Time{"creatorUT": day(180)}}, // re-assigned lately
	}
	got := map[string]string{}
	for _, f := range r.Plan(now, "arcgis", "org", holders) {
		got[f.Seat.User+"/"+f.Seat.Code] = f.Verdict
		if f.Verdict == VerdictIdle && !f.ReleaseAt.Equal(day(207)) {
			t.Errorf("%s/%s: release at %s, want %s", f.Seat.User, f.Seat.Code, f.ReleaseAt, day(207))
		}
	}
	want := map[string]string{
		"ana/creatorUT": VerdictIdle, "bo/creatorUT": VerdictActive, "cy/creatorUT": VerdictActive,
		"cy/pro:desktopAdvN": VerdictIdle, "ceo/creatorUT": VerdictExempt, "dee/creatorUT": VerdictUnknown,
		"eve/creatorUT": VerdictInherited, "fox/creatorUT": VerdictYoung,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %q, want %q", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d findings, want %d: %v", len(got), len(want), got)
	}
	idle := Idle(r.Plan(now, "arcgis", "org", holders))
	if len(idle) != 2 || idle[0].Seat.User != "ana" || idle[1].Seat.User != "cy" {
		t.Errorf("idle seats %+v, want ana's creatorUT then cy's pro:desktopAdvN", idle)
	}
	r.Codes = []string{"pro:desktopAdvN"}
	if got := r.Plan(now, "arcgis", "org", holders); len(got) != 1 || got[0].Seat.User != "cy" {
		t.Errorf("plan limited to pro:desktopAdvN: %+v", got)
	}
}

// A warned seat is released only if, read again at its release, it is
// still idle: a seat used during the warning is kept.
func TestReclaimRecheckKeepsASeatUsedDuringTheWarning(t *testing.T) {
	r := Reclaim{Inactive: 90 * 24 * time.Hour, Warn: 7 * 24 * time.Hour}
	warned := day(200)
	for _, c := range []struct {
		name     string
		lastUsed time.Time
		want     bool
	}{
		{"unused since", day(100), true},
		{"used during the warning", day(203), false},
		{"last use no longer reported", time.Time{}, false},
	} {
		if got := r.StillIdle(day(207), warned, c.lastUsed); got != c.want {
			t.Errorf("%s: StillIdle = %v, want %v", c.name, got, c.want)
		}
	}
	// A warning longer than the inactivity threshold: a use during the
	// warning keeps the seat even though it is past the threshold again.
	short := Reclaim{Inactive: 24 * time.Hour, Warn: 7 * 24 * time.Hour}
	if short.StillIdle(day(207), warned, day(201)) {
		t.Error("a seat used during a long warning was released")
	}
}

// A seat's verdict, in order: inherited, exempt, young (assigned less than
// Inactive ago, whatever its last use says, reported or not), then by its
// last use: no_last_use, active, idle. The clock is the test's.
func TestReclaimVerdictPrecedence(t *testing.T) {
	r := Reclaim{Inactive: 90 * 24 * time.Hour, Exempt: func(u string) bool { return u == "exempt" }}
	now := day(200)
	for _, c := range []struct {
		name     string
		user     string
		source   string
		lastUsed time.Time
		assigned time.Time
		want     string
	}{
		{"group-held and new", "u", events.SourceGroup, day(1), day(199), VerdictInherited},
		{"exempt and new", "exempt", "", day(1), day(199), VerdictExempt},
		{"new, last use before the assign", "u", "", day(1), day(150), VerdictYoung},
		{"new, never used", "u", "", time.Time{}, day(199), VerdictYoung},
		{"new and used", "u", "", day(199), day(150), VerdictYoung},
		{"assigned a moment short of the threshold", "u", "", day(1), day(110).Add(time.Second), VerdictYoung},
		{"assigned exactly the threshold ago", "u", "", day(1), day(110), VerdictIdle},
		{"old, never used", "u", "", time.Time{}, day(100), VerdictUnknown},
		{"old and used", "u", "", day(150), day(100), VerdictActive},
		{"old and unused", "u", "", day(100), day(50), VerdictIdle},
		{"age unknown, unused", "u", "", day(100), time.Time{}, VerdictIdle},
	} {
		h := Holder{User: c.user, Holdings: []events.Holding{{Code: "c", LastUsed: c.lastUsed, Source: c.source}}}
		if !c.assigned.IsZero() {
			h.Assigned = map[string]time.Time{"c": c.assigned}
		}
		f := r.Plan(now, "v", "a", []Holder{h})
		if len(f) != 1 || f[0].Verdict != c.want {
			t.Errorf("%s: %+v, want %s", c.name, f, c.want)
			continue
		}
		if !f[0].Assigned.Equal(c.assigned) {
			t.Errorf("%s: assigned %s in the finding, want %s", c.name, f[0].Assigned, c.assigned)
		}
	}
}

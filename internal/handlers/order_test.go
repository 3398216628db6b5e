package handlers_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// Commands about different seats of one user are applied whatever order
// they arrive in: an older assign of another license is not superseded by
// a newer one.
func TestOtherSeatsOfOneUserAreApplied(t *testing.T) {
	w := newWorld(t)
	w.fake.SetPool(account, "AAA", 5)
	w.fake.SetPool(account, "BBB", 5)
	w.fake.AddUser(account, "u1")
	h := w.replica("a")
	newer := mustHandle(t, h, cmd(events.SubjectAssign, "newer", "u1", base.Add(time.Minute), "AAA"), 2)
	older := mustHandle(t, h, cmd(events.SubjectAssign, "older", "u1", base, "BBB"), 1)
	if got := statuses(newer)["AAA"]; got != events.StatusAssigned {
		t.Errorf("newer assign of AAA: %s, want assigned", got)
	}
	if got := statuses(older)["BBB"]; got != events.StatusAssigned {
		t.Errorf("older assign of BBB after a newer assign of AAA: %s, want assigned", got)
	}
	if got := w.fake.Held(account, "u1"); !slices.Equal(got, []string{"AAA", "BBB"}) {
		t.Errorf("u1 holds %v, want [AAA BBB]", got)
	}
}

// For one seat, an older command after a newer one is skipped_superseded
// and changes nothing at the vendor; a command naming that seat and
// another is skipped for that seat only.
func TestOlderCommandForTheSameSeatIsSuperseded(t *testing.T) {
	w := newWorld(t)
	w.fake.SetPool(account, "AAA", 5)
	w.fake.SetPool(account, "BBB", 5)
	w.fake.AddUser(account, "u1")
	h := w.replica("a")
	mustHandle(t, h, cmd(events.SubjectAssign, "assign", "u1", base.Add(time.Minute), "AAA"), 2)
	writes := w.fake.Writes()
	stale := mustHandle(t, h, cmd(events.SubjectRelease, "stale", "u1", base, "AAA"), 1)
	if got := statuses(stale)["AAA"]; got != events.StatusSkippedSuperseded {
		t.Errorf("older release of AAA: %s, want skipped_superseded", got)
	}
	if n := w.fake.Writes() - writes; n != 0 {
		t.Errorf("the superseded release made %d vendor writes, want 0", n)
	}
	mixed := mustHandle(t, h, cmd(events.SubjectAssign, "mixed", "u1", base, "BBB", "AAA"), 3)
	if got := statuses(mixed); got["AAA"] != events.StatusSkippedSuperseded || got["BBB"] != events.StatusAssigned {
		t.Errorf("older assign of BBB and AAA: %v, want BBB assigned and AAA skipped_superseded", got)
	}
	if mixed.Data.Licenses[0].Code != "BBB" {
		t.Errorf("licenses reported %v, want the command's order", mixed.Data.Licenses)
	}
}

// A release of everything supersedes older commands for every seat,
// including one the user did not hold when it was released.
func TestReleaseOfEverythingSupersedesEverySeat(t *testing.T) {
	w := newWorld(t)
	w.fake.SetPool(account, "AAA", 5)
	w.fake.SetPool(account, "BBB", 5)
	w.fake.AddUser(account, "u1")
	h := w.replica("a")
	mustHandle(t, h, cmd(events.SubjectAssign, "hire", "u1", base, "AAA"), 1)
	mustHandle(t, h, cmd(events.SubjectRelease, "leave", "u1", base.Add(2*time.Minute)), 3)
	late := mustHandle(t, h, cmd(events.SubjectAssign, "late", "u1", base.Add(time.Minute), "BBB", "AAA"), 2)
	if got := statuses(late); got["AAA"] != events.StatusSkippedSuperseded || got["BBB"] != events.StatusSkippedSuperseded {
		t.Errorf("assign older than a release of everything: %v, want both skipped_superseded", got)
	}
	if got := w.fake.Held(account, "u1"); len(got) != 0 {
		t.Errorf("u1 holds %v, want nothing after leaving", got)
	}
	// A newer assign of one seat, then an older release of everything:
	// the release takes everything but that seat.
	mustHandle(t, h, cmd(events.SubjectAssign, "rehire", "u1", base.Add(4*time.Minute), "AAA"), 5)
	mustHandle(t, h, cmd(events.SubjectAssign, "extra", "u1", base.Add(3*time.Minute), "BBB"), 4)
	old := mustHandle(t, h, cmd(events.SubjectRelease, "old-leave", "u1", base.Add(3*time.Minute+time.Second)), 6)
	if got := statuses(old); got["AAA"] != events.StatusSkippedSuperseded || got["BBB"] != events.StatusReleased {
		t.Errorf("release of everything older than an assign of AAA: %v, want AAA skipped_superseded, BBB released", got)
	}
	if got := w.fake.Held(account, "u1"); !slices.Equal(got, []string{"AAA"}) {
		t.Errorf("u1 holds %v, want [AAA]", got)
	}
}

// Equal times are ordered by stream sequence, the same on every replica.
func TestEqualTimesAreOrderedByStreamSequence(t *testing.T) {
	w := newWorld(t)
	w.fake.SetPool(account, "AAA", 5)
	w.fake.AddUser(account, "u1")
	a, b := w.replica("a"), w.replica("b")
	mustHandle(t, a, cmd(events.SubjectRelease, "second", "u1", base, "AAA"), 8)
	first := mustHandle(t, b, cmd(events.SubjectAssign, "first", "u1", base, "AAA"), 7)
	if got := statuses(first)["AAA"]; got != events.StatusSkippedSuperseded {
		t.Errorf("assign at the same time, earlier in the stream, after the release: %s, want skipped_superseded", got)
	}
	if got := w.fake.Held(account, "u1"); len(got) != 0 {
		t.Errorf("u1 holds %v, want nothing", got)
	}
}

// Every order of delivery of one user's commands ends in the state the
// newest command per seat asks for.
func TestNoDeliveryOrderChangesTheOutcome(t *testing.T) {
	type step struct {
		typ  string
		code string // empty: everything
	}
	steps := []step{
		{events.SubjectAssign, "AAA"}, {events.SubjectAssign, "BBB"}, {events.SubjectRelease, "AAA"},
		{events.SubjectRelease, ""}, {events.SubjectAssign, "BBB"},
	}
	// The newest per seat: BBB assigned (step 4, after the release of
	// everything); AAA released.
	for n, order := range permutations(len(steps)) {
		w := newWorld(t)
		w.fake.SetPool(account, "AAA", 5)
		w.fake.SetPool(account, "BBB", 5)
		w.fake.AddUser(account, "u1")
		h := w.replica("a")
		for _, i := range order {
			var codes []string
			if steps[i].code != "" {
				codes = []string{steps[i].code}
			}
			mustHandle(t, h, cmd(steps[i].typ, fmt.Sprintf("p%d-%d", n, i), "u1", base.Add(time.Duration(i)*time.Minute), codes...), uint64(i+1))
		}
		if got := w.fake.Held(account, "u1"); !slices.Equal(got, []string{"BBB"}) {
			t.Fatalf("delivery order %v: u1 holds %v, want [BBB]", order, got)
		}
	}
}

func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(slices.Clone(p[:i]), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}

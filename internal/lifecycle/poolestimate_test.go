package lifecycle

import (
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

func pool20(assigned int) events.Pool {
	return events.Pool{Code: "c", Total: 20, Assigned: assigned, Free: 20 - assigned}
}

// The estimate says when a pool is worth reading: at the assign that takes
// it below the threshold and at the release that takes it back, not at
// the assigns in between.
func TestPoolEstimateCrossesOnlyAtTheThreshold(t *testing.T) {
	var e PoolEstimate
	if e.Apply(1, 0.1) {
		t.Error("a pool never read crossed")
	}
	e.BeginRead()
	e.EndRead(pool20(10), 0.1)
	var crossings []int
	for i, d := range []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, 1} { // 11 .. 20, 19, 18, 19
		if e.Apply(d, 0.1) {
			crossings = append(crossings, i)
		}
	}
	// Low from 19 assigned (1 of 20 free): the 9th step; above again at
	// 18 (the 12th); low again at 19 (the 13th).
	if len(crossings) != 3 || crossings[0] != 8 || crossings[1] != 11 || crossings[2] != 12 {
		t.Errorf("crossings at steps %v, want [8 11 12]", crossings)
	}
}

// A dip below the threshold that has recovered by the time the read is
// served is still a crossing, when the read agrees with the estimate; a
// read that shows somebody else changed the pool is taken alone.
func TestPoolEstimateKeepsADipTheReadMissed(t *testing.T) {
	for _, c := range []struct {
		name  string
		read  int // assigned, as read
		total int
		want  []int // assigned counts of the pools to observe
	}{
		{"read agrees, pool back above", 17, 20, []int{19, 17}},
		{"read agrees, pool still low", 19, 20, []int{19}},
		{"others released seats meanwhile", 14, 20, []int{14}},
		{"the total changed", 17, 40, []int{17}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var e PoolEstimate
			e.BeginRead()
			e.EndRead(pool20(17), 0.1)
			e.Apply(1, 0.1)
			if !e.Apply(1, 0.1) { // 19: low
				t.Fatal("no crossing at 19")
			}
			e.BeginRead()
			e.Apply(-1, 0.1) // 18
			e.Apply(-1, 0.1) // 17: the read may be served at 19, 18 or 17
			read := pool20(c.read)
			read.Total, read.Free = c.total, c.total-c.read
			got := e.EndRead(read, 0.1)
			if len(got) != len(c.want) {
				t.Fatalf("observe %+v, want assigned %v", got, c.want)
			}
			for i, p := range got {
				if p.Assigned != c.want[i] {
					t.Errorf("observe %+v, want assigned %v", got, c.want)
				}
			}
			if got[0].Assigned == 19 && (got[0].Free != 1 || got[0].Total != 20) {
				t.Errorf("estimated pool %+v, want 1 of 20 free", got[0])
			}
		})
	}
}

// After a read the estimate starts from it: a read that agrees keeps the
// estimate's count (commands applied during the read may not be in it);
// one that does not is taken as the pool when the read began.
func TestPoolEstimateStartsAgainFromTheRead(t *testing.T) {
	var e PoolEstimate
	e.BeginRead()
	e.EndRead(pool20(10), 0.1)
	e.BeginRead()
	e.Apply(1, 0.1)
	e.Apply(1, 0.1)
	e.EndRead(pool20(11), 0.1) // served after the first assign: agrees
	if got := e.Pool().Assigned; got != 12 {
		t.Errorf("after an agreeing read: %d assigned, want 12", got)
	}
	e.BeginRead()
	e.Apply(1, 0.1)
	e.EndRead(pool20(5), 0.1) // others released 7: disagrees
	if got := e.Pool().Assigned; got != 6 {
		t.Errorf("after a disagreeing read: %d assigned, want 6 (the read plus the assign during it)", got)
	}
}

package lifecycle

import (
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

func pool(total, free int) events.Pool {
	return events.Pool{Code: "C", Total: total, Assigned: total - free, Free: free}
}

func TestLow(t *testing.T) {
	for _, c := range []struct {
		total, free int
		want        bool
	}{
		{1000, 101, false}, {1000, 100, false}, {1000, 99, true}, {1000, 0, true},
		{10, 1, false}, {10, 0, true}, {0, 0, false}, {-1, 0, false},
	} {
		if got := Low(pool(c.total, c.free), 0.1); got != c.want {
			t.Errorf("Low(total %d, free %d) = %v, want %v", c.total, c.free, got, c.want)
		}
	}
}

// A pool sinking through the threshold fires once, stays quiet while it
// stays low, and fires again only after it went back above.
func TestCrossFiresOncePerCrossing(t *testing.T) {
	frees := []int{120, 101, 99, 98, 50, 99, 100, 150, 99, 90, 100, 99}
	want := []bool{false, false, true, false, false, false, false, false, true, false, false, true}
	low := false
	for i, free := range frees {
		var fire bool
		low, fire = Cross(low, pool(1000, free), 0.1)
		if fire != want[i] {
			t.Errorf("step %d (free %d): fire %v, want %v", i, free, fire, want[i])
		}
	}
}

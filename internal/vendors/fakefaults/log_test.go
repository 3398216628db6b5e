package fakefaults_test

import (
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/vendors/fakefaults"
)

func TestLogKeepsEveryCallByDefault(t *testing.T) {
	var l fakefaults.Log[int]
	for i := range 1000 {
		if seq := l.Add(i); seq != i {
			t.Fatalf("Add(%d) = sequence %d", i, seq)
		}
	}
	l.Update(3, func(e *int) { *e = -3 })
	got := l.Entries()
	if len(got) != 1000 || got[0] != 0 || got[3] != -3 || got[999] != 999 {
		t.Errorf("entries: len %d, [0] %d, [3] %d, [999] %d", len(got), got[0], got[3], got[999])
	}
}

func TestLogWithKeepHoldsTheLatestCalls(t *testing.T) {
	l := fakefaults.Log[int]{Keep: 3}
	var last int
	for i := range 100 {
		last = l.Add(i)
		if n := len(l.Entries()); n > 6 {
			t.Fatalf("after %d calls the log holds %d, over twice Keep", i+1, n)
		}
	}
	l.Update(last, func(e *int) { *e = -1 })
	l.Update(0, func(e *int) { t.Errorf("call 0, long dropped, was updated") })
	got := l.Entries()
	if len(got) < 3 || got[len(got)-1] != -1 || got[len(got)-2] != 98 || got[len(got)-3] != 97 {
		t.Errorf("entries %v; want at least the latest three, 97, 98 and the updated 99", got)
	}
}

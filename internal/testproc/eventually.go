package testproc

import (
	"testing"
	"time"
)

// Eventually polls cond every 10 ms until it holds, failing the test after
// 30 s. It is for state that nothing announces (consumer counters, a fake's
// request log); it never stands in for a fixed sleep.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30s for %s", what)
		}
		<-tick.C
	}
}

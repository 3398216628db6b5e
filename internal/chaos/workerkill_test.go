package chaos_test

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/natstest"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
)

// Two worker replicas share one server; during 2,000 commands one is
// killed with SIGKILL and replaced, then the other: the replacements take
// over the dead workers' commands once their leases (3 s) run out, and
// every command still has exactly one result and one allocation.
func TestWorkerReplicasKilledTwice(t *testing.T) {
	const n = 2000
	w := newWorkload(t, "worker-sigkill", n)
	srv := natstest.RunServer(t, nil)
	url := srv.ClientURL()
	js, err := jetstream.New(natstest.Connect(t, url))
	if err != nil {
		t.Fatal(err)
	}

	replicas := []*testproc.Proc{
		startWorker(t, w, url, "kill-1"),
		startWorker(t, w, url, "kill-2"),
	}
	got := testproc.Follow(t, js)
	start := time.Now()
	w.publish(t, js)

	got.WaitDistinct(t, n/4, 2*time.Minute)
	replicas[0].Stop(syscall.SIGKILL, 30*time.Second)
	first := got.Distinct()
	replicas = append(replicas, startWorker(t, w, url, "kill-3"))

	got.WaitDistinct(t, n/2, 2*time.Minute)
	replicas[1].Stop(syscall.SIGKILL, 30*time.Second)
	second := got.Distinct()
	replicas = append(replicas, startWorker(t, w, url, "kill-4"))

	got.WaitDistinct(t, n, 3*time.Minute)
	t.Logf("all %d results stored %s after publishing began", n, time.Since(start).Round(time.Millisecond))
	if second >= n {
		t.Fatal("every command finished before the second kill; the test proves nothing")
	}
	w.report(t, fmt.Sprintf("SIGKILL worker 1 after %d results, SIGKILL worker 2 after %d results, each replaced", first, second),
		w.verify(t, js))
}

// startWorker starts a worker subprocess on natsURL for w and waits until
// it is ready.
func startWorker(t *testing.T, w *workload, natsURL, id string) *testproc.Proc {
	t.Helper()
	return start(t, "worker "+id, bin.worker, nil, w.workerEnv(natsURL, id), `"msg":"ready"`)
}

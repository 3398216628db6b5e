package chaos_test

import (
	"fmt"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/natstest"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
)

// One nats-server, a real process with file storage, is killed with
// SIGKILL and later stopped with SIGTERM and kept down for a while, during
// 2,000 commands; each time it is started again on the same port and store
// directory. The worker (a subprocess) reconnects, its consumer resumes,
// and every command still has exactly one result and one allocation.
func TestNATSServerRestartedMidRun(t *testing.T) {
	const n = 2000
	w := newWorkload(t, "server-restart", n)
	port, dir := natstest.FreePort(t), t.TempDir()
	url := "nats://" + natstest.Addr(port)
	server := startNATS(t, port, dir)

	worker := startWorker(t, w, url, "restart-1")
	js, err := jetstream.New(natstest.Connect(t, url, natsOptions()...))
	if err != nil {
		t.Fatal(err)
	}
	got := testproc.Follow(t, js)
	start := time.Now()
	w.publish(t, js)

	var faults string
	for i, f := range []struct {
		sig    syscall.Signal
		outage time.Duration
	}{
		{syscall.SIGKILL, 0},
		// Longer than AckWait (3 s): everything the worker holds is
		// redelivered, and its pull requests died with the server.
		{syscall.SIGTERM, 5 * time.Second},
	} {
		got.WaitDistinct(t, (i+1)*n/3, 2*time.Minute)
		at := got.Distinct()
		server.Stop(f.sig, 30*time.Second)
		worker.WaitCount(`"msg":"NATS disconnected"`, i+1, time.Minute)
		down := time.Now()
		<-time.After(f.outage) // the fault itself, not a synchronisation
		server = startNATS(t, port, dir)
		back := time.Now()
		// The worker must see the outage end, not merely outlive it.
		worker.WaitCount(`"msg":"NATS reconnected"`, i+1, time.Minute)
		got.WaitDistinct(t, got.Distinct()+1, time.Minute)
		faults += fmt.Sprintf("%s nats-server after %d results, back after %s, results resumed %s later; ",
			sigName(f.sig), at, back.Sub(down).Round(100*time.Millisecond), time.Since(back).Round(100*time.Millisecond))
	}

	got.WaitDistinct(t, n, 3*time.Minute)
	t.Logf("all %d results stored %s after publishing began", n, time.Since(start).Round(time.Millisecond))
	w.report(t, faults[:len(faults)-2], w.verify(t, js))
}

// startNATS starts nats-server on port with JetStream storage in dir.
func startNATS(t *testing.T, port int, dir string) *testproc.Proc {
	t.Helper()
	return start(t, "nats-server", bin.natsServer, []string{
		"-a", "127.0.0.1", "-p", strconv.Itoa(port), "-n", "chaos-single", "-js", "-sd", dir,
	}, nil, "Server is ready")
}

func sigName(sig syscall.Signal) string {
	if sig == syscall.SIGKILL {
		return "SIGKILL"
	}
	return "SIGTERM"
}

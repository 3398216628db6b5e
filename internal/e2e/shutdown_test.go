package e2e_test

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/natstest"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// SIGTERM while a command waits on a hung vendor: the worker hands the
// command back at the shutdown deadline instead of leaving it to AckWait,
// exits 0, and the next worker finishes it.
func TestSIGTERMHandsBackUnfinishedCommands(t *testing.T) {
	srv := natstest.RunServer(t, nil)
	nc := natstest.Connect(t, srv.ClientURL())
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	fake := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	fake.HangNext(1)
	got := testproc.Subscribe(t, nc)
	// No pool refresh: the one hung call must be the command's.
	env := uipathEnv(srv.ClientURL(), fake, "SEATKEEPER_SHUTDOWN_TIMEOUT=1s", "SEATKEEPER_POOL_REFRESH=0")

	w1 := startWorker(t, t.TempDir(), append(env, "SEATKEEPER_WORKER_ID=term-1"))
	cmd := events.NewCommand(events.SubjectAssign, "test/term", "term-1", time.Now(),
		events.CommandData{Vendor: "uipath", User: uipathtest.DemoUsers[0], Licenses: []string{"TSTNU"}})
	publishAll(t, js, []events.Command{cmd})
	testproc.Eventually(t, "the vendor call to hang at the fake", func() bool { return len(fake.Requests()) > 0 })
	start := time.Now()
	if err := w1.Stop(syscall.SIGTERM, 20*time.Second); err != nil {
		t.Errorf("worker exit after SIGTERM: %v, want 0", err)
	}
	t.Logf("worker stopped %s after SIGTERM", time.Since(start).Round(time.Millisecond))
	if got.Distinct() != 0 {
		t.Fatalf("a result was published for a command that could not finish: %+v", got.ByID())
	}
	startWorker(t, t.TempDir(), append(env, "SEATKEEPER_WORKER_ID=term-2"))
	// Well inside the 30 s AckWait: only a Nak at shutdown makes this
	// possible.
	got.WaitDistinct(t, 1, 20*time.Second)
	r := got.ByID()["term-1"][0]
	if r.Type != events.SubjectAssigned {
		t.Errorf("after restart: %s %+v, want assigned", r.Type, r.Data.Error)
	}
}

// publish --wait with no worker running exits 3 and says the command is
// queued.
func TestPublishWaitTimesOut(t *testing.T) {
	srv := natstest.RunServer(t, nil)
	nc := natstest.Connect(t, srv.ClientURL())
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{
		Name: events.CommandStream, Subjects: events.CommandSubjects,
	}); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runPublish(t, []string{"NATS_URL=" + srv.ClientURL()},
		"assign", "--vendor", "uipath", "--user", "u1", "--license", "ATTUNU", "--wait", "--timeout", "300ms")
	if code != 3 || !strings.Contains(stderr, "queued") {
		t.Errorf("exit %d, stderr %q; want 3 and a note that the command is queued", code, stderr)
	}
	_, stderr, code = runPublish(t, []string{"NATS_URL=" + srv.ClientURL()}, "assign", "--vendor", "uipath", "--user", "u1")
	if code != 2 || !strings.Contains(stderr, "data.licenses") {
		t.Errorf("assign without --license: exit %d, stderr %q; want 2 naming data.licenses", code, stderr)
	}
}

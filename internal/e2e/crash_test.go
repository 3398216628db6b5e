package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http"
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

const account = uipathtest.DemoAccount

// uipathEnv points a worker at an external NATS and the UiPath fake.
func uipathEnv(natsURL string, fake *uipathtest.Server, extra ...string) []string {
	return append([]string{
		"NATS_URL=" + natsURL,
		"SEATKEEPER_HTTP_ADDR=127.0.0.1:0",
		"SEATKEEPER_CONCURRENCY=16",
		"UIPATH_BASE_URL=" + fake.URL,
		"UIPATH_CLIENT_ID=" + uipathtest.ClientID,
		"UIPATH_CLIENT_SECRET=" + uipathtest.ClientSecret,
		"UIPATH_ACCOUNT_ID=" + account,
		"UIPATH_RATE_LIMIT=10000",
		"UIPATH_MAX_CONCURRENCY=16",
	}, extra...)
}

// publishAll publishes cmds asynchronously and waits for every PubAck.
func publishAll(t *testing.T, js jetstream.JetStream, cmds []events.Command) {
	t.Helper()
	for _, c := range cmds {
		b, _ := json.Marshal(c)
		if _, err := js.PublishAsync(c.Type, b, jetstream.WithMsgID(c.ID)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(30 * time.Second):
		t.Fatal("publishing did not complete")
	}
}

// Acceptance: the worker, a real subprocess, is killed with SIGKILL in the
// middle of 500 commands and restarted → every command has exactly one
// stored result, no allocation is made twice, none is lost.
func TestSIGKILLMidRunLosesNothingAndDoublesNothing(t *testing.T) {
	const n = 500
	srv := natstest.RunServer(t, nil)
	nc := natstest.Connect(t, srv.ClientURL())
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	fake := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	fake.SetPool(account, "ATTUNU", 2*n)
	fake.SetLatency(2 * time.Millisecond)
	users := make([]string, n)
	cmds := make([]events.Command, n)
	for i := range users {
		users[i] = fmt.Sprintf("crash-user-%03d", i)
		fake.AddUser(account, users[i])
		cmds[i] = events.NewCommand(events.SubjectAssign, "test/crash", fmt.Sprintf("crash-%03d", i), time.Now(),
			events.CommandData{Vendor: "uipath", User: users[i], Licenses: []string{"ATTUNU"}})
	}
	got := testproc.Subscribe(t, nc)
	// A short AckWait (the claim lease too) lets the restarted worker take
	// over the dead one's claims quickly.
	env := uipathEnv(srv.ClientURL(), fake, "SEATKEEPER_ACK_WAIT=3s")

	w1 := startWorker(t, t.TempDir(), append(env, "SEATKEEPER_WORKER_ID=crash-1"))
	publishAll(t, js, cmds)
	got.WaitDistinct(t, n/5, time.Minute)
	_ = w1.Stop(syscall.SIGKILL, 10*time.Second)
	killedAt := got.Distinct()
	t.Logf("killed the worker after %d of %d results", killedAt, n)
	if killedAt >= n {
		t.Fatalf("every command finished before the kill; the test proves nothing")
	}

	startWorker(t, t.TempDir(), append(env, "SEATKEEPER_WORKER_ID=crash-2"))
	got.WaitDistinct(t, n, 2*time.Minute)
	testproc.Settled(t, js)

	stored := testproc.StoredResults(t, js)
	for _, c := range cmds {
		if n := len(stored[c.ID]); n != 1 {
			t.Errorf("%s has %d stored results, want exactly 1", c.ID, n)
		}
	}
	// Applied allocations: a PUT the killed worker sent but the fake never
	// answered (the connection went while the fake was still waiting out
	// its latency) changed nothing, and the redo rightly sends it again.
	puts := make(map[string]int)
	for _, q := range fake.Requests() {
		if q.Method == "PUT" && q.Status == http.StatusOK {
			for _, u := range users {
				if strings.Contains(q.Body, `"`+u+`"`) {
					puts[u]++
				}
			}
		}
	}
	for _, u := range users {
		if held := fake.Held(account, u); len(held) != 1 || held[0] != "ATTUNU" {
			t.Errorf("%s holds %v, want [ATTUNU]", u, held)
		}
		if puts[u] != 1 {
			t.Errorf("%s got %d applied allocations, want exactly 1", u, puts[u])
		}
	}
	for id, rs := range got.ByID() {
		for _, r := range rs {
			if r.Type != events.SubjectAssigned {
				t.Errorf("%s: %s %+v, want assigned", id, r.Type, r.Data.Error)
			}
		}
	}
	dups, lost := 0, 0
	for _, c := range cmds {
		switch k := len(stored[c.ID]); {
		case k == 0:
			lost++
		case k > 1:
			dups += k - 1
		}
	}
	doubles := 0
	for _, u := range users {
		doubles += max(puts[u]-1, 0)
	}
	t.Logf("scenario=worker-sigkill-once commands=%d faults=\"SIGKILL the worker subprocess after %d results, restart\" results=%d duplicates=%d lost=%d double_assignments=%d",
		n, killedAt, n-lost, dups, lost, doubles)
}

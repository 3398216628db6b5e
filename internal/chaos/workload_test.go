package chaos_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

const (
	account = uipathtest.DemoAccount
	code    = "ATTUNU"
)

// workload is n assign commands, one per user, against the UiPath fake.
type workload struct {
	name  string
	fake  *uipathtest.Server
	cmds  []events.Command
	users []string
}

func newWorkload(t *testing.T, name string, n int) *workload {
	t.Helper()
	w := &workload{name: name, fake: uipathtest.NewServer(t, uipathtest.Options{Demo: true})}
	w.fake.SetPool(account, code, 2*n)
	w.fake.SetLatency(time.Millisecond)
	for i := range n {
		user := fmt.Sprintf("%s-user-%04d", name, i)
		w.fake.AddUser(account, user)
		w.users = append(w.users, user)
		w.cmds = append(w.cmds, events.NewCommand(events.SubjectAssign, "test/chaos", fmt.Sprintf("%s-%04d", name, i),
			time.Now(), events.CommandData{Vendor: "uipath", Account: account, User: user, Licenses: []string{code}}))
	}
	return w
}

// uipathEnv is the environment of a worker subprocess on natsURL calling
// the fake, with a short AckWait (the claim lease too) so that a dead
// worker's commands are taken over quickly.
func (w *workload) workerEnv(natsURL, id string) []string {
	return []string{
		"NATS_URL=" + natsURL,
		"SEATKEEPER_WORKER_ID=" + id,
		"SEATKEEPER_HTTP_ADDR=127.0.0.1:0",
		"SEATKEEPER_CONCURRENCY=32",
		"SEATKEEPER_ACK_WAIT=3s",
		"SEATKEEPER_SHUTDOWN_TIMEOUT=5s",
		"UIPATH_BASE_URL=" + w.fake.URL,
		"UIPATH_CLIENT_ID=" + uipathtest.ClientID,
		"UIPATH_CLIENT_SECRET=" + uipathtest.ClientSecret,
		"UIPATH_ACCOUNT_ID=" + account,
		"UIPATH_RATE_LIMIT=100000",
		"UIPATH_MAX_CONCURRENCY=32",
	}
}

// publish publishes every command and waits for every PubAck.
func (w *workload) publish(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	for _, c := range w.cmds {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := js.PublishAsync(c.Type, b, jetstream.WithMsgID(c.ID)); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		t.Fatal("publishing did not complete within a minute")
	}
}

// outcome is what the figures line reports.
type outcome struct {
	results, duplicates, lost, doubles int
}

// verify waits for the worker consumer to settle, then checks the stored
// results and the vendor's state: every command has exactly one result,
// and it is license.assigned; every user holds the seat and got exactly one
// applied allocation.
func (w *workload) verify(t *testing.T, js jetstream.JetStream) outcome {
	t.Helper()
	testproc.Settled(t, js)
	stored := testproc.StoredResults(t, js)
	var o outcome
	for _, c := range w.cmds {
		types := stored[c.ID]
		o.results += len(types)
		o.duplicates += max(0, len(types)-1)
		if len(types) == 0 {
			o.lost++
			t.Errorf("%s has no stored result", c.ID)
			continue
		}
		for _, typ := range types {
			if typ != events.SubjectAssigned {
				t.Errorf("%s: stored %s, want %s", c.ID, typ, events.SubjectAssigned)
			}
		}
		if len(types) > 1 {
			t.Errorf("%s has %d stored results, want exactly 1", c.ID, len(types))
		}
	}
	allocations := w.allocations(t)
	for i, u := range w.users {
		if held := w.fake.Held(account, u); len(held) != 1 || held[0] != code {
			if len(stored[w.cmds[i].ID]) > 0 {
				o.lost++ // counted once: a command without a result is lost already
			}
			t.Errorf("%s holds %v, want [%s]", u, held, code)
		}
		if n := allocations[u]; n != 1 {
			t.Errorf("%s got %d applied allocations, want exactly 1", u, n)
			if n > 1 {
				o.doubles++
			}
		}
	}
	return o
}

// allocations counts, per user, the PUTs the fake applied (answered 200)
// that give the user licenses.
func (w *workload) allocations(t *testing.T) map[string]int {
	t.Helper()
	n := make(map[string]int)
	for _, q := range w.fake.Requests() {
		if q.Method != "PUT" || q.Status != 200 {
			continue
		}
		var body struct {
			UserIDs []string `json:"userIds"`
			Codes   []string `json:"userBundleCodes"`
		}
		if err := json.Unmarshal([]byte(q.Body), &body); err != nil {
			t.Fatalf("PUT body %q: %v", q.Body, err)
		}
		if len(body.Codes) == 0 {
			continue
		}
		for _, u := range body.UserIDs {
			n[u]++
		}
	}
	return n
}

// report logs the figures in the format docs/reliability.md quotes.
func (w *workload) report(t *testing.T, faults string, o outcome) {
	t.Helper()
	t.Logf("scenario=%s commands=%d faults=\"%s\" results=%d duplicates=%d lost=%d double_assignments=%d",
		w.name, len(w.cmds), faults, o.results, o.duplicates, o.lost, o.doubles)
}

// natsOptions are the test's own connection options: reconnect without
// limit, like the worker.
func natsOptions() []nats.Option {
	return []nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond)}
}

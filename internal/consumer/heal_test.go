package consumer_test

import (
	"context"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
)

// LICENSE_EVENTS deleted under a running worker: the worker creates it
// again, and the next commands' results land in it; nothing is lost.
func TestResultStreamDeletedWhileRunningIsCreatedAgain(t *testing.T) {
	e := newEnv(t)
	e.publish(command(events.SubjectAssign, "ev-1", user1, "ATTUNU"), "")
	e.result("ev-1")
	e.settled()
	if err := e.js.DeleteStream(context.Background(), events.EventStream); err != nil {
		t.Fatal(err)
	}
	e.publish(command(events.SubjectAssign, "ev-2", user2, "ATTUNU"), "")
	if r := e.result("ev-2"); r.Type != events.SubjectAssigned {
		t.Errorf("after LICENSE_EVENTS was deleted: %s %+v", r.Type, r.Data.Error)
	}
	if n := e.storedResults("ev-2"); n != 1 {
		t.Errorf("%d results of ev-2 stored in the re-created LICENSE_EVENTS, want 1", n)
	}
}

// The idempotency bucket deleted under a running worker is created again.
func TestIdempotencyBucketDeletedWhileRunningIsCreatedAgain(t *testing.T) {
	e := newEnv(t)
	e.publish(command(events.SubjectAssign, "kv-1", user1, "ATTUNU"), "")
	e.result("kv-1")
	e.settled()
	if err := e.js.DeleteKeyValue(context.Background(), events.CommandBucket); err != nil {
		t.Fatal(err)
	}
	e.publish(command(events.SubjectAssign, "kv-2", user2, "ATTUNU"), "")
	if r := e.result("kv-2"); r.Type != events.SubjectAssigned {
		t.Errorf("after the bucket was deleted: %s %+v", r.Type, r.Data.Error)
	}
}

// fillResults makes LICENSE_EVENTS refuse new results (MaxMsgs reached,
// DiscardNew) and returns the function that makes room again.
func fillResults(t *testing.T, e *env) (makeRoom func()) {
	t.Helper()
	ctx := context.Background()
	st, err := e.js.Stream(ctx, events.EventStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg := info.Config
	cfg.MaxMsgs, cfg.Discard = int64(info.State.Msgs), jetstream.DiscardNew
	if _, err := e.js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	return func() {
		cfg.MaxMsgs = -1
		if _, err := e.js.UpdateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
}

// An operator's LICENSE_EVENTS is full and refuses results: the worker
// reports itself unready naming the cause, counts the failures, hands the
// command back after a bounded time (so its user's next command is not held
// behind it for ever), and every command completes once there is room.
func TestResultStreamFullIsReportedAndCommandsCompleteOnceThereIsRoom(t *testing.T) {
	e := newEnv(t)
	e.publish(command(events.SubjectAssign, "full-0", user1, "ATTUNU"), "")
	e.result("full-0")
	e.settled()
	makeRoom := fillResults(t, e)
	e.publish(command(events.SubjectAssign, "full-1", user1, "RPADEVNU"), "")
	e.publish(command(events.SubjectAssign, "full-2", user1, "ATTUNU"), "")
	testproc.Eventually(t, "the worker to report the full stream", func() bool {
		return strings.Contains(e.svc.Problem(), "stream_full")
	})
	// Both commands of the user get their turn although neither result
	// can be stored: the first is handed back after the bound.
	testproc.Eventually(t, "both commands to be handed back", func() bool {
		seen := map[string]bool{}
		for _, l := range e.logs.FilterMessage("command").All() {
			if m := l.ContextMap(); m["action"] == "nak" && strings.Contains(stringOf(m["error"]), "result not published") {
				seen[stringOf(m["command_id"])] = true
			}
		}
		return seen["full-1"] && seen["full-2"]
	})
	makeRoom()
	for _, id := range []string{"full-1", "full-2"} {
		if n := e.storedResults(id); n != 1 {
			t.Errorf("%s: %d results stored once there was room, want 1", id, n)
		}
	}
	if p := e.svc.Problem(); p != "" {
		t.Errorf("still reporting %q after the results landed", p)
	}
}

func stringOf(v any) string {
	s, _ := v.(string)
	return s
}

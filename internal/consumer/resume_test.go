package consumer_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
)

// withDedupWindow shortens both streams' duplicate window, so that a test
// can step past it.
func withDedupWindow(d time.Duration) envOption {
	return func(c *envConfig) { c.so.Settings.DedupWindow = d }
}

// A command re-published under a new Nats-Msg-Id after the result stream's
// duplicate window has passed: its result is replayed to subscribers, and
// LICENSE_EVENTS still holds one copy.
func TestAReplayPastTheDuplicateWindowAddsNoSecondCopy(t *testing.T) {
	e := newEnv(t, withDedupWindow(time.Second))
	cmd := command(events.SubjectAssign, "late-1", user1, "ATTUNU")
	e.publish(cmd, "")
	e.result("late-1")
	e.settled()
	<-time.After(2 * time.Second) // past the duplicate window, by design
	e.publish(cmd, "late-1-weeks-later")
	e.await(2, byCommand("late-1"))
	if n := e.storedResults("late-1"); n != 1 {
		t.Errorf("LICENSE_EVENTS holds %d results of late-1 after the replay, want 1", n)
	}
}

// The durable consumer deleted under a running worker after the duplicate
// window has passed: it is created again where processing stood (no earlier
// command is delivered again), new commands are processed, and no command
// has a second result in LICENSE_EVENTS.
func TestARecreatedConsumerResumesWhereProcessingStood(t *testing.T) {
	e := newEnv(t, withDedupWindow(time.Second))
	var ids []string
	var last uint64
	for i := range 20 {
		id := fmt.Sprintf("early-%d", i)
		ids = append(ids, id)
		last = e.publish(command(events.SubjectList, id, user1), "").Sequence
	}
	for _, id := range ids {
		e.result(id)
	}
	e.settled()
	kv, err := e.js.KeyValue(context.Background(), events.CommandBucket)
	if err != nil {
		t.Fatal(err)
	}
	testproc.Eventually(t, "the progress to be recorded", func() bool {
		en, err := kv.Get(context.Background(), "progress."+events.WorkerConsumer)
		if err != nil {
			return false
		}
		n, _ := strconv.ParseUint(string(en.Value()), 10, 64)
		return n >= last
	})
	<-time.After(2 * time.Second) // past the duplicate window, by design
	seen := e.logs.FilterMessage("command").Len()
	if err := e.js.DeleteConsumer(context.Background(), events.CommandStream, events.WorkerConsumer); err != nil {
		t.Fatal(err)
	}
	e.publish(command(events.SubjectAssign, "after-1", user2, "ATTUNU"), "")
	if r := e.result("after-1"); r.Type != events.SubjectAssigned {
		t.Errorf("after the consumer was re-created: %s %+v", r.Type, r.Data.Error)
	}
	e.settled()
	for _, l := range e.logs.FilterMessage("command").All()[seen:] {
		if id := l.ContextMap()["command_id"]; id != "after-1" {
			t.Errorf("the re-created consumer delivered %v again", id)
		}
	}
	duplicatesAndLost(t, e, append(ids, "after-1"))
}

package consumer_test

import (
	"context"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// An operator deletes the durable consumer under a running worker (or it is
// lost with a server's storage): the worker creates it again and goes on,
// instead of going quiet.
func TestWorkerRebindsAfterItsConsumerIsDeleted(t *testing.T) {
	e := newEnv(t)
	e.publish(command(events.SubjectAssign, "rb-1", user1, "ATTUNU"), "")
	e.result("rb-1")
	if err := e.js.DeleteConsumer(context.Background(), events.CommandStream, events.WorkerConsumer); err != nil {
		t.Fatal(err)
	}
	e.publish(command(events.SubjectAssign, "rb-2", user2, "ATTUNU"), "")
	if r := e.result("rb-2"); r.Type != events.SubjectAssigned {
		t.Errorf("after the consumer was deleted: %s %+v", r.Type, r.Data.Error)
	}
	if !e.svc.Bound() {
		t.Errorf("the service does not report itself bound again")
	}
}

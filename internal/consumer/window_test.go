package consumer_test

import (
	"fmt"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// A worker that has seen one vendor only lets that vendor fill its whole
// window: a backlog pulled in one go runs, none of it is put off (parked
// commands would come back seconds later, and nothing else needs the room).
func TestALoneVendorFillsTheWindowWithoutParking(t *testing.T) {
	e := newEnv(t, withConcurrency(1), startLater) // a window of 8
	const n = 8
	e.fake.SetPool(account, "ATTUNU", n)
	for i := range n {
		user := fmt.Sprintf("window-%d", i)
		e.fake.AddUser(account, user)
		e.publish(command(events.SubjectAssign, user, user, "ATTUNU"), "")
	}
	e.start()
	e.await(n, func(events.Result) bool { return true })
	e.settled()
	for _, l := range e.logs.FilterMessage("command").All() {
		if m := l.ContextMap(); m["action"] != "ack" {
			t.Errorf("%v: %v, want every command acked at its first delivery", m["command_id"], m["action"])
		}
	}
}

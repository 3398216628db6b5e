package consumer

import (
	"github.com/nats-io/nats.go"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/lifecycle"
)

// Headers the server puts on a message fired by a schedule: the schedule's
// subject, and the time it fires next ("purge" for a one-time schedule).
const (
	headerScheduler    = "Nats-Scheduler"
	headerScheduleNext = "Nats-Schedule-Next"
	scheduleNextPurge  = "purge"
)

// firedCommand gives a command fired by a repeating schedule (a weekly
// reclaim) an id of its own for each firing. The server fires the same
// payload every time and strips Nats-Msg-Id, so the id is derived from the
// payload's and the firing's next time, which differs per firing and is
// stored with the fired message: a redelivery keeps its id and runs once.
// One-time schedules (expiries, re-checks) already carry a derived id.
func firedCommand(cmd events.Command, h nats.Header) events.Command {
	next := h.Get(headerScheduleNext)
	if h.Get(headerScheduler) == "" || next == "" || next == scheduleNextPurge {
		return cmd
	}
	cmd.ID = lifecycle.DerivedID(cmd.ID, "next-"+next)
	return cmd
}

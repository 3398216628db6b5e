package events

// Seat lifecycle: time-bound seats, reclaiming idle seats and pools running
// low (docs/design.md §11).

// Subjects of the seat lifecycle.
const (
	// SubjectReclaim is the command that finds idle seats and reclaims them.
	SubjectReclaim = "license.reclaim"
	// SubjectReclaimed is the result of a reclaim (or its dry-run report).
	SubjectReclaimed = "license.reclaimed"
	// SubjectReclaimWarning is published once per idle seat a reclaim will
	// release after its warning period.
	SubjectReclaimWarning = "license.reclaim_warning"
	// SubjectPoolLow is published once each time a pool's free seats fall
	// below the threshold.
	SubjectPoolLow = "license.pool_low"
	// SchedulePrefix is the first two tokens of the subjects that hold
	// scheduled commands: one subject per seat,
	// license.schedule.<vendor>.<account>.<user>.<code>. The worker's
	// consumer never receives them; JetStream publishes each on its target
	// subject when it is due.
	SchedulePrefix = "license.schedule"
	// ScheduleSubjects covers every schedule subject.
	ScheduleSubjects = SchedulePrefix + ".>"
)

// ExpirySource is the source of the release JetStream publishes when a
// time-bound seat's until is reached: its result's command_source says the
// release was an expiry.
const ExpirySource = "seatkeeper/expiry"

// CodeSchedulingUnavailable: a command needs JetStream message scheduling
// (an assign with until) and the command stream cannot schedule (a
// nats-server before 2.12, or a stream that refused the setting). Nothing
// is assigned: a seat never goes out without its expiry.
const CodeSchedulingUnavailable = "scheduling_unavailable"

// Headers a schedule message carries besides the JetStream ones, so that a
// newer assign's expiry is never overwritten by an older one replayed, and
// so that publish schedules can say where each came from.
const (
	HeaderAssignID   = "Seatkeeper-Assign-Id"
	HeaderAssignTime = "Seatkeeper-Assign-Time"
	HeaderAssignSeq  = "Seatkeeper-Assign-Seq"
)

// checkUntil checks data.until: only an assign has one, and it ends after
// the command's time (an until before the fact it belongs to is a typo).
// An until already past when the worker takes the command is not refused:
// the seat is assigned and its release is due at once, as it would be had
// the command not waited in the stream.
func checkUntil(cmd *Command) error {
	until := cmd.Data.Until
	if until.IsZero() {
		return nil
	}
	if cmd.Type != SubjectAssign {
		return invalid("data.until is only for license.assign")
	}
	if !cmd.Time.IsZero() && !until.After(cmd.Time) {
		return invalid("data.until %s is not after time %s", until.Format(timeLayout), cmd.Time.Format(timeLayout))
	}
	return nil
}

// timeLayout is how refusals print times.
const timeLayout = "2006-01-02T15:04:05Z07:00"

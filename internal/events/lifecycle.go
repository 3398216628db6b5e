package events

import (
	"fmt"
	"time"
)

// Seat lifecycle: time-bound seats, reclaiming idle seats and pools running
// low (docs/design.md §11).

// Subjects of the seat lifecycle.
const (
	// SubjectReclaim is the command that finds idle seats and reclaims them.
	SubjectReclaim = "license.reclaim"
	// SubjectReclaimed is the result of a reclaim: its report.
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

// ReclaimSource is the source of the commands a reclaim schedules and
// publishes: the re-check of one warned seat (a license.reclaim naming the
// user, whose time is when the warning went out) and the release that
// follows it.
const ReclaimSource = "seatkeeper/reclaim"

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

// LifecycleSubjects are the lifecycle's event subjects on the result
// stream, besides the results.
var LifecycleSubjects = []string{SubjectReclaimed, SubjectReclaimWarning, SubjectPoolLow}

// PoolBucket is the KV bucket that remembers which pools are running low,
// so that a restarted worker or another replica does not announce the same
// crossing again.
const PoolBucket = "seatkeeper_pools"

// Notice is a lifecycle event the worker publishes of its own accord (not
// the result of a command), such as license.pool_low, and the report of a
// reclaim.
type Notice[T any] struct {
	SpecVersion     string    `json:"specversion"`
	Type            string    `json:"type"`
	Source          string    `json:"source"`
	ID              string    `json:"id"`
	Time            time.Time `json:"time"`
	Subject         string    `json:"subject,omitempty"`
	DataContentType string    `json:"datacontenttype"`
	Data            T         `json:"data"`
}

// NewNotice returns a notice of type typ with the envelope filled in.
func NewNotice[T any](typ, id, subject string, at time.Time, data T) Notice[T] {
	return Notice[T]{
		SpecVersion: SpecVersion, Type: typ, Source: ResultSource, ID: id, Time: at.UTC(),
		Subject: subject, DataContentType: DataContentType, Data: data,
	}
}

// PoolLowData is the data of license.pool_low: the pool as it was seen
// right after it crossed the threshold.
type PoolLowData struct {
	Vendor    string  `json:"vendor"`
	Account   string  `json:"account"`
	Code      string  `json:"code"`
	Total     int     `json:"total"`
	Assigned  int     `json:"assigned"`
	Free      int     `json:"free"`
	Threshold float64 `json:"threshold"`
}

// checkReclaimFields checks a license.reclaim's own fields, and refuses
// them on other commands.
func checkReclaimFields(cmd *Command) error {
	if cmd.Type == SubjectReclaim {
		return checkReclaim(cmd)
	}
	d := &cmd.Data
	if d.InactiveDays != 0 || d.WarnDays != 0 || d.Exempt != nil {
		return invalid("data.inactive_days, data.warn_days and data.exempt are only for license.reclaim")
	}
	return nil
}

// checkReclaim checks a license.reclaim: how long a seat must have been
// unused, the warning period, the users never reclaimed. data.user is
// optional (only that user's seats); data.licenses limits the codes.
func checkReclaim(cmd *Command) error {
	d := &cmd.Data
	if d.InactiveDays < 1 {
		return invalid("data.inactive_days must be at least 1 on license.reclaim")
	}
	if d.WarnDays < 0 {
		return invalid("data.warn_days must not be negative")
	}
	if len(d.Exempt) > MaxExempt {
		return invalid("data.exempt has %d users, over the limit of %d", len(d.Exempt), MaxExempt)
	}
	for i, u := range d.Exempt {
		if err := checkString(fmt.Sprintf("data.exempt[%d]", i), u, MaxUserBytes); err != nil {
			return err
		}
	}
	return nil
}

// MaxExempt bounds data.exempt.
const MaxExempt = 1000

// ReclaimedData is the data of license.reclaimed: what a reclaim found,
// seat by seat (for a dry run, the report administrators ask for).
type ReclaimedData struct {
	CommandID     string         `json:"command_id"`
	CommandSource string         `json:"command_source,omitempty"`
	Vendor        string         `json:"vendor"`
	Account       string         `json:"account"`
	InactiveDays  int            `json:"inactive_days"`
	WarnDays      int            `json:"warn_days"`
	DryRun        bool           `json:"dry_run"`
	Seats         []ReclaimSeat  `json:"seats"`
	Counts        map[string]int `json:"counts"`
}

// ReclaimSeat is a reclaim's verdict on one seat: idle (warned; released
// at release_at unless used before), active, young, exempt, no_last_use
// (the vendor reports none), inherited (held through a group), released or
// kept (on the re-check of a warned seat).
type ReclaimSeat struct {
	User     string    `json:"user"`
	Code     string    `json:"code"`
	LastUsed time.Time `json:"last_used,omitzero"`
	// Assigned is since when seatkeeper has left the user holding the
	// seat (the time of the assign that gave it), where it knows.
	Assigned  time.Time `json:"assigned,omitzero"`
	Verdict   string    `json:"verdict"`
	ReleaseAt time.Time `json:"release_at,omitzero"`
	// Release is the id of the release a re-check published.
	Release string `json:"release,omitempty"`
}

// ReclaimWarningData is the data of license.reclaim_warning: one idle seat
// that will be released at release_at unless it is used before.
type ReclaimWarningData struct {
	ReclaimID string    `json:"reclaim_id"`
	Vendor    string    `json:"vendor"`
	Account   string    `json:"account"`
	User      string    `json:"user"`
	Code      string    `json:"code"`
	LastUsed  time.Time `json:"last_used"`
	ReleaseAt time.Time `json:"release_at"`
}

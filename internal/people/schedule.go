package people

import (
	"encoding/base64"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// Due reports whether ev is to be reconciled at now: true unless its
// effective time is still ahead. A copy JetStream published from the
// event's schedule (fired) is due whatever the worker's clock says: the
// server's clock decided, and a worker clock a little behind must not
// schedule it again.
func Due(ev events.PersonEvent, now time.Time, fired bool) bool {
	return fired || !ev.Data.Effective.After(now)
}

// ScheduleSubject is the schedule subject of a dated person event: one per
// event (not per person), so that a dated leaver and a dated move of the
// same person both stay scheduled, and a redelivered event replaces its
// own schedule rather than adding one.
func ScheduleSubject(person, eventID string) string {
	return events.PersonSchedulePrefix + "." + token(person) + "." + token(eventID)
}

// ScheduleFilter is the filter of the schedule subjects of person; empty
// matches every person.
func ScheduleFilter(person string) string {
	if person == "" {
		return events.PersonScheduleSubjects
	}
	return events.PersonSchedulePrefix + "." + token(person) + ".*"
}

// token encodes s as one subject token: base64url has no '.', '*', '>'
// or space.
func token(s string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

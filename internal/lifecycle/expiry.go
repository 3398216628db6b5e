package lifecycle

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// Seat is one license code of one user at one vendor account.
type Seat struct {
	Vendor, Account, User, Code string
}

// token encodes s as one subject token: base64url, which has no '.', '*',
// '>' or space; "-" (never a base64url encoding) for empty.
func token(s string) string {
	if s == "" {
		return "-"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// Subject is the seat's schedule subject. There is one per seat, and
// JetStream keeps only the newest message of a schedule subject, so a new
// until for the seat replaces the old and purging the subject cancels it.
func (s Seat) Subject() string {
	return events.SchedulePrefix + "." + s.Vendor + "." + token(s.Account) + "." + token(s.User) + "." + token(s.Code)
}

// UserSubjects is the filter of every schedule subject of one user at one
// vendor account.
func UserSubjects(vendor, account, user string) string {
	return events.SchedulePrefix + "." + vendor + "." + token(account) + "." + token(user) + ".*"
}

// Filter returns the schedule subjects of vendor and user; an empty one
// matches all.
func Filter(vendor, user string) string {
	v, u := "*", "*"
	if vendor != "" {
		v = vendor
	}
	if user != "" {
		u = token(user)
	}
	return events.SchedulePrefix + "." + v + ".*." + u + ".*"
}

// RecheckFilter returns the re-check subjects of vendor and user; an
// empty one matches all.
func RecheckFilter(vendor, user string) string {
	return strings.Replace(Filter(vendor, user), events.SchedulePrefix+".", events.SchedulePrefix+".reclaim.", 1)
}

// ExpiryID is the id of the release that ends seat code of the assign with
// id assignID: derived, so that however often the assign is replayed, the
// release is processed once. An id that would pass the length limit is
// shortened to a digest.
func ExpiryID(assignID, code string) string {
	id := assignID + "/expiry/" + code
	if len(id) <= events.MaxIDLength {
		return id
	}
	sum := sha256.Sum256([]byte(assignID + "\x00" + code))
	return "expiry-" + hex.EncodeToString(sum[:16])
}

// Stamp orders the assigns that set a seat's expiry: the command's time,
// ties broken by its stream sequence (docs/design.md §4 rule 5).
type Stamp struct {
	ID   string
	Time time.Time
	Seq  uint64
}

// Before reports whether s is older than o.
func (s Stamp) Before(o Stamp) bool {
	if !s.Time.Equal(o.Time) {
		return s.Time.Before(o.Time)
	}
	return s.Seq < o.Seq
}

// Expiry is one scheduled release: the seat, when, and the release command
// JetStream will publish on license.release at that time.
type Expiry struct {
	Seat    Seat
	At      time.Time
	From    Stamp
	Release events.Command
}

// Expiries returns the releases an assign's result schedules: one per code
// the assign left the user holding (assigned or already assigned), when the
// assign has an until and was applied (not a dry run, not a failure). A
// skipped, superseded or inherited code schedules nothing: the seat is not
// the assign's to end.
func Expiries(cmd events.Command, res events.Result, from Stamp) []Expiry {
	until := cmd.Data.Until
	if cmd.Type != events.SubjectAssign || until.IsZero() || cmd.Data.DryRun || res.Data.Error != nil {
		return nil
	}
	var out []Expiry
	for _, l := range res.Data.Licenses {
		if l.Status != events.StatusAssigned && l.Status != events.StatusAlreadyAssigned {
			continue
		}
		seat := Seat{Vendor: res.Data.Vendor, Account: res.Data.Account, User: res.Data.User, Code: l.Code}
		out = append(out, Expiry{Seat: seat, At: until, From: from, Release: release(cmd, seat)})
	}
	return out
}

// release is the command that ends seat at cmd's until.
func release(cmd events.Command, seat Seat) events.Command {
	return events.NewCommand(events.SubjectRelease, events.ExpirySource, ExpiryID(cmd.ID, seat.Code), cmd.Data.Until,
		events.CommandData{
			Vendor: seat.Vendor, Account: seat.Account, User: seat.User, Licenses: []string{seat.Code},
			Reason: "until " + cmd.Data.Until.UTC().Format(time.RFC3339) + " of " + cmd.ID,
		})
}

// Cancelled returns the seats whose pending expiry a release's result
// cancels: every code it released or found not assigned. A code it skipped
// (superseded by a newer command) keeps the newer command's expiry.
func Cancelled(cmd events.Command, res events.Result) []Seat {
	if cmd.Type != events.SubjectRelease || cmd.Data.DryRun || res.Data.Error != nil {
		return nil
	}
	var out []Seat
	for _, l := range res.Data.Licenses {
		if l.Status == events.StatusReleased || l.Status == events.StatusNotAssigned {
			out = append(out, Seat{Vendor: res.Data.Vendor, Account: res.Data.Account, User: res.Data.User, Code: l.Code})
		}
	}
	return out
}

// Header returns the headers that carry s on a schedule message.
func (s Stamp) Header() map[string]string {
	return map[string]string{
		events.HeaderAssignID:   s.ID,
		events.HeaderAssignTime: s.Time.UTC().Format(time.RFC3339Nano),
		events.HeaderAssignSeq:  strconv.FormatUint(s.Seq, 10),
	}
}

// StampOf reads the stamp of a schedule message from its headers; ok is
// false when they do not carry one.
func StampOf(get func(string) string) (s Stamp, ok bool) {
	t, err := time.Parse(time.RFC3339Nano, get(events.HeaderAssignTime))
	if err != nil {
		return s, false
	}
	seq, err := strconv.ParseUint(get(events.HeaderAssignSeq), 10, 64)
	if err != nil {
		return s, false
	}
	return Stamp{ID: get(events.HeaderAssignID), Time: t, Seq: seq}, true
}

// DueAt is when JetStream should publish a release due at t: schedules
// have whole seconds, and a seat is never released before its until.
func DueAt(t time.Time) time.Time {
	if r := t.Truncate(time.Second); !r.Equal(t) {
		return r.Add(time.Second)
	}
	return t
}

// RecheckSubject is the subject of the scheduled re-check of a warned
// idle seat: one per seat, apart from its expiry's.
func (s Seat) RecheckSubject() string {
	return events.SchedulePrefix + ".reclaim." + s.Vendor + "." + token(s.Account) + "." + token(s.User) + "." + token(s.Code)
}

// DerivedID is base + "/" + suffix, or a digest of both when that would
// pass the length limit of an id.
func DerivedID(base, suffix string) string {
	id := base + "/" + suffix
	if len(id) <= events.MaxIDLength {
		return id
	}
	sum := sha256.Sum256([]byte(base + "\x00" + suffix))
	return "derived-" + hex.EncodeToString(sum[:16])
}

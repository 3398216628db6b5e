package lifecycle

import (
	"cmp"
	"slices"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// Reclaim says which seats a reclaim takes back: those not used for longer
// than Inactive, after a warning Warn ahead of their release.
type Reclaim struct {
	Inactive time.Duration
	Warn     time.Duration
	// Codes limits the reclaim to these license codes; empty for all.
	Codes []string
	// Exempt reports whether a user's seats are never reclaimed (an
	// explicit list, or a policy); nil for none.
	Exempt func(user string) bool
}

// Verdicts of a reclaim on one seat.
const (
	// VerdictIdle: unused for longer than Inactive; it is warned about and
	// released after Warn.
	VerdictIdle = "idle"
	// VerdictActive: used within Inactive.
	VerdictActive = "active"
	// VerdictYoung: assigned within Inactive; too new to judge.
	VerdictYoung = "young"
	// VerdictExempt: its user is exempt.
	VerdictExempt = "exempt"
	// VerdictUnknown: the vendor reports no last use for it; never
	// guessed idle.
	VerdictUnknown = "no_last_use"
	// VerdictInherited: held through a vendor-side group; not the user's
	// to release.
	VerdictInherited = "inherited"
)

// Holder is one user's seats at a vendor account as the vendor reports
// them, with since when seatkeeper has left the user holding each code,
// where it knows (handlers.HeldSince).
type Holder struct {
	User     string
	Holdings []events.Holding
	Assigned map[string]time.Time
}

// Finding is a reclaim's verdict on one seat.
type Finding struct {
	Seat     Seat
	LastUsed time.Time
	// Assigned is since when the seat is held, where it is known: the
	// reference of its age.
	Assigned time.Time
	Verdict  string
	// ReleaseAt is when an idle seat is released, unless it is used
	// before then.
	ReleaseAt time.Time
}

// Plan judges every seat of holders at now, ordered by code, then by last
// use (the longest unused first), then by user.
func (r Reclaim) Plan(now time.Time, vendor, account string, holders []Holder) []Finding {
	var out []Finding
	for _, h := range holders {
		for _, hold := range h.Holdings {
			if len(r.Codes) > 0 && !slices.Contains(r.Codes, hold.Code) {
				continue
			}
			f := Finding{Seat: Seat{Vendor: vendor, Account: account, User: h.User, Code: hold.Code},
				LastUsed: hold.LastUsed, Assigned: h.Assigned[hold.Code]}
			f.Verdict = r.judge(now, h.User, hold, f.Assigned)
			if f.Verdict == VerdictIdle {
				f.ReleaseAt = now.Add(r.Warn)
			}
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Seat.Code, b.Seat.Code), a.LastUsed.Compare(b.LastUsed), cmp.Compare(a.Seat.User, b.Seat.User))
	})
	return out
}

// judge gives a seat its verdict. The order is the argument: a seat held
// through a group is not the user's to release, whoever the user is; an
// exempt user's seats are never reclaimed, however old; a seat assigned
// less than Inactive ago cannot have gone unused for Inactive since it was
// given, whatever last use the vendor reports (UiPath and ArcGIS report
// one per user, which may be from before this seat) or does not report;
// only then does the last use decide.
func (r Reclaim) judge(now time.Time, user string, hold events.Holding, assigned time.Time) string {
	switch {
	case hold.Source == events.SourceGroup:
		return VerdictInherited
	case r.Exempt != nil && r.Exempt(user):
		return VerdictExempt
	case !assigned.IsZero() && now.Sub(assigned) < r.Inactive:
		return VerdictYoung
	case hold.LastUsed.IsZero():
		return VerdictUnknown
	case now.Sub(hold.LastUsed) <= r.Inactive:
		return VerdictActive
	}
	return VerdictIdle
}

// StillIdle is the check right before an idle seat is released: the last
// use read again now must still be older than Inactive and not after the
// warning. A seat used meanwhile is kept, and one whose last use the
// vendor no longer reports is kept too (never released on a guess).
func (r Reclaim) StillIdle(now, warned, lastUsed time.Time) bool {
	return !lastUsed.IsZero() && now.Sub(lastUsed) > r.Inactive && !lastUsed.After(warned)
}

// Idle returns the idle findings.
func Idle(findings []Finding) []Finding {
	return slices.DeleteFunc(slices.Clone(findings), func(f Finding) bool { return f.Verdict != VerdictIdle })
}

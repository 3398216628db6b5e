package handlers

import (
	"slices"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// LedgerKey returns the ledger bucket key of (vendor, account, user):
// "<vendor>.<account>.<user>", readable in `nats kv ls`. KV keys allow only
// [-/_=.a-zA-Z0-9] and no empty token, so any other byte becomes "=XX" (its
// hex value), "=" itself included; a dot is kept in the user (an e-mail
// stays readable) but escaped in the account, so that the key names one
// (account, user) pair only.
func LedgerKey(vendor, account, user string) string {
	return vendor + "." + escapeKey(account, false) + "." + escapeKey(user, true)
}

func escapeKey(s string, dots bool) string {
	if s == "" {
		return "="
	}
	if !needsEscape(s, dots) {
		return s // the usual case, and no allocation
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '/':
			b.WriteByte(c)
		case c == '.' && dots && i > 0 && i < len(s)-1 && s[i-1] != '.':
			b.WriteByte(c)
		default:
			b.WriteByte('=')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
	}
	return b.String()
}

// needsEscape reports whether escapeKey would change s.
func needsEscape(s string, dots bool) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '/':
		case c == '.' && dots && i > 0 && i < len(s)-1 && s[i-1] != '.':
		default:
			return true
		}
	}
	return false
}

// mark names a command by its place in its user's order: its time, ties
// broken by its stream sequence.
type mark struct {
	Time    time.Time `json:"time"`
	Seq     uint64    `json:"seq,omitempty"`
	Command string    `json:"command"`
}

// after reports whether m comes after o in the order.
func (m mark) after(o mark) bool {
	if !m.Time.Equal(o.Time) {
		return m.Time.After(o.Time)
	}
	return m.Seq > o.Seq
}

// seat is what the ledger knows of one license code of a user: the newest
// command applied to it, whether seatkeeper left the user holding it, and
// whether an expiry of it may be scheduled.
type seat struct {
	mark
	Held bool `json:"held,omitempty"`
	// Expiry is expiryNone when no expiry of the seat can be pending, so
	// that its release need not cancel one; expiryPending once an assign
	// with until was applied to it; empty when not known (a seat an
	// earlier build recorded): a release then cancels.
	Expiry string `json:"expiry,omitempty"`
	// Since is, while Held, the time of the assign that made the ledger
	// record the seat as held: one that assigned it, or one that found it
	// already assigned where the ledger did not record it held. An assign
	// that finds the seat held where the ledger says so keeps it, so that
	// re-sent assigns do not make an old seat look new. Zero in entries
	// of builds that did not keep it.
	Since time.Time `json:"since,omitzero"`
}

// Values of seat.Expiry.
const (
	expiryNone    = "none"
	expiryPending = "pending"
)

// hold is a command's exclusive hold on its user: the command's claim, too.
// While it is live no other command changes the user, on any replica.
type hold struct {
	Command string `json:"command"`
	// Owner is the worker that holds it.
	Owner string `json:"owner"`
	Mark  mark   `json:"mark"`
	// Licenses are the seats the command may change; All is a release of
	// every license the user holds.
	Licenses []string `json:"licenses,omitempty"`
	All      bool     `json:"all,omitempty"`
	// Expiry is holdUntil for an assign with until (applied, it schedules
	// its seats' expiry), else holdNoUntil; empty in a hold an earlier
	// build wrote, which may have scheduled one.
	Expiry string `json:"expiry,omitempty"`
}

// Values of hold.Expiry.
const (
	holdUntil   = "until"
	holdNoUntil = "none"
)

// ledgerEntry is what seatkeeper knows of one user at one vendor account.
type ledgerEntry struct {
	// Seats holds, per license code, the newest command applied to it.
	Seats map[string]seat `json:"seats,omitempty"`
	// ReleasedAll is the newest release of everything applied: it counts
	// as applied to every seat, held or not.
	ReleasedAll *mark `json:"released_all,omitempty"`
	// Assigned are the codes seatkeeper assigned and has not released.
	Assigned []string `json:"assigned"`
	// Hold is the command that holds the user, or held it last: a hold is
	// not removed when its command ends (that would cost a write); the
	// next command finds the holder's stored result and folds it in.
	Hold *hold `json:"hold,omitempty"`
}

// newest returns the newest command applied to seat code.
func (e *ledgerEntry) newest(code string) (mark, bool) {
	s, ok := e.Seats[code]
	m := s.mark
	if e.ReleasedAll != nil && (!ok || e.ReleasedAll.after(m)) {
		return *e.ReleasedAll, true
	}
	return m, ok
}

// superseded reports whether a command newer than own was applied to seat
// code.
func (e *ledgerEntry) superseded(code string, own mark) bool {
	m, ok := e.newest(code)
	return ok && m.Command != own.Command && m.after(own)
}

// supersededSeats returns the codes among the seats of a command marked
// own that a newer command has changed; for a release of everything
// (codes empty), those of every seat the ledger knows. all reports that a
// newer release of everything supersedes the whole command.
func (e *ledgerEntry) supersededSeats(own mark, codes []string) (sup []string, all bool) {
	if e.ReleasedAll != nil && e.ReleasedAll.Command != own.Command && e.ReleasedAll.after(own) && len(codes) == 0 {
		return nil, true
	}
	if len(codes) == 0 {
		for code := range e.Seats {
			codes = append(codes, code)
		}
		slices.Sort(codes)
	}
	for _, code := range codes {
		if e.superseded(code, own) {
			sup = append(sup, code)
		}
	}
	return sup, false
}

// apply records the outcome of the command holding hd: every seat its
// results say it decided, and, for a release of everything, that release.
func (e *ledgerEntry) apply(hd *hold, results []events.LicenseResult) {
	m, all := hd.Mark, hd.All
	for _, r := range results {
		var held bool
		switch r.Status {
		case events.StatusAssigned, events.StatusAlreadyAssigned:
			held = true
		case events.StatusReleased, events.StatusNotAssigned:
		default:
			continue
		}
		if e.setSeat(r.Code, m, &held, r.Status == events.StatusAssigned) {
			e.setExpiry(r.Code, held, hd.Expiry)
		}
	}
	if all && (e.ReleasedAll == nil || m.after(*e.ReleasedAll)) {
		e.ReleasedAll = &m
		for code, s := range e.Seats {
			if !s.after(m) {
				s.Held, s.Since = false, time.Time{}
				e.Seats[code] = s
			}
		}
	}
	e.syncAssigned()
}

// applyLapsed records a hold taken over after it lapsed, as though its
// command had been applied: it may have changed its seats at the vendor
// before it lapsed. A newer command's seats are thereby kept from older
// commands until it is delivered again and decides them; an older one's
// marks are overtaken by the newer command taking over.
func (e *ledgerEntry) applyLapsed(h *hold) {
	for _, code := range h.Licenses {
		if e.setSeat(code, h.Mark, nil, false) && h.Expiry != holdNoUntil {
			s := e.Seats[code]
			s.Expiry = expiryPending
			e.Seats[code] = s
		}
	}
	if h.All && (e.ReleasedAll == nil || h.Mark.after(*e.ReleasedAll)) {
		m := h.Mark
		e.ReleasedAll = &m
	}
}

// setSeat records m on seat code unless a newer command is recorded (it
// then reports false); held nil keeps what the ledger knew. gave says the
// command assigned the seat (rather than finding it assigned): the seat is
// held since m.
func (e *ledgerEntry) setSeat(code string, m mark, held *bool, gave bool) bool {
	s, ok := e.Seats[code]
	if ok && s.after(m) {
		return false
	}
	if e.Seats == nil {
		e.Seats = make(map[string]seat)
	}
	if !ok {
		// No command this build or the one before it applied to the
		// seat: none scheduled its expiry.
		s.Expiry = expiryNone
	}
	s.mark = m
	if held != nil {
		switch {
		case !*held:
			s.Since = time.Time{}
		case gave || !s.Held:
			s.Since = m.Time
		}
		s.Held = *held
	}
	e.Seats[code] = s
	return true
}

// setExpiry records what an applied command, holding with expiry (see
// hold.Expiry), did to seat code's expiry: an assign with until schedules
// one; a release cancels it (a release's result is acted on before its
// command is acked, replays included); an assign without until leaves it
// as it was. What an earlier build's assign did is not known.
func (e *ledgerEntry) setExpiry(code string, held bool, expiry string) {
	s := e.Seats[code]
	switch {
	case !held:
		s.Expiry = expiryNone
	case expiry == holdUntil:
		s.Expiry = expiryPending
	case expiry != holdNoUntil:
		s.Expiry = ""
	}
	e.Seats[code] = s
}

// unscheduled returns the codes among released whose seats can have no
// expiry pending: known to have none, or never recorded (every command
// applied by a build that schedules expiries records its seats).
func (e *ledgerEntry) unscheduled(released []string) []string {
	var out []string
	for _, code := range released {
		if s, ok := e.Seats[code]; !ok || s.Expiry == expiryNone {
			out = append(out, code)
		}
	}
	return out
}

// heldSince returns, per code the ledger records held, since when it is
// held; codes held since an unknown time are absent.
func (e *ledgerEntry) heldSince() map[string]time.Time {
	out := map[string]time.Time{}
	for code, s := range e.Seats {
		if s.Held && !s.Since.IsZero() {
			out[code] = s.Since
		}
	}
	return out
}

// syncAssigned derives Assigned from the seats. A code listed without a
// seat comes from an entry an earlier build wrote, which kept no seats: it
// stays until a command decides that seat.
func (e *ledgerEntry) syncAssigned() {
	e.Assigned = slices.DeleteFunc(e.Assigned, func(code string) bool {
		_, ok := e.Seats[code]
		return ok
	})
	for code, s := range e.Seats {
		if s.Held {
			e.Assigned = append(e.Assigned, code)
		}
	}
	slices.Sort(e.Assigned)
}

// empty reports whether the entry records nothing applied.
func (e *ledgerEntry) empty() bool {
	return len(e.Seats) == 0 && e.ReleasedAll == nil
}

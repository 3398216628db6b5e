package msp360

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// license is one entry of GET /api/Licenses. Transaction and User are not
// read; null strings decode as "".
type license struct {
	ID              string     `json:"ID"`
	Number          flexString `json:"Number"`
	ComputerName    string     `json:"ComputerName"`
	OperatingSystem string     `json:"OperatingSystem"`
	IsTrial         bool       `json:"IsTrial"`
	IsTaken         bool       `json:"IsTaken"`
	LicenseType     string     `json:"LicenseType"`
	DateExpired     string     `json:"DateExpired"`
	UserID          string     `json:"UserID"`
}

// flexString accepts a JSON string, number or null (the reference does not
// say which Number is).
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*f = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("license number: %w", err)
		}
		*f = flexString(n)
	}
	return nil
}

// expiryLayouts are the forms DateExpired is read in. ASSUMED: a date
// without a zone (ASP.NET's default for an unspecified DateTime) is UTC.
var expiryLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"}

// expiry returns when l expires; ok is false when it has no readable date,
// which the adapter treats as never expiring. .NET's DateTime.MinValue
// (year 1) is read as "no date" too, lest a serialised default make a
// license look expired.
func (l *license) expiry() (time.Time, bool) {
	for _, layout := range expiryLayouts {
		if t, err := time.Parse(layout, strings.TrimSpace(l.DateExpired)); err == nil {
			return t.UTC(), t.Year() > 1
		}
	}
	return time.Time{}, false
}

func (l *license) expired(now time.Time) bool {
	t, ok := l.expiry()
	return ok && !now.Before(t)
}

func (l *license) heldBy(user string) bool {
	return l.UserID != "" && strings.EqualFold(l.UserID, user)
}

// free reports whether l can be granted: no user, not taken by a computer,
// not expired.
func (l *license) free(now time.Time) bool {
	return l.UserID == "" && !l.IsTaken && !l.expired(now)
}

func (l *license) holding() events.Holding {
	h := events.Holding{Code: l.LicenseType, ID: l.ID, Type: l.LicenseType, Trial: l.IsTrial, Source: events.SourceDirect}
	h.Name = string(l.Number)
	if l.ComputerName != "" {
		if h.Name != "" {
			h.Name += " on "
		}
		h.Name += l.ComputerName
	}
	if t, ok := l.expiry(); ok {
		h.Expires = t.Format(time.RFC3339)
	} else if !strings.HasPrefix(l.DateExpired, "0001-") {
		h.Expires = l.DateExpired // unreadable: shown as sent
	}
	return h
}

// inventory is the provider's license list at one moment, ordered by id.
type inventory struct {
	now      time.Time
	licenses []license
}

func newInventory(ls []license, now time.Time) *inventory {
	sort.Slice(ls, func(i, j int) bool { return strings.ToLower(ls[i].ID) < strings.ToLower(ls[j].ID) })
	return &inventory{now: now, licenses: ls}
}

func (inv *inventory) clone() *inventory {
	return &inventory{now: inv.now, licenses: append([]license(nil), inv.licenses...)}
}

// byID returns the license with id, or nil.
func (inv *inventory) byID(id string) *license {
	for i := range inv.licenses {
		if strings.EqualFold(inv.licenses[i].ID, id) {
			return &inv.licenses[i]
		}
	}
	return nil
}

// hasType reports whether any license is of type typ.
func (inv *inventory) hasType(typ string) bool {
	for i := range inv.licenses {
		if strings.EqualFold(inv.licenses[i].LicenseType, typ) {
			return true
		}
	}
	return false
}

// heldOf returns the licenses user holds that code names: the license
// with that id, or the user's licenses of that type.
func (inv *inventory) heldOf(user, code string) []*license {
	if l := inv.byID(code); l != nil {
		if l.heldBy(user) {
			return []*license{l}
		}
		return nil
	}
	var out []*license
	for i := range inv.licenses {
		if l := &inv.licenses[i]; l.heldBy(user) && strings.EqualFold(l.LicenseType, code) {
			out = append(out, l)
		}
	}
	return out
}

// pick returns the free license of typ to grant, or nil: paid before trial,
// then the earliest expiry (none last), then the lowest id.
func (inv *inventory) pick(typ string) *license {
	var best *license
	for i := range inv.licenses {
		l := &inv.licenses[i]
		if strings.EqualFold(l.LicenseType, typ) && l.free(inv.now) && (best == nil || preferred(l, best)) {
			best = l
		}
	}
	return best
}

func preferred(a, b *license) bool {
	if a.IsTrial != b.IsTrial {
		return !a.IsTrial
	}
	ta, oka := a.expiry()
	tb, okb := b.expiry()
	switch {
	case oka != okb:
		return oka
	case oka && !ta.Equal(tb):
		return ta.Before(tb)
	}
	return strings.ToLower(a.ID) < strings.ToLower(b.ID)
}

// holdings returns what user holds, ordered by type then id.
func (inv *inventory) holdings(user string) []events.Holding {
	out := []events.Holding{}
	for i := range inv.licenses {
		if l := &inv.licenses[i]; l.heldBy(user) {
			out = append(out, l.holding())
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// heldTypes returns the types user holds, each spelled as on the user's
// license with the lowest id, in that order.
func (inv *inventory) heldTypes(user string) []string {
	var out []string
	seen := map[string]bool{}
	for i := range inv.licenses {
		l := &inv.licenses[i]
		if key := strings.ToLower(l.LicenseType); l.heldBy(user) && !seen[key] {
			seen[key] = true
			out = append(out, l.LicenseType)
		}
	}
	return out
}

// pools returns one pool per license type (compared case-insensitively,
// spelled as on the license with the lowest id). Total counts the licenses
// not expired; Assigned those of them held by a user or taken by a
// computer, so that Free is what an assign can still grant.
func (inv *inventory) pools() []events.Pool {
	byType := map[string]int{}
	var out []events.Pool
	for i := range inv.licenses {
		l := &inv.licenses[i]
		key := strings.ToLower(l.LicenseType)
		idx, ok := byType[key]
		if !ok {
			idx = len(out)
			byType[key] = idx
			out = append(out, events.Pool{Code: l.LicenseType})
		}
		if l.expired(inv.now) {
			continue
		}
		out[idx].Total++
		if l.UserID != "" || l.IsTaken {
			out[idx].Assigned++
		}
	}
	for i := range out {
		out[i].Free = out[i].Total - out[i].Assigned
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

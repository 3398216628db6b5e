package uipath

import (
	"slices"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// seats is what a user holds: the direct allocations, which the PUT
// replaces, and the bundles held through a group, which it cannot touch.
type seats struct {
	direct   []string
	groups   map[string]string // code -> the group that gives it
	lastUsed map[string]time.Time
	order    []string // every held code once, in the service's order
	external bool
}

func newSeats(a allocations) seats {
	s := seats{groups: make(map[string]string), lastUsed: make(map[string]time.Time), external: a.UseExternalLicense}
	for _, e := range a.Allocations {
		if e.Code == "" {
			continue
		}
		if e.direct() {
			s.direct = appendNew(s.direct, e.Code)
		} else if _, ok := s.groups[e.Code]; !ok {
			s.groups[e.Code] = e.group()
		}
		if used := e.lastUsed(); used.After(s.lastUsed[e.Code]) {
			s.lastUsed[e.Code] = used
		}
		s.order = appendNew(s.order, e.Code)
	}
	return s
}

// holds reports whether the user takes a seat of code, however held.
func (s seats) holds(code string) bool { return slices.Contains(s.order, code) }

// group returns the group that gives code, if one does.
func (s seats) group(code string) (string, bool) {
	g, ok := s.groups[code]
	return g, ok
}

// withDirect returns s with its direct allocations replaced by direct.
func (s seats) withDirect(direct []string) seats {
	out := s
	out.direct = slices.Clone(direct)
	out.order = nil
	for _, code := range s.order {
		if _, group := s.groups[code]; group || slices.Contains(direct, code) {
			out.order = append(out.order, code)
		}
	}
	for _, code := range direct {
		out.order = appendNew(out.order, code)
	}
	return out
}

// holdings is s as held entries. A bundle held through a group is from the
// group even if also allocated directly: releasing it from the user does
// not free the seat.
func (s seats) holdings() []events.Holding {
	out := make([]events.Holding, len(s.order))
	for i, code := range s.order {
		h := events.Holding{Code: code, Source: events.SourceDirect, LastUsed: s.lastUsed[code]}
		if g, ok := s.groups[code]; ok {
			h.Source, h.Group = events.SourceGroup, g
		}
		out[i] = h
	}
	return out
}

func appendNew(codes []string, code string) []string {
	if slices.Contains(codes, code) {
		return codes
	}
	return append(codes, code)
}

package uipathtest

import (
	"slices"
	"sort"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// account is one organisation: its pools (bundle code -> total), its
// directory of users with their direct allocations, and its groups. An
// account without pools has no license.
type account struct {
	pools  map[string]int
	users  map[string]*user
	groups map[string]*group
	// inUse counts the users holding each code, directly or through a
	// group (one seat per user however many ways the user holds it), kept
	// by update so that a PUT's capacity check does not scan every user.
	inUse map[string]int
}

// group is a directory group that allocates bundles to its members. The
// PUT user-license does not touch what a group gives.
type group struct {
	name  string
	codes []string
}

// user is one directory user of the organisation.
type user struct {
	email string
	// licensed: the license service knows the user, because an allocation
	// was once made to it or a group gives it a bundle. What the
	// allocations read answers for a user it does not know is
	// Options.NeverLicensed.
	licensed bool
	bundles  []string // direct allocations
	external bool
	groups   []string // ids of the groups the user is a member of
	lastUse  map[string]time.Time
}

// holds returns every code u holds, directly or through a group, sorted.
func (a *account) holds(u *user) []string {
	out := slices.Clone(u.bundles)
	for _, id := range u.groups {
		if g := a.groups[id]; g != nil {
			out = append(out, g.codes...)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// update applies change to u, keeping the seat counts.
func (a *account) update(u *user, change func()) {
	for _, c := range a.holds(u) {
		a.inUse[c]--
	}
	change()
	for _, c := range a.holds(u) {
		a.inUse[c]++
	}
}

func (s *Server) accountLocked(id string) *account {
	a := s.accounts[id]
	if a == nil {
		a = &account{pools: make(map[string]int), users: make(map[string]*user),
			groups: make(map[string]*group), inUse: make(map[string]int)}
		s.accounts[id] = a
	}
	return a
}

// userLocked returns the user of account, nil if there is none.
func (s *Server) userLocked(accountID, userID string) *user {
	if a := s.accounts[accountID]; a != nil {
		return a.users[userID]
	}
	return nil
}

// AddUser makes user known to the directory of account (created if need
// be), holding nothing and never licensed, with the e-mail
// <userID>@example.com. A user already known keeps its bundles.
func (s *Server) AddUser(accountID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accountLocked(accountID)
	if a.users[userID] == nil {
		a.users[userID] = &user{email: userID + "@example.com", lastUse: make(map[string]time.Time)}
	}
}

// SetEmail sets the e-mail the directory shows for a known user.
func (s *Server) SetEmail(accountID, userID, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustUser(accountID, userID).email = email
}

// AddGroup creates (or replaces the bundles of) a group of account that
// allocates codes to its members, named name.
func (s *Server) AddGroup(accountID, groupID, name string, codes ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accountLocked(accountID)
	var members []*user
	for _, u := range a.users {
		if slices.Contains(u.groups, groupID) {
			members = append(members, u)
		}
	}
	// Re-count the members' seats around the change.
	for _, u := range members {
		for _, c := range a.holds(u) {
			a.inUse[c]--
		}
	}
	a.groups[groupID] = &group{name: name, codes: slices.Clone(codes)}
	for _, u := range members {
		for _, c := range a.holds(u) {
			a.inUse[c]++
		}
	}
}

// AddToGroup makes a known user a member of a group, so that it holds the
// group's bundles (past its pools' totals if need be: group allocation is
// the organisation's business, not the test's).
func (s *Server) AddToGroup(accountID, userID, groupID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accountLocked(accountID)
	u := s.mustUser(accountID, userID)
	if a.groups[groupID] == nil {
		panic("uipathtest: no group " + groupID)
	}
	if slices.Contains(u.groups, groupID) {
		return
	}
	a.update(u, func() {
		u.groups = append(u.groups, groupID)
		u.licensed = true
	})
}

// SetLastUse records when user last used the code bundle (the allocations
// read's lastInUse); the zero time clears it.
func (s *Server) SetLastUse(accountID, userID, code string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.mustUser(accountID, userID)
	if at.IsZero() {
		delete(u.lastUse, code)
		return
	}
	u.lastUse[code] = at
}

func (s *Server) mustUser(accountID, userID string) *user {
	u := s.userLocked(accountID, userID)
	if u == nil {
		panic("uipathtest: no user " + userID + " in " + accountID)
	}
	return u
}

// SetPool sets the total of the code pool of account (created if need be),
// which licenses the account. Allocations already made are kept, even past
// a lowered total.
func (s *Server) SetPool(accountID, code string, total int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accountLocked(accountID).pools[code] = total
}

// Held returns the bundle codes user holds in account, directly or through
// a group (the seats the user takes), sorted; nil for an unknown user.
func (s *Server) Held(accountID, userID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(accountID, userID)
	if u == nil {
		return nil
	}
	return s.accounts[accountID].holds(u)
}

// HeldDirect returns the bundle codes directly allocated to user, sorted.
func (s *Server) HeldDirect(accountID, userID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.userLocked(accountID, userID)
	if u == nil {
		return nil
	}
	out := slices.Clone(u.bundles)
	sort.Strings(out)
	return out
}

// Pools returns account's pools, sorted by code.
func (s *Server) Pools(accountID string) []events.Pool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[accountID]
	if a == nil {
		return nil
	}
	return a.poolsView()
}

func (a *account) allocated(code string) int { return a.inUse[code] }

func (a *account) poolsView() []events.Pool {
	out := make([]events.Pool, 0, len(a.pools))
	for code, total := range a.pools {
		n := a.allocated(code)
		out = append(out, events.Pool{Code: code, Total: total, Assigned: n, Free: max(total-n, 0)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

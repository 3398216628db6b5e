package uipathtest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
)

// snapshot is what Snapshot saves: the organisation, not the session
// (tokens, faults, the request log).
type snapshot struct {
	Accounts map[string]accountSnapshot `json:"accounts"`
}

type accountSnapshot struct {
	Pools  map[string]int           `json:"pools"`
	Users  map[string]userSnapshot  `json:"users"`
	Groups map[string]groupSnapshot `json:"groups,omitempty"`
}

type groupSnapshot struct {
	Name  string   `json:"name"`
	Codes []string `json:"codes,omitempty"`
}

type userSnapshot struct {
	Email    string               `json:"email,omitempty"`
	Licensed bool                 `json:"licensed,omitempty"`
	Bundles  []string             `json:"bundles,omitempty"`
	External bool                 `json:"external,omitempty"`
	Groups   []string             `json:"groups,omitempty"`
	LastUse  map[string]time.Time `json:"last_use,omitempty"`
}

// Snapshot returns the fake's accounts, pools, groups, users and
// allocations as JSON, so that a sandbox can outlive its process (Restore
// reads it back).
func (s *Server) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := snapshot{Accounts: make(map[string]accountSnapshot, len(s.accounts))}
	for id, a := range s.accounts {
		as := accountSnapshot{Pools: maps.Clone(a.pools), Users: make(map[string]userSnapshot, len(a.users)),
			Groups: make(map[string]groupSnapshot, len(a.groups))}
		for gid, g := range a.groups {
			as.Groups[gid] = groupSnapshot{Name: g.name, Codes: slices.Clone(g.codes)}
		}
		for uid, u := range a.users {
			as.Users[uid] = userSnapshot{Email: u.email, Licensed: u.licensed, Bundles: slices.Clone(u.bundles),
				External: u.external, Groups: slices.Clone(u.groups), LastUse: maps.Clone(u.lastUse)}
		}
		snap.Accounts[id] = as
	}
	return json.Marshal(snap)
}

// Restore replaces the fake's accounts, pools, groups, users and
// allocations with those of a Snapshot.
func (s *Server) Restore(data []byte) error {
	var snap snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return fmt.Errorf("uipathtest: restore: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts = make(map[string]*account, len(snap.Accounts))
	for id, as := range snap.Accounts {
		a := s.accountLocked(id)
		maps.Copy(a.pools, as.Pools)
		for gid, gs := range as.Groups {
			a.groups[gid] = &group{name: gs.Name, codes: slices.Clone(gs.Codes)}
		}
		for uid, us := range as.Users {
			u := &user{email: us.Email, licensed: us.Licensed, external: us.External, lastUse: maps.Clone(us.LastUse)}
			if u.lastUse == nil {
				u.lastUse = make(map[string]time.Time)
			}
			a.users[uid] = u
			a.update(u, func() {
				u.bundles = slices.Clone(us.Bundles)
				u.groups = slices.Clone(us.Groups)
			})
		}
	}
	return nil
}

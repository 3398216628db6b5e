package uipathtest

import (
	"encoding/json"
	"fmt"
)

// snapshot is what Snapshot saves: the organisation, not the session
// (tokens, faults, the request log).
type snapshot struct {
	Accounts map[string]accountSnapshot `json:"accounts"`
}

type accountSnapshot struct {
	Pools map[string]int          `json:"pools"`
	Users map[string]userSnapshot `json:"users"`
}

type userSnapshot struct {
	Bundles  []string `json:"bundles,omitempty"`
	External bool     `json:"external,omitempty"`
}

// Snapshot returns the fake's accounts, pools, users and allocations as
// JSON, so that a sandbox can outlive its process (Restore reads it back).
func (s *Server) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := snapshot{Accounts: make(map[string]accountSnapshot, len(s.accounts))}
	for id, a := range s.accounts {
		as := accountSnapshot{Pools: make(map[string]int, len(a.pools)), Users: make(map[string]userSnapshot, len(a.users))}
		for code, total := range a.pools {
			as.Pools[code] = total
		}
		for uid, u := range a.users {
			as.Users[uid] = userSnapshot{Bundles: append([]string(nil), u.bundles...), External: u.external}
		}
		snap.Accounts[id] = as
	}
	return json.Marshal(snap)
}

// Restore replaces the fake's accounts, pools, users and allocations with
// those of a Snapshot.
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
		for code, total := range as.Pools {
			a.pools[code] = total
		}
		for uid, us := range as.Users {
			u := &user{external: us.External}
			a.users[uid] = u
			a.setBundles(u, us.Bundles)
		}
	}
	return nil
}

package arcgistest

import (
	"encoding/json"
	"fmt"
	"time"
)

// snapshot is what Snapshot saves: the organisation's members and what it
// bought, not the session (tokens, faults, the request log).
type snapshot struct {
	Members map[string]memberSnapshot `json:"members"`
	TypeQty map[string]int            `json:"user_types"`
	EntMax  map[string]int            `json:"entitlements"`
}

type memberSnapshot struct {
	UserType string `json:"user_type"`
	// Entitlements is null for a member without access to the listing, a
	// list (maybe empty) otherwise.
	Entitlements []string  `json:"entitlements"`
	Email        string    `json:"email,omitempty"`
	LastLogin    time.Time `json:"last_login,omitzero"`
	ProLastLogin time.Time `json:"pro_last_login,omitzero"`
	Disconnected bool      `json:"disconnected,omitempty"`
}

// Snapshot returns the fake's members, user types and entitlements as
// JSON, so that a sandbox can outlive its process (Restore reads it back).
func (s *Server) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := snapshot{Members: make(map[string]memberSnapshot, len(s.users)), TypeQty: s.typeQty, EntMax: s.entMax}
	for name, m := range s.users {
		snap.Members[name] = memberSnapshot{UserType: m.userType, Entitlements: m.entitlements, Email: m.email,
			LastLogin: m.lastLogin, ProLastLogin: m.proLastLogin, Disconnected: m.disconnected}
	}
	return json.Marshal(snap)
}

// Restore replaces the fake's members, user types and entitlements with
// those of a Snapshot.
func (s *Server) Restore(data []byte) error {
	var snap snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return fmt.Errorf("arcgistest: restore: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users = make(map[string]*member, len(snap.Members))
	for name, m := range snap.Members {
		s.users[name] = &member{userType: m.UserType, entitlements: m.Entitlements, email: m.Email,
			lastLogin: m.LastLogin, proLastLogin: m.ProLastLogin, disconnected: m.Disconnected}
	}
	s.typeQty, s.entMax = orEmpty(snap.TypeQty), orEmpty(snap.EntMax)
	return nil
}

func orEmpty(m map[string]int) map[string]int {
	if m == nil {
		return make(map[string]int)
	}
	return m
}

package licensespringtest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
)

// snapshot is what Snapshot saves: the licenses and their users, not the
// session (faults, the request log).
type snapshot struct {
	Licenses []licenseSnapshot       `json:"licenses"`
	Users    map[string]userSnapshot `json:"users"` // by the key the fake files them under
	NextID   int64                   `json:"next_id"`
	NextUser int64                   `json:"next_user"`
}

type licenseSnapshot struct {
	License
	Users []string `json:"users,omitempty"` // emails in assignment order
}

type userSnapshot struct {
	ID       int64  `json:"id"`
	Email    string `json:"email"`
	Password string `json:"password,omitempty"` // the fake's own, generated
}

// Snapshot returns the fake's licenses and license users as JSON, so that
// a sandbox can outlive its process (Restore reads it back).
func (s *Server) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := snapshot{NextID: s.nextID, NextUser: s.nextUser, Users: make(map[string]userSnapshot, len(s.users))}
	for _, l := range s.licenses {
		snap.Licenses = append(snap.Licenses, licenseSnapshot{License: l.License, Users: append([]string(nil), l.users...)})
	}
	slices.SortFunc(snap.Licenses, func(a, b licenseSnapshot) int { return cmp.Compare(a.ID, b.ID) })
	for key, u := range s.users {
		snap.Users[key] = userSnapshot{ID: u.id, Email: u.email, Password: u.password}
	}
	return json.Marshal(snap)
}

// Restore replaces the fake's licenses and license users with those of a
// Snapshot.
func (s *Server) Restore(data []byte) error {
	var snap snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return fmt.Errorf("licensespringtest: restore: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.licenses = make(map[int64]*license, len(snap.Licenses))
	for _, l := range snap.Licenses {
		s.licenses[l.ID] = &license{License: l.License, users: l.Users}
	}
	s.users = make(map[string]*licenseUser, len(snap.Users))
	for key, u := range snap.Users {
		s.users[key] = &licenseUser{id: u.ID, email: u.Email, password: u.Password}
	}
	s.nextID, s.nextUser = snap.NextID, snap.NextUser
	return nil
}

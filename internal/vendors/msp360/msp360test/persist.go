package msp360test

import (
	"encoding/json"
	"fmt"
)

// snapshot is what Snapshot saves: the users and licenses, not the session
// (tokens, faults, the request log).
type snapshot struct {
	Users    map[string]string   `json:"users"`    // lower-case user id -> login
	UserIDs  map[string]string   `json:"user_ids"` // lower-case user id -> id as issued
	Licenses map[string]*License `json:"licenses"`
	NextUser int                 `json:"next_user"`
	NextLic  int                 `json:"next_license"`
}

// Snapshot returns the fake's users and licenses as JSON, so that a
// sandbox can outlive its process (Restore reads it back).
func (s *Server) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return json.Marshal(snapshot{Users: s.users, UserIDs: s.userIDs, Licenses: s.licenses,
		NextUser: s.nextUser, NextLic: s.nextLic})
}

// Restore replaces the fake's users and licenses with those of a Snapshot.
func (s *Server) Restore(data []byte) error {
	var snap snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return fmt.Errorf("msp360test: restore: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users, s.userIDs, s.licenses = snap.Users, snap.UserIDs, snap.Licenses
	s.nextUser, s.nextLic = snap.NextUser, snap.NextLic
	for _, m := range []*map[string]string{&s.users, &s.userIDs} {
		if *m == nil {
			*m = make(map[string]string)
		}
	}
	if s.licenses == nil {
		s.licenses = make(map[string]*License)
	}
	return nil
}

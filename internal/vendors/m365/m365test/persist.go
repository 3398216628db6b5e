package m365test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
)

// snapshot is what Snapshot saves: the tenant's SKUs and users, not the
// session (tokens, faults, throttling, the request log).
type snapshot struct {
	SKUs  []skuSnapshot  `json:"skus"`
	Users []userSnapshot `json:"users"`
}

type skuSnapshot struct {
	ID        string `json:"id"`
	Part      string `json:"part"`
	Enabled   int    `json:"enabled"`
	Suspended int    `json:"suspended,omitempty"`
	Warning   int    `json:"warning,omitempty"`
	External  int    `json:"external,omitempty"`
	AppliesTo string `json:"applies_to,omitempty"`
}

type userSnapshot struct {
	ID            string            `json:"id"`
	UPN           string            `json:"upn"`
	DisplayName   string            `json:"display_name,omitempty"`
	Mail          string            `json:"mail,omitempty"`
	UsageLocation string            `json:"usage_location,omitempty"`
	Direct        []string          `json:"direct,omitempty"` // sku ids assigned directly
	Group         map[string]string `json:"group,omitempty"`  // sku id -> the group it is inherited from
	LastSignIn    time.Time         `json:"last_sign_in,omitzero"`
}

// Snapshot returns the fake's SKUs and users with their licenses as JSON,
// so that a sandbox can outlive its process (Restore reads it back).
func (s *Server) Snapshot() ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var snap snapshot
	for _, k := range s.skus {
		snap.SKUs = append(snap.SKUs, skuSnapshot{ID: k.id, Part: k.part, Enabled: k.enabled,
			Suspended: k.suspended, Warning: k.warning, External: k.external, AppliesTo: k.appliesTo})
	}
	for _, u := range s.users {
		snap.Users = append(snap.Users, userSnapshot{ID: u.id, UPN: u.upn, DisplayName: u.displayName, Mail: u.mail,
			UsageLocation: u.usageLocation, Direct: setKeys(u.direct), Group: maps.Clone(u.group), LastSignIn: u.lastSignIn})
	}
	return json.Marshal(snap)
}

// Restore replaces the fake's SKUs and users with those of a Snapshot.
func (s *Server) Restore(data []byte) error {
	var snap snapshot
	if err := json.Unmarshal(data, &snap); err != nil {
		return fmt.Errorf("m365test: restore: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.skus, s.users = nil, nil
	for _, k := range snap.SKUs {
		s.skus = append(s.skus, &sku{id: k.ID, part: k.Part, enabled: k.Enabled, suspended: k.Suspended,
			warning: k.Warning, external: k.External, appliesTo: k.AppliesTo})
	}
	for _, u := range snap.Users {
		group := maps.Clone(u.Group)
		if group == nil {
			group = make(map[string]string)
		}
		s.users = append(s.users, &user{id: u.ID, upn: u.UPN, displayName: u.DisplayName, mail: u.Mail,
			usageLocation: u.UsageLocation, direct: toSet(u.Direct), group: group, lastSignIn: u.LastSignIn})
	}
	return nil
}

func setKeys(set map[string]bool) []string {
	var out []string
	for k, on := range set {
		if on {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func toSet(keys []string) map[string]bool {
	set := make(map[string]bool, len(keys))
	for _, k := range keys {
		set[k] = true
	}
	return set
}

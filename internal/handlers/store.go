package handlers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"
)

// Store is the idempotency bucket: a key-value store with compare-and-set on
// revisions, as JetStream KV provides.
type Store interface {
	// Create stores value under key if the key is absent, else ErrExists.
	Create(ctx context.Context, key string, value []byte) (uint64, error)
	// Get returns the value and revision of key, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, uint64, error)
	// Update replaces key's value if its revision is still rev, else
	// ErrConflict.
	Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error)
}

// Store errors, returned (possibly wrapped) by Store implementations.
var (
	ErrExists   = errors.New("key exists")
	ErrNotFound = errors.New("key not found")
	ErrConflict = errors.New("revision conflict")
)

// CommandKey returns the bucket key of a command id. KV keys allow only
// [-/_=.a-zA-Z0-9], so the id is base64url-encoded.
func CommandKey(id string) string {
	return "c." + base64.RawURLEncoding.EncodeToString([]byte(id))
}

// Record states.
const (
	stateClaimed = "claimed"
	stateDone    = "done"
)

// record is what the idempotency bucket holds for one command id.
type record struct {
	State string `json:"state"`
	// Owner is the worker holding the claim; LeaseUntil is when another
	// worker may take it over.
	Owner      string    `json:"owner,omitempty"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	// FirstAttempt starts the total retry budget; Attempts counts vendor
	// calls over every delivery.
	FirstAttempt time.Time `json:"first_attempt"`
	Attempts     int       `json:"attempts"`
	// Subject and Result are the stored result, replayed byte for byte.
	Subject string          `json:"subject,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
}

// Record is a stored command outcome, as read back by tools (redrive).
type Record struct {
	Done    bool
	Subject string
	Result  []byte
}

// LookupRecord reads the stored outcome of command id.
func LookupRecord(ctx context.Context, s Store, id string) (Record, error) {
	b, _, err := s.Get(ctx, CommandKey(id))
	if err != nil {
		return Record{}, err
	}
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		return Record{}, err
	}
	return Record{Done: rec.State == stateDone, Subject: rec.Subject, Result: rec.Result}, nil
}

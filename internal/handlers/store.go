package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// Store is a key-value bucket with compare-and-set on revisions, as
// JetStream KV provides. The idempotency bucket and the ledger are each one.
type Store interface {
	// Create stores value under key if the key is absent, else ErrExists.
	Create(ctx context.Context, key string, value []byte) (uint64, error)
	// Get returns the value and revision of key, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, uint64, error)
	// Update replaces key's value if its revision is still rev, else
	// ErrConflict.
	Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error)
	// Delete removes key if its revision is still rev, else ErrConflict.
	Delete(ctx context.Context, key string, rev uint64) error
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

// Record states. Records written by earlier builds may also say "claimed":
// like deferred, not done.
const (
	stateDeferred = "deferred"
	stateDone     = "done"
)

// record is what the idempotency bucket holds for one command id: its
// outcome once done, or, while it is deferred, how much of its retry budget
// it has used. A command being worked on has no record yet: its hold on its
// user in the ledger is its claim.
type record struct {
	State string `json:"state"`
	// Digest is the digest of the command's meaning (see Digest): the same
	// id with another meaning is an idempotency conflict.
	Digest string `json:"digest,omitempty"`
	// FirstAttempt starts the total retry budget; Attempts counts vendor
	// calls over every delivery.
	FirstAttempt time.Time `json:"first_attempt"`
	Attempts     int       `json:"attempts"`
	// Subject and Result are the stored result, replayed byte for byte.
	Subject string          `json:"subject,omitempty"`
	Result  json.RawMessage `json:"result,omitempty"`
	// Published: the result is stored in the result stream, so a replay
	// (a redelivery, a re-created consumer, a re-publish days later) does
	// not add a second copy.
	Published bool `json:"published,omitempty"`
}

// marshal encodes r as json.Marshal does, without compacting the result
// again: json.Marshal re-scans a json.RawMessage byte by byte, and the
// result is most of a record. r.Result is the result as this package
// encoded it (or read it back), so it is compact JSON already.
func (r record) marshal() ([]byte, error) {
	result := r.Result
	r.Result = nil
	b, err := json.Marshal(r)
	if err != nil || len(result) == 0 {
		return b, err
	}
	if result[0] != '{' || result[len(result)-1] != '}' {
		return nil, errors.New("record: the result is not a JSON object")
	}
	out := make([]byte, 0, len(b)+len(result)+len(`,"result":`))
	out = append(out, b[:len(b)-1]...)
	out = append(out, `,"result":`...)
	out = append(out, result...)
	return append(out, '}'), nil
}

// Record is a stored command outcome, as read back by tools (redrive).
type Record struct {
	Done    bool
	Subject string
	Result  []byte
	// Digest is the digest of the stored command's meaning; empty for
	// records written before digests were kept.
	Digest string
}

// LookupRecord reads the stored outcome of command id.
func LookupRecord(ctx context.Context, s Store, id string) (Record, error) {
	rec, _, err := readRecord(ctx, s, id)
	if err != nil {
		return Record{}, err
	}
	return Record{Done: rec.State == stateDone, Subject: rec.Subject, Result: rec.Result, Digest: rec.Digest}, nil
}

func readRecord(ctx context.Context, s Store, id string) (record, uint64, error) {
	b, rev, err := s.Get(ctx, CommandKey(id))
	if err != nil {
		return record{}, 0, err
	}
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		return record{}, 0, err
	}
	return rec, rev, nil
}

// Digest returns the digest of a command's meaning: its type, vendor,
// account, user (as its vendor compares user ids) and dry_run, and its
// licenses as a set. Two commands with one id and different digests are an
// idempotency conflict; the source, time and reason are not part of the
// meaning. cmd must carry its resolved account (the vendor's default filled
// in), so that a command re-sent with its default account spelled out
// means the same.
func Digest(cmd events.Command) string {
	cmd = meaning(cmd)
	codes := slices.Clone(cmd.Data.Licenses)
	slices.Sort(codes)
	codes = slices.Compact(codes)
	parts := []string{cmd.Type, cmd.Data.Vendor, cmd.Data.Account, cmd.Data.User,
		strings.Join(codes, "\x1f"), strconv.FormatBool(cmd.Data.DryRun)}
	// An assign's until is part of its meaning (the seat's term), added
	// only when set so that the digests of commands without one stay as
	// they were stored.
	if !cmd.Data.Until.IsZero() {
		parts = append(parts, cmd.Data.Until.UTC().Format(time.RFC3339Nano))
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x1e")))
	return hex.EncodeToString(sum[:8])
}

// ConflictID is the result id of the idempotency_conflict failure of a
// command whose id was used before with another meaning.
func ConflictID(commandID, digest string) string {
	return commandID + "/conflict-" + digest
}

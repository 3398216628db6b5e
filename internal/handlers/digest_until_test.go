package handlers

import (
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// An assign's until is part of its meaning: the same id re-sent with
// another until is an idempotency conflict, not a replay that would
// schedule the new until on the old result; without an until the digest
// is what it was.
func TestDigestIncludesUntil(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	cmd := events.NewCommand(events.SubjectAssign, "s", "id-1", at, events.CommandData{
		Vendor: "arcgis", Account: "org", User: "ana", Licenses: []string{"usertype:creatorUT"},
	})
	plain := Digest(cmd)
	cmd.Data.Until = at.Add(24 * time.Hour)
	withUntil := Digest(cmd)
	cmd.Data.Until = at.Add(48 * time.Hour)
	if plain == withUntil || withUntil == Digest(cmd) {
		t.Errorf("digests without until, with one and with another: %s %s %s; want three", plain, withUntil, Digest(cmd))
	}
	cmd.Data.Until = time.Time{}
	if Digest(cmd) != plain {
		t.Error("the digest of a command without until changed")
	}
}

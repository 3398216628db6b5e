package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
)

// errIDReused says a command id given with --id was already used for
// another command.
var errIDReused = errors.New("id already used")

// checkID refuses cmd when its id is stored for a command of another
// meaning (type, vendor, account, user, licenses, dry_run): the worker
// would answer idempotency_conflict. The same meaning is fine: the worker
// replays the stored result.
func (c *client) checkID(ctx context.Context, cmd events.Command) error {
	kv, err := c.js.KeyValue(ctx, events.CommandBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil // no worker has run yet: no id is taken
	}
	if err != nil {
		return fmt.Errorf("read the idempotency bucket: %w", err)
	}
	rec, err := handlers.LookupRecord(ctx, consumer.KVStore{KV: kv}, cmd.ID)
	if errors.Is(err, handlers.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the record of %s: %w", cmd.ID, err)
	}
	if rec.Digest == "" {
		return nil
	}
	var stored events.Result
	if len(rec.Result) > 0 {
		_ = json.Unmarshal(rec.Result, &stored)
	}
	if cmd.Data.Account == "" && stored.Data.Vendor == cmd.Data.Vendor {
		// The worker filled in its default account; so would it for this.
		cmd.Data.Account = stored.Data.Account
	}
	if handlers.Digest(cmd) == rec.Digest {
		return nil
	}
	what := "a command still being retried"
	if stored.Type != "" {
		what = fmt.Sprintf("%s of %s (%s)", stored.Data.CommandType, stored.Subject, stored.Type)
	}
	return fmt.Errorf("%w: %s was %s; send this command under a new id", errIDReused, cmd.ID, what)
}

// parseTime reads --time: RFC 3339, or a date (midnight UTC).
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("--time %q: want RFC 3339 (2026-11-24T09:00:00Z) or a date (2026-11-24)", s)
	}
	return t, nil
}

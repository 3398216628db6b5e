package consumer

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/handlers"
)

// Identities caches resolved vendor user ids in the people bucket.
type Identities struct{ KV jetstream.KeyValue }

var _ handlers.Identities = Identities{}

// Lookup implements handlers.Identities.
func (i Identities) Lookup(ctx context.Context, vendor, account, key string) (string, bool, error) {
	e, err := i.KV.Get(ctx, identityKey(vendor, account, key))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return string(e.Value()), true, nil
}

// Remember implements handlers.Identities.
func (i Identities) Remember(ctx context.Context, vendor, account, key, user string) error {
	_, err := i.KV.Put(ctx, identityKey(vendor, account, key), []byte(user))
	return err
}

// Forget implements handlers.Identities.
func (i Identities) Forget(ctx context.Context, vendor, account, key string) error {
	err := i.KV.Delete(ctx, identityKey(vendor, account, key))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil
	}
	return err
}

package consumer

import (
	"context"
	"errors"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/handlers"
)

// KVStore adapts a JetStream KV bucket to handlers.Store.
type KVStore struct{ KV jetstream.KeyValue }

var _ handlers.Store = KVStore{}

// Create implements handlers.Store.
func (s KVStore) Create(ctx context.Context, key string, value []byte) (uint64, error) {
	rev, err := s.KV.Create(ctx, key, value)
	if errors.Is(err, jetstream.ErrKeyExists) {
		return 0, handlers.ErrExists
	}
	return rev, err
}

// Get implements handlers.Store.
func (s KVStore) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	e, err := s.KV.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, 0, handlers.ErrNotFound
	}
	if err != nil {
		return nil, 0, err
	}
	return e.Value(), e.Revision(), nil
}

// Update implements handlers.Store.
func (s KVStore) Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error) {
	n, err := s.KV.Update(ctx, key, value, rev)
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return 0, handlers.ErrConflict
	}
	return n, err
}

// Delete implements handlers.Store.
func (s KVStore) Delete(ctx context.Context, key string, rev uint64) error {
	err := s.KV.Delete(ctx, key, jetstream.LastRevision(rev))
	if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return handlers.ErrConflict
	}
	return err
}

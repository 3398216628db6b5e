package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"
)

// sandboxFake is what the worker needs of a vendor fake in sandbox mode.
type sandboxFake interface {
	Snapshot() ([]byte, error)
	Restore([]byte) error
	Close()
}

// sandboxState keeps one fake's organisation in a file under the data
// directory: read back at start, saved after every call that may change it,
// so that a restarted sandbox worker agrees with its ledger.
type sandboxState struct {
	path string
	fake sandboxFake
	log  *zap.Logger

	mu sync.Mutex // one save at a time, each of the latest state
}

// openSandboxState restores fake from its file under dataDir, if there is
// one, and returns what saves it.
func openSandboxState(dataDir, vendor string, fake sandboxFake, log *zap.Logger) (*sandboxState, error) {
	dir := filepath.Join(dataDir, "sandbox")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	st := &sandboxState{path: filepath.Join(dir, vendor+".json"), fake: fake, log: log}
	data, err := os.ReadFile(st.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return st, st.save() // the demo organisation, as seeded
	case err != nil:
		return nil, err
	}
	if err := fake.Restore(data); err != nil {
		return nil, fmt.Errorf("%s (delete it to start from the demo organisation again): %w", st.path, err)
	}
	log.Info("sandbox state restored", zap.String("vendor", vendor), zap.String("file", st.path))
	return st, nil
}

// save writes the fake's state to a new file and renames it over the old
// one, so that a crash leaves one or the other, never half of one.
func (st *sandboxState) save() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	data, err := st.fake.Snapshot()
	if err != nil {
		return err
	}
	tmp := st.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, st.path)
}

// wrap returns next, saving the fake's state after every request that may
// have changed it and before its answer reaches the adapter: what the
// worker records as done is already saved.
func (st *sandboxState) wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(r)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if serr := st.save(); serr != nil {
				st.log.Error("sandbox state not saved", zap.String("file", st.path), zap.Error(serr))
			}
		}
		return resp, err
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The sandbox lease: one sandbox worker per NATS. Two would each answer
// from their own fakes, and `publish list` would see one state, then the
// other.
const (
	sandboxBucket = "seatkeeper_sandbox"
	sandboxKey    = "owner"
	sandboxTTL    = 30 * time.Second
)

// errSandboxTaken says another sandbox worker holds the lease.
var errSandboxTaken = errors.New("another sandbox worker runs on this NATS")

// claimSandbox takes the sandbox lease for owner, renewing it until ctx
// ends; release gives it up. A lease left by a worker that died expires
// after sandboxTTL; one left by this same worker (same id: a restart) is
// taken over at once.
func claimSandbox(ctx context.Context, nc *nats.Conn, owner string, replicas int, log *zap.Logger) (release func(), err error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: sandboxBucket, Description: "the one sandbox worker on this NATS",
		TTL: sandboxTTL, History: 1, Replicas: replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox lease bucket %s: %w", sandboxBucket, err)
	}
	rev, err := kv.Create(ctx, sandboxKey, []byte(owner))
	if errors.Is(err, jetstream.ErrKeyExists) {
		cur, gerr := kv.Get(ctx, sandboxKey)
		if gerr != nil {
			return nil, gerr
		}
		if string(cur.Value()) != owner {
			return nil, fmt.Errorf("%w (worker %s): each sandbox has fake vendors of its own, and two would answer from different states; stop it (a worker that died frees its lease within %s), or give this one its own NATS (leave NATS_URL empty for the embedded server)", errSandboxTaken, cur.Value(), sandboxTTL)
		}
		rev, err = kv.Update(ctx, sandboxKey, []byte(owner), cur.Revision())
	}
	if err != nil {
		return nil, fmt.Errorf("sandbox lease: %w", err)
	}
	// Renewed until release, not until ctx ends: a stopping worker still
	// finishes its in-flight commands against its fakes.
	renewCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(sandboxTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-renewCtx.Done():
				return
			case <-t.C:
			}
			next, err := kv.Update(renewCtx, sandboxKey, []byte(owner), rev)
			if err != nil {
				log.Error("sandbox lease not renewed", zap.Error(err))
				continue
			}
			rev = next
		}
	}()
	return func() {
		stop()
		<-done
		delCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = kv.Delete(delCtx, sandboxKey, jetstream.LastRevision(rev))
	}, nil
}

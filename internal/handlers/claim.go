package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
)

// claim is this worker's hold on a command id in the idempotency bucket.
type claim struct {
	key string
	mu  sync.Mutex // guards rec, rev and user against the lease keeper
	rec record
	rev uint64
	// user is the command's hold on its user in the ledger, renewed with
	// the claim.
	user *userLock
}

// holdUser makes the lease keeper renew l too.
func (c *claim) holdUser(l *userLock) {
	c.mu.Lock()
	c.user = l
	c.mu.Unlock()
}

// ErrClaimLost is returned when another worker took over a claim this worker
// still thought it held (its lease had run out). The command is handed back
// to JetStream; the other worker finishes it.
var ErrClaimLost = errors.New("claim taken over by another worker")

// claim takes the command id for this worker, or returns the finished
// record, or a *BusyError when another live worker holds it.
func (h *Handler) claim(ctx context.Context, id string) (*claim, error) {
	c := &claim{key: CommandKey(id)}
	now := h.now()
	c.rec = record{State: stateClaimed, Owner: h.opts.Owner, LeaseUntil: now.Add(h.opts.Lease), FirstAttempt: now}
	b, _ := json.Marshal(c.rec)
	rev, err := h.opts.Store.Create(ctx, c.key, b)
	if err == nil {
		c.rev = rev
		return c, nil
	}
	if !errors.Is(err, ErrExists) {
		return nil, fmt.Errorf("claim %s: %w", id, err)
	}
	b, rev, err = h.opts.Store.Get(ctx, c.key)
	if err != nil {
		return nil, fmt.Errorf("read claim %s: %w", id, err)
	}
	var cur record
	if err := json.Unmarshal(b, &cur); err != nil {
		return nil, fmt.Errorf("read claim %s: %w", id, err)
	}
	c.rec, c.rev = cur, rev
	if cur.State == stateDone {
		return c, nil
	}
	if cur.Owner != h.opts.Owner && now.Before(cur.LeaseUntil) {
		return nil, &BusyError{Owner: cur.Owner, Until: cur.LeaseUntil}
	}
	// Ours from an earlier delivery, released, or a dead worker's whose
	// lease ran out: take it over. Vendor operations read before they write,
	// so redoing the work never double-assigns.
	c.rec.Owner = h.opts.Owner
	c.rec.LeaseUntil = now.Add(h.opts.Lease)
	if err := c.save(ctx, h); err != nil {
		if errors.Is(err, ErrConflict) {
			return nil, &BusyError{Owner: "another worker", Until: now.Add(time.Second)}
		}
		return nil, err
	}
	return c, nil
}

// save writes rec with compare-and-set on the claim's revision.
func (c *claim) save(ctx context.Context, h *Handler) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := json.Marshal(c.rec)
	if err != nil {
		return err
	}
	rev, err := h.opts.Store.Update(ctx, c.key, b, c.rev)
	if err != nil {
		if errors.Is(err, ErrConflict) {
			return fmt.Errorf("%w: %w", ErrClaimLost, err)
		}
		return fmt.Errorf("save claim: %w", err)
	}
	c.rev = rev
	return nil
}

// keepAlive renews the lease every Lease/3 until ctx ends. If the claim is
// lost it cancels the work (through cancel) and returns ErrClaimLost.
func (c *claim) keepAlive(ctx context.Context, h *Handler, cancel context.CancelFunc) error {
	t := time.NewTicker(h.opts.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		c.mu.Lock()
		c.rec.LeaseUntil = h.now().Add(h.opts.Lease)
		user := c.user
		c.mu.Unlock()
		err := c.save(ctx, h)
		if errors.Is(err, ErrClaimLost) {
			cancel()
			return err
		}
		if user != nil {
			if err := user.renew(ctx, h); errors.Is(err, ErrConflict) {
				// Another replica took the user after our hold lapsed.
				cancel()
				return ErrClaimLost
			}
		}
		// Any other failure (the store briefly unreachable) is retried at
		// the next tick; the lease is three ticks long.
	}
}

// release gives up the claim after a deferral, keeping the attempt count and
// the first attempt time, so that the next delivery on any replica can
// start at once.
func (c *claim) release(ctx context.Context, h *Handler) {
	c.mu.Lock()
	c.rec.Owner = ""
	c.rec.LeaseUntil = time.Time{}
	c.mu.Unlock()
	if err := c.save(ctx, h); err != nil {
		h.opts.Logger.Warn("release claim failed; it expires with its lease")
	}
}

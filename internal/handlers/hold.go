package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// ErrClaimLost is returned when this worker can no longer show that its
// hold on a user is its own: another replica took it over, or it could not
// renew it for longer than it may trust it. Nothing is published; the
// command is handed back, and whoever runs it next decides it afresh.
var ErrClaimLost = errors.New("hold on the user lost to another worker")

// userHold is a command's hold on its user in the ledger, fenced by the
// entry's revision: every write of it is a compare-and-set on the revision
// its holder last wrote.
type userHold struct {
	h   *Handler
	key string

	mu  sync.Mutex
	e   ledgerEntry
	rev uint64
	// renewed is when the write behind rev was sent, on this host's
	// monotonic clock. A taker waits a whole lease after it first saw rev,
	// so the hold is ours until renewed + Lease; we trust it for
	// validFor only, a third of the lease to spare.
	renewed time.Time
	lost    bool
}

// validFor is how long after its last renewal a holder trusts its hold.
func (h *Handler) validFor() time.Duration { return h.opts.Lease * 2 / 3 }

// valid reports whether the hold can still be shown to be ours.
func (u *userHold) valid() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return !u.lost && u.h.clock.Now().Sub(u.renewed) < u.h.validFor()
}

// written returns the entry as the hold last wrote it, and its revision.
func (u *userHold) written() (ledgerEntry, uint64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.e, u.rev
}

// unscheduled returns the seats among results the command released that
// had, before it, no expiry pending (see ledgerEntry.unscheduled).
func (u *userHold) unscheduled(results []events.LicenseResult) []string {
	var released []string
	for _, r := range results {
		if r.Status == events.StatusReleased || r.Status == events.StatusNotAssigned {
			released = append(released, r.Code)
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.e.unscheduled(released)
}

// save writes the entry with compare-and-set on the hold's revision (create
// when it is 0). On success the hold counts as renewed from before the
// write was sent.
func (u *userHold) save(ctx context.Context) error {
	u.mu.Lock()
	b, err := json.Marshal(u.e)
	rev := u.rev
	u.mu.Unlock()
	if err != nil {
		return err
	}
	sent := u.h.clock.Now()
	var next uint64
	if rev == 0 {
		next, err = u.h.opts.Ledger.Create(ctx, u.key, b)
		if errors.Is(err, ErrExists) {
			err = ErrConflict
		}
	} else {
		next, err = u.h.opts.Ledger.Update(ctx, u.key, b, rev)
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if errors.Is(err, ErrConflict) {
		u.lost = true
	}
	if err != nil {
		return err
	}
	u.rev, u.renewed = next, sent
	return nil
}

// keepAlive renews the hold while ctx lasts, every third of the lease, and
// cancels the work (through cancel) once the hold cannot be shown to be
// ours: taken over, or not renewed for validFor.
func (u *userHold) keepAlive(ctx context.Context, cancel context.CancelFunc) {
	lease := u.h.opts.Lease
	tick, stop := u.h.clock.Tick(lease / 6)
	defer stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
		u.mu.Lock()
		due := u.h.clock.Now().Sub(u.renewed) >= lease/3
		u.mu.Unlock()
		if due {
			if err := u.save(ctx); err != nil && ctx.Err() == nil {
				u.h.opts.Logger.Warn("renew hold on user failed")
			}
		}
		if !u.valid() {
			cancel()
			return
		}
	}
}

// confirm re-establishes a hold that has gone unrenewed too long, before
// its holder commits: if the entry is still at our revision nobody took it
// over, and a renewal makes it ours for another validFor; otherwise the hold
// is lost.
func (u *userHold) confirm(ctx context.Context) error {
	if u.valid() {
		return nil
	}
	u.mu.Lock()
	lost := u.lost
	u.mu.Unlock()
	if !lost {
		if err := u.save(ctx); err == nil {
			return nil
		}
	}
	return ErrClaimLost
}

// release gives the user up (a deferral, a failure): the hold is removed,
// and the entry deleted if it records nothing, so that a user to whom
// nothing was applied has no ledger entry.
func (u *userHold) release(ctx context.Context) {
	u.mu.Lock()
	u.e.Hold = nil
	empty, rev := u.e.empty(), u.rev
	u.mu.Unlock()
	var err error
	if empty {
		err = u.h.opts.Ledger.Delete(ctx, u.key, rev)
	} else {
		err = u.save(ctx)
	}
	if err != nil {
		u.h.opts.Logger.Warn("release user in ledger failed; the next command folds it in")
	}
}

// lapsed judges whether another worker's hold, seen at revision rev, has
// lapsed: its revision has not changed for a whole lease on this host's
// clock. No wall clock of another host enters the judgment.
func (h *Handler) lapsed(key string, rev uint64) (bool, time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.clock.Now()
	o, ok := h.seen[key]
	if !ok || o.rev != rev {
		if len(h.seen) >= maxSeen {
			for k, old := range h.seen {
				if now.Sub(old.at) > h.opts.Lease {
					delete(h.seen, k)
				}
			}
		}
		h.seen[key] = sighting{rev: rev, at: now}
		return false, now.Add(h.opts.Lease)
	}
	if now.Sub(o.at) >= h.opts.Lease {
		delete(h.seen, key)
		return true, now
	}
	return false, o.at.Add(h.opts.Lease)
}

// sighting is when this worker first saw a hold at one revision.
type sighting struct {
	rev uint64
	at  time.Time
}

// maxSeen bounds the sightings kept; older ones are dropped past it.
const maxSeen = 10000

// busy is the BusyError of a user held by command id until until.
func busy(id string, until time.Time) *BusyError {
	return &BusyError{Owner: fmt.Sprintf("command %s", id), Until: until}
}

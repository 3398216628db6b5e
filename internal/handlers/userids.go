package handlers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// A vendor that names one user several ways (Microsoft 365: an object id
// and a user principal name) resolves a command's user to its stable id
// before the command takes its hold, so that every name of one user is one
// ledger entry and one hold. The vendor is still called with the user as
// the command names it.

// Resolutions are kept this long: a user principal name can be given to
// another user after a rename, and the cache must not outlive that by much.
const resolvedFor = 10 * time.Minute

// maxResolved bounds the resolutions kept; past it an arbitrary one is
// dropped for each new one.
const maxResolved = 10000

// resolvedUsers caches user names resolved to their stable ids, by the
// seat holder the name spells. Its zero value is empty and ready.
type resolvedUsers struct {
	mu sync.Mutex
	m  map[Holder]resolvedUser
}

type resolvedUser struct {
	id string
	at time.Time
}

func (c *resolvedUsers) lookup(s Holder, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.m[s]
	if !ok || now.Sub(r.at) >= resolvedFor || now.Before(r.at) {
		return "", false
	}
	return r.id, true
}

func (c *resolvedUsers) remember(s Holder, id string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[Holder]resolvedUser)
	}
	if _, ok := c.m[s]; !ok && len(c.m) >= maxResolved {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[s] = resolvedUser{id: id, at: now}
}

// cachedHolder returns cmd's seat holder with its user resolved if this
// worker has resolved it lately, else as spelled.
func (h *Handler) cachedHolder(cmd events.Command) Holder {
	s := canonical(cmd)
	if id, ok := h.users.lookup(s, h.clock.Now()); ok {
		s.User = id
	}
	return s
}

// knownHolder returns cmd's seat holder, and false when v must be asked
// for its user's stable id first.
func (h *Handler) knownHolder(v vendors.Vendor, cmd events.Command) (Holder, bool) {
	s := canonical(cmd)
	if _, resolves := vendors.ResolverOf(v); !resolves || s.User == "" {
		return s, true
	}
	id, ok := h.users.lookup(s, h.clock.Now())
	s.User = id
	return s, ok
}

// seatHolder sets t.holder: the command's user resolved to its stable id
// when the command takes a hold at a vendor that names users several ways
// (a read of the ledger entry already started has set it). done reports
// that the command ended here: its user is unknown (the result), or the
// vendor is out of reach (a deferral).
func (h *Handler) seatHolder(ctx context.Context, t *task) (done bool, _ Reply, _ error) {
	if t.entry != nil {
		return false, Reply{}, nil
	}
	t.holder = canonical(t.cmd)
	if s, known := h.knownHolder(t.v, t.cmd); known {
		t.holder = s
		return false, Reply{}, nil
	}
	if !h.takesHold(t.cmd) {
		// A list or a dry run takes no hold: the spelling is key enough.
		return false, Reply{}, nil
	}
	failed, err := h.resolveUser(ctx, t)
	if failed == nil && err == nil {
		return false, Reply{}, nil
	}
	bctx, cancel := bookkeeping(ctx)
	defer cancel()
	if failed != nil && t.cachedUser {
		err = h.staleIdentity(ctx, t.cmd, *failed)
	}
	if err != nil {
		h.saveDeferred(bctx, t)
		return true, Reply{}, err
	}
	reply, err := h.finish(bctx, t, *failed)
	return true, reply, err
}

// resolveUser asks the vendor for the stable id of the command's user,
// with the retry policy, and sets t.holder. It returns the failed result
// when the vendor knows no such user, and a *vendors.Deferral when it is
// out of reach.
func (h *Handler) resolveUser(ctx context.Context, t *task) (*events.Result, error) {
	r, _ := vendors.ResolverOf(t.v)
	spelled := canonical(t.cmd)
	var id string
	attempts, err := h.opts.Policy.Retry(ctx, t.rec.FirstAttempt, func(ctx context.Context) (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = recovered(p) // a permanent failure, as in run
			}
		}()
		id, err = r.ResolveUser(ctx, t.cmd.Data.Account, t.cmd.Data.User)
		return err
	})
	var deferral *vendors.Deferral
	if errors.As(err, &deferral) && t.d.Final && ctx.Err() == nil {
		err = fmt.Errorf("%w: last delivery: %w", vendors.ErrRetriesExhausted, deferral.Err)
	} else if errors.As(err, &deferral) {
		return nil, err
	}
	if err != nil {
		res := h.failure(t.cmd, t.d.Seq, err, attempts)
		return &res, nil
	}
	// The id is canonical as the vendor's ids are: compared without regard
	// to case where the vendor compares them so.
	t.holder = canonical(events.Command{Data: events.CommandData{Vendor: spelled.Vendor, Account: spelled.Account, User: id}})
	h.users.remember(spelled, t.holder.User, h.clock.Now())
	return nil, nil
}

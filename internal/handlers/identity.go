package handlers

import (
	"context"
	"errors"
	"fmt"

	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Identities caches the user id a person (or, for a command that names no
// person, an e-mail) resolved to at a vendor account, so that the vendor's
// directory is asked once per person rather than once per command.
type Identities interface {
	// Lookup returns the cached user id; ok is false when none is cached.
	Lookup(ctx context.Context, vendor, account, key string) (user string, ok bool, err error)
	Remember(ctx context.Context, vendor, account, key, user string) error
	Forget(ctx context.Context, vendor, account, key string) error
}

// identityKey is whose identity a command names: the person when it was
// derived for one (an e-mail can change, the HR id does not), else the
// e-mail.
func identityKey(cmd events.Command) string {
	if cmd.Data.Person != "" {
		return "person:" + cmd.Data.Person
	}
	return "email:" + cmd.Data.Email
}

// identify sets cmd.Data.User from cmd.Data.Email: from the cache, or
// through the vendor's directory with the retry policy. It returns the
// failed result when the e-mail matches no user or several, and an error
// (a *vendors.Deferral) when the directory is out of reach. cached reports
// whether the id came from the cache.
func (h *Handler) identify(ctx context.Context, v vendors.Vendor, cmd *events.Command, d Delivery, c *claim) (failed *events.Result, cached bool, err error) {
	key := identityKey(*cmd)
	if h.opts.Identities != nil {
		user, ok, err := h.opts.Identities.Lookup(ctx, cmd.Data.Vendor, cmd.Data.Account, key)
		if err != nil {
			h.opts.Logger.Warn("identity cache lookup failed; asking the vendor", zap.String("command_id", cmd.ID), zap.Error(err))
		} else if ok {
			cmd.Data.User = user
			return nil, true, nil
		}
	}
	dir, ok := v.(vendors.Directory)
	if !ok {
		err := vendors.Errorf(vendors.ErrUserNotFound, cmd.Data.Vendor, 0,
			"%s cannot find a user by e-mail here: name the user instead", cmd.Data.Vendor)
		res := h.failure(*cmd, d.Seq, err, 0)
		return &res, false, nil
	}
	var user string
	attempts, err := h.opts.Policy.Retry(ctx, c.rec.FirstAttempt, func(ctx context.Context) error {
		var err error
		user, err = dir.FindUser(ctx, cmd.Data.Account, cmd.Data.Email)
		return err
	})
	var deferral *vendors.Deferral
	if errors.As(err, &deferral) && d.Final && ctx.Err() == nil {
		err = fmt.Errorf("%w: last delivery: %w", vendors.ErrRetriesExhausted, deferral.Err)
	} else if errors.As(err, &deferral) {
		return nil, false, err
	}
	if err != nil {
		res := h.failure(*cmd, d.Seq, fmt.Errorf("find %s: %w", cmd.Data.Email, err), attempts)
		return &res, false, nil
	}
	cmd.Data.User = user
	if h.opts.Identities != nil {
		if err := h.opts.Identities.Remember(ctx, cmd.Data.Vendor, cmd.Data.Account, key, user); err != nil {
			h.opts.Logger.Warn("identity cache write failed", zap.String("command_id", cmd.ID), zap.Error(err))
		}
	}
	return nil, false, nil
}

// staleIdentity turns a user_not_found answer for a cached user id into a
// deferral after forgetting the id, so that the next delivery asks the
// vendor's directory afresh: a cached id is re-resolved once, never trusted
// against the vendor's word.
func (h *Handler) staleIdentity(ctx context.Context, cmd events.Command, res events.Result) error {
	if res.Data.Error == nil || res.Data.Error.Code != events.CodeUserNotFound || h.opts.Identities == nil {
		return nil
	}
	if err := h.opts.Identities.Forget(ctx, cmd.Data.Vendor, cmd.Data.Account, identityKey(cmd)); err != nil {
		return err
	}
	return &vendors.Deferral{Err: fmt.Errorf("cached user %s of %s is gone at %s: resolving the e-mail again", cmd.Data.User, cmd.Data.Email, cmd.Data.Vendor)}
}

func derefResult(r *events.Result) events.Result {
	if r == nil {
		return events.Result{}
	}
	return *r
}

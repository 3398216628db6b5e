package handlers

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// LedgerKey returns the ledger bucket key of (vendor, account, user):
// "<vendor>.<account>.<user>", account and user base64url-encoded because
// KV keys allow only [-/_=.a-zA-Z0-9].
func LedgerKey(vendor, account, user string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return vendor + "." + enc([]byte(account)) + "." + enc([]byte(user))
}

// ledgerEntry is what seatkeeper knows of one user at one vendor account.
type ledgerEntry struct {
	// LastTime is the newest command time applied; LastCommand its id.
	LastTime    time.Time `json:"last_time,omitzero"`
	LastCommand string    `json:"last_command,omitempty"`
	// Assigned are the codes seatkeeper assigned and has not released.
	Assigned []string `json:"assigned"`
	// BusyBy is the command being applied to the user right now, on any
	// replica, until BusyUntil (renewed while it runs). BusyAt is its
	// command time, so that its outcome can be recorded from its stored
	// result should its own release of the user never land.
	BusyBy    string    `json:"busy_by,omitempty"`
	BusyUntil time.Time `json:"busy_until,omitzero"`
	BusyAt    time.Time `json:"busy_at,omitzero"`
}

// apply records that command id, of time at, was applied with the given
// outcome: the newest time applied, and what seatkeeper now holds for the
// user.
func (e *ledgerEntry) apply(id string, at time.Time, applied []events.LicenseResult) {
	if !at.Before(e.LastTime) {
		e.LastTime, e.LastCommand = at, id
	}
	for _, r := range applied {
		switch r.Status {
		case events.StatusAssigned, events.StatusAlreadyAssigned:
			if !slices.Contains(e.Assigned, r.Code) {
				e.Assigned = append(e.Assigned, r.Code)
			}
		case events.StatusReleased, events.StatusNotAssigned:
			e.Assigned = slices.DeleteFunc(e.Assigned, func(c string) bool { return c == r.Code })
		}
	}
}

// userLock is a command's hold on its user in the ledger: while it is held,
// no other replica applies another command to the same user, so commands for
// one user are applied one at a time and never out of order.
type userLock struct {
	key string
	mu  sync.Mutex
	e   ledgerEntry
	rev uint64
}

// lockUser takes the user of cmd for this command. It returns skip when a
// newer command has already been applied (the caller reports
// skipped_superseded), or a *BusyError while another command holds the
// user.
func (h *Handler) lockUser(ctx context.Context, cmd events.Command, at time.Time) (l *userLock, skip bool, err error) {
	l = &userLock{key: LedgerKey(cmd.Data.Vendor, cmd.Data.Account, cmd.Data.User)}
	for range 5 {
		now := h.now()
		b, rev, err := h.opts.Ledger.Get(ctx, l.key)
		switch {
		case errors.Is(err, ErrNotFound):
			l.e, l.rev = ledgerEntry{}, 0
		case err != nil:
			return nil, false, fmt.Errorf("read ledger: %w", err)
		default:
			l.e, l.rev = ledgerEntry{}, rev
			if err := json.Unmarshal(b, &l.e); err != nil {
				return nil, false, fmt.Errorf("read ledger: %w", err)
			}
		}
		folded := false
		if l.e.BusyBy != "" && l.e.BusyBy != cmd.ID {
			ended, err := h.foldEnded(ctx, &l.e)
			if err != nil {
				return nil, false, err
			}
			if !ended && now.Before(l.e.BusyUntil) {
				return nil, false, &BusyError{Owner: "command " + l.e.BusyBy, Until: l.e.BusyUntil}
			}
			folded = ended
		}
		if at.Before(l.e.LastTime) {
			if folded {
				// Best effort: another command folds it in again if this
				// write does not land.
				_ = l.save(ctx, h)
			}
			return nil, true, nil
		}
		l.e.BusyBy, l.e.BusyUntil, l.e.BusyAt = cmd.ID, now.Add(h.opts.Lease), at
		err = l.save(ctx, h)
		if !errors.Is(err, ErrConflict) {
			return l, false, err
		}
		// Another replica changed the entry between our read and write:
		// read again.
	}
	return nil, false, &BusyError{Owner: "another replica", Until: h.now().Add(100 * time.Millisecond)}
}

// foldEnded reports whether the command holding e has in fact ended: its
// result is stored, but its release of the user never landed (the store
// was unreachable for that one write, or the worker stopped in between).
// If so it records that command's outcome in e, as its release would have,
// and clears the hold: without this, the user would wait out the hold's
// lease, and a command older than the ended one could then be applied
// after it.
func (h *Handler) foldEnded(ctx context.Context, e *ledgerEntry) (bool, error) {
	rec, err := LookupRecord(ctx, h.opts.Store, e.BusyBy)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read the record of %s, which holds the user: %w", e.BusyBy, err)
	}
	if !rec.Done {
		return false, nil
	}
	var res struct {
		Data struct {
			Licenses []events.LicenseResult `json:"licenses"`
			Error    *events.Error          `json:"error"`
		} `json:"data"`
	}
	if err := json.Unmarshal(rec.Result, &res); err != nil {
		return false, fmt.Errorf("read the result of %s, which holds the user: %w", e.BusyBy, err)
	}
	if res.Data.Error == nil && res.Data.Licenses != nil {
		e.apply(e.BusyBy, e.BusyAt, res.Data.Licenses)
	}
	e.BusyBy, e.BusyUntil, e.BusyAt = "", time.Time{}, time.Time{}
	return true, nil
}

// save writes the entry with compare-and-set (create when rev is 0).
func (l *userLock) save(ctx context.Context, h *Handler) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, err := json.Marshal(l.e)
	if err != nil {
		return err
	}
	var rev uint64
	if l.rev == 0 {
		rev, err = h.opts.Ledger.Create(ctx, l.key, b)
		if errors.Is(err, ErrExists) {
			err = ErrConflict
		}
	} else {
		rev, err = h.opts.Ledger.Update(ctx, l.key, b, l.rev)
	}
	if err != nil {
		return err
	}
	l.rev = rev
	return nil
}

// renew extends the hold.
func (l *userLock) renew(ctx context.Context, h *Handler) error {
	l.mu.Lock()
	l.e.BusyUntil = h.now().Add(h.opts.Lease)
	l.mu.Unlock()
	return l.save(ctx, h)
}

// unlock releases the user. When the command was applied (applied non-nil),
// it records the command's time and what seatkeeper now holds for the
// user.
func (l *userLock) unlock(ctx context.Context, h *Handler, cmd events.Command, at time.Time, applied []events.LicenseResult) error {
	l.mu.Lock()
	l.e.BusyBy, l.e.BusyUntil, l.e.BusyAt = "", time.Time{}, time.Time{}
	if applied != nil {
		l.e.apply(cmd.ID, at, applied)
	}
	l.mu.Unlock()
	return l.save(ctx, h)
}

// commandTime is when the fact behind cmd happened: its time attribute, or
// when it reached the stream.
func commandTime(d Delivery) time.Time {
	if !d.Command.Time.IsZero() {
		return d.Command.Time
	}
	return d.Published
}

// superseded is the result of a command older than one already applied:
// nothing changed; held is read from the vendor.
func superseded(cmd events.Command) events.ResultData {
	data := events.ResultData{Licenses: []events.LicenseResult{}}
	for _, code := range cmd.Data.Licenses {
		data.Licenses = append(data.Licenses, events.LicenseResult{Code: code, Status: events.StatusSkippedSuperseded})
	}
	return data
}

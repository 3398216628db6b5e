package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// acquisition is what taking a command's user decided.
type acquisition struct {
	// hold is the command's hold; nil when it changes nothing.
	hold *userHold
	// superseded are the command's seats a newer command has changed;
	// whole is set when that is all of them.
	superseded []string
	whole      bool
}

// errReplay: the command's own hold belongs to a delivery that has since
// finished; its stored result is to be replayed.
var errReplay = errors.New("the command finished meanwhile")

// acquire takes the command's user in the ledger. It folds in the outcome
// of the previous holder once that has ended, judges whether a live-looking
// hold has lapsed, and decides per seat which of the command's seats a
// newer command has changed. A *BusyError means the user is held.
func (h *Handler) acquire(ctx context.Context, t *task) (acquisition, error) {
	key := t.holder.Key()
	for range 5 {
		var r entryRead
		if t.entry != nil {
			r, t.entry = <-t.entry, nil
		} else {
			r.e, r.rev, r.err = h.readEntry(ctx, key)
		}
		e, rev, err := r.e, r.rev, r.err
		if err != nil {
			return acquisition{}, err
		}
		folded := false
		if hd := e.Hold; hd != nil && (hd.Command != t.cmd.ID || hd.Owner != h.opts.Owner) {
			ended, err := h.foldEnded(ctx, key, &e)
			if err != nil {
				return acquisition{}, err
			}
			switch {
			case ended && hd.Command == t.cmd.ID:
				return acquisition{}, errReplay
			case !ended:
				lapsed, until := h.lapsed(key, rev)
				if !lapsed {
					return acquisition{}, busy(hd.Command, until)
				}
				h.opts.Logger.Warn("taking over a lapsed hold on a user",
					zap.String("command_id", t.cmd.ID), zap.String("held_by", hd.Command), zap.String("holder", hd.Owner))
				e.applyLapsed(hd)
				e.Hold = nil
			}
			folded = true
		}
		sup, all := e.supersededSeats(t.own, t.cmd.Data.Licenses)
		codes := t.cmd.Data.Licenses
		if all || (len(codes) > 0 && len(sup) == len(codes)) {
			if folded {
				// Best effort, so that the next command need not fold it
				// again; it does if this write is lost.
				u := &userHold{h: h, key: key, e: e, rev: rev}
				_ = u.save(ctx)
			}
			return acquisition{superseded: sup, whole: true}, nil
		}
		e.Hold = &hold{Command: t.cmd.ID, Owner: h.opts.Owner, Mark: t.own, All: len(codes) == 0,
			Expiry:   holdExpiry(t.cmd),
			Licenses: slices.DeleteFunc(slices.Clone(codes), func(c string) bool { return slices.Contains(sup, c) })}
		u := &userHold{h: h, key: key, e: e, rev: rev}
		err = u.save(ctx)
		if err == nil {
			return acquisition{hold: u, superseded: sup}, nil
		}
		if !errors.Is(err, ErrConflict) {
			return acquisition{}, fmt.Errorf("hold user in ledger: %w", err)
		}
		// Another replica changed the entry between our read and write.
	}
	return acquisition{}, &BusyError{Owner: "another replica", Until: h.clock.Now().Add(100 * time.Millisecond)}
}

// holdExpiry is hold.Expiry for cmd.
func holdExpiry(cmd events.Command) string {
	if cmd.Type == events.SubjectAssign && !cmd.Data.Until.IsZero() {
		return holdUntil
	}
	return holdNoUntil
}

// readEntry reads the ledger entry of key; an absent one is empty, at
// revision 0.
func (h *Handler) readEntry(ctx context.Context, key string) (ledgerEntry, uint64, error) {
	return readEntry(ctx, h.opts.Ledger, key)
}

func readEntry(ctx context.Context, ledger Store, key string) (ledgerEntry, uint64, error) {
	var e ledgerEntry
	b, rev, err := ledger.Get(ctx, key)
	switch {
	case errors.Is(err, ErrNotFound):
		return e, 0, nil
	case err != nil:
		return e, 0, fmt.Errorf("read ledger: %w", err)
	}
	if err := json.Unmarshal(b, &e); err != nil {
		return e, 0, fmt.Errorf("read ledger: %w", err)
	}
	return e, rev, nil
}

// recall returns the outcome of command id, which this worker finished
// holding the user of key, and forgets it.
func (h *Handler) recall(key, id string) ([]events.LicenseResult, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f, ok := h.finished[key]
	if !ok || f.command != id {
		return nil, false
	}
	delete(h.finished, key)
	return f.applied, true
}

// remember keeps the outcome of command id, stored as its record, which
// leaves its hold on the user of key: this worker's next command there
// folds it in without reading the record back. It also keeps the entry as
// the hold last wrote it, at revision rev: that command need not read the
// entry either. Its hold is a compare-and-set on rev, so an entry changed
// since (by another replica) only costs the read after all.
func (h *Handler) remember(key, id string, applied []events.LicenseResult, e ledgerEntry, rev uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.finished) >= maxSeen {
		clear(h.finished)
	}
	h.finished[key] = finishedHold{command: id, applied: applied, entry: &entryRead{e: e, rev: rev}}
}

// lastWritten hands out the entry of key as this worker's last hold there
// wrote it, once: a second command of the same user on this worker (its
// other spelling, in another lane) reads the bucket.
func (h *Handler) lastWritten(key string) (entryRead, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f, ok := h.finished[key]
	if !ok || f.entry == nil {
		return entryRead{}, false
	}
	r := *f.entry
	f.entry = nil
	h.finished[key] = f
	return r, true
}

// finishedHold is a command this worker finished, its hold left in place.
type finishedHold struct {
	command string
	applied []events.LicenseResult
	// entry is the ledger entry as the hold last wrote it; nil once
	// handed out.
	entry *entryRead
}

// foldEnded reports whether the command holding e has ended: its result
// is stored. If so it records that command's outcome in e and clears the
// hold. A command does not release its user when it succeeds (one write
// fewer); this is where its outcome reaches the ledger.
func (h *Handler) foldEnded(ctx context.Context, key string, e *ledgerEntry) (bool, error) {
	hd := e.Hold
	if applied, ok := h.recall(key, hd.Command); ok {
		e.apply(hd, applied)
		e.Hold = nil
		return true, nil
	}
	return foldStored(ctx, h.opts.Store, e)
}

// foldStored is foldEnded from the holder's stored record alone: whether
// the command holding e has ended and, if so, its outcome folded into e.
func foldStored(ctx context.Context, store Store, e *ledgerEntry) (bool, error) {
	hd := e.Hold
	rec, _, err := readRecord(ctx, store, hd.Command)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read the record of %s, which holds the user: %w", hd.Command, err)
	}
	if rec.State != stateDone {
		return false, nil
	}
	var res struct {
		Data struct {
			Licenses []events.LicenseResult `json:"licenses"`
			Error    *events.Error          `json:"error"`
		} `json:"data"`
	}
	if err := json.Unmarshal(rec.Result, &res); err != nil {
		return false, fmt.Errorf("read the result of %s, which holds the user: %w", hd.Command, err)
	}
	if res.Data.Error == nil {
		e.apply(hd, res.Data.Licenses)
	}
	e.Hold = nil
	return true, nil
}

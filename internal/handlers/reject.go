package handlers

import (
	"context"
	"errors"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// RejectRecorded answers a command that failed validation through its
// idempotency record, like any other command. If its id already has a
// result (an earlier command with that id), that result stands and is
// replayed: an invalid re-send never contradicts it. If a command with that
// id is still in progress, it is busy. Otherwise the rejection is stored, so
// every later delivery replays it byte for byte. A command too broken to
// carry a usable id is rejected without a record (under fallbackID).
func (h *Handler) RejectRecorded(ctx context.Context, cmd events.Command, seq uint64, fallbackID string, verr *events.ValidationError) (Reply, error) {
	now := h.clock.Now()
	reply, err := Reject(cmd, seq, fallbackID, verr, now)
	if err != nil || cmd.ID == "" || reply.ID != events.ResultID(cmd.ID) {
		return reply, err
	}
	for {
		rec, rev, err := readRecord(ctx, h.opts.Store, cmd.ID)
		switch {
		case err == nil && rec.State == stateDone:
			return Reply{Subject: rec.Subject, ID: events.ResultID(cmd.ID), Payload: rec.Result, Replayed: true,
				Published: rec.Published, stored: &storedRecord{id: cmd.ID, rec: rec, rev: rev}}, nil
		case err == nil:
			return Reply{}, &BusyError{Owner: "a command with the same id", Until: now.Add(time.Second)}
		case !errors.Is(err, ErrNotFound):
			return Reply{}, err
		}
		rec = record{State: stateDone, FirstAttempt: now, Subject: reply.Subject, Result: reply.Payload}
		b, err := rec.marshal()
		if err != nil {
			return Reply{}, err
		}
		rev, err = h.opts.Store.Create(ctx, CommandKey(cmd.ID), b)
		if errors.Is(err, ErrExists) {
			continue // another delivery stored first: replay it
		}
		if err != nil {
			return Reply{}, err
		}
		reply.stored = &storedRecord{id: cmd.ID, rec: rec, rev: rev}
		return reply, nil
	}
}

package handlers

import (
	"context"
	"errors"
)

// storedRecord is the record a Reply came from, and its revision.
type storedRecord struct {
	id  string
	rec record
	rev uint64
}

// MarkPublished records that r's result is stored in the result stream, so
// that no later replay publishes it again, also past the stream's duplicate
// window. A new result is stored marked published already (see
// Delivery.Publish); this is for a result stored before it was published:
// one that could not be published at first, and an invalid command's
// rejection. A record changed meanwhile (another replica marked it) is
// left as it is.
func (h *Handler) MarkPublished(ctx context.Context, r Reply) error {
	if r.stored == nil || r.Published {
		return nil
	}
	rec := r.stored.rec
	rec.Published = true
	b, err := rec.marshal()
	if err != nil {
		return err
	}
	_, err = h.opts.Store.Update(ctx, CommandKey(r.stored.id), b, r.stored.rev)
	if errors.Is(err, ErrConflict) {
		return nil
	}
	return err
}

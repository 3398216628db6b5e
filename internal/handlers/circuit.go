package handlers

import (
	"context"
	"errors"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// circuit is a vendor that can tell, without being called, that a call
// would be refused: vendors.Breaker.
type circuit interface {
	Open() error
}

// whileOpen defers a delivery at once, before any record or ledger entry
// is read or written, while its vendor's circuit is open: the attempt would
// be refused without a vendor call anyway, and its bookkeeping (two reads,
// the hold, its release, the deferral's record) would cost a command's
// worth of JetStream round trips for nothing. A backlog of a vendor in an
// outage then costs the worker its deferrals alone, and the other vendors'
// commands keep their pace.
//
// The delay is the retry policy's, counted from the command's first
// storing in the stream instead of its first attempt (which would take a
// read): never shorter than the wait for the probe, and growing with the
// time the command has waited. Past the total budget so counted, and on the
// last delivery, the delivery takes the usual path, which ends it with a
// result. It returns nil when the delivery should go on.
func (h *Handler) whileOpen(ctx context.Context, v vendors.Vendor, d Delivery) error {
	c, ok := v.(circuit)
	if !ok || d.Final || d.Published.IsZero() {
		return nil
	}
	refused := c.Open()
	if refused == nil {
		return nil
	}
	_, err := h.opts.Policy.Retry(ctx, d.Published, func(context.Context) error { return refused })
	var deferral *vendors.Deferral
	if !errors.As(err, &deferral) || deferral.Delay <= 0 {
		return nil
	}
	h.opts.Observer.ObserveCommand(d.Command.Type, d.Command.Data.Vendor, "deferred", 0)
	return err
}

// CircuitOpen reports whether the vendor name's calls are refused now
// without being made: its circuit is open (see whileOpen).
func (h *Handler) CircuitOpen(name string) bool {
	v, err := h.opts.Vendors.Get(name)
	if err != nil {
		return false
	}
	c, ok := v.(circuit)
	return ok && c.Open() != nil
}

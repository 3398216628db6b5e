package consumer

import (
	"context"
	"errors"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// action is what happens to a command message once it has been handled.
type action int

const (
	// ack: the result is published; the command is done.
	ack action = iota
	// nak: hand the command back to JetStream, to be redelivered after
	// delay (to any replica).
	nak
	// term: the command can never succeed (it is invalid); its failure is
	// published and it is never redelivered.
	term
	// later: a schedule brings the command back after delay, and this
	// delivery is acked, so that the wait holds no ack-pending slot (nak
	// with delay when the stream cannot schedule).
	later
)

func (a action) String() string {
	return [...]string{"ack", "nak", "term", "later"}[a]
}

// decision is the one place an outcome becomes an ack, a nak or a term.
type decision struct {
	action action
	delay  time.Duration
	// reason goes with a term, into JetStream's advisory.
	reason string
}

// storeRetryDelay is the redelivery delay after a failure of NATS itself
// (the bucket or the result publish): short, since NATS usually comes back
// quickly, but not a hot loop.
const storeRetryDelay = time.Second

// resultRetryDelay is how long a command whose result could not be
// published waits before it is tried again (its stored result is then
// published again); meanwhile its user's other commands go on.
const resultRetryDelay = 5 * time.Second

// maxBusyDelay caps the redelivery delay of a command whose id or user is
// held by another command or replica.
const maxBusyDelay = time.Second

// panicError is a handler that panicked outside a vendor call; the command
// ends in license.failed internal_error.
type panicError struct {
	value string
}

func (e *panicError) Error() string { return "handler panicked: " + e.value }

// decide maps the error of handling a command (nil: its result is
// published) to what happens to the command message.
func decide(err error, now time.Time) decision {
	var (
		verr     *events.ValidationError
		deferral *vendors.Deferral
		busy     *handlers.BusyError
	)
	switch {
	case err == nil:
		return decision{action: ack}
	case errors.As(err, &verr):
		return decision{action: term, reason: verr.Code}
	case errors.As(err, &deferral) && deferral.Delay > 0:
		return decision{action: later, delay: deferral.Delay}
	case errors.As(err, &deferral):
		// Cancelled mid-call (a shutdown): hand it back at once.
		return decision{action: nak}
	case errors.Is(err, errParked):
		return decision{action: later, delay: parkDelay(err)}
	case errors.Is(err, errResultNotPublished):
		return decision{action: nak, delay: resultRetryDelay}
	case errors.As(err, &busy):
		// The holder usually finishes long before its lease ends; look
		// again soon rather than at the lease's end.
		return decision{action: nak, delay: min(max(busy.Until.Sub(now), 100*time.Millisecond), maxBusyDelay)}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// Shutting down: another replica (or this one, restarted) takes it
		// at once.
		return decision{action: nak}
	default:
		return decision{action: nak, delay: storeRetryDelay}
	}
}

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
)

func (a action) String() string {
	return [...]string{"ack", "nak", "term"}[a]
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

// maxBusyDelay caps the redelivery delay of a command whose id or user is
// held by another command or replica.
const maxBusyDelay = time.Second

// panicError is a handler that panicked.
type panicError struct {
	value string
	final bool // on the command's last delivery
}

func (e *panicError) Error() string { return "handler panicked: " + e.value }

// panicRetryDelay spaces the retries of a command whose handling panicked:
// the bug may be in one vendor's adapter, and the command may succeed once
// it is fixed and the worker redeployed.
const panicRetryDelay = 30 * time.Second

// decide maps the error of handling a command (nil: its result is
// published) to what happens to the command message.
func decide(err error, now time.Time) decision {
	var (
		verr     *events.ValidationError
		deferral *vendors.Deferral
		busy     *handlers.BusyError
		panicked *panicError
	)
	switch {
	case err == nil:
		return decision{action: ack}
	case errors.As(err, &verr):
		return decision{action: term, reason: verr.Code}
	case errors.As(err, &panicked) && panicked.final:
		// Logged with its stack where it was caught; JetStream would not
		// deliver it again anyway.
		return decision{action: term, reason: "handler panicked"}
	case errors.As(err, &panicked):
		return decision{action: nak, delay: panicRetryDelay}
	case errors.As(err, &deferral):
		return decision{action: nak, delay: deferral.Delay}
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

package handlers

import (
	"fmt"
	"runtime/debug"

	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// PanicError is a panic in a vendor call (a bug in an adapter, say),
// recovered so that the command ends in license.failed internal_error
// instead of crashing the worker. The panic value and the stack go to the
// log only: a result must not carry whatever the panic held.
type PanicError struct {
	Value string
	Stack []byte
}

func (e *PanicError) Error() string {
	return "the worker failed while handling this command (a bug); the worker's log has the details"
}

// recovered turns a recovered panic value into a *PanicError.
func recovered(p any) *PanicError {
	return &PanicError{Value: fmt.Sprint(p), Stack: debug.Stack()}
}

// panicFailure builds the internal_error result of a command whose vendor
// call panicked, logging the panic with its stack once.
func (h *Handler) panicFailure(cmd events.Command, seq uint64, p *PanicError, attempts int) events.Result {
	h.opts.Logger.Error("vendor call panicked", zap.String("command_id", cmd.ID),
		zap.String("vendor", cmd.Data.Vendor), zap.String("panic", p.Value), zap.ByteString("stack", p.Stack))
	return events.NewFailure(cmd, seq, h.clock.Now(), "", events.Error{
		Code: events.CodeInternalError, Message: p.Error(),
	}, attempts, 0)
}

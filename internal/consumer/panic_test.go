package consumer_test

import (
	"context"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// panicky is the real UiPath adapter with a bug injected for one user: the
// worker must survive it.
type panicky struct {
	vendors.Vendor
	user string
}

func (p panicky) Assign(ctx context.Context, req vendors.Request) (vendors.Outcome, error) {
	if req.User == p.user {
		panic("adapter bug for " + req.User)
	}
	return p.Vendor.Assign(ctx, req)
}

// A command whose vendor call panics does not crash the worker: it ends in
// one license.failed internal_error, the panic is logged with its stack, and
// the other commands go on.
func TestAPanickingCommandEndsInOneInternalError(t *testing.T) {
	fx := fixtures(t, nil)[:1]
	e := newEnv(t, withVendors(vendors.NewRegistry(panicky{Vendor: fx[0].vendor, user: "doomed"})))
	bad := command(events.SubjectAssign, "boom-1", "doomed", fx[0].code)
	e.publish(bad, "")
	good := command(events.SubjectAssign, "fine-1", fx[0].newUser(), fx[0].code)
	e.publish(good, "")
	if r := e.result("fine-1"); r.Type != events.SubjectAssigned {
		t.Errorf("the command after the panic: %s %+v", r.Type, r.Data.Error)
	}
	r := e.result("boom-1")
	if r.Type != events.SubjectFailed || r.Data.Error == nil || r.Data.Error.Code != events.CodeInternalError {
		t.Errorf("the panicking command: %s %+v, want license.failed %s", r.Type, r.Data.Error, events.CodeInternalError)
	}
	if n := e.storedResults("boom-1"); n != 1 {
		t.Errorf("%d results of the panicking command stored, want 1", n)
	}
	testproc.Eventually(t, "the panic to be logged", func() bool {
		return e.logs.FilterMessage("vendor call panicked").Len() > 0
	})
	if got := e.logs.FilterMessage("vendor call panicked").All()[0].ContextMap()["command_id"]; got != "boom-1" {
		t.Errorf("panic logged for %v, want boom-1", got)
	}
}

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

// A command whose handling panics does not crash the worker: it is logged
// with its stack and handed back, and the other commands go on.
func TestAPanickingCommandDoesNotStopTheWorker(t *testing.T) {
	fx := fixtures(t, nil)[:1]
	e := newEnv(t, withVendors(vendors.NewRegistry(panicky{Vendor: fx[0].vendor, user: "doomed"})))
	bad := command(events.SubjectAssign, "boom-1", "doomed", fx[0].code)
	e.publish(bad, "")
	good := command(events.SubjectAssign, "fine-1", fx[0].newUser(), fx[0].code)
	e.publish(good, "")
	if r := e.result("fine-1"); r.Type != events.SubjectAssigned {
		t.Errorf("the command after the panic: %s %+v", r.Type, r.Data.Error)
	}
	testproc.Eventually(t, "the panic to be logged", func() bool {
		return e.logs.FilterMessage("command handler panicked").Len() > 0
	})
	if got := e.logs.FilterMessage("command handler panicked").All()[0].ContextMap()["command_id"]; got != "boom-1" {
		t.Errorf("panic logged for %v, want boom-1", got)
	}
}

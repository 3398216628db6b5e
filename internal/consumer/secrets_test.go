package consumer_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Every vendor flow, success and every error class, then a scan of every log
// line and result for the adapters' credentials and the tokens the fakes
// issued. Error messages reach results, so they are scanned too.
func TestNoSecretInAnyOutcome(t *testing.T) {
	fx := fixtures(t, nil)
	policy := vendors.RetryPolicy{
		InitialInterval: 10 * time.Millisecond, MaxInterval: 50 * time.Millisecond,
		InProcessBudget: 300 * time.Millisecond, TotalBudget: 1500 * time.Millisecond,
		MaxDeferral: 200 * time.Millisecond,
	}
	e := newEnv(t, withVendors(registry(fx)), withPolicy(policy))
	type step struct {
		id, typ string
		codes   []string
		dry     bool
		want    string // result type, or an error code
	}
	run := func(steps map[*fixture][]step) {
		t.Helper()
		users := make(map[*fixture]string)
		for f, ss := range steps {
			users[f] = f.newUser()
			for _, s := range ss {
				c := command(s.typ, f.name+"-"+s.id, users[f], s.codes...)
				c.Data.Vendor, c.Data.Account, c.Data.DryRun = f.name, "", s.dry
				e.publish(c, "")
			}
		}
		for f, ss := range steps {
			for _, s := range ss {
				r := e.result(f.name + "-" + s.id)
				got := r.Type
				if r.Data.Error != nil {
					got = r.Data.Error.Code
				}
				if got != s.want {
					t.Errorf("%s %s: got %s (%+v), want %s", f.name, s.id, got, r.Data.Error, s.want)
				}
			}
		}
	}

	ok := make(map[*fixture][]step)
	for _, f := range fx {
		ok[f] = []step{
			{"assign", events.SubjectAssign, []string{f.code}, false, events.SubjectAssigned},
			{"dry", events.SubjectRelease, []string{f.code}, true, events.SubjectReleased},
			{"full", events.SubjectAssign, []string{f.fullCode}, false, events.CodeCapacityExhausted},
		}
	}
	run(ok)

	for _, f := range fx {
		f.failNext(http.StatusTooManyRequests, 1, time.Second)
	}
	limited := make(map[*fixture][]step)
	for _, f := range fx {
		limited[f] = []step{{"after-429", events.SubjectList, nil, false, events.SubjectListed}}
	}
	run(limited)

	for _, f := range fx {
		f.failAll()
	}
	down := make(map[*fixture][]step)
	for _, f := range fx {
		down[f] = []step{{"down", events.SubjectAssign, []string{f.code}, false, events.CodeRetriesExhausted}}
	}
	run(down)
	for _, f := range fx {
		f.recover()
		f.breakAuth()
	}
	refused := make(map[*fixture][]step)
	for _, f := range fx {
		refused[f] = []step{{"refused", events.SubjectAssign, []string{f.code}, false, events.CodeAuthFailed}}
	}
	run(refused)

	assertNoSecrets(t, e, allSecrets(fx))
}

package consumer_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// A vendor storm: 30% 5xx throughout, a burst of 429s with Retry-After,
// a latency spike and an outage longer than the in-process retry budget.
// Every command succeeds within the total budget, and no call reaches the
// vendor inside a Retry-After window it announced.
func TestVendorStormEveryCommandSucceeds(t *testing.T) {
	const n = 100
	fake := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	fake.SetPool(account, "ATTUNU", n)
	// One request at a time: a request already on the wire when the vendor
	// says 429 cannot be told from one sent inside the window, so the
	// transport's promise is checked without that noise.
	client, err := uipath.New(uipath.Config{
		BaseURL: fake.URL, ClientID: uipathtest.ClientID, ClientSecret: uipathtest.ClientSecret,
		Scope: uipathtest.Scope, AccountID: account,
	}, vendors.NewHTTPClient("uipath", vendors.Limits{MaxConcurrency: 1}, nil))
	if err != nil {
		t.Fatal(err)
	}
	reg := vendors.NewRegistry(vendors.NewBreaker(client, vendors.BreakerConfig{Threshold: 8, Cooldown: 500 * time.Millisecond}, nil))
	policy := vendors.RetryPolicy{
		InitialInterval: 20 * time.Millisecond, MaxInterval: 200 * time.Millisecond,
		InProcessBudget: time.Second, TotalBudget: 2 * time.Minute, MaxDeferral: time.Second,
	}
	e := newEnv(t, withVendors(reg), withPolicy(policy), withConcurrency(16), startLater)
	var ids []string
	for i := 0; i < n; i++ {
		u := fmt.Sprintf("storm-%03d", i)
		fake.AddUser(account, u)
		c := command(events.SubjectAssign, u, u, "ATTUNU")
		e.publish(c, "")
		ids = append(ids, c.ID)
	}
	fake.SetFailureRate(0.3, http.StatusServiceUnavailable)
	e.start()
	done := func(k int) { e.await(k, func(r events.Result) bool { return true }) }

	done(20)
	fake.FailNext(http.StatusTooManyRequests, 3, time.Second)
	done(40)
	fake.SetLatency(300 * time.Millisecond)
	done(50)
	fake.SetLatency(0)
	done(60)
	outage := time.Now()
	fake.SetFailureRate(1, http.StatusServiceUnavailable)
	// The outage outlasts the in-process budget (1 s) by design.
	<-time.After(2500 * time.Millisecond)
	fake.SetFailureRate(0.3, http.StatusServiceUnavailable)
	outageLen := time.Since(outage)

	maxAttempts := 0
	for _, id := range ids {
		r := e.result(id)
		if r.Type != events.SubjectAssigned {
			t.Errorf("%s: %s %+v, want assigned", id, r.Type, r.Data.Error)
		}
		maxAttempts = max(maxAttempts, r.Data.Attempts)
	}
	reqs := fake.Requests()
	var failed, limited, inWindow int
	for i, q := range reqs {
		switch {
		case q.Status == http.StatusTooManyRequests:
			limited++
			until := q.At.Add(time.Second) // FailNext's Retry-After
			for _, later := range reqs[i+1:] {
				if later.At.Before(until) {
					inWindow++
				}
			}
		case q.Status >= 500:
			failed++
		}
	}
	if limited == 0 {
		t.Errorf("no 429 was answered; the storm did not happen")
	}
	if inWindow > 0 {
		t.Errorf("%d calls reached the vendor inside a Retry-After window it announced", inWindow)
	}
	e.settled()
	dups, lost := duplicatesAndLost(t, e, ids)
	deferred := 0
	for _, l := range e.logs.All() {
		if a := l.ContextMap()["action"]; a == "nak" || a == "later" {
			deferred++
		}
	}
	if deferred == 0 {
		t.Errorf("no command was handed back during an outage longer than the in-process budget")
	}
	t.Logf("scenario=vendor-storm commands=%d faults=\"30%% 503, 3 x 429 Retry-After 1s, 300ms latency spike, %s outage (in-process budget 1s)\" calls=%d failed=%d rate_limited=%d deferred=%d max_attempts=%d results=%d duplicates=%d lost=%d calls_in_retry_after_window=%d",
		n, outageLen.Round(100*time.Millisecond), len(reqs), failed, limited, deferred, maxAttempts, n-lost, dups, lost, inWindow)
}

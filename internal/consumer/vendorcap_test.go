package consumer_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// BenchmarkVendorCapBoundsThroughput: every UiPath call takes 50 ms and the
// adapter allows 64 in flight (UIPATH_MAX_CONCURRENCY=64), the worker is
// left at its default concurrency. An assign is two calls (read, then
// write), so the vendor's bound is 64 / 0.1 s = 640 commands/s; the worker
// should deliver at least 90 % of it.
func BenchmarkVendorCapBoundsThroughput(b *testing.B) {
	const (
		latency = 50 * time.Millisecond
		cap     = 64
		n       = 3200
	)
	bound := float64(cap) / (2 * latency.Seconds())
	var rate float64
	for i := range b.N {
		b.StopTimer()
		e := newEnv(b, withDefaults, startLater)
		client, err := uipath.New(uipath.Config{
			BaseURL: e.fake.URL, ClientID: uipathtest.ClientID, ClientSecret: uipathtest.ClientSecret,
			Scope: uipathtest.Scope, AccountID: account, RateLimit: 0, MaxConcurrency: cap,
		}, nil)
		if err != nil {
			b.Fatal(err)
		}
		e.so.Vendors = vendors.NewRegistry(client)
		e.fake.SetPool(account, "ATTUNU", n)
		ids := make([]string, n)
		for j := range n {
			user := fmt.Sprintf("cap-%d-%d", i, j)
			e.fake.AddUser(account, user)
			ids[j] = fmt.Sprintf("cap-%d-%d", i, j)
			e.publish(command(events.SubjectAssign, ids[j], user, "ATTUNU"), "")
		}
		e.fake.SetLatency(latency)
		b.StartTimer()
		start := time.Now()
		e.start()
		e.await(n, func(events.Result) bool { return true })
		rate = n / time.Since(start).Seconds()
	}
	b.ReportMetric(rate, "cmds/s")
	b.ReportMetric(100*rate/bound, "%_of_bound")
}

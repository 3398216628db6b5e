package consumer_test

import (
	"fmt"
	"io"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

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
//
// The rate is taken from the moment the worker pulls its first commands
// (consumer.Start returns then) to the last result: the vendor's cap is
// about keeping the vendor busy while there is work, and the worker's own
// start (its streams, buckets and consumer) is not work. The rate with the
// start counted is reported too (%_of_bound_with_start). The worker logs
// at info level into a discarding JSON encoder, as the worker binary does
// into its log; the tests' in-memory debug log would measure the test.
//
// Every user holds nothing and is known to the license service, which
// answers their allocation read with an empty list: two calls per assign,
// as the bound assumes. (A user never licensed is a 404 there, and the
// adapter then asks the Identity service whether the user exists: a third
// call, in a slot of the cap, which this bound does not count.) The
// Identity calls made are reported, to show the model held.

func BenchmarkVendorCapBoundsThroughput(b *testing.B) {
	const (
		latency = 50 * time.Millisecond
		cap     = 64
		n       = 6400
	)
	bound := float64(cap) / (2 * latency.Seconds())
	var rate, withStart, identity float64
	for i := range b.N {
		b.StopTimer()
		e := newEnv(b, withDefaults, startLater)
		e.fake = uipathtest.NewServer(b, uipathtest.Options{NeverLicensed: uipathtest.NeverLicensedEmpty, KeepRequests: 1})
		client, err := uipath.New(uipath.Config{
			BaseURL: e.fake.URL, ClientID: uipathtest.ClientID, ClientSecret: uipathtest.ClientSecret,
			Scope: uipathtest.Scope, AccountID: account, RateLimit: 0, MaxConcurrency: cap,
		}, nil)
		if err != nil {
			b.Fatal(err)
		}
		e.so.Vendors = vendors.NewRegistry(client)
		e.so.Logger = zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()),
			zapcore.AddSync(io.Discard), zap.InfoLevel))
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
		pulling := time.Now()
		e.await(n, func(events.Result) bool { return true })
		end := time.Now()
		rate = n / end.Sub(pulling).Seconds()
		withStart = n / end.Sub(start).Seconds()
		identity = float64(e.fake.IdentityRequests()) / n
	}
	b.ReportMetric(rate, "cmds/s")
	b.ReportMetric(100*rate/bound, "%_of_bound")
	b.ReportMetric(100*withStart/bound, "%_of_bound_with_start")
	b.ReportMetric(identity, "identity-calls/cmd")
}

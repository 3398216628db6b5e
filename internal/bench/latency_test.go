package bench_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/seatkeeper/seatkeeper/internal/natstest"
)

// BenchmarkSteadyLatency publishes commands at a steady 1,000 per second
// while the worker runs (default fsync interval) and reports the latency
// from each command's publish to its result's arrival.
func BenchmarkSteadyLatency(b *testing.B) {
	const perSecond = 1000
	n := size(2*perSecond, 10*perSecond)
	var p50, p99, achieved float64
	for range b.N {
		b.StopTimer()
		srv := startServer(b, false)
		nc, js := connect(b, srv, 4000)
		setup(b, js)
		fake := newFake(b)
		client := newClient(b, fake.URL, 0, concurrency)
		wnc := natstest.Connect(b, srv.ClientURL())
		got := watchResults(b, nc, n)
		startWorker(b, wnc, client)
		run := fmt.Sprintf("steady-%d", time.Now().UnixNano())
		msgs := make([]*nats.Msg, n)
		for i := range msgs {
			msgs[i] = commandMsg(run, i)
		}
		b.StartTimer()
		start := time.Now()
		for i, m := range msgs {
			// Pacing, not synchronisation: command i is due at i ms.
			if wait := time.Until(start.Add(time.Duration(i) * time.Second / perSecond)); wait > 0 {
				time.Sleep(wait)
			}
			got.notePublished(m.Header.Get(nats.MsgIdHdr), time.Now())
			if _, err := js.PublishMsgAsync(m); err != nil {
				b.Fatal(err)
			}
		}
		last := got.wait(b, 5*time.Minute)
		achieved = float64(n) / last.Sub(start).Seconds()
		p50 = float64(got.percentile(0.50).Microseconds()) / 1000
		p99 = float64(got.percentile(0.99).Microseconds()) / 1000
	}
	b.ReportMetric(achieved, "cmds/s")
	b.ReportMetric(p50, "p50-ms")
	b.ReportMetric(p99, "p99-ms")
}

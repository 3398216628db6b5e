package bench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/natstest"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
)

// ceilings holds the raw and relay rates measured in this run, by fsync
// setting, for the pipeline's ratios.
var ceilings = map[string]map[string]float64{}

// BenchmarkThroughput measures, for each fsync setting, on the same server
// settings and streams: a bare nats.go consumer acking pre-published
// 512-byte messages (raw), a bare relay that publishes one result per
// message and acks it once the PubAck is in (relay), the vendor calls of the
// pipeline's commands alone with no NATS (vendor-only) and a bare relay that
// makes them (vendor-relay), both once, at the default fsync interval, and
// the worker processing pre-published assign and release commands against
// the UiPath fake with no latency (pipeline), from the first pull to the last
// result.
func BenchmarkThroughput(b *testing.B) {
	for _, mode := range syncModes {
		// fsync always is slower by two orders of magnitude: a smaller run.
		n := size(2000, 20000)
		if mode.always {
			n = size(200, 2000)
		}
		ceilings[mode.name] = map[string]float64{}
		b.Run(mode.name+"/raw", func(b *testing.B) { benchRaw(b, mode, n, false) })
		b.Run(mode.name+"/relay", func(b *testing.B) { benchRaw(b, mode, n, true) })
		if !mode.always {
			b.Run(mode.name+"/vendor-only", func(b *testing.B) { benchVendorOnly(b, n) })
			b.Run(mode.name+"/vendor-relay", func(b *testing.B) { benchVendorRelay(b, mode, n) })
		}
		b.Run(mode.name+"/pipeline", func(b *testing.B) { benchPipeline(b, mode, n) })
		// The pipeline's ratio that matters at each setting, taken as
		// side-by-side pairs: to vendor-relay at the default interval, to
		// the relay with fsync always.
		if mode.always {
			benchPairs(b, mode, n, "relay", func(b *testing.B) { benchRaw(b, mode, n, true) })
		} else {
			benchPairs(b, mode, n, "vendor-relay", func(b *testing.B) { benchVendorRelay(b, mode, n) })
		}
	}
}

// pairs is how many times benchPairs runs the pipeline and what it is
// compared with side by side.
const pairs = 5

// benchPairs runs base (named name) and the pipeline side by side, pairs
// times, in alternating order (base first, then the pipeline first, ...),
// and reports the median of the pairs' ratios: on a shared machine,
// whatever else runs changes a run's figure, and two runs side by side
// share most of it. The machine's pace also drifts within minutes
// (docs/performance.md, "What is measured"); alternating the order keeps a
// steady drift from favouring whichever side runs second.
func benchPairs(b *testing.B, mode syncMode, n int, name string, base func(b *testing.B)) {
	var ratios, cpuRatios []float64
	for i := range pairs {
		compared := func() { b.Run(fmt.Sprintf("%s/pair-%d/%s", mode.name, i+1, name), base) }
		pipeline := func() {
			b.Run(fmt.Sprintf("%s/pair-%d/pipeline", mode.name, i+1), func(b *testing.B) { benchPipeline(b, mode, n) })
		}
		if i%2 == 0 {
			compared()
			pipeline()
		} else {
			// The pipeline's own line then names no ratio to base: the
			// figure it would use is the previous pair's.
			delete(ceilings[mode.name], name)
			delete(ceilings[mode.name], name+"-cpu")
			pipeline()
			compared()
		}
		c := ceilings[mode.name]
		ratios = append(ratios, c["pipeline"]/c[name])
		if cpu := c[name+"-cpu"]; cpu > 0 {
			cpuRatios = append(cpuRatios, cpu/c["pipeline-cpu"])
		}
	}
	slices.Sort(ratios)
	slices.Sort(cpuRatios)
	b.Run(mode.name+"/pipeline-over-"+name, func(b *testing.B) {
		b.ReportMetric(ratios[len(ratios)/2], "median-x-"+name)
		b.ReportMetric(ratios[0], "min-x-"+name)
		b.ReportMetric(ratios[len(ratios)-1], "max-x-"+name)
		if len(cpuRatios) > 0 {
			b.ReportMetric(cpuRatios[len(cpuRatios)/2], "median-x-"+name+"-cpu")
		}
	})
}

func rawMsg(i int) *nats.Msg {
	data := make([]byte, 512)
	copy(data, fmt.Sprintf(`{"n":%d}`, i))
	return &nats.Msg{Subject: events.SubjectAssign, Data: data, Header: nats.Header{nats.MsgIdHdr: {fmt.Sprintf("raw-%07d", i)}}}
}

func benchRaw(b *testing.B, mode syncMode, n int, relay bool) {
	var rate, allocs float64
	for range b.N {
		b.StopTimer()
		srv := startServer(b, mode.always)
		nc, js := connect(b, srv, 4000)
		setup(b, js)
		publishAll(b, js, n, rawMsg)
		cons, err := js.CreateOrUpdateConsumer(context.Background(), events.CommandStream, jetstream.ConsumerConfig{
			Durable: "bare", AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second, MaxAckPending: 1000,
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		m0, start := mallocs(), time.Now()
		if relay {
			relayAll(b, nc, js, cons, n)
		} else {
			consumeAll(b, nc, cons, n)
		}
		elapsed := time.Since(start)
		rate = float64(n) / elapsed.Seconds()
		allocs = float64(mallocs()-m0) / float64(n)
	}
	name := "raw"
	if relay {
		name = "relay"
	}
	ceilings[mode.name][name] = rate
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(allocs, "allocs/msg")
}

// consumeAll consumes and acks n messages.
func consumeAll(b *testing.B, nc *nats.Conn, cons jetstream.Consumer, n int) {
	it, err := cons.Messages()
	if err != nil {
		b.Fatal(err)
	}
	defer it.Stop()
	for range n {
		m, err := it.Next()
		if err != nil {
			b.Fatal(err)
		}
		if err := m.Ack(); err != nil {
			b.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		b.Fatal(err)
	}
}

// relayAll consumes n messages, publishes one result for each and acks a
// message once its result's PubAck has arrived: the least a correct worker
// does (docs/design.md §9).
func relayAll(b *testing.B, nc *nats.Conn, js jetstream.JetStream, cons jetstream.Consumer, n int) {
	it, err := cons.Messages()
	if err != nil {
		b.Fatal(err)
	}
	defer it.Stop()
	type pending struct {
		msg jetstream.Msg
		ack jetstream.PubAckFuture
	}
	queue := make(chan pending, 1000)
	errs := make(chan error, 1)
	go func() {
		defer close(errs)
		for p := range queue {
			select {
			case <-p.ack.Ok():
			case err := <-p.ack.Err():
				errs <- err
				return
			}
			if err := p.msg.Ack(); err != nil {
				errs <- err
				return
			}
		}
	}()
	for range n {
		m, err := it.Next()
		if err != nil {
			b.Fatal(err)
		}
		meta, err := m.Metadata()
		if err != nil {
			b.Fatal(err)
		}
		id := fmt.Sprintf("raw-%d/result", meta.Sequence.Stream)
		f, err := js.PublishMsgAsync(&nats.Msg{Subject: events.SubjectAssigned, Data: m.Data(), Header: nats.Header{nats.MsgIdHdr: {id}}})
		if err != nil {
			b.Fatal(err)
		}
		queue <- pending{msg: m, ack: f}
	}
	close(queue)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		b.Fatal(err)
	}
}

// queued is a server whose command stream holds a run's commands, and an
// adapter for the UiPath fake they are for.
type queued struct {
	srv    *server.Server
	nc     *nats.Conn
	js     jetstream.JetStream
	client *uipath.Client
}

// queueCommands starts a server holding n commands of a run named after
// prefix, and the fake with its adapter.
func queueCommands(b *testing.B, mode syncMode, n int, prefix string) queued {
	b.Helper()
	srv := startServer(b, mode.always)
	nc, js := connect(b, srv, 4000)
	setup(b, js)
	run := fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano())
	publishAll(b, js, n, func(i int) *nats.Msg { return commandMsg(run, i) })
	fake := newFake(b)
	return queued{srv: srv, nc: nc, js: js, client: newClient(b, fake.URL, 0, concurrency)}
}

func benchPipeline(b *testing.B, mode syncMode, n int) {
	var rate, allocs, cpu float64
	var startup time.Duration
	var peak uint64
	var before, after jsCount
	for range b.N {
		b.StopTimer()
		q := queueCommands(b, mode, n, "pipe")
		wnc := natstest.Connect(b, q.srv.ClientURL())
		got := watchResults(b, q.nc, n)
		before = countJS(b, q.js, wnc)
		b.StartTimer()
		heap := sampleHeap()
		begin := time.Now()
		startWorker(b, wnc, q.client)
		// Timed from the worker's first pull, as vendor-relay is timed
		// from its consumer's: creating streams, buckets and the consumer
		// is not processing (it is reported as start-ms).
		m0, c0, start := mallocs(), cpuTime(b), time.Now()
		startup = start.Sub(begin)
		last := got.wait(b, 10*time.Minute)
		elapsed := last.Sub(start)
		allocs = float64(mallocs()-m0) / float64(n)
		cpu = float64((cpuTime(b) - c0).Microseconds()) / float64(n)
		peak = heap.Stop()
		rate = float64(n) / elapsed.Seconds()
		b.StopTimer()
		testproc.Settled(b, q.js)
		after = countJS(b, q.js, wnc)
		b.StartTimer()
	}
	ceilings[mode.name]["pipeline"] = rate
	ceilings[mode.name]["pipeline-cpu"] = cpu
	reportJS(b, before, after, n)
	b.ReportMetric(rate, "cmds/s")
	b.ReportMetric(allocs, "allocs/cmd")
	b.ReportMetric(float64(peak)/mib, "peak-heap-MiB")
	if raw := ceilings[mode.name]["raw"]; raw > 0 {
		b.ReportMetric(rate/raw, "x-raw")
	}
	if relay := ceilings[mode.name]["relay"]; relay > 0 {
		b.ReportMetric(rate/relay, "x-relay")
	}
	if vendor := ceilings[mode.name]["vendor-only"]; vendor > 0 {
		b.ReportMetric(rate/vendor, "x-vendor-only")
	}
	if vrelay := ceilings[mode.name]["vendor-relay"]; vrelay > 0 {
		b.ReportMetric(rate/vrelay, "x-vendor-relay")
	}
	b.ReportMetric(cpu, "cpu-µs/cmd")
	b.ReportMetric(float64(startup.Microseconds())/1000, "start-ms")
	if vcpu := ceilings[mode.name]["vendor-relay-cpu"]; vcpu > 0 {
		// What the ratio would be were the machine's two cores this
		// process's alone (it is CPU-bound): vendor-relay's CPU per
		// command over the pipeline's.
		b.ReportMetric(vcpu/cpu, "x-vendor-relay-cpu")
	}
}

// benchVendorOnly runs the vendor side of the pipeline alone: the same n
// commands' Assign and Release calls through the UiPath adapter to the fake
// over loopback HTTP, concurrency at a time, with no NATS at all. It is the
// pipeline's other ceiling: what the two HTTP exchanges per command (read,
// then write the allocation) cost on this machine, fake included.
func benchVendorOnly(b *testing.B, n int) {
	var rate, allocs float64
	for range b.N {
		b.StopTimer()
		fake := newFake(b)
		client := newClient(b, fake.URL, 0, concurrency)
		b.StartTimer()
		m0, start := mallocs(), time.Now()
		// Handed out in order: a user's next command comes 2,000 commands
		// after its last, far more than are in flight, as in the pipeline.
		fanOut(b, n, func(i int) int { return i }, func(i int) error {
			req := vendors.Request{Account: account, User: userName(i), Licenses: []string{bundle}}
			var err error
			if (i/users)%2 == 1 {
				_, err = client.Release(context.Background(), req)
			} else {
				_, err = client.Assign(context.Background(), req)
			}
			return err
		})
		elapsed := time.Since(start)
		rate = float64(n) / elapsed.Seconds()
		allocs = float64(mallocs()-m0) / float64(n)
	}
	ceilings["interval"]["vendor-only"] = rate
	b.ReportMetric(rate, "cmds/s")
	b.ReportMetric(allocs, "allocs/cmd")
}

// benchVendorRelay is the least a worker that calls the vendor can do: a
// bare consumer whose concurrency goroutines each decode a command, make
// its vendor calls, publish a result and ack once the PubAck is in. No
// claim, no ledger, no stored result: none of seatkeeper's guarantees
// across deliveries and replicas. Against the pipeline it prices those
// guarantees; against raw it bounds what any worker calling this vendor
// reaches on this machine.
func benchVendorRelay(b *testing.B, mode syncMode, n int) {
	var rate, allocs, cpu float64
	for range b.N {
		b.StopTimer()
		q := queueCommands(b, mode, n, "vrelay")
		js := q.js
		cons, err := js.CreateOrUpdateConsumer(context.Background(), events.CommandStream, jetstream.ConsumerConfig{
			Durable: "bare", AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second, MaxAckPending: 16 * concurrency,
		})
		if err != nil {
			b.Fatal(err)
		}
		got := watchResults(b, q.nc, n)
		b.StartTimer()
		m0, c0, start := mallocs(), cpuTime(b), time.Now()
		it, err := cons.Messages(jetstream.PullMaxMessages(concurrency))
		if err != nil {
			b.Fatal(err)
		}
		fanOut(b, n, func(int) jetstream.Msg {
			m, err := it.Next()
			if err != nil {
				b.Fatal(err)
			}
			return m
		}, func(m jetstream.Msg) error { return relayCommand(js, q.client, m) })
		it.Stop()
		last := got.wait(b, 10*time.Minute)
		rate = float64(n) / last.Sub(start).Seconds()
		allocs = float64(mallocs()-m0) / float64(n)
		cpu = float64((cpuTime(b) - c0).Microseconds()) / float64(n)
	}
	ceilings[mode.name]["vendor-relay"] = rate
	ceilings[mode.name]["vendor-relay-cpu"] = cpu
	b.ReportMetric(rate, "cmds/s")
	b.ReportMetric(allocs, "allocs/cmd")
	b.ReportMetric(cpu, "cpu-µs/cmd")
	if raw := ceilings[mode.name]["raw"]; raw > 0 {
		b.ReportMetric(rate/raw, "x-raw")
	}
}

// relayCommand decodes m, makes its vendor calls, publishes its result and
// acks it.
func relayCommand(js jetstream.JetStream, client *uipath.Client, m jetstream.Msg) error {
	ctx := context.Background()
	meta, err := m.Metadata()
	if err != nil {
		return err
	}
	cmd, err := events.DecodeCommand(m.Subject(), m.Data())
	if err != nil {
		return err
	}
	req := vendors.Request{Account: cmd.Data.Account, User: cmd.Data.User, Licenses: cmd.Data.Licenses}
	var out vendors.Outcome
	if cmd.Type == events.SubjectRelease {
		out, err = client.Release(ctx, req)
	} else {
		out, err = client.Assign(ctx, req)
	}
	if err != nil {
		return err
	}
	res := events.NewResult(cmd, meta.Sequence.Stream, time.Now(), events.ResultData{
		Account: cmd.Data.Account, Licenses: out.Licenses, Held: events.Codes(out.Held),
	})
	payload, err := json.Marshal(res)
	if err != nil {
		return err
	}
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: res.Type, Data: payload}, jetstream.WithMsgID(res.ID)); err != nil {
		return err
	}
	return m.Ack()
}

// fanOut hands the n items next returns, in order, to concurrency
// goroutines running work, and fails b on the first error.
func fanOut[T any](b *testing.B, n int, next func(i int) T, work func(T) error) {
	items := make(chan T)
	errs := make(chan error, concurrency)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for item := range items {
				if err := work(item); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := range n {
		select {
		case items <- next(i):
		case err := <-errs:
			b.Fatal(err)
		}
	}
	close(items)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}

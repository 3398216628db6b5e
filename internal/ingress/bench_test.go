package ingress_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/ingress"
	"github.com/seatkeeper/seatkeeper/internal/natstest"
)

// benchClients is how many senders post at once.
const benchClients = 32

// BenchmarkIngress measures sustained events per second through the
// ingress over loopback HTTP, every request signed (Standard Webhooks, with
// the replay check) and every event published to a file-backed stream and
// acknowledged, and the latency of each request: b.N events, one a request
// or in batches of 100, with the server fsyncing at its default interval
// or before every acknowledgement (the embedded default).
//
//	go test -run '^$' -bench Ingress -benchtime 20000x ./internal/ingress
func BenchmarkIngress(b *testing.B) {
	for _, always := range []bool{false, true} {
		for _, batch := range []int{1, 100} {
			fsync := "interval"
			if always {
				fsync = "always"
			}
			b.Run(fmt.Sprintf("%s/batch=%d", fsync, batch), func(b *testing.B) { benchIngress(b, always, batch) })
		}
		b.Run(fmt.Sprintf("%s/bare-publish", map[bool]string{false: "interval", true: "always"}[always]), func(b *testing.B) { benchBare(b, always) })
		b.Run(fmt.Sprintf("%s/steady-%d", map[bool]string{false: "interval", true: "always"}[always], steadyRate), func(b *testing.B) { benchSteady(b, always) })
	}
}

// benchBare is the ceiling on the same server: the same events published
// straight to JetStream by as many senders, each waiting for its PubAck.
func benchBare(b *testing.B, always bool) {
	js := benchServer(b, always)
	payloads := make([][]byte, b.N)
	for i := range payloads {
		payloads[i] = assign("bench-"+strconv.Itoa(i), "user-"+strconv.Itoa(i%2000))
	}
	run(b, len(payloads), func(i int) bool {
		_, err := js.Publish(context.Background(), "license.assign", payloads[i], jetstream.WithMsgID("bench-"+strconv.Itoa(i)))
		return err == nil
	})
}

// benchServer starts a server with the worker's streams and returns a
// JetStream context on it.
func benchServer(b *testing.B, always bool) jetstream.JetStream {
	opts := natstest.Options(b.TempDir())
	opts.SyncAlways = always
	srv := natstest.RunServer(b, opts)
	nc := natstest.Connect(b, srv.ClientURL())
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := consumer.Setup(context.Background(), js, consumer.DefaultSettings(4)); err != nil {
		b.Fatal(err)
	}
	return js
}

// run calls do(0) .. do(n-1) from benchClients goroutines, timing each
// call, and reports events per second (b.N of them) and the calls' p50 and
// p99 latency.
func run(b *testing.B, n int, do func(i int) bool) {
	latencies := make([]time.Duration, n)
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for range benchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t0 := time.Now()
				if !do(i) {
					failed.Add(1)
				}
				latencies[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	report(b, b.N, time.Since(start), failed.Load(), latencies)
}

// report stops the clock, fails the benchmark if any call failed, and
// reports events per second and the calls' p50 and p99 latency.
func report(b *testing.B, events int, elapsed time.Duration, failed int64, latencies []time.Duration) {
	b.StopTimer()
	if failed > 0 {
		b.Fatalf("%d of %d calls failed", failed, len(latencies))
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
	b.ReportMetric(ms(latencies[len(latencies)/2]), "p50-ms")
	b.ReportMetric(ms(latencies[len(latencies)*99/100]), "p99-ms")
}

func benchIngress(b *testing.B, always bool, batch int) {
	js := benchServer(b, always)
	guard, err := ingress.NewKVReplayGuard(context.Background(), js, 1)
	if err != nil {
		b.Fatal(err)
	}
	secrets, err := ingress.ParseSecrets("bench:" + bamboohrKey)
	if err != nil {
		b.Fatal(err)
	}
	h, err := ingress.NewHandler(ingress.Options{
		Secrets: secrets, Rate: 1e9, Burst: 1 << 30, PublishTimeout: 30 * time.Second,
		Publisher: &ingress.JetStreamPublisher{JS: js}, Replay: guard, Logger: zap.NewNop(),
	})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(h)
	b.Cleanup(hs.Close)
	reqs := signedRequests(b, hs.URL+ingress.Path, b.N, batch)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: benchClients}}
	run(b, len(reqs), func(i int) bool { return send(client, reqs[i]) })
}

// signedRequest is one request, signed before the clock starts.
type signedRequest struct {
	url     string
	body    []byte
	headers http.Header
}

// signedRequests builds n events in requests of batch events each (one
// structured event when batch is 1), each request signed with its own
// webhook id.
func signedRequests(b *testing.B, url string, n, batch int) []signedRequest {
	var reqs []signedRequest
	now := time.Now().Unix()
	for i := 0; i < n; i += batch {
		var body []byte
		contentType := "application/cloudevents+json"
		if batch == 1 {
			body = assign("bench-"+strconv.Itoa(i), "user-"+strconv.Itoa(i%2000))
		} else {
			contentType = "application/cloudevents-batch+json"
			var buf bytes.Buffer
			buf.WriteByte('[')
			for j := i; j < min(i+batch, n); j++ {
				if j > i {
					buf.WriteByte(',')
				}
				buf.Write(assign("bench-"+strconv.Itoa(j), "user-"+strconv.Itoa(j%2000)))
			}
			buf.WriteByte(']')
			body = buf.Bytes()
		}
		id := "msg_bench_" + strconv.Itoa(i)
		sig, err := ingress.Sign(bamboohrKey, id, now, body)
		if err != nil {
			b.Fatal(err)
		}
		h := http.Header{}
		h.Set("Content-Type", contentType)
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", strconv.FormatInt(now, 10))
		h.Set("webhook-signature", sig)
		reqs = append(reqs, signedRequest{url: url, body: body, headers: h})
	}
	return reqs
}

func send(c *http.Client, r signedRequest) bool {
	req, err := http.NewRequest("POST", r.url, bytes.NewReader(r.body))
	if err != nil {
		return false
	}
	req.Header = r.headers
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusAccepted
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// steadyRate is the pace of the steady benchmark, in events a second: a
// busy HR day's worth of webhooks arriving at once, well under the ceiling.
const steadyRate = 200

// benchSteady sends signed events one a request at steadyRate, each
// from its own goroutine so that a slow answer does not slow the pace, and
// reports the latency of the answers: what a sender sees when the ingress
// is not saturated.
func benchSteady(b *testing.B, always bool) {
	js := benchServer(b, always)
	guard, err := ingress.NewKVReplayGuard(context.Background(), js, 1)
	if err != nil {
		b.Fatal(err)
	}
	secrets, _ := ingress.ParseSecrets("bench:" + bamboohrKey)
	h, err := ingress.NewHandler(ingress.Options{
		Secrets: secrets, Rate: 1e9, Burst: 1 << 30, PublishTimeout: 30 * time.Second,
		Publisher: &ingress.JetStreamPublisher{JS: js}, Replay: guard, Logger: zap.NewNop(),
	})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(h)
	b.Cleanup(hs.Close)
	// Ten seconds of it at most, whatever b.N: the pace, not the count,
	// is what is measured.
	reqs := signedRequests(b, hs.URL+ingress.Path, min(b.N, 10*steadyRate), 1)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	latencies := make([]time.Duration, len(reqs))
	var failed atomic.Int64
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / steadyRate)
	defer tick.Stop()
	b.ResetTimer()
	start := time.Now()
	for i := range reqs {
		<-tick.C
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			if !send(client, reqs[i]) {
				failed.Add(1)
			}
			latencies[i] = time.Since(t0)
		}()
	}
	wg.Wait()
	report(b, len(reqs), time.Since(start), failed.Load(), latencies)
}

package bench_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// finishes notes when each command's first result reaches a core NATS
// subscriber, from the worker's start, and calls onHalf once half of the
// commands have one.
type finishes struct {
	want   int
	onHalf func()
	done   chan struct{}

	mu    sync.Mutex
	start time.Time
	first map[string]time.Duration // command id -> finish time
	// recovered is when onHalf was called, from start.
	recovered time.Duration
	halfDone  bool
	failed    []string // ids whose result is license.failed
	early     []string // the failing vendor's ids finished before onHalf
}

func watchFinishes(b *testing.B, nc *nats.Conn, want int) *finishes {
	b.Helper()
	f := &finishes{want: want, done: make(chan struct{}), first: make(map[string]time.Duration, want)}
	subscribeResults(b, nc, f.receive)
	return f
}

// begin marks the worker's start.
func (f *finishes) begin() {
	f.mu.Lock()
	f.start = time.Now()
	f.mu.Unlock()
}

func (f *finishes) receive(m *nats.Msg) {
	if !slices.Contains(events.ResultSubjects, m.Subject) {
		return
	}
	id := strings.TrimSuffix(m.Header.Get(nats.MsgIdHdr), "/result")
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, seen := f.first[id]; seen {
		return // announced again (a replay): the first arrival counts
	}
	f.first[id] = time.Since(f.start)
	if m.Subject == events.SubjectFailed {
		f.failed = append(f.failed, id)
	}
	if f.onHalf != nil && !f.halfDone && strings.Contains(id, downTag) {
		f.early = append(f.early, id)
	}
	switch len(f.first) {
	case f.want / 2:
		if f.onHalf != nil {
			f.onHalf()
			f.recovered, f.halfDone = time.Since(f.start), true
		}
	case f.want:
		close(f.done)
	}
}

// wait waits for every command's result; it fails the benchmark if the
// worker exits first or after timeout.
func (f *finishes) wait(b *testing.B, w *process, timeout time.Duration) {
	b.Helper()
	select {
	case <-f.done:
	case <-w.done:
		b.Fatalf("worker exited with %d of %d results:\n%s", f.count(), f.want, w.tail.String())
	case <-time.After(timeout):
		b.Fatalf("waited %s for %d results, have %d", timeout, f.want, f.count())
	}
}

func (f *finishes) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.first)
}

// times returns the healthy vendor's finish times, sorted, and how long
// the failing vendor's commands took after its recovery. It fails the
// benchmark if a command failed or one of the failing vendor's finished
// while it was down.
func (f *finishes) times(b *testing.B) drainTimes {
	b.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.failed) > 0 {
		b.Fatalf("%d commands failed, first %s", len(f.failed), f.failed[0])
	}
	if len(f.early) > 0 {
		b.Fatalf("%d of the failing vendor's commands finished while it was down, first %s", len(f.early), f.early[0])
	}
	var out drainTimes
	var lastDown time.Duration
	for id, at := range f.first {
		if strings.Contains(id, healthyTag) {
			out.healthy = append(out.healthy, at)
		} else {
			lastDown = max(lastDown, at)
		}
	}
	slices.Sort(out.healthy)
	if f.halfDone {
		out.recovered = lastDown - f.recovered
	}
	return out
}

// ids returns every command id that has a result.
func (f *finishes) ids() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Collect(maps.Keys(f.first))
}

// countResults reads the results in LICENSE_EVENTS and fails the benchmark
// unless there is exactly one for each of ids and no other; it returns how
// many there are.
func countResults(b *testing.B, js jetstream.JetStream, ids []string) int {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cons, err := js.CreateConsumer(ctx, events.EventStream, jetstream.ConsumerConfig{
		FilterSubjects: events.ResultSubjects, AckPolicy: jetstream.AckNonePolicy,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = js.DeleteConsumer(context.Background(), events.EventStream, cons.CachedInfo().Name) }()
	stored := int(cons.CachedInfo().NumPending)
	seen := make(map[string]int, len(ids))
	for read := 0; read < stored; {
		batch, err := cons.Fetch(min(1000, stored-read), jetstream.FetchMaxWait(10*time.Second))
		if err != nil {
			b.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			seen[strings.TrimSuffix(m.Headers().Get(nats.MsgIdHdr), "/result")]++
			got++
		}
		if err := batch.Error(); err != nil || got == 0 {
			b.Fatalf("read %s: %d of %d results: %v", events.EventStream, read+got, stored, err)
		}
		read += got
	}
	for _, id := range ids {
		if seen[id] != 1 {
			b.Fatalf("%s has %d results in %s, want 1", id, seen[id], events.EventStream)
		}
	}
	if stored != len(ids) {
		b.Fatalf("%s holds %d results for %d commands", events.EventStream, stored, len(ids))
	}
	return stored
}

package testproc

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// Results collects result events by command id as they arrive.
type Results struct {
	mu     sync.Mutex
	byID   map[string][]events.Result
	notify chan struct{}
}

func newResults() *Results {
	return &Results{byID: make(map[string][]events.Result), notify: make(chan struct{}, 1)}
}

// Subscribe collects the results published on events.ResultSubjects from
// now on, through a core subscription on nc.
func Subscribe(t testing.TB, nc *nats.Conn) *Results {
	t.Helper()
	r := newResults()
	for _, subj := range events.ResultSubjects {
		sub, err := nc.Subscribe(subj, func(m *nats.Msg) { r.add(t, m.Data) })
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = sub.Unsubscribe() })
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return r
}

// Follow collects the results stored in LICENSE_EVENTS, from the first, as
// they are stored. Its ordered consumer re-creates itself across server
// restarts and failovers, which a core subscription would miss.
func Follow(t testing.TB, js jetstream.JetStream) *Results {
	t.Helper()
	r := newResults()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, events.EventStream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) { r.add(t, m.Data()) },
		jetstream.ConsumeErrHandler(func(jetstream.ConsumeContext, error) {}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cc.Stop)
	return r
}

func (r *Results) add(t testing.TB, data []byte) {
	var res events.Result
	if err := json.Unmarshal(data, &res); err != nil {
		t.Errorf("result is not JSON: %v", err)
		return
	}
	r.mu.Lock()
	r.byID[res.Data.CommandID] = append(r.byID[res.Data.CommandID], res)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// Distinct returns how many commands have a result.
func (r *Results) Distinct() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byID)
}

// ByID returns the results collected so far by command id.
func (r *Results) ByID() map[string][]events.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string][]events.Result, len(r.byID))
	for id, rs := range r.byID {
		out[id] = append([]events.Result(nil), rs...)
	}
	return out
}

// WaitDistinct waits until results of n distinct commands have arrived.
func (r *Results) WaitDistinct(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for r.Distinct() < n {
		select {
		case <-r.notify:
		case <-deadline:
			t.Fatalf("results of %d commands after %s, want %d", r.Distinct(), timeout, n)
		}
	}
}

// Settled waits until the worker consumer has nothing pending and nothing
// unacknowledged. The worker acks a command only once its result is stored,
// so after Settled every result is in LICENSE_EVENTS; a result seen on a
// core subscription may reach subscribers before the stream has stored it.
// Nothing announces that state, so it is polled, for up to a minute.
func Settled(t testing.TB, js jetstream.JetStream) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		cons, err := js.Consumer(ctx, events.CommandStream, events.WorkerConsumer)
		var ci *jetstream.ConsumerInfo
		if err == nil {
			ci, err = cons.Info(ctx)
		}
		// The people consumer, where the worker runs one, settles too:
		// an event's outcome is counted after it is published, before
		// the event is acked.
		people := true
		if err == nil {
			people = peopleSettled(ctx, js)
		}
		cancel()
		if err == nil && ci.NumAckPending == 0 && ci.NumPending == 0 && people {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker consumer did not settle within a minute: %+v, %v", ci, err)
		}
		<-tick.C
	}
}

// peopleSettled reports whether the people consumer has nothing pending
// or unacknowledged; true when there is none.
func peopleSettled(ctx context.Context, js jetstream.JetStream) bool {
	cons, err := js.Consumer(ctx, events.PeopleStream, events.PeopleConsumer)
	if errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrConsumerNotFound) {
		return true
	}
	if err != nil {
		return false
	}
	ci, err := cons.Info(ctx)
	return err == nil && ci.NumAckPending == 0 && ci.NumPending == 0
}

// StoredResults reads the whole of LICENSE_EVENTS and returns the result
// types (event subjects) stored for each command id: one entry a stored
// result. Right after a cluster node comes back, JetStream requests can meet
// "no responders" while leaders are elected, so a read that fails is made
// again from the start, for up to a minute.
func StoredResults(t testing.TB, js jetstream.JetStream) map[string][]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		out, err := storedResults(ctx, t, js)
		if err == nil {
			return out
		}
		select {
		case <-ctx.Done():
			t.Fatalf("read the stored results: %v", err)
		case <-tick.C:
		}
	}
}

func storedResults(ctx context.Context, t testing.TB, js jetstream.JetStream) (map[string][]string, error) {
	st, err := js.Stream(ctx, events.EventStream)
	if err != nil {
		return nil, err
	}
	total := st.CachedInfo().State.Msgs
	cons, err := js.OrderedConsumer(ctx, events.EventStream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return nil, err
	}
	out := make(map[string][]string)
	for read := uint64(0); read < total; {
		batch, err := cons.Fetch(int(min(total-read, 500)), jetstream.FetchMaxWait(10*time.Second))
		if err != nil {
			return nil, err
		}
		for m := range batch.Messages() {
			var r events.Result
			if err := json.Unmarshal(m.Data(), &r); err != nil {
				t.Fatalf("stored result is not JSON: %v", err)
			}
			out[r.Data.CommandID] = append(out[r.Data.CommandID], r.Type)
			read++
		}
		if err := batch.Error(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Notify receives a value after results have arrived; a test waiting for
// a particular result checks ByID again on each.
func (r *Results) Notify() <-chan struct{} { return r.notify }

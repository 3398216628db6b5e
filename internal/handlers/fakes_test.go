package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// memStore is a bucket in memory with JetStream KV's compare-and-set
// semantics: one revision sequence for the whole bucket, as a stream has.
type memStore struct {
	mu     sync.Mutex
	seq    uint64
	keys   map[string]memEntry
	writes int
	reads  int
	// failWrites makes every write fail as an unreachable NATS would.
	failWrites bool
	// wrote, if set, is told of every write.
	wrote chan string
}

type memEntry struct {
	value []byte
	rev   uint64
}

var errUnreachable = errors.New("nats: timeout")

func newMemStore() *memStore { return &memStore{keys: make(map[string]memEntry)} }

func (s *memStore) write(key string, value []byte, check func(memEntry, bool) error) (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failWrites {
		return 0, errUnreachable
	}
	cur, ok := s.keys[key]
	if err := check(cur, ok); err != nil {
		return 0, err
	}
	s.writes++
	s.seq++
	if s.wrote != nil {
		s.wrote <- key
	}
	if value == nil {
		delete(s.keys, key)
	} else {
		s.keys[key] = memEntry{value: slices.Clone(value), rev: s.seq}
	}
	return s.seq, nil
}

func (s *memStore) Create(_ context.Context, key string, value []byte) (uint64, error) {
	return s.write(key, value, func(_ memEntry, ok bool) error {
		if ok {
			return handlers.ErrExists
		}
		return nil
	})
}

func (s *memStore) Update(_ context.Context, key string, value []byte, rev uint64) (uint64, error) {
	return s.write(key, value, func(cur memEntry, ok bool) error {
		if !ok || cur.rev != rev {
			return handlers.ErrConflict
		}
		return nil
	})
}

func (s *memStore) Delete(_ context.Context, key string, rev uint64) error {
	_, err := s.write(key, nil, func(cur memEntry, ok bool) error {
		if !ok || cur.rev != rev {
			return handlers.ErrConflict
		}
		return nil
	})
	return err
}

func (s *memStore) Get(_ context.Context, key string) ([]byte, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	e, ok := s.keys[key]
	if !ok {
		return nil, 0, handlers.ErrNotFound
	}
	return slices.Clone(e.value), e.rev, nil
}

// notify has every write told on c (nil: none) and returns c.
func (s *memStore) notify(c chan string) chan string {
	s.mu.Lock()
	s.wrote = c
	s.mu.Unlock()
	return c
}

func (s *memStore) setFailWrites(fail bool) {
	s.mu.Lock()
	s.failWrites = fail
	s.mu.Unlock()
}

func (s *memStore) writeCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

func (s *memStore) readCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

func (s *memStore) keyList() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.keys {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// cutOff is one replica's view of a bucket, whose writes fail while cut
// is set (its network to NATS is down); other replicas write as usual.
type cutOff struct {
	handlers.Store
	cut *atomic.Bool
}

func (s cutOff) Create(ctx context.Context, key string, value []byte) (uint64, error) {
	if s.cut.Load() {
		return 0, errUnreachable
	}
	return s.Store.Create(ctx, key, value)
}

func (s cutOff) Update(ctx context.Context, key string, value []byte, rev uint64) (uint64, error) {
	if s.cut.Load() {
		return 0, errUnreachable
	}
	return s.Store.Update(ctx, key, value, rev)
}

func (s cutOff) Delete(ctx context.Context, key string, rev uint64) error {
	if s.cut.Load() {
		return errUnreachable
	}
	return s.Store.Delete(ctx, key, rev)
}

// fakeClock is a clock that moves only when the test says. Tickers fire
// on Advance, once per period passed.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	tickers []*fakeTicker
}

type fakeTicker struct {
	every time.Duration
	next  time.Time
	c     chan time.Time
	done  bool
}

func newFakeClock() *fakeClock {
	// Near the real time, since the retry policy's budget reads the
	// system clock against the first attempt's time.
	return &fakeClock{now: time.Now().Truncate(time.Second)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Tick(d time.Duration) (<-chan time.Time, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTicker{every: d, next: c.now.Add(d), c: make(chan time.Time, 1)}
	c.tickers = append(c.tickers, t)
	return t.c, func() {
		c.mu.Lock()
		t.done = true
		c.mu.Unlock()
	}
}

// Advance moves the clock by d, firing the tickers due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for _, t := range c.tickers {
		for !t.done && !t.next.After(c.now) {
			t.next = t.next.Add(t.every)
			select {
			case t.c <- c.now:
			default:
			}
		}
	}
}

const account = uipathtest.DemoAccount

// world is one vendor fake and the two buckets, shared by the replicas a
// test builds.
type world struct {
	t      *testing.T
	fake   *uipathtest.Server
	vendor vendors.Vendor
	store  *memStore
	ledger *memStore
	clock  *fakeClock
}

func newWorld(t *testing.T) *world {
	fake := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	client, err := uipath.New(uipath.Config{
		BaseURL: fake.URL, ClientID: uipathtest.ClientID, ClientSecret: uipathtest.ClientSecret,
		Scope: uipathtest.Scope, AccountID: account,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, fake: fake, vendor: client, store: newMemStore(), ledger: newMemStore(), clock: newFakeClock()}
}

const lease = 30 * time.Second

// replica returns a handler named owner over the world's buckets; wrap, if
// given, wraps the vendor it calls.
func (w *world) replica(owner string, wrap ...func(vendors.Vendor) vendors.Vendor) *handlers.Handler {
	return w.replicaOn(owner, w.store, w.ledger, wrap...)
}

// replicaOn is replica with its own view of the buckets.
func (w *world) replicaOn(owner string, store, ledger handlers.Store, wrap ...func(vendors.Vendor) vendors.Vendor) *handlers.Handler {
	v := w.vendor
	for _, f := range wrap {
		v = f(v)
	}
	return handlers.New(handlers.Options{
		Store: store, Ledger: ledger, Vendors: vendors.NewRegistry(v),
		Policy: vendors.RetryPolicy{
			InitialInterval: time.Millisecond, MaxInterval: 10 * time.Millisecond,
			InProcessBudget: 10 * time.Second, TotalBudget: time.Hour, MaxDeferral: time.Second,
		},
		Owner: owner, Lease: lease, Clock: w.clock,
	})
}

var base = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

func cmd(typ, id, user string, at time.Time, codes ...string) events.Command {
	return events.NewCommand(typ, "test/hr", id, at, events.CommandData{
		Vendor: "uipath", Account: account, User: user, Licenses: codes,
	})
}

// handle runs one delivery and decodes its result.
func handle(t *testing.T, h *handlers.Handler, c events.Command, seq uint64) (events.Result, handlers.Reply, error) {
	t.Helper()
	reply, err := h.Handle(context.Background(), handlers.Delivery{Command: c, Seq: seq, Published: base})
	var r events.Result
	if err == nil {
		if uerr := json.Unmarshal(reply.Payload, &r); uerr != nil {
			t.Fatalf("result of %s: %v", c.ID, uerr)
		}
	}
	return r, reply, err
}

// mustHandle runs one delivery that must end in a result.
func mustHandle(t *testing.T, h *handlers.Handler, c events.Command, seq uint64) events.Result {
	t.Helper()
	r, _, err := handle(t, h, c, seq)
	if err != nil {
		t.Fatalf("%s: %v", c.ID, err)
	}
	return r
}

func statuses(r events.Result) map[string]string {
	m := make(map[string]string)
	for _, l := range r.Data.Licenses {
		m[l.Code] = l.Status
	}
	return m
}

// hooked is the real adapter with a test's hook run after each assign or
// release reaches the vendor: the place where a worker pauses mid-command.
type hooked struct {
	vendors.Vendor
	after func(op string)
}

func (v hooked) Assign(ctx context.Context, req vendors.Request) (vendors.Outcome, error) {
	out, err := v.Vendor.Assign(ctx, req)
	v.after("assign")
	return out, err
}

func (v hooked) Release(ctx context.Context, req vendors.Request) (vendors.Outcome, error) {
	out, err := v.Vendor.Release(ctx, req)
	v.after("release")
	return out, err
}

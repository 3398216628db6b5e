package consumer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
	"github.com/seatkeeper/seatkeeper/internal/lifecycle"
)

// PoolWatch announces pools running low, one license.pool_low per
// crossing. It reads an account's pools from the vendor after assigns and
// releases, at most one read at a time per account and reads at least
// Interval apart (changes meanwhile cause one more read after it), so that
// a batch of a thousand assigns costs a few reads of the vendor's rate
// budget, not a thousand. Between reads it keeps an estimate of each pool
// (lifecycle.PoolEstimate: the last read plus this worker's own applied
// assigns and releases, an in-memory update per command); when the
// estimate crosses the threshold the pool is read at once, not Interval
// later, and a dip the read comes too late to see is still announced when
// the read agrees with the estimate. Which pools are low is kept in the
// pools bucket, so replicas and restarts agree on what was announced.
type PoolWatch struct {
	vendors   handlers.Vendors
	kv        jetstream.KeyValue
	js        jetstream.JetStream
	threshold float64
	log       *zap.Logger
	ctx       context.Context
	// Interval is the least time between two reads of one account's
	// pools, but for a read a crossing asks for.
	Interval time.Duration
	// CrossingInterval is the least time between two reads of one
	// account's pools when a crossing asks for the second: a pool
	// flapping around the threshold costs at most one read per
	// CrossingInterval, and a dip the delay hides is kept by the
	// estimate.
	CrossingInterval time.Duration

	mu       sync.Mutex
	accounts map[accountKey]*watched
}

// accountKey names a vendor account.
type accountKey struct{ vendor, account string }

// watched is one vendor account's pools as this worker follows them.
type watched struct {
	pools   map[string]*lifecycle.PoolEstimate // by code
	running bool                               // a read loop runs
	again   bool                               // touched while it ran
	urgent  bool                               // a crossing asks for a read at once
	wake    chan struct{}                      // signals urgent to a waiting loop
}

// poolState is a pool's entry in the pools bucket.
type poolState struct {
	Low   bool      `json:"low"`
	Since time.Time `json:"since"`
}

// NewPoolWatch returns a PoolWatch with threshold (a fraction of a pool's
// seats); its reads run until ctx ends.
func NewPoolWatch(ctx context.Context, v handlers.Vendors, kv jetstream.KeyValue, js jetstream.JetStream, threshold float64, log *zap.Logger) *PoolWatch {
	return &PoolWatch{vendors: v, kv: kv, js: js, threshold: threshold, log: log, ctx: ctx,
		CrossingInterval: time.Second, accounts: make(map[accountKey]*watched)}
}

// seen takes note of a command's result: a pool listing is observed as it
// is; an assign or release moves the estimates of its codes' pools and has
// the account's pools read (at once if an estimate crossed).
func (pw *PoolWatch) seen(res events.Result) {
	if pw == nil || res.Data.Account == "" {
		return
	}
	if res.Data.Pools != nil {
		go pw.listed(res.Data.Vendor, res.Data.Account, res.Data.Pools)
		return
	}
	key := accountKey{res.Data.Vendor, res.Data.Account}
	pw.mu.Lock()
	defer pw.mu.Unlock()
	w := pw.accounts[key]
	if w == nil {
		w = &watched{pools: make(map[string]*lifecycle.PoolEstimate), wake: make(chan struct{}, 1)}
		pw.accounts[key] = w
	}
	crossed := false
	for _, l := range res.Data.Licenses {
		if e := w.pools[l.Code]; e != nil && e.Apply(seatDelta(l.Status), pw.threshold) {
			crossed = true
		}
	}
	switch {
	case !w.running:
		w.running = true
		go pw.readLoop(w, res.Data.Vendor, res.Data.Account)
	case crossed:
		w.again, w.urgent = true, true
		select {
		case w.wake <- struct{}{}:
		default:
		}
	default:
		w.again = true
	}
}

// listed observes a pool listing as it is.
func (pw *PoolWatch) listed(vendor, account string, pools []events.Pool) {
	ctx, cancel := context.WithTimeout(pw.ctx, time.Minute)
	defer cancel()
	if err := pw.observe(ctx, vendor, account, pools); err != nil && ctx.Err() == nil {
		pw.log.Warn("watch pools for running low", zap.String("vendor", vendor), zap.Error(err))
	}
}

// seatDelta is how a license result changes its pool's assigned count.
func seatDelta(status string) int {
	switch status {
	case events.StatusAssigned:
		return 1
	case events.StatusReleased:
		return -1
	}
	return 0
}

// readLoop reads the account's pools, and again while they are touched:
// Interval after the previous read began, or CrossingInterval after it for
// a crossing.
func (pw *PoolWatch) readLoop(w *watched, vendor, account string) {
	for {
		began := time.Now()
		if err := pw.read(w, vendor, account); err != nil && pw.ctx.Err() == nil {
			pw.log.Warn("read pools to watch for running low", zap.String("vendor", vendor), zap.Error(err))
		}
		pw.waitAfter(w, began)
		pw.mu.Lock()
		if !w.again || pw.ctx.Err() != nil {
			w.running, w.again, w.urgent = false, false, false
			pw.mu.Unlock()
			return
		}
		w.again, w.urgent = false, false
		pw.mu.Unlock()
	}
}

// waitAfter waits Interval after a read that began at began, or only
// CrossingInterval once a crossing asks for a read.
func (pw *PoolWatch) waitAfter(w *watched, began time.Time) {
	for {
		pw.mu.Lock()
		urgent := w.urgent
		pw.mu.Unlock()
		until := began.Add(pw.Interval)
		if urgent {
			until = began.Add(min(pw.Interval, pw.CrossingInterval))
		}
		d := time.Until(until)
		if d <= 0 {
			return
		}
		t := time.NewTimer(d)
		select {
		case <-pw.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-w.wake:
			t.Stop()
		}
	}
}

// read reads the account's pools and observes them: each pool as read,
// after a dip its estimate saw and the read came too late for.
func (pw *PoolWatch) read(w *watched, vendor, account string) error {
	ctx, cancel := context.WithTimeout(pw.ctx, time.Minute)
	defer cancel()
	v, err := pw.vendors.Get(vendor)
	if err != nil {
		return err
	}
	pw.mu.Lock()
	for _, e := range w.pools {
		e.BeginRead()
	}
	pw.mu.Unlock()
	pools, err := v.Pools(ctx, account)
	if err != nil {
		return err
	}
	var seen []events.Pool
	pw.mu.Lock()
	for _, p := range pools {
		e := w.pools[p.Code]
		if e == nil {
			e = &lifecycle.PoolEstimate{}
			w.pools[p.Code] = e
		}
		seen = append(seen, e.EndRead(p, pw.threshold)...)
	}
	pw.mu.Unlock()
	return pw.observe(ctx, vendor, account, seen)
}

// observe records pools as seen now, announcing each that has just crossed
// the threshold.
func (pw *PoolWatch) observe(ctx context.Context, vendor, account string, pools []events.Pool) error {
	var errs []error
	for _, p := range pools {
		errs = append(errs, pw.observeOne(ctx, vendor, account, p))
	}
	return errors.Join(errs...)
}

func (pw *PoolWatch) observeOne(ctx context.Context, vendor, account string, p events.Pool) error {
	key := poolKey(vendor, account, p.Code)
	for range 5 {
		var st poolState
		var rev uint64
		e, err := pw.kv.Get(ctx, key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return err
		default:
			rev = e.Revision()
			if err := json.Unmarshal(e.Value(), &st); err != nil {
				return fmt.Errorf("pool state %s: %w", key, err)
			}
		}
		low, fire := lifecycle.Cross(st.Low, p, pw.threshold)
		if low == st.Low {
			return nil
		}
		if fire {
			// The id names the state it replaces: replicas that see the
			// same crossing publish the same id, and JetStream keeps one.
			if err := pw.announce(ctx, vendor, account, p, rev); err != nil {
				return err
			}
		}
		b, _ := json.Marshal(poolState{Low: low, Since: time.Now().UTC()})
		if rev == 0 {
			_, err = pw.kv.Create(ctx, key, b)
		} else {
			_, err = pw.kv.Update(ctx, key, b, rev)
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return err
		}
		// Another replica changed the state meanwhile: look again.
	}
	return fmt.Errorf("pool state %s: changed by others five times in a row", key)
}

func (pw *PoolWatch) announce(ctx context.Context, vendor, account string, p events.Pool, rev uint64) error {
	subject := vendor + "/" + account + "/" + p.Code
	id := "pool_low/" + subject + "/" + strconv.FormatUint(rev, 10)
	n := events.NewNotice(events.SubjectPoolLow, id, subject, time.Now(), events.PoolLowData{
		Vendor: vendor, Account: account, Code: p.Code, Total: p.Total, Assigned: p.Assigned, Free: p.Free, Threshold: pw.threshold,
	})
	b, err := json.Marshal(n)
	if err != nil {
		return err
	}
	msg := &nats.Msg{Subject: events.SubjectPoolLow, Data: b, Header: nats.Header{events.HeaderContentType: {events.ContentType}}}
	if _, err := pw.js.PublishMsg(ctx, msg, jetstream.WithMsgID(n.ID)); err != nil {
		return fmt.Errorf("publish %s: %w", n.ID, err)
	}
	pw.log.Info("pool running low", zap.String("vendor", vendor), zap.String("code", p.Code),
		zap.Int("free", p.Free), zap.Int("total", p.Total))
	return nil
}

// poolKey is the pools bucket key of a pool.
func poolKey(vendor, account, code string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return vendor + "." + enc([]byte(account)) + "." + enc([]byte(code))
}

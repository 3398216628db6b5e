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

// PoolWatch announces pools running low: after assigns and releases it
// reads the account's pools from the vendor (at most one read at a time per
// account, and reads at least Interval apart, so that a batch of a
// thousand assigns costs a few reads of the vendor's rate budget, not a
// thousand; changes meanwhile cause one more read after it) and publishes
// one license.pool_low per crossing. Which pools are low is kept in the
// pools bucket, so replicas and restarts agree on what was announced.
type PoolWatch struct {
	vendors   handlers.Vendors
	kv        jetstream.KeyValue
	js        jetstream.JetStream
	threshold float64
	log       *zap.Logger
	ctx       context.Context
	// Interval is the least time between two reads of one account's
	// pools.
	Interval time.Duration

	mu      sync.Mutex
	running map[string]bool // vendor\x00account: a read is under way
	again   map[string]bool // touched while its read was under way
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
		running: make(map[string]bool), again: make(map[string]bool)}
}

// seen takes note of a command's result: a pool listing is observed as it
// is, an assign or release has the account's pools read.
func (pw *PoolWatch) seen(res events.Result) {
	if res.Data.Pools != nil {
		go func() {
			ctx, cancel := context.WithTimeout(pw.ctx, time.Minute)
			defer cancel()
			if err := pw.observe(ctx, res.Data.Vendor, res.Data.Account, res.Data.Pools); err != nil && ctx.Err() == nil {
				pw.log.Warn("watch pools for running low", zap.String("vendor", res.Data.Vendor), zap.Error(err))
			}
		}()
		return
	}
	pw.touch(res.Data.Vendor, res.Data.Account)
}

// touch asks for a read of the account's pools, without waiting for it.
func (pw *PoolWatch) touch(vendor, account string) {
	if pw == nil || account == "" {
		return
	}
	key := vendor + "\x00" + account
	pw.mu.Lock()
	defer pw.mu.Unlock()
	if pw.running[key] {
		pw.again[key] = true
		return
	}
	pw.running[key] = true
	go pw.readLoop(key, vendor, account)
}

func (pw *PoolWatch) readLoop(key, vendor, account string) {
	for {
		next := time.Now().Add(pw.Interval)
		if err := pw.read(vendor, account); err != nil && pw.ctx.Err() == nil {
			pw.log.Warn("read pools to watch for running low", zap.String("vendor", vendor), zap.Error(err))
		}
		sleep(pw.ctx, time.Until(next))
		pw.mu.Lock()
		if !pw.again[key] || pw.ctx.Err() != nil {
			delete(pw.running, key)
			delete(pw.again, key)
			pw.mu.Unlock()
			return
		}
		pw.again[key] = false
		pw.mu.Unlock()
	}
}

func (pw *PoolWatch) read(vendor, account string) error {
	ctx, cancel := context.WithTimeout(pw.ctx, time.Minute)
	defer cancel()
	v, err := pw.vendors.Get(vendor)
	if err != nil {
		return err
	}
	pools, err := v.Pools(ctx, account)
	if err != nil {
		return err
	}
	return pw.observe(ctx, vendor, account, pools)
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

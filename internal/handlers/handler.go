package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Vendors finds a configured vendor by name; *vendors.Registry is one.
type Vendors interface {
	Get(name string) (vendors.Vendor, error)
}

// Observer is told of every command outcome and every vendor retry; the
// worker's metrics implement it.
type Observer interface {
	ObserveCommand(commandType, vendor, outcome string, elapsed time.Duration)
	ObserveRetries(vendor string, n int)
	ObservePools(vendor, account string, pools []events.Pool)
}

// Clock tells the time. Leases are judged on its readings, which must
// carry this host's monotonic clock (time.Now's do).
type Clock interface {
	Now() time.Time
	// Tick returns a channel that ticks every d, and its stop function.
	Tick(d time.Duration) (<-chan time.Time, func())
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }
func (systemClock) Tick(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// Delivery is one delivery of a validated command.
type Delivery struct {
	Command events.Command
	// Seq is the command's stream sequence; Published its stream time.
	Seq       uint64
	Published time.Time
	// Final is set on the last delivery JetStream will make: a transient
	// failure then ends as retries_exhausted instead of a deferral.
	Final bool
	// Publish, when set, publishes a new result before it is stored: the
	// command's record is then written once, marked published, and a
	// replay of it never publishes it again. An error from Publish leaves
	// the result stored unpublished (its next delivery replays and
	// publishes it, without calling the vendor) and is returned.
	Publish func(context.Context, Reply) error
}

// Reply is a result ready to publish: Payload is the encoded CloudEvent,
// byte for byte what any replay of the same command publishes again.
type Reply struct {
	Subject  string
	ID       string
	Payload  []byte
	Replayed bool
	// Published: the result is already in the result stream, published by
	// Delivery.Publish or by an earlier delivery; it is not published again.
	Published bool
	// Result is Payload decoded, when this delivery built it (nil for a
	// replay): what acts on the result afterwards need not decode it again.
	Result *events.Result
	// Unscheduled are seats a release freed that, by the ledger, have no
	// expiry pending: there is none to cancel. Empty when not known.
	Unscheduled []string
	stored      *storedRecord
}

// BusyError says another command holds the command's user (or another
// worker the command itself); try again after Until.
type BusyError struct {
	Owner string
	Until time.Time
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("user held by %s until %s", e.Owner, e.Until.Format(time.RFC3339Nano))
}

// DefaultMaxClockSkew is how far ahead of the worker's clock a command's
// time may be when Options.MaxClockSkew is unset.
const DefaultMaxClockSkew = 5 * time.Minute

// Options configure a Handler.
type Options struct {
	// Store is the idempotency bucket.
	Store Store
	// Ledger is the ledger bucket; nil turns off ordering and exclusion
	// across replicas (commands for one user are still ordered within this
	// worker).
	Ledger  Store
	Vendors Vendors
	Policy  vendors.RetryPolicy
	// Owner names this worker in holds; it must differ between replicas.
	Owner string
	// Lease is how long a hold stays ours without renewal, as the other
	// replicas judge it; it is renewed every Lease/3 while its command runs.
	Lease time.Duration
	// MaxClockSkew is how far ahead of this worker's clock a command's time
	// may be; 0 means DefaultMaxClockSkew.
	MaxClockSkew time.Duration
	// Clock is the system clock unless a test gives its own.
	Clock    Clock
	Observer Observer
	Logger   *zap.Logger
	// Identities caches e-mail resolutions (identity.go); nil asks the
	// vendor's directory for every command that names an e-mail.
	Identities Identities
}

// Handler processes commands.
type Handler struct {
	opts  Options
	clock Clock

	mu   sync.Mutex
	seen map[string]sighting // other workers' holds, by ledger key
	// finished are the commands this worker finished whose holds it left
	// in place, by ledger key.
	finished map[string]finishedHold
	// users are user names resolved to their vendor's stable ids.
	users resolvedUsers
}

// New returns a Handler.
func New(opts Options) *Handler {
	if opts.Lease <= 0 {
		opts.Lease = 30 * time.Second
	}
	if opts.MaxClockSkew <= 0 {
		opts.MaxClockSkew = DefaultMaxClockSkew
	}
	if opts.Clock == nil {
		opts.Clock = systemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	return &Handler{opts: opts, clock: opts.Clock, seen: make(map[string]sighting), finished: make(map[string]finishedHold)}
}

// storeTimeout bounds the final writes to the buckets.
const storeTimeout = 5 * time.Second

// bookkeeping returns the context of the final writes: they must happen
// even when ctx has just ended (a shutdown deadline), or the next worker
// would find a command half recorded.
func bookkeeping(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
}

// task is one delivery of a command being handled.
type task struct {
	d   Delivery
	cmd events.Command // the account resolved
	v   vendors.Vendor
	// holder is the command's seat holder; own its place in the order.
	holder Holder
	own    mark
	digest string
	rec    record // the stored record, if any
	recRev uint64
	// cachedUser: the user was resolved from the e-mail through the
	// identity cache (identity.go), so a user_not_found resolves again.
	cachedUser bool
	start      time.Time
	// unscheduled: see Reply.Unscheduled.
	unscheduled []string
	// entry is the user's ledger entry, read while the record is: one
	// round trip less on the way to the vendor. Nil when the command
	// takes no hold.
	entry chan entryRead
}

// entryRead is one read of a ledger entry.
type entryRead struct {
	e   ledgerEntry
	rev uint64
	err error
}

// Handle processes one delivery of a command. It returns the result to
// publish, or an error: a *vendors.Deferral or *BusyError (try again later),
// ErrClaimLost, or a store failure.
func (h *Handler) Handle(ctx context.Context, d Delivery) (Reply, error) {
	t := &task{d: d, start: h.clock.Now()}
	v, resolveErr := h.resolve(&d.Command)
	if verr := events.CheckTime(d.Command.Time, t.start, h.opts.MaxClockSkew); verr != nil {
		// Not stored: the id stays free for the command sent again with
		// its true time.
		h.opts.Observer.ObserveCommand(d.Command.Type, d.Command.Data.Vendor, verr.Code, 0)
		return Reject(d.Command, d.Seq, "", verr, t.start)
	}
	if resolveErr == nil {
		if err := h.whileOpen(ctx, v, d); err != nil { // circuit.go
			return Reply{}, err
		}
	}
	t.cmd, t.digest = d.Command, Digest(d.Command)
	if resolveErr == nil && h.takesHold(t.cmd) && t.cmd.Data.User != "" {
		if s, known := h.knownHolder(v, t.cmd); known { // userids.go
			t.holder, t.entry = s, make(chan entryRead, 1)
			if r, ok := h.lastWritten(s.Key()); ok {
				t.entry <- r
			} else {
				go func(key string) {
					e, rev, err := h.readEntry(ctx, key)
					t.entry <- entryRead{e, rev, err}
				}(s.Key())
			}
		}
	}
	rec, rev, err := readRecord(ctx, h.opts.Store, t.cmd.ID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return Reply{}, fmt.Errorf("read record of %s: %w", t.cmd.ID, err)
	}
	t.rec, t.recRev = rec, rev
	if rec.Digest != "" && rec.Digest != t.digest {
		return h.conflict(t)
	}
	if rec.State == stateDone {
		return h.replay(t, rec), nil
	}
	if t.rec.FirstAttempt.IsZero() {
		t.rec.FirstAttempt = t.start
	}
	if resolveErr != nil {
		return h.finish(ctx, t, h.failure(t.cmd, d.Seq, resolveErr, 0))
	}
	if t.cmd.Data.User == "" && t.cmd.Data.Email != "" { // identity.go
		failed, cached, err := h.identify(ctx, v, &t.cmd, d, t.rec.FirstAttempt)
		if err != nil {
			bctx, cancel := bookkeeping(ctx)
			defer cancel()
			h.saveDeferred(bctx, t)
			return Reply{}, err
		}
		if failed != nil {
			return h.finish(ctx, t, *failed)
		}
		t.cachedUser = cached
	}
	t.v, t.own = v, mark{Time: commandTime(d), Seq: d.Seq, Command: t.cmd.ID}
	if done, reply, err := h.seatHolder(ctx, t); done {
		return reply, err
	}
	return h.work(ctx, t)
}

// takesHold reports whether cmd holds its user while it runs: it may
// change the user's licenses.
func (h *Handler) takesHold(cmd events.Command) bool {
	return h.opts.Ledger != nil && cmd.Type != events.SubjectList && !cmd.Data.DryRun
}

// resolve finds the command's vendor and fills in its default account.
func (h *Handler) resolve(cmd *events.Command) (vendors.Vendor, error) {
	v, err := h.opts.Vendors.Get(cmd.Data.Vendor)
	if err != nil {
		return nil, err
	}
	if cmd.Data.Account == "" {
		cmd.Data.Account = v.DefaultAccount()
		if cmd.Data.Account == "" {
			return nil, vendors.Errorf(vendors.ErrUnknownAccount, cmd.Data.Vendor, 0,
				"the command names no account and %s has no default account configured", cmd.Data.Vendor)
		}
	}
	return v, nil
}

// LaneKey returns the key of the lane cmd runs in within this worker: its
// seat holder's, the same for every spelling of one user. It calls no
// vendor: a Microsoft 365 user named by UPN shares its object id's lane
// once this worker has resolved that UPN (userids.go); until then the two
// lanes are kept from changing the user at once by its hold in the
// ledger, as commands on two replicas are. A command that
// names an e-mail instead of a user is laned by the e-mail: before it is
// resolved the user is unknown, and one lane for all of them would run a
// thousand joiners' commands one after another.
func (h *Handler) LaneKey(cmd events.Command) string {
	if cmd.Data.Account == "" {
		if v, err := h.opts.Vendors.Get(cmd.Data.Vendor); err == nil {
			cmd.Data.Account = v.DefaultAccount()
		}
	}
	if cmd.Data.User == "" && cmd.Data.Email != "" {
		cmd.Data.User = "email:" + strings.ToLower(cmd.Data.Email)
	}
	return h.cachedHolder(cmd).Key()
}

// replay returns the stored result of a finished command.
func (h *Handler) replay(t *task, rec record) Reply {
	h.opts.Observer.ObserveCommand(t.cmd.Type, t.cmd.Data.Vendor, "replayed", h.clock.Now().Sub(t.start))
	return Reply{Subject: rec.Subject, ID: events.ResultID(t.cmd.ID), Payload: rec.Result, Replayed: true,
		Published: rec.Published, stored: &storedRecord{id: t.cmd.ID, rec: rec, rev: t.recRev}}
}

// conflict answers a command whose id was used before for another
// command: nothing is called or stored, and the first command's record
// and result stand.
func (h *Handler) conflict(t *task) (Reply, error) {
	err := events.Error{Code: events.CodeIdempotencyConflict, Message: fmt.Sprintf(
		"command id %q was already used for another command (type, vendor, account, user, licenses or dry_run differ); its result stands: send this command under a new id",
		t.cmd.ID)}
	res := events.NewFailure(t.cmd, t.d.Seq, h.clock.Now(), "", err, 0, 0)
	res.ID = ConflictID(t.cmd.ID, t.digest)
	payload, merr := json.Marshal(res)
	if merr != nil {
		return Reply{}, fmt.Errorf("encode result: %w", merr)
	}
	h.opts.Observer.ObserveCommand(t.cmd.Type, t.cmd.Data.Vendor, events.CodeIdempotencyConflict, h.clock.Now().Sub(t.start))
	return Reply{Subject: events.SubjectFailed, ID: res.ID, Payload: payload}, nil
}

// Reject builds the license.failed result of a command that failed
// validation. cmd may be partly decoded; fallbackID names the result when the
// command carried no usable id.
func Reject(cmd events.Command, seq uint64, fallbackID string, verr *events.ValidationError, at time.Time) (Reply, error) {
	res := events.NewFailure(cmd, seq, at, fallbackID, events.Error{Code: verr.Code, Message: verr.Message}, 0, 0)
	payload, err := json.Marshal(res)
	if err != nil {
		return Reply{}, fmt.Errorf("encode result: %w", err)
	}
	return Reply{Subject: events.SubjectFailed, ID: res.ID, Payload: payload}, nil
}

type nopObserver struct{}

func (nopObserver) ObserveCommand(string, string, string, time.Duration) {}
func (nopObserver) ObserveRetries(string, int)                           {}
func (nopObserver) ObservePools(string, string, []events.Pool)           {}

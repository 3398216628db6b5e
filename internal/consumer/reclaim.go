package consumer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
	"github.com/seatkeeper/seatkeeper/internal/lifecycle"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// reclaim runs a license.reclaim: it reads the last use of every seat
// seatkeeper gave at the vendor account (or of one user's), judges each
// (lifecycle.Reclaim), and, unless it is a dry run, warns about each idle
// seat and schedules its re-check after the warning. The re-check (the
// same command naming the user and the code, from seatkeeper/reclaim)
// reads the last use again and publishes the seat's release only if it is
// still idle. The result, on license.reclaimed, is the report.
func (lc *Lifecycle) reclaim(ctx context.Context, d handlers.Delivery) (handlers.Reply, error) {
	cmd, now := d.Command, time.Now()
	v, err := lc.vendors.Get(cmd.Data.Vendor)
	if err != nil {
		return reclaimFailure(cmd, d.Seq, err)
	}
	if cmd.Data.Account == "" {
		if cmd.Data.Account = v.DefaultAccount(); cmd.Data.Account == "" {
			return reclaimFailure(cmd, d.Seq, vendors.Errorf(vendors.ErrUnknownAccount, cmd.Data.Vendor, 0,
				"the command names no account and %s has no default account configured", cmd.Data.Vendor))
		}
	}
	holders, err := lc.holders(ctx, v, cmd)
	if err != nil {
		if code := vendors.Code(err); code != events.CodeRetriesExhausted && code != events.CodeInternalError {
			return reclaimFailure(cmd, d.Seq, err)
		}
		return handlers.Reply{}, err // transient: handed back and tried again
	}
	byPolicy, err := lc.exemptByPolicy(ctx, cmd.Data.Vendor, cmd.Data.Account)
	if err != nil {
		return handlers.Reply{}, err // NATS: handed back and tried again
	}
	r := lifecycle.Reclaim{
		Inactive: time.Duration(cmd.Data.InactiveDays) * 24 * time.Hour,
		Warn:     time.Duration(cmd.Data.WarnDays) * 24 * time.Hour,
		Codes:    cmd.Data.Licenses,
		Exempt:   func(u string) bool { return byPolicy[u] || slices.Contains(cmd.Data.Exempt, u) },
	}
	recheck := cmd.Source == events.ReclaimSource && cmd.Data.User != ""
	data := events.ReclaimedData{
		CommandID: cmd.ID, CommandSource: cmd.Source, Vendor: cmd.Data.Vendor, Account: cmd.Data.Account,
		InactiveDays: cmd.Data.InactiveDays, WarnDays: cmd.Data.WarnDays, DryRun: cmd.Data.DryRun,
		Seats: []events.ReclaimSeat{}, Counts: map[string]int{},
	}
	for _, f := range r.Plan(now, cmd.Data.Vendor, cmd.Data.Account, holders) {
		seat := events.ReclaimSeat{User: f.Seat.User, Code: f.Seat.Code, LastUsed: f.LastUsed, Assigned: f.Assigned,
			Verdict: f.Verdict, ReleaseAt: f.ReleaseAt}
		if f.Verdict == lifecycle.VerdictIdle && !cmd.Data.DryRun {
			if err := lc.actOnIdle(ctx, cmd, r, recheck, now, f, &seat); err != nil {
				return handlers.Reply{}, err
			}
		}
		data.Counts[seat.Verdict]++
		data.Seats = append(data.Seats, seat)
	}
	n := events.NewNotice(events.SubjectReclaimed, events.ResultID(cmd.ID),
		cmd.Data.Vendor+"/"+cmd.Data.Account, now, data)
	payload, err := json.Marshal(n)
	if err != nil {
		return handlers.Reply{}, err
	}
	return handlers.Reply{Subject: events.SubjectReclaimed, ID: n.ID, Payload: payload}, nil
}

// actOnIdle warns about an idle seat and schedules its re-check, or, on
// the re-check, releases it if it is still idle.
func (lc *Lifecycle) actOnIdle(ctx context.Context, cmd events.Command, r lifecycle.Reclaim, recheck bool,
	now time.Time, f lifecycle.Finding, seat *events.ReclaimSeat) error {
	if recheck {
		seat.ReleaseAt = time.Time{}
		if !r.StillIdle(now, cmd.Time, f.LastUsed) {
			seat.Verdict = "kept"
			return nil
		}
		seat.Verdict, seat.Release = "released", lifecycle.DerivedID(cmd.ID, "release")
		return lc.publishRelease(ctx, cmd, f, seat.Release)
	}
	if lc.Unavailable() != nil {
		return lc.Unavailable()
	}
	pending, err := lc.pendingRecheck(ctx, f.Seat)
	if err != nil {
		return err
	}
	if !pending.IsZero() {
		// Warned by an earlier reclaim: its release time stands, or a
		// weekly reclaim would put the release off for ever.
		seat.ReleaseAt = pending
		return nil
	}
	warning := events.NewNotice(events.SubjectReclaimWarning,
		lifecycle.DerivedID(cmd.ID, "warning/"+f.Seat.User+"/"+f.Seat.Code), f.Seat.Vendor+"/"+f.Seat.Account+"/"+f.Seat.User, now,
		events.ReclaimWarningData{ReclaimID: cmd.ID, Vendor: f.Seat.Vendor, Account: f.Seat.Account, User: f.Seat.User,
			Code: f.Seat.Code, LastUsed: f.LastUsed, ReleaseAt: f.ReleaseAt})
	if err := lc.publishJSON(ctx, events.SubjectReclaimWarning, warning.ID, warning, nil); err != nil {
		return err
	}
	next := events.NewCommand(events.SubjectReclaim, events.ReclaimSource,
		lifecycle.DerivedID(cmd.ID, "recheck/"+f.Seat.User+"/"+f.Seat.Code), now, events.CommandData{
			Vendor: f.Seat.Vendor, Account: f.Seat.Account, User: f.Seat.User, Licenses: []string{f.Seat.Code},
			InactiveDays: cmd.Data.InactiveDays, WarnDays: cmd.Data.WarnDays,
			Reason: "re-check of the idle seat warned about by " + cmd.ID,
		})
	return lc.publishJSON(ctx, f.Seat.RecheckSubject(), "", next, []jetstream.PublishOpt{
		jetstream.WithScheduleAt(lifecycle.DueAt(f.ReleaseAt)), jetstream.WithScheduleTarget(events.SubjectReclaim),
	})
}

// holders reads the seats of the command's user, or of every user
// seatkeeper has given seats to at the vendor account (its ledger), and,
// from the ledger, since when seatkeeper has left each holding them.
func (lc *Lifecycle) holders(ctx context.Context, v vendors.Vendor, cmd events.Command) ([]lifecycle.Holder, error) {
	users := []string{cmd.Data.User}
	if cmd.Data.User == "" {
		var err error
		if users, err = lc.ledgerUsers(ctx, cmd.Data.Vendor, cmd.Data.Account); err != nil {
			return nil, err
		}
	}
	var out []lifecycle.Holder
	for _, u := range users {
		held, err := v.List(ctx, cmd.Data.Account, u)
		if errors.Is(err, vendors.ErrUserNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read the seats of %s: %w", u, err)
		}
		since, err := handlers.HeldSince(ctx, KVStore{KV: lc.ledger}, KVStore{KV: lc.records}, cmd.Data.Vendor, cmd.Data.Account, u)
		if err != nil {
			return nil, fmt.Errorf("read the ledger of %s: %w", u, err)
		}
		out = append(out, lifecycle.Holder{User: u, Holdings: held, Assigned: since})
	}
	return out, nil
}

func (lc *Lifecycle) ledgerUsers(ctx context.Context, vendor, account string) ([]string, error) {
	lister, err := lc.ledger.ListKeysFiltered(ctx, handlers.LedgerAccountKeys(vendor, account))
	if err != nil {
		return nil, fmt.Errorf("read the ledger: %w", err)
	}
	var users []string
	for key := range lister.Keys() {
		if _, _, u, ok := handlers.ParseLedgerKey(key); ok {
			users = append(users, u)
		}
	}
	slices.Sort(users)
	return users, nil
}

// pendingRecheck returns when the seat's scheduled re-check is due; zero
// when none is pending.
func (lc *Lifecycle) pendingRecheck(ctx context.Context, seat lifecycle.Seat) (time.Time, error) {
	st, err := lc.stream(ctx)
	if err != nil {
		return time.Time{}, err
	}
	m, err := st.GetLastMsgForSubject(ctx, seat.RecheckSubject())
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	at, _ := time.Parse(time.RFC3339, strings.TrimPrefix(m.Header.Get(jetstream.ScheduleHeader), "@at "))
	return at, nil
}

// publishRelease publishes the release of a seat a re-check found still
// idle: an ordinary license.release, with its own result.
func (lc *Lifecycle) publishRelease(ctx context.Context, cmd events.Command, f lifecycle.Finding, id string) error {
	rel := events.NewCommand(events.SubjectRelease, events.ReclaimSource, id, time.Now(), events.CommandData{
		Vendor: f.Seat.Vendor, Account: f.Seat.Account, User: f.Seat.User, Licenses: []string{f.Seat.Code},
		Reason: "idle since " + f.LastUsed.UTC().Format(time.RFC3339) + " (" + cmd.ID + ")",
	})
	return lc.publishJSON(ctx, events.SubjectRelease, id, rel, nil)
}

// publishJSON publishes v as a CloudEvent on subject with Nats-Msg-Id id
// (none when empty); a schedule message is kept regardless of the stream's
// MaxAge.
func (lc *Lifecycle) publishJSON(ctx context.Context, subject, id string, v any, opts []jetstream.PublishOpt) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	msg := &nats.Msg{Subject: subject, Data: b, Header: nats.Header{events.HeaderContentType: {events.ContentType}}}
	if strings.HasPrefix(subject, events.SchedulePrefix+".") {
		msg.Header.Set(jetstream.MsgTTLHeader, "never")
	}
	if id != "" {
		opts = append(opts, jetstream.WithMsgID(id))
	}
	return retrying(ctx, func() error {
		_, err := lc.js.PublishMsg(ctx, msg, opts...)
		return err
	})
}

// reclaimFailure is the license.failed result of a reclaim that cannot
// run: an unknown vendor or account, refused credentials.
func reclaimFailure(cmd events.Command, seq uint64, err error) (handlers.Reply, error) {
	res := events.NewFailure(cmd, seq, time.Now(), "", events.Error{Code: vendors.Code(err), Message: err.Error()}, 0, 0)
	payload, merr := json.Marshal(res)
	if merr != nil {
		return handlers.Reply{}, merr
	}
	return handlers.Reply{Subject: events.SubjectFailed, ID: res.ID, Payload: payload}, nil
}

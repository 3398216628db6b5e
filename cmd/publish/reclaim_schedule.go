package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// reclaimRepeat is publish reclaim's --every, --cron and --cancel: run the
// reclaim on a JetStream schedule instead of once.
type reclaimRepeat struct {
	every, cron string
	cancel      bool
}

func addRepeatFlags(fs *flag.FlagSet) *reclaimRepeat {
	r := &reclaimRepeat{}
	fs.StringVar(&r.every, "every", "", "run the reclaim on a schedule, every span (7d, 12h); replaces the vendor account's earlier one")
	fs.StringVar(&r.cron, "cron", "", `run the reclaim on a schedule, on a cron expression ("0 0 6 * * 1", @weekly)`)
	fs.BoolVar(&r.cancel, "cancel", false, "remove the vendor account's reclaim schedule")
	return r
}

// set reports whether the reclaim is to be scheduled or unscheduled.
func (r *reclaimRepeat) set() bool { return r.every != "" || r.cron != "" || r.cancel }

// reclaimScheduleSubject holds the reclaim schedule of one vendor account;
// a new schedule there replaces the old, purging it cancels it.
func reclaimScheduleSubject(vendor, account string) string {
	acct := "-"
	if account != "" {
		acct = base64.RawURLEncoding.EncodeToString([]byte(account))
	}
	return events.SchedulePrefix + ".reclaim." + vendor + "." + acct
}

// reclaimScheduleFilter matches the reclaim schedules of vendor, or all.
func reclaimScheduleFilter(vendor string) string {
	if vendor == "" {
		vendor = "*"
	}
	return events.SchedulePrefix + ".reclaim." + vendor + ".*"
}

// runReclaimRepeat puts cmd on its vendor account's reclaim schedule, or
// removes that schedule. The worker gives each firing an id of its own.
func runReclaimRepeat(ctx context.Context, a *app, f *commandFlags, r *reclaimRepeat, cmd events.Command) int {
	var opt jetstream.PublishOpt
	switch {
	case !events.KnownVendor(f.vendor):
		return a.usagef("reclaim: --vendor %q: want one of %s", f.vendor, strings.Join(events.Vendors, ", "))
	case r.cancel && (r.every != "" || r.cron != ""):
		return a.usagef("reclaim: --cancel takes neither --every nor --cron")
	case r.every != "" && r.cron != "":
		return a.usagef("reclaim: --every or --cron, not both")
	case r.every != "":
		span, err := parseSpan(r.every)
		if err != nil || span < time.Second {
			return a.usagef("reclaim: --every %q: want a span of at least 1s (7d, 12h)", r.every)
		}
		opt = jetstream.WithScheduleEvery(span)
	case r.cron != "":
		opt = jetstream.WithScheduleCron(r.cron)
	}
	c, err := connect(f.server)
	if err != nil {
		return a.unreachable(err)
	}
	defer c.close()
	subject := reclaimScheduleSubject(f.vendor, f.account)
	if r.cancel {
		return cancelReclaimSchedule(ctx, a, c, subject)
	}
	payload, err := json.Marshal(cmd)
	if err != nil {
		fmt.Fprintf(a.stderr, "publish: %v\n", err)
		return exitFailed
	}
	msg := nats.NewMsg(subject)
	msg.Data = payload
	msg.Header.Set(events.HeaderContentType, events.ContentType)
	msg.Header.Set(jetstream.MsgTTLHeader, "never")
	if _, err := c.js.PublishMsg(ctx, msg, opt, jetstream.WithScheduleTarget(events.SubjectReclaim)); err != nil {
		fmt.Fprintf(a.stderr, "publish: schedule the reclaim: %v\n", err)
		return exitFailed
	}
	who := f.vendor
	if f.account != "" {
		who += "/" + f.account
	}
	fmt.Fprintf(a.stdout, "reclaim %s scheduled (%s), replacing any earlier one; publish schedules lists it\n",
		who, msg.Header.Get(jetstream.ScheduleHeader))
	return exitOK
}

func cancelReclaimSchedule(ctx context.Context, a *app, c *client, subject string) int {
	st, err := c.js.Stream(ctx, events.CommandStream)
	if err == nil {
		err = st.Purge(ctx, jetstream.WithPurgeSubject(subject))
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "publish: cancel the reclaim schedule: %v\n", err)
		return exitFailed
	}
	fmt.Fprintln(a.stdout, "reclaim schedule removed")
	return exitOK
}

// repeatingScheduleOf reads a reclaim schedule message for publish
// schedules: due is its next run where the pattern tells (@every), else zero.
func repeatingScheduleOf(m jetstream.Msg) (schedule, bool) {
	pattern := m.Headers().Get(jetstream.ScheduleHeader)
	if pattern == "" || strings.HasPrefix(pattern, "@at ") {
		return schedule{}, false
	}
	var cmd events.Command
	if err := json.Unmarshal(m.Data(), &cmd); err != nil || cmd.Type != events.SubjectReclaim {
		return schedule{}, false
	}
	s := schedule{
		Vendor: cmd.Data.Vendor, Account: cmd.Data.Account, User: "(all)",
		License: fmt.Sprintf("inactive %dd, warn %dd", cmd.Data.InactiveDays, cmd.Data.WarnDays),
		Kind:    "reclaim run", Repeat: pattern, ID: cmd.ID,
	}
	if every, ok := strings.CutPrefix(pattern, "@every "); ok {
		d, err1 := time.ParseDuration(every)
		meta, err2 := m.Metadata()
		if errors.Join(err1, err2) == nil && d > 0 {
			s.Due = meta.Timestamp.UTC().Round(time.Second).Add(d)
			if late := time.Since(s.Due); late > 0 {
				s.Due = s.Due.Add((late/d + 1) * d)
			}
		}
	}
	return s, true
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/lifecycle"
	"github.com/seatkeeper/seatkeeper/internal/people"
)

// parseUntil reads --until or a batch file's until: an RFC 3339 time, or
// a span after from such as 90d, 12h or 1h30m. Empty is no until.
func parseUntil(s string, from time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	span, err := parseSpan(s)
	if err != nil || span <= 0 {
		return time.Time{}, fmt.Errorf("until %q: want an RFC 3339 time or a span such as 90d or 12h", s)
	}
	return from.Add(span).UTC(), nil
}

// parseSpan reads a Go duration, or a whole number of days ("90d").
func parseSpan(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// schedule is one pending release, as publish schedules shows it.
type schedule struct {
	Due     time.Time `json:"due"`
	Vendor  string    `json:"vendor"`
	Account string    `json:"account"`
	User    string    `json:"user"`
	License string    `json:"license"`
	// Kind is expiry (a time-bound seat's until), reclaim (the re-check
	// of a warned idle seat: released then only if still idle), or the
	// type of a dated person event (person.left, person.changed).
	Kind string `json:"kind"`
	// Person is the HR id of a dated person event's person.
	Person string `json:"person,omitempty"`
	// Repeat is a repeating schedule's pattern (@every 168h0m0s, a cron
	// expression): a reclaim run on its schedule.
	Repeat   string `json:"repeat,omitempty"`
	AssignID string `json:"assign_id,omitempty"`
	ID       string `json:"id"`
}

// runSchedules lists the pending releases of time-bound seats and the
// dated person events: the schedule messages on the command and people
// streams, soonest first.
func runSchedules(ctx context.Context, a *app, args []string) int {
	fs := flag.NewFlagSet("publish schedules", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	vendor := fs.String("vendor", "", "only this vendor's")
	user := fs.String("user", "", "only this user's (or this person's, for dated person events)")
	asJSON := fs.Bool("json", false, "print one JSON object a line")
	server := fs.String("server", "", "NATS URL (default $NATS_URL, else "+defaultURL+")")
	if status, ok := a.parseVerb(fs, "schedules", args); !ok {
		return status
	}
	if *vendor != "" && !events.KnownVendor(*vendor) {
		return a.usagef("schedules: unknown vendor %q; want one of %s", *vendor, strings.Join(events.Vendors, ", "))
	}
	c, err := connect(*server)
	if err != nil {
		return a.unreachable(err)
	}
	defer c.close()
	filters := []string{lifecycle.Filter(*vendor, *user), lifecycle.RecheckFilter(*vendor, *user)}
	if *user == "" {
		filters = append(filters, reclaimScheduleFilter(*vendor))
	}
	list, err := readSchedules(ctx, c.js, events.CommandStream, filters...)
	if err != nil {
		fmt.Fprintf(a.stderr, "publish: schedules: %v\n", err)
		return exitFailed
	}
	if *vendor == "" { // a person event names no vendor
		dated, err := readSchedules(ctx, c.js, events.PeopleStream, people.ScheduleFilter(*user))
		if err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
			fmt.Fprintf(a.stderr, "publish: schedules: %v\n", err)
			return exitFailed
		}
		list = append(list, dated...)
		sort.SliceStable(list, func(i, j int) bool { return list[i].Due.Before(list[j].Due) })
	}
	printSchedules(a.stdout, list, *asJSON)
	return exitOK
}

// readSchedules reads every schedule message matching the filters.
func readSchedules(ctx context.Context, js jetstream.JetStream, stream string, filters ...string) ([]schedule, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: filters})
	if err != nil {
		return nil, err
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return nil, err
	}
	var out []schedule
	for left := info.NumPending; left > 0; {
		batch, err := cons.Fetch(int(min(left, 500)), jetstream.FetchMaxWait(10*time.Second))
		if err != nil {
			return nil, err
		}
		for m := range batch.Messages() {
			left--
			if s, ok := scheduleOf(m); ok {
				out = append(out, s)
			}
		}
		if err := batch.Error(); err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Due.Before(out[j].Due) })
	return out, nil
}

func scheduleOf(m jetstream.Msg) (schedule, bool) {
	if s, ok := repeatingScheduleOf(m); ok {
		return s, true
	}
	at, ok := strings.CutPrefix(m.Headers().Get(jetstream.ScheduleHeader), "@at ")
	if !ok {
		return schedule{}, false
	}
	due, _ := time.Parse(time.RFC3339, at)
	if strings.HasPrefix(m.Subject(), events.PersonSchedulePrefix+".") {
		var ev events.PersonEvent
		if err := json.Unmarshal(m.Data(), &ev); err != nil {
			return schedule{}, false
		}
		return schedule{Due: due, Kind: ev.Type, Person: ev.Data.Person, ID: ev.ID}, true
	}
	var cmd events.Command
	if err := json.Unmarshal(m.Data(), &cmd); err != nil || len(cmd.Data.Licenses) != 1 {
		return schedule{}, false
	}
	s := schedule{
		Due: due, Vendor: cmd.Data.Vendor, Account: cmd.Data.Account, User: cmd.Data.User,
		License: cmd.Data.Licenses[0], Kind: "expiry", AssignID: m.Headers().Get(events.HeaderAssignID), ID: cmd.ID,
	}
	if cmd.Type == events.SubjectReclaim {
		s.Kind = "reclaim"
	}
	return s, true
}

func printSchedules(w io.Writer, list []schedule, asJSON bool) {
	if asJSON {
		enc := json.NewEncoder(w)
		for _, s := range list {
			_ = enc.Encode(s)
		}
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DUE\tVENDOR\tUSER\tLICENSE\tKIND\tFROM")
	dated := 0
	for _, s := range list {
		from := s.AssignID
		if s.Kind != "expiry" {
			from = s.ID // the re-check: released then only if still idle
		}
		if s.Person != "" { // a dated person event: reconciled then
			dated++
			fmt.Fprintf(tw, "%s\t-\t%s\t-\t%s\t%s\n", s.Due.Format(time.RFC3339), s.Person, s.Kind, s.ID)
			continue
		}
		due := s.Due.Format(time.RFC3339)
		if s.Repeat != "" {
			due = s.Repeat
			if !s.Due.IsZero() {
				due += ", next " + s.Due.Format(time.RFC3339)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", due, s.Vendor, s.User, s.License, s.Kind, from)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "%s pending\n", plural(len(list)-dated, "release"))
	if dated > 0 {
		fmt.Fprintf(w, "%s pending\n", plural(dated, "dated person event"))
	}
}

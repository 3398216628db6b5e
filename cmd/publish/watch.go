package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// resultFilter selects results of the audit trail.
type resultFilter struct {
	types        stringList
	vendor, user string
	code         string
}

func (f *resultFilter) register(fs *flag.FlagSet) {
	fs.Var(&f.types, "type", "assigned, released, listed, failed, reconciled, scheduled, person.failed, pool_low, reclaim_warning or reclaimed (repeatable, or comma-separated)")
	fs.StringVar(&f.vendor, "vendor", "", "only this vendor's results")
	fs.StringVar(&f.user, "user", "", "only this user's results")
	fs.StringVar(&f.code, "code", "", "only failures with this error code (implies --type failed)")
}

// subjects returns the result subjects to read, checking --type and --code.
func (f *resultFilter) subjects() ([]string, error) {
	var subs []string
	for _, t := range f.types {
		for t := range strings.SplitSeq(t, ",") {
			s := "license." + strings.TrimPrefix(strings.TrimSpace(t), "license.")
			if p := personSubject(t); p != "" { // person_output.go
				s = p
			} else if p := lifecycleSubject(t); p != "" { // watch_lifecycle.go
				s = p
			} else if !slices.Contains(events.ResultSubjects, s) {
				return nil, fmt.Errorf("--type %q: want assigned, released, listed, failed, reconciled, scheduled, person.failed, pool_low, reclaim_warning or reclaimed", t)
			}
			if !slices.Contains(subs, s) {
				subs = append(subs, s)
			}
		}
	}
	if f.code != "" {
		if !slices.Contains(events.ErrorCodes, f.code) {
			return nil, fmt.Errorf("--code %q: want one of %s", f.code, strings.Join(events.ErrorCodes, ", "))
		}
		if len(subs) > 0 && !slices.Contains(subs, events.SubjectFailed) {
			return nil, errors.New("--code selects failures: it cannot go with --type other than failed")
		}
		subs = []string{events.SubjectFailed}
	}
	if len(subs) == 0 {
		subs = slices.Concat(events.ResultSubjects, events.PersonResultSubjects, events.LifecycleSubjects)
	}
	return subs, nil
}

func (f *resultFilter) match(r events.Result) bool {
	d := r.Data
	switch {
	case f.vendor != "" && d.Vendor != f.vendor,
		f.user != "" && d.User != f.user,
		f.code != "" && (d.Error == nil || d.Error.Code != f.code):
		return false
	}
	return true
}

// parseSince reads --since: a duration back from now (24h, 90m, 7d) or an
// RFC 3339 time. Empty means no start.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("--since %q: want a duration such as 24h or 7d, or an RFC 3339 time", s)
	}
	return now.Add(-d), nil
}

// trail reads the audit trail (LICENSE_EVENTS) in order through an ordered
// consumer.
type trail struct {
	subjects []string
	since    time.Time
	// follow keeps reading new results; otherwise reading stops once caught
	// up with what the stream held.
	follow bool
}

// read calls fn with every result from the start until ctx ends or, without
// follow, the reader has caught up.
func (t trail) read(ctx context.Context, js jetstream.JetStream, fn func(raw []byte, r events.Result) error) error {
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: t.subjects, DeliverPolicy: jetstream.DeliverNewPolicy}
	if !t.since.IsZero() {
		since := t.since
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &since
	}
	cons, err := js.OrderedConsumer(ctx, events.EventStream, cfg)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("stream %s not found: is a seatkeeper worker set up on this NATS? (%w)", events.EventStream, err)
	}
	if err != nil {
		return err
	}
	it, err := cons.Messages()
	if err != nil {
		return err
	}
	defer it.Stop()
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	if !t.follow {
		info, err := cons.Info(ctx)
		if err != nil {
			return err
		}
		if info.NumPending == 0 && info.Delivered.Consumer == 0 {
			return nil
		}
	}
	for {
		m, err := it.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return nil
		}
		if err != nil {
			return err
		}
		var r events.Result
		if err := json.Unmarshal(m.Data(), &r); err == nil {
			if err := fn(m.Data(), r); err != nil {
				return err
			}
		}
		if md, err := m.Metadata(); !t.follow && err == nil && md.NumPending == 0 {
			return nil
		}
	}
}

func runWatch(ctx context.Context, a *app, args []string) int {
	fs := flag.NewFlagSet("publish watch", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	var filter resultFilter
	filter.register(fs)
	since := fs.String("since", "", "start this far back (24h, 7d) or at this RFC 3339 time (default: new results only)")
	asJSON := fs.Bool("json", false, "print each result as one CloudEvents JSON line")
	noFollow := fs.Bool("no-follow", false, "stop once caught up instead of waiting for new results")
	untilIdle := fs.Bool("until-idle", false, "same as --no-follow")
	server := fs.String("server", "", "NATS URL (default $NATS_URL, else "+defaultURL+")")
	if status, ok := a.parseVerb(fs, "watch", args); !ok {
		return status
	}
	subjects, err := filter.subjects()
	if err != nil {
		return a.usagef("watch: %v", err)
	}
	start, err := parseSince(*since, time.Now())
	if err != nil {
		return a.usagef("watch: %v", err)
	}
	c, err := connect(*server)
	if err != nil {
		return a.unreachable(err)
	}
	defer c.close()
	var print func(raw []byte, r events.Result) error
	if *asJSON {
		print = func(raw []byte, _ events.Result) error { return printJSONLine(a.stdout, raw) }
	} else {
		fmt.Fprintf(a.stdout, watchRow, "TIME", "TYPE", "VENDOR", "USER", "LICENSES", "OUTCOME", "COMMAND")
		print = func(raw []byte, r events.Result) error {
			if strings.HasPrefix(r.Type, "person.") {
				return printPersonRow(a.stdout, raw)
			}
			if ok, err := printLifecycleRow(a.stdout, raw, r.Type); ok {
				return err
			}
			_, err := fmt.Fprintf(a.stdout, watchRow, r.Time.UTC().Format(time.RFC3339),
				strings.TrimPrefix(r.Type, "license."), dash(r.Data.Vendor), dash(r.Data.User),
				dash(strings.Join(resultCodes(r), ",")), outcome(r), r.Data.CommandID)
			return err
		}
	}
	t := trail{subjects: subjects, since: start, follow: !*noFollow && !*untilIdle}
	err = t.read(ctx, c.js, func(raw []byte, r events.Result) error {
		if !filter.match(r) {
			return nil
		}
		return print(raw, r)
	})
	if err != nil && ctx.Err() == nil {
		fmt.Fprintf(a.stderr, "publish: %v\n", err)
		return exitFailed
	}
	return exitOK
}

const watchRow = "%-20s  %-8s  %-13s  %-24s  %-24s  %-20s  %s\n"

// printJSONLine prints raw as one line.
func printJSONLine(w io.Writer, raw []byte) error {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// resultCodes returns the license codes a result is about.
func resultCodes(r events.Result) []string {
	d := r.Data
	switch {
	case d.Command != nil:
		return d.Command.Licenses
	case len(d.Licenses) > 0:
		codes := make([]string, len(d.Licenses))
		for i, l := range d.Licenses {
			codes[i] = l.Code
		}
		return codes
	}
	return d.Held
}

// outcome says in a word or two how a result ended.
func outcome(r events.Result) string {
	d := r.Data
	var s string
	switch {
	case d.Error != nil:
		s = d.Error.Code
	case d.Pools != nil:
		s = plural(len(d.Pools), "pool")
	case r.Type == events.SubjectListed:
		s = "holds " + strconv.Itoa(len(d.Held))
	default:
		var seen []string
		for _, l := range d.Licenses {
			if !slices.Contains(seen, l.Status) {
				seen = append(seen, l.Status)
			}
		}
		s = dash(strings.Join(seen, ","))
	}
	if d.DryRun {
		s += " (dry run)"
	}
	return s
}

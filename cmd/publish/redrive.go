package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
)

// redriveFlags are the flags of publish redrive.
type redriveFlags struct {
	ids            stringList
	since, code    string
	force, wait    bool
	asJSON         bool
	timeout        time.Duration
	source, server string
}

func parseRedriveFlags(args []string, stderr io.Writer) (*redriveFlags, error) {
	f := &redriveFlags{}
	fs := flag.NewFlagSet("publish redrive", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(&f.ids, "id", "id of a failed command to re-submit (repeatable)")
	fs.StringVar(&f.since, "since", "", "re-submit every failure since then (24h, 7d, or an RFC 3339 time); with --id, where to start looking for a failure the bucket does not hold")
	fs.StringVar(&f.code, "code", "", "with --since: only failures with this error code")
	fs.BoolVar(&f.force, "force", false, "re-submit invalid_command failures too")
	fs.BoolVar(&f.wait, "wait", false, "wait for the results and print them")
	fs.BoolVar(&f.asJSON, "json", false, "with --wait: print each result as one CloudEvents JSON line")
	fs.DurationVar(&f.timeout, "timeout", 2*time.Minute, "how long --wait waits")
	fs.StringVar(&f.source, "source", defaultSource(), "CloudEvents source of the new commands")
	fs.StringVar(&f.server, "server", "", "NATS URL (default $NATS_URL, else "+defaultURL+")")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case len(f.ids) == 0 && f.since == "":
		return nil, errors.New("want --id ID or --since T [--code C]")
	case len(f.ids) > 0 && f.code != "":
		return nil, errors.New("--id goes without --code")
	}
	return f, nil
}

func runRedrive(ctx context.Context, a *app, args []string) int {
	f, err := parseRedriveFlags(args, a.stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return a.usagef("redrive: %v", err)
	}
	filter := resultFilter{code: f.code}
	if _, err := filter.subjects(); err != nil {
		return a.usagef("redrive: %v", err)
	}
	since, err := parseSince(f.since, time.Now())
	if err != nil {
		return a.usagef("redrive: %v", err)
	}
	c, err := connect(f.server)
	if err != nil {
		return a.unreachable(err)
	}
	defer c.close()
	kv, err := c.js.KeyValue(ctx, events.CommandBucket)
	if err != nil {
		fmt.Fprintf(a.stderr, "publish: idempotency bucket %s: %v\n", events.CommandBucket, err)
		return exitFailed
	}
	rd := &redriver{c: c, f: f, store: consumer.KVStore{KV: kv}, stderr: a.stderr}
	var failures []events.Result
	if len(f.ids) > 0 {
		failures, err = rd.byID(ctx, f.ids, since)
		if errors.Is(err, errNoFailure) {
			return a.usagef("redrive: %v", err)
		}
	} else {
		failures, err = rd.scan(ctx, since, filter)
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "publish: %v\n", err)
		return exitFailed
	}
	rows, refused := rd.commands(ctx, failures, len(f.ids) == 0)
	if len(f.ids) > 0 && refused > 0 {
		return exitUsage
	}
	if len(rows) == 0 {
		fmt.Fprintf(a.stdout, "nothing to redrive (%d failures found, %d refused or already redriven)\n", len(failures), refused)
		return exitOK
	}
	return rd.send(ctx, a, rows)
}

// redriver turns failed results into new commands and sends them.
type redriver struct {
	c      *client
	f      *redriveFlags
	store  consumer.KVStore
	stderr io.Writer
}

// errNoFailure says a command named by --id has no failed result.
var errNoFailure = errors.New("no failure")

// byID returns the failed results of the commands ids: from the idempotency
// bucket, else (a command refused as invalid is never claimed, or the
// bucket's TTL has passed) from the audit trail since since.
func (rd *redriver) byID(ctx context.Context, ids []string, since time.Time) ([]events.Result, error) {
	found := make(map[string]events.Result)
	var missing, running []string
	for _, id := range ids {
		rec, err := handlers.LookupRecord(ctx, rd.store, id)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, handlers.ErrNotFound):
			missing = append(missing, id)
			continue
		case err != nil:
			return nil, err
		case !rec.Done:
			// A result is published before it is stored: a command whose
			// failure was just announced may still have its deferral's
			// record for a moment. The audit trail tells.
			missing, running = append(missing, id), append(running, id)
			continue
		}
		var r events.Result
		if err := json.Unmarshal(rec.Result, &r); err != nil {
			return nil, fmt.Errorf("stored result of %s: %w", id, err)
		}
		found[id] = r
	}
	if len(missing) > 0 {
		t := trail{subjects: []string{events.SubjectFailed}, since: since}
		if since.IsZero() {
			t.since = time.Unix(0, 0)
		}
		err := t.read(ctx, rd.c.js, func(_ []byte, r events.Result) error {
			if slices.Contains(missing, r.Data.CommandID) {
				found[r.Data.CommandID] = r
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]events.Result, 0, len(ids))
	for _, id := range ids {
		r, ok := found[id]
		switch {
		case !ok && slices.Contains(running, id):
			return nil, fmt.Errorf("%w: command %s is still running", errNoFailure, id)
		case !ok:
			return nil, fmt.Errorf("%w: no result for %s, neither stored nor in %s: unknown id, or older than both keep", errNoFailure, id, events.EventStream)
		case r.Type != events.SubjectFailed:
			return nil, fmt.Errorf("%w: command %s did not fail (%s): nothing to redrive", errNoFailure, id, r.Type)
		}
		out = append(out, r)
	}
	return out, nil
}

// scan returns the failures since since that filter selects.
func (rd *redriver) scan(ctx context.Context, since time.Time, filter resultFilter) ([]events.Result, error) {
	var failures []events.Result
	t := trail{subjects: []string{events.SubjectFailed}, since: since}
	err := t.read(ctx, rd.c.js, func(_ []byte, r events.Result) error {
		if filter.match(r) {
			failures = append(failures, r)
		}
		return nil
	})
	return failures, err
}

// commands builds the new command of every failure it may redrive and says
// why it refuses the others, once per reason. skipDone skips failures
// already redriven (a scan meets the original and its failed redrive both).
func (rd *redriver) commands(ctx context.Context, failures []events.Result, skipDone bool) ([]*row, int) {
	var rows []*row
	var refusals refusals
	for i, r := range failures {
		d := r.Data
		newID := redriveID(d.CommandID)
		switch {
		case d.Error != nil && d.Error.Code == events.CodeInvalidCommand && !rd.f.force:
			refusals.add("failed as invalid_command, which a re-submission repeats (--force to try anyway)", d.CommandID, "")
			continue
		case d.Command == nil || d.CommandType == "":
			refusals.add("the result does not carry the command", d.CommandID, "")
			continue
		case skipDone && rd.exists(ctx, newID):
			refusals.add("already redriven", d.CommandID, "as "+newID)
			continue
		}
		cmd := events.NewCommand(d.CommandType, rd.f.source, newID, rd.commandTime(ctx, r), *d.Command)
		cmd.RedriveOf = d.CommandID
		payload, err := json.Marshal(cmd)
		if err == nil {
			_, err = events.DecodeCommand(cmd.Type, payload)
		}
		if err != nil {
			refusals.add(err.Error(), d.CommandID, "")
			continue
		}
		rows = append(rows, &row{line: i + 1, cmd: cmd, payload: payload})
	}
	refusals.print(rd.stderr)
	return rows, refusals.count
}

// refusals groups the failures redrive leaves alone by why.
type refusals struct {
	count   int
	reasons []string
	byWhy   map[string][]refusal
}

func (rs *refusals) add(reason, id, detail string) {
	if rs.byWhy == nil {
		rs.byWhy = make(map[string][]refusal)
	}
	if _, ok := rs.byWhy[reason]; !ok {
		rs.reasons = append(rs.reasons, reason)
	}
	rs.byWhy[reason] = append(rs.byWhy[reason], refusal{id, detail})
	rs.count++
}

// refusal is one failure redrive leaves alone: its command id, and what
// the reason adds for it.
type refusal struct{ id, detail string }

func (r refusal) String() string { return strings.TrimSpace(r.id + " " + r.detail) }

// print says each reason once: with the command for one, with a count and
// the first for many.
func (rs *refusals) print(w io.Writer) {
	for _, why := range rs.reasons {
		who := rs.byWhy[why]
		if len(who) == 1 {
			fmt.Fprintf(w, "publish: not redriving %s: %s\n", who[0].id, strings.TrimSpace(why+" "+who[0].detail))
			continue
		}
		fmt.Fprintf(w, "publish: not redriving %d failures: %s (the first: %s)\n", len(who), why, who[0])
	}
}

func (rd *redriver) exists(ctx context.Context, id string) bool {
	_, err := handlers.LookupRecord(ctx, rd.store, id)
	return err == nil
}

// commandTime is the original command's time, read back from the command
// stream, so that the re-submission keeps its place in the user's order
// (a release that came after it is not undone). Once the command has aged
// out of the stream, the failure's time stands in.
func (rd *redriver) commandTime(ctx context.Context, r events.Result) time.Time {
	if r.Data.CommandSeq == 0 {
		return r.Time
	}
	s, err := rd.c.js.Stream(ctx, events.CommandStream)
	if err != nil {
		return r.Time
	}
	m, err := s.GetMsg(ctx, r.Data.CommandSeq)
	if err != nil {
		return r.Time
	}
	var cmd events.Command
	if json.Unmarshal(m.Data, &cmd) != nil || cmd.ID != r.Data.CommandID || cmd.Time.IsZero() {
		return r.Time
	}
	return cmd.Time
}

var redriveSuffix = regexp.MustCompile(`^(.*)/redrive-([0-9]+)$`)

// redriveID is the id of the re-submission of command id: id/redrive-1, and
// for a re-submission that failed in turn, the next number. It is the same
// every time, so that redriving one failure twice runs it once.
func redriveID(id string) string {
	next := id + "/redrive-1"
	if m := redriveSuffix.FindStringSubmatch(id); m != nil {
		if n, err := strconv.Atoi(m[2]); err == nil {
			next = m[1] + "/redrive-" + strconv.Itoa(n+1)
		}
	}
	if len(next) > events.MaxIDLength {
		sum := sha256.Sum256([]byte(id))
		next = "redrive-" + hex.EncodeToString(sum[:16])
	}
	return next
}

// redrivesShown is how many "redriving X as Y" lines redrive prints; past
// it, one line says how many.
const redrivesShown = 10

// send publishes the new commands and, with --wait, prints their results
// (each one with --json or when they are few) and ends with the summary.
func (rd *redriver) send(ctx context.Context, a *app, rows []*row) int {
	for i, r := range rows {
		if i == redrivesShown {
			fmt.Fprintf(a.stdout, "... and %d more\n", len(rows)-redrivesShown)
			break
		}
		fmt.Fprintf(a.stdout, "redriving %s as %s (%s %s)\n", r.cmd.RedriveOf, r.cmd.ID, r.cmd.Type, commandSubject(r.cmd))
	}
	bf := &batchFlags{file: "redrive", wait: rd.f.wait, timeout: rd.f.timeout, inFlight: 64}
	b := &batch{c: rd.c, f: bf, prog: &progress{lines: io.Discard}}
	if err := b.run(ctx, rows); err != nil {
		fmt.Fprintf(a.stderr, "publish: %v\n", err)
		return exitFailed
	}
	for _, r := range rows {
		if r.result.raw == nil {
			continue
		}
		switch {
		case rd.f.asJSON:
			_ = printJSONLine(a.stdout, r.result.raw)
		case len(rows) <= redrivesShown:
			printResult(a.stdout, r.result.res)
		}
	}
	t := newTally(rows)
	if !rd.f.asJSON {
		fmt.Fprintf(a.stdout, "redrive: %d commands\n", len(rows))
		t.print(a.stdout, func(r *row) string { return r.cmd.ID })
	}
	if n := t.outcomes[outcomeNoResult]; n > 0 {
		fmt.Fprintf(a.stderr, "publish: %d results did not arrive within %s; those commands are queued and run when a worker takes them\n", n, rd.f.timeout)
	}
	return t.exitStatus()
}

// commandSubject names what a command is about: vendor/account/user.
func commandSubject(cmd events.Command) string {
	s := cmd.Data.Vendor + "/" + cmd.Data.Account
	if cmd.Data.User != "" {
		s += "/" + cmd.Data.User
	}
	return s
}

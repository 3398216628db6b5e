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
	"strconv"
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
	fs.StringVar(&f.since, "since", "", "re-submit every failure since then (24h, 7d, or an RFC 3339 time)")
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
	case len(f.ids) > 0 && (f.since != "" || f.code != ""):
		return nil, errors.New("--id goes without --since and --code")
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
		fmt.Fprintf(a.stderr, "publish: %v\n", err)
		return exitFailed
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
		for _, id := range f.ids {
			r, err := rd.stored(ctx, id)
			if err != nil {
				return a.usagef("redrive: %v", err)
			}
			failures = append(failures, r)
		}
	} else {
		t := trail{subjects: []string{events.SubjectFailed}, since: since}
		err := t.read(ctx, c.js, func(_ []byte, r events.Result) error {
			if filter.match(r) {
				failures = append(failures, r)
			}
			return nil
		})
		if err != nil {
			fmt.Fprintf(a.stderr, "publish: %v\n", err)
			return exitFailed
		}
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

// stored returns the stored failed result of command id.
func (rd *redriver) stored(ctx context.Context, id string) (events.Result, error) {
	rec, err := handlers.LookupRecord(ctx, rd.store, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, handlers.ErrNotFound) || (err == nil && !rec.Done) {
		return events.Result{}, fmt.Errorf("no stored result for %s: unknown id, still running, or older than the bucket's TTL", id)
	}
	if err != nil {
		return events.Result{}, err
	}
	var r events.Result
	if err := json.Unmarshal(rec.Result, &r); err != nil {
		return r, fmt.Errorf("stored result of %s: %w", id, err)
	}
	if r.Type != events.SubjectFailed {
		return r, fmt.Errorf("command %s did not fail (%s): nothing to redrive", id, r.Type)
	}
	return r, nil
}

// commands builds the new command of every failure it may redrive and says
// why it refuses the others. skipDone skips failures already redriven (a
// scan meets the original and its failed redrive both).
func (rd *redriver) commands(ctx context.Context, failures []events.Result, skipDone bool) ([]*row, int) {
	var rows []*row
	refused := 0
	for i, r := range failures {
		d := r.Data
		newID := redriveID(d.CommandID)
		why := ""
		switch {
		case d.Error != nil && d.Error.Code == events.CodeInvalidCommand && !rd.f.force:
			why = "it failed as invalid_command, which a re-submission repeats (--force to try anyway)"
		case d.Command == nil || d.CommandType == "":
			why = "its result does not carry the command"
		case skipDone && rd.exists(ctx, newID):
			why = "already redriven as " + newID
		}
		if why != "" {
			fmt.Fprintf(rd.stderr, "publish: not redriving %s: %s\n", d.CommandID, why)
			refused++
			continue
		}
		cmd := events.NewCommand(d.CommandType, rd.f.source, newID, rd.commandTime(ctx, r), *d.Command)
		cmd.RedriveOf = d.CommandID
		payload, err := json.Marshal(cmd)
		if err == nil {
			_, err = events.DecodeCommand(cmd.Type, payload)
		}
		if err != nil {
			fmt.Fprintf(rd.stderr, "publish: not redriving %s: %v\n", d.CommandID, err)
			refused++
			continue
		}
		rows = append(rows, &row{line: i + 1, cmd: cmd, payload: payload})
	}
	return rows, refused
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

// send publishes the new commands and, with --wait, prints their results.
func (rd *redriver) send(ctx context.Context, a *app, rows []*row) int {
	for _, r := range rows {
		fmt.Fprintf(a.stdout, "redriving %s as %s (%s %s)\n", r.cmd.RedriveOf, r.cmd.ID, r.cmd.Type, commandSubject(r.cmd))
	}
	bf := &batchFlags{file: "redrive", wait: rd.f.wait, timeout: rd.f.timeout, inFlight: 64}
	b := &batch{c: rd.c, f: bf, prog: &progress{lines: io.Discard}}
	if err := b.run(ctx, rows); err != nil {
		fmt.Fprintf(a.stderr, "publish: %v\n", err)
		return exitFailed
	}
	status := exitOK
	for _, r := range rows {
		switch r.status {
		case statusPublish:
			fmt.Fprintf(a.stderr, "publish: %s: %s\n", r.cmd.ID, r.message)
			status = max(status, exitFailed)
		case statusTimedOut:
			fmt.Fprintf(a.stderr, "publish: no result for %s within %s; it is queued and runs when a worker takes it\n", r.cmd.ID, rd.f.timeout)
			status = exitTimedOut
		case statusPublished:
			fmt.Fprintf(a.stdout, "published %s%s\n", r.cmd.ID, dupNote(r.duplicate))
		default:
			res := r.result
			if rd.f.asJSON {
				_ = printJSONLine(a.stdout, res.raw)
			} else {
				printResult(a.stdout, res.res)
			}
			if r.status == statusFailed && status == exitOK {
				status = exitFailed
			}
		}
	}
	return status
}

// commandSubject names what a command is about: vendor/account/user.
func commandSubject(cmd events.Command) string {
	s := cmd.Data.Vendor + "/" + cmd.Data.Account
	if cmd.Data.User != "" {
		s += "/" + cmd.Data.User
	}
	return s
}

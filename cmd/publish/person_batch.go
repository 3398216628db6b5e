package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// isPersonFile reports whether the NDJSON batch file holds person events:
// its first line is a CloudEvent of a person.* type. A file holds either
// person events or license commands, not both.
func isPersonFile(f *batchFlags) bool {
	if f.format != formatNDJSON || f.file == "-" {
		return false
	}
	file, err := os.Open(f.file)
	if err != nil {
		return false
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 0, 64<<10), 2*events.MaxPayloadBytes)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var probe struct{ Type string }
		_ = json.Unmarshal(line, &probe)
		return strings.HasPrefix(probe.Type, "person.")
	}
	return false
}

// personRow is one person event of a batch file.
type personRow struct {
	line    int
	ev      events.PersonEvent
	payload []byte
	err     error
	dup     bool
}

// runPersonBatch publishes a file of person events (an HR export) and,
// with --wait, waits until every one is reconciled and every license
// command it led to has its result.
func runPersonBatch(ctx context.Context, a *app, f *batchFlags) int {
	rows, err := readPersonRows(f.file)
	if err != nil {
		return a.usagef("batch: %s: %v", f.file, err)
	}
	var valid []*personRow
	for _, r := range rows {
		if r.err != nil {
			fmt.Fprintf(a.stderr, "%s:%d: %s: %v\n", f.file, r.line, errorCode(r.err), r.err)
			continue
		}
		valid = append(valid, r)
	}
	if n := len(rows) - len(valid); n > 0 && !f.skipInvalid {
		return a.usagef("batch: %d of %d person events are invalid; nothing was published (fix them, or --skip-invalid)", n, len(rows))
	}
	c, watch, done, status := a.connectPeople(f.server, f.wait)
	if c == nil {
		return status
	}
	defer done()
	dups, err := c.publishPersonRows(ctx, valid, f.inFlight)
	if err != nil {
		fmt.Fprintf(a.stderr, "publish: %v\n", err)
		return exitFailed
	}
	fmt.Fprintf(a.stdout, "published %s (%d duplicates of earlier publishes)\n", plural(len(valid), "person event"), dups)
	if !f.wait {
		return exitOK
	}
	persons := make(map[string]string, len(valid))
	for _, r := range valid {
		persons[r.ev.ID] = r.ev.Data.Person
	}
	wctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	return a.summarizePeople(watch.wait(wctx, persons), persons)
}

func readPersonRows(path string) ([]*personRow, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 0, 64<<10), 2*events.MaxPayloadBytes)
	var rows []*personRow
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var probe struct{ Type string }
		_ = json.Unmarshal(line, &probe)
		r := &personRow{line: n, payload: bytes.Clone(line)}
		r.ev, r.err = events.DecodePersonEvent(probe.Type, r.payload)
		rows = append(rows, r)
	}
	return rows, sc.Err()
}

// publishPersonRows publishes rows asynchronously, at most inFlight
// awaiting their acknowledgement, and returns how many were duplicates.
func (c *client) publishPersonRows(ctx context.Context, rows []*personRow, inFlight int) (int, error) {
	futures := make([]jetstream.PubAckFuture, 0, len(rows))
	for _, r := range rows {
		msg := &nats.Msg{Subject: r.ev.Type, Data: r.payload, Header: nats.Header{events.HeaderContentType: []string{events.ContentType}}}
		fut, err := c.js.PublishMsgAsync(msg, jetstream.WithMsgID(r.ev.ID))
		if err != nil {
			return 0, err
		}
		futures = append(futures, fut)
		if len(futures)%inFlight == 0 {
			select {
			case <-c.js.PublishAsyncComplete():
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		}
	}
	dups := 0
	for i, fut := range futures {
		select {
		case ack := <-fut.Ok():
			if ack.Duplicate {
				rows[i].dup = true
				dups++
			}
		case err := <-fut.Err():
			return dups, fmt.Errorf("publish %s: %w", rows[i].ev.ID, err)
		case <-ctx.Done():
			return dups, ctx.Err()
		}
	}
	return dups, nil
}

// summarizePeople prints what a batch of person events did and returns the
// exit status: 0 when every event was reconciled and every command
// succeeded, 1 when one failed, 3 when some outcome did not come in time.
func (a *app) summarizePeople(got settled, persons map[string]string) int {
	var reconciled, skipped, failed, missing, scheduled int
	commands := map[string]int{}
	var failures []string
	for id := range persons {
		o, ok := got.outcomes[id]
		switch {
		case !ok:
			missing++
			continue
		case o.Type == events.SubjectPersonFailed:
			failed++
			failures = append(failures, fmt.Sprintf("%s: %s: %s", id, o.Data.Error.Code, o.Data.Error.Message))
			continue
		case o.Type == events.SubjectPersonScheduled:
			scheduled++ // reconciled at its data.effective, later
			continue
		case o.Data.Skipped != nil:
			skipped++
		default:
			reconciled++
		}
		for _, c := range o.Data.Commands {
			r, ok := got.results[c.ID]
			switch {
			case !ok:
				commands["no result yet"]++
			case r.res.Data.Error != nil:
				commands[r.res.Data.Error.Code]++
				failures = append(failures, fmt.Sprintf("%s: %s: %s", c.ID, r.res.Data.Error.Code, r.res.Data.Error.Message))
			default:
				commands[strings.TrimPrefix(r.res.Type, "license.")]++
			}
		}
	}
	fmt.Fprintf(a.stdout, "people: %d reconciled, %d skipped (superseded), %d failed, %d without an outcome", reconciled, skipped, failed, missing)
	if scheduled > 0 {
		fmt.Fprintf(a.stdout, ", %d scheduled (dated: publish schedules lists them)", scheduled)
	}
	fmt.Fprintln(a.stdout)
	var parts []string
	total := 0
	for _, k := range sortedKeys(commands) {
		parts = append(parts, fmt.Sprintf("%d %s", commands[k], k))
		total += commands[k]
	}
	if total == 0 {
		parts = []string{"none needed"}
	}
	fmt.Fprintf(a.stdout, "license commands: %d (%s)\n", total, strings.Join(parts, ", "))
	sort.Strings(failures)
	for i, f := range failures {
		if i == 20 {
			fmt.Fprintf(a.stdout, "  … and %d more\n", len(failures)-20)
			break
		}
		fmt.Fprintf(a.stdout, "  %s\n", f)
	}
	switch {
	case missing > 0 || commands["no result yet"] > 0:
		return exitTimedOut
	case len(failures) > 0:
		return exitFailed
	}
	return exitOK
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// Row outcomes besides the result types.
const (
	statusInvalid   = "invalid"
	statusPublish   = "publish_error"
	statusTimedOut  = "timed_out"
	statusPublished = "published"
	statusFailed    = "failed"
)

// batchFlags are the flags of publish batch.
type batchFlags struct {
	file, format, failedOut string
	source, server          string
	wait, skipInvalid       bool
	timeout                 time.Duration
	inFlight                int
}

func parseBatchFlags(args []string, stderr io.Writer) (*batchFlags, error) {
	f := &batchFlags{}
	fs := flag.NewFlagSet("publish batch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.file, "file", "", "CSV or NDJSON file of commands (- for stdin, with --format)")
	fs.StringVar(&f.format, "format", "", "csv or ndjson (default: from the file name)")
	fs.StringVar(&f.failedOut, "failed-out", "", "where --wait writes the rows that did not succeed (default <file>.failed.csv|.ndjson)")
	fs.StringVar(&f.source, "source", defaultSource(), "CloudEvents source of the commands")
	fs.StringVar(&f.server, "server", "", "NATS URL (default $NATS_URL, else "+defaultURL+")")
	fs.BoolVar(&f.wait, "wait", false, "wait for every result, print a summary, write the failed rows")
	fs.BoolVar(&f.skipInvalid, "skip-invalid", false, "publish the valid rows even if some are invalid")
	fs.DurationVar(&f.timeout, "timeout", 5*time.Minute, "how long --wait waits for the results once all is published")
	fs.IntVar(&f.inFlight, "in-flight", 256, "publishes awaiting their acknowledgement at once")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case f.file == "":
		return nil, errors.New("--file is required")
	case f.inFlight < 1:
		return nil, errors.New("--in-flight must be at least 1")
	}
	if f.format == "" {
		if f.file == "-" {
			return nil, errors.New("--file - needs --format csv or --format ndjson")
		}
		var err error
		if f.format, err = formatOf(f.file); err != nil {
			return nil, err
		}
	}
	if f.format != formatCSV && f.format != formatNDJSON {
		return nil, fmt.Errorf("--format %q: want csv or ndjson", f.format)
	}
	if f.failedOut == "" && f.file != "-" {
		f.failedOut = strings.TrimSuffix(f.file, extOf(f.file)) + ".failed." + f.format
	}
	return f, nil
}

func extOf(path string) string {
	if i := strings.LastIndexByte(path, '.'); i > strings.LastIndexByte(path, '/') {
		return path[i:]
	}
	return ""
}

func runBatch(ctx context.Context, a *app, args []string) int {
	f, err := parseBatchFlags(args, a.stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return a.usagef("batch: %v", err)
	}
	if isPersonFile(f) { // person_batch.go
		return runPersonBatch(ctx, a, f)
	}
	in, err := f.read(a.stdin)
	if err != nil {
		return a.usagef("batch: %s: %v", f.file, err)
	}
	valid, invalid := splitInvalid(a.stderr, f.file, in.rows)
	switch {
	case len(in.rows) == 0:
		return a.usagef("batch: %s has no rows", f.file)
	case len(invalid) > 0 && !f.skipInvalid:
		if f.failedOut != "" {
			if err := writeFailed(f.failedOut, in, invalid); err != nil {
				fmt.Fprintf(a.stderr, "publish: %v\n", err)
			} else {
				fmt.Fprintf(a.stderr, "publish: the %d invalid rows, with their errors, are in %s\n", len(invalid), f.failedOut)
			}
		}
		return a.usagef("batch: %d of %d rows are invalid; nothing was published (fix them, or --skip-invalid)", len(invalid), len(in.rows))
	}
	c, err := connect(f.server)
	if err != nil {
		return a.unreachable(err)
	}
	defer c.close()
	b := &batch{c: c, f: f, prog: newProgress(a.stdout, a.stderr)}
	if err := b.run(ctx, valid); err != nil {
		fmt.Fprintf(a.stderr, "publish: %v\n", err)
		return exitFailed
	}
	return b.report(a, in, invalid)
}

// invalidShown is how many invalid rows batch names one by one; the
// failed-rows file holds them all.
const invalidShown = 20

// splitInvalid marks the rows that are not valid commands and names the
// first few on w.
func splitInvalid(w io.Writer, file string, rows []*row) (valid, invalid []*row) {
	for _, r := range rows {
		if r.err == nil {
			valid = append(valid, r)
			continue
		}
		r.status, r.code, r.message = statusInvalid, errorCode(r.err), r.err.Error()
		if invalid = append(invalid, r); len(invalid) <= invalidShown {
			fmt.Fprintf(w, "%s:%d: %s: %s\n", file, r.line, r.code, r.message)
		}
	}
	if n := len(invalid) - invalidShown; n > 0 {
		fmt.Fprintf(w, "... and %d more invalid rows\n", n)
	}
	return valid, invalid
}

func (f *batchFlags) read(stdin io.Reader) (*input, error) {
	r := stdin
	if f.file != "-" {
		file, err := os.Open(f.file)
		if err != nil {
			return nil, err
		}
		defer file.Close()
		r = file
	}
	return readInput(r, f.format, f.source)
}

// errorCode is the stable error code of a row's validation error.
func errorCode(err error) string {
	var v *events.ValidationError
	if errors.As(err, &v) {
		return v.Code
	}
	return events.CodeInvalidCommand
}

// batch publishes rows and, with --wait, collects their results.
type batch struct {
	c    *client
	f    *batchFlags
	prog *progress
}

func (b *batch) run(ctx context.Context, rows []*row) error {
	var k *collector
	dups := make(chan string, len(rows))
	if b.f.wait {
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.cmd.ID
		}
		var err error
		if k, err = b.c.collect(ids); err != nil {
			return err
		}
		defer k.stop()
		storeCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		go k.fromStore(storeCtx, dups)
	}
	if err := b.publish(ctx, rows, dups); err != nil {
		return err
	}
	if k != nil {
		b.await(ctx, k, rows)
	}
	return nil
}

// publish publishes every row asynchronously, at most --in-flight awaiting
// their acknowledgement, and records each row's publish outcome. The ids of
// rows JetStream drops as duplicates go to dups.
func (b *batch) publish(ctx context.Context, rows []*row, dups chan<- string) error {
	js, err := jetstream.New(b.c.nc, jetstream.WithPublishAsyncMaxPending(b.f.inFlight),
		jetstream.WithPublishAsyncTimeout(30*time.Second))
	if err != nil {
		return err
	}
	b.prog.start("published", len(rows))
	defer b.prog.finish()
	slots := make(chan struct{}, b.f.inFlight)
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, r := range rows {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			r.status, r.message = statusPublish, ctx.Err().Error()
			b.prog.step(true)
			continue
		}
		msg := &nats.Msg{Subject: r.cmd.Type, Data: r.payload,
			Header: nats.Header{events.HeaderContentType: []string{events.ContentType}}}
		fut, err := js.PublishMsgAsync(msg, jetstream.WithMsgID(r.cmd.ID))
		if err != nil {
			<-slots
			r.status, r.message = statusPublish, err.Error()
			b.prog.step(true)
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			select {
			case ack := <-fut.Ok():
				r.status, r.duplicate = statusPublished, ack.Duplicate
				if ack.Duplicate {
					dups <- r.cmd.ID
				}
				b.prog.step(false)
			case err := <-fut.Err():
				r.status, r.message = statusPublish, publishError(r.cmd.Type, err)
				b.prog.step(true)
			}
		}()
	}
	return nil
}

func publishError(subject string, err error) string {
	if errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) {
		return fmt.Sprintf("no stream takes %s: is a seatkeeper worker (or its streams) set up on this NATS? (%v)", subject, err)
	}
	return err.Error()
}

// await collects the results of the published rows until each has one or
// --timeout passes.
func (b *batch) await(ctx context.Context, k *collector, rows []*row) {
	byID := make(map[string]*row, len(rows))
	for _, r := range rows {
		if r.status == statusPublished {
			byID[r.cmd.ID] = r
		}
	}
	b.prog.start("results", len(byID))
	defer b.prog.finish()
	timeout := time.NewTimer(b.f.timeout)
	defer timeout.Stop()
	for left := len(byID); left > 0; {
		select {
		case res := <-k.out:
			r := byID[res.res.Data.CommandID]
			if r == nil || r.status != statusPublished {
				continue
			}
			left--
			r.result = res
			r.status = strings.TrimPrefix(res.res.Type, "license.")
			e := res.res.Data.Error
			if e != nil {
				r.code, r.message = e.Code, e.Message
			}
			b.prog.step(e != nil)
		case <-timeout.C:
			markTimedOut(byID)
			return
		case <-ctx.Done():
			markTimedOut(byID)
			return
		}
	}
}

func markTimedOut(rows map[string]*row) {
	for _, r := range rows {
		if r.status == statusPublished {
			r.status = statusTimedOut
		}
	}
}

// report prints the summary, writes the rows that did not succeed and
// returns the exit status.
func (b *batch) report(a *app, in *input, invalid []*row) int {
	var bad []*row
	published, dups := 0, 0
	for _, r := range in.rows {
		if r.status != statusInvalid && r.status != statusPublish {
			published++
		}
		if r.duplicate {
			dups++
		}
		switch r.status {
		case statusInvalid, statusPublish, statusTimedOut, statusFailed:
			bad = append(bad, r)
		}
	}
	fmt.Fprintf(a.stdout, "%s: %d rows, %d published (%d already published before), %d invalid%s\n",
		b.f.file, len(in.rows), published, dups, len(invalid), skippedNote(len(invalid)))
	t := newTally(in.rows)
	t.print(a.stdout, func(r *row) string { return fmt.Sprintf("%s:%d", b.f.file, r.line) })
	if len(bad) > 0 && b.f.failedOut != "" {
		if err := writeFailed(b.f.failedOut, in, bad); err != nil {
			fmt.Fprintf(a.stderr, "publish: %v\n", err)
		} else {
			fmt.Fprintf(a.stdout, "%d rows that did not succeed written to %s, with their error code and message\n", len(bad), b.f.failedOut)
		}
	}
	if n := t.outcomes[outcomeNoResult]; n > 0 {
		fmt.Fprintf(a.stderr, "publish: %d results did not arrive within %s; those commands are queued and run when a worker takes them\n", n, b.f.timeout)
	}
	return t.exitStatus()
}

func skippedNote(n int) string {
	if n == 0 {
		return ""
	}
	return " (skipped)"
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

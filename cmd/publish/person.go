package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
)

// personFlags are the flags of publish person.
type personFlags struct {
	person, email, id, source, at, file, server string
	effective                                   string
	attrs                                       stringList
	wait, json                                  bool
	timeout                                     time.Duration
}

// runPerson runs "publish person joined|changed|left": it publishes a
// person event built from flags (or read from --file) and, with --wait,
// prints the plan and the result of each license command it led to.
func runPerson(ctx context.Context, a *app, args []string) int {
	args, verb := takeVerb(args, "joined", "changed", "left")
	if verb == "" {
		return a.usagef("person: want joined, changed or left (publish person joined --person E1 --email x@example.com --attr department=Engineering)")
	}
	typ := "person." + verb
	f := &personFlags{}
	fs := flag.NewFlagSet("publish person "+verb, flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	fs.StringVar(&f.person, "person", "", "the HR id of the person")
	fs.StringVar(&f.email, "email", "", "the person's e-mail (required unless left)")
	fs.Var(&f.attrs, "attr", "an attribute as name=value (repeatable): the person's full current attributes")
	fs.StringVar(&f.id, "id", "", "event id (default: a new random id)")
	fs.StringVar(&f.at, "time", "", "when it happened, RFC 3339 (default: now)")
	fs.StringVar(&f.effective, "effective", "", "when it takes effect, RFC 3339 or a span such as 30d: a future one is scheduled and reconciled then")
	fs.StringVar(&f.source, "source", defaultSource(), "CloudEvents source")
	fs.StringVar(&f.file, "file", "", "publish this person event (a CloudEvents JSON file) instead of one built from flags")
	fs.BoolVar(&f.wait, "wait", false, "wait for the plan and every command's result, and print them")
	fs.BoolVar(&f.json, "json", false, "with --wait, print the person outcome as one CloudEvents JSON line")
	fs.DurationVar(&f.timeout, "timeout", 60*time.Second, "how long --wait waits")
	fs.StringVar(&f.server, "server", "", "NATS URL (default $NATS_URL, else "+defaultURL+")")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	ev, payload, err := f.event(typ)
	if err != nil {
		return a.usagef("person: %v", err)
	}
	c, watch, done, status := a.connectPeople(f.server, f.wait)
	if c == nil {
		return status
	}
	defer done()
	ack, err := c.publishPerson(ctx, ev.Type, ev.ID, payload)
	if err != nil {
		fmt.Fprintf(a.stderr, "publish: %v\n", err)
		return exitFailed
	}
	if !f.wait {
		fmt.Fprintf(a.stdout, "published %s on %s (stream %s, seq %d%s)\n", ev.ID, ev.Type, ack.Stream, ack.Sequence, dupNote(ack.Duplicate))
		return exitOK
	}
	if ack.Duplicate {
		fmt.Fprintf(a.stdout, "%s was published before: its outcome and results are the ones stored then\n", ev.ID)
	}
	wctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	got := watch.wait(wctx, map[string]string{ev.ID: ev.Data.Person})
	return a.printPersonOutcome(got, ev.ID, f.json, f.timeout)
}

// printPersonOutcome prints one person event's outcome and its commands'
// results; the exit status says whether everything succeeded.
func (a *app) printPersonOutcome(got settled, id string, asJSON bool, timeout time.Duration) int {
	o, ok := got.outcomes[id]
	if !ok {
		fmt.Fprintf(a.stderr, "publish: no outcome for %s within %s; the event is queued and runs when a worker with a policy takes it\n", id, timeout)
		return exitTimedOut
	}
	if asJSON {
		b, _ := json.Marshal(o)
		fmt.Fprintf(a.stdout, "%s\n", b)
	} else {
		printPersonResult(a.stdout, o)
	}
	code := exitOK
	if o.Type == events.SubjectPersonFailed {
		code = exitFailed
	}
	for _, c := range o.Data.Commands {
		r, ok := got.results[c.ID]
		switch {
		case !ok:
			fmt.Fprintf(a.stderr, "publish: no result for %s within %s\n", c.ID, timeout)
			code = max(code, exitTimedOut)
		case asJSON:
			fmt.Fprintf(a.stdout, "%s\n", r.raw)
		default:
			printResult(a.stdout, r.res)
		}
		if ok && r.res.Type == events.SubjectFailed && code == exitOK {
			code = exitFailed
		}
	}
	return code
}

// event builds the person event from the flags, or reads it from --file,
// and validates it as the worker will.
func (f *personFlags) event(typ string) (events.PersonEvent, []byte, error) {
	if f.file != "" {
		b, err := os.ReadFile(f.file)
		if err != nil {
			return events.PersonEvent{}, nil, err
		}
		ev, err := events.DecodePersonEvent(typ, b)
		if err == nil {
			err = timeAhead(ev)
		}
		return ev, b, err
	}
	at := time.Now()
	if f.at != "" {
		t, err := time.Parse(time.RFC3339Nano, f.at)
		if err != nil {
			return events.PersonEvent{}, nil, fmt.Errorf("--time %q: want RFC 3339", f.at)
		}
		at = t
	}
	if f.id == "" {
		f.id = newID()
	}
	attrs := map[string]any{}
	for _, kv := range f.attrs {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			return events.PersonEvent{}, nil, fmt.Errorf("--attr %q: want name=value", kv)
		}
		attrs[name] = value
	}
	if len(attrs) == 0 {
		attrs = nil
	}
	effective, err := parseUntil(f.effective, at)
	if err != nil {
		return events.PersonEvent{}, nil, fmt.Errorf("--effective: %w", err)
	}
	ev := events.NewPersonEvent(typ, f.source, f.id, at, events.PersonData{Person: f.person, Email: f.email, Attributes: attrs, Effective: effective})
	b, err := json.Marshal(ev)
	if err != nil {
		return ev, nil, err
	}
	if ev, err = events.DecodePersonEvent(typ, b); err != nil {
		return ev, b, err
	}
	return ev, b, timeAhead(ev)
}

// timeAhead refuses, before it is published, a person event whose time the
// worker would refuse (a mistyped year).
func timeAhead(ev events.PersonEvent) error {
	if verr := events.CheckTime(ev.Time, time.Now(), handlers.DefaultMaxClockSkew); verr != nil {
		return verr
	}
	return nil
}

// publishPerson publishes a person event with Nats-Msg-Id = its id.
func (c *client) publishPerson(ctx context.Context, subject, id string, payload []byte) (*jetstream.PubAck, error) {
	msg := &nats.Msg{Subject: subject, Data: payload, Header: nats.Header{events.HeaderContentType: []string{events.ContentType}}}
	ack, err := c.js.PublishMsg(ctx, msg, jetstream.WithMsgID(id))
	if errors.Is(err, jetstream.ErrNoStreamResponse) {
		return nil, fmt.Errorf("no stream takes %s: is a seatkeeper worker (or its streams) set up on this NATS? (%w)", subject, err)
	}
	return ack, err
}

// takeVerb removes the first argument that is one of verbs (it may follow
// flags such as --server) and returns the rest and the verb.
func takeVerb(args []string, verbs ...string) ([]string, string) {
	for i, arg := range args {
		if slices.Contains(verbs, arg) {
			return append(args[:i:i], args[i+1:]...), arg
		}
	}
	return args, ""
}

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
)

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error {
	*s = append(*s, v)
	return nil
}

// commandFlags are the flags of assign, release and list.
type commandFlags struct {
	fs       *flag.FlagSet
	vendor   string
	account  string
	user     string
	email    string
	licenses stringList
	id       string
	at       string
	source   string
	reason   string
	dryRun   bool
	wait     bool
	timeout  time.Duration
	json     bool
	server   string
	until    string
}

func newCommandFlags(verb string, stderr io.Writer) *commandFlags {
	f := &commandFlags{fs: flag.NewFlagSet("publish "+verb, flag.ContinueOnError)}
	f.fs.SetOutput(stderr)
	f.fs.StringVar(&f.vendor, "vendor", "", "vendor: "+strings.Join(events.Vendors, ", "))
	f.fs.StringVar(&f.account, "account", "", "vendor account (default: the worker's configured account)")
	f.fs.StringVar(&f.user, "user", "", "the vendor's user id")
	f.fs.StringVar(&f.email, "email", "", "instead of --user: the person's e-mail, found in the vendor's directory")
	f.fs.StringVar(&f.id, "id", "", "command id, the idempotency key (default: a new random id)")
	f.fs.StringVar(&f.at, "time", "", "when the fact happened, for back-dated HR facts: RFC 3339 or a date (default: now; never in the future)")
	f.fs.StringVar(&f.source, "source", defaultSource(), "CloudEvents source")
	f.fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "how long --wait waits")
	f.fs.BoolVar(&f.json, "json", false, "print the result as one CloudEvents JSON line")
	f.fs.StringVar(&f.server, "server", "", "NATS URL (default $NATS_URL, else "+defaultURL+")")
	if verb != "list" {
		f.fs.Var(&f.licenses, "license", "license code (repeatable)")
		f.fs.StringVar(&f.reason, "reason", "", "why (kept in the audit trail)")
		f.fs.BoolVar(&f.dryRun, "dry-run", false, "report what would change, change nothing")
		f.fs.BoolVar(&f.wait, "wait", false, "wait for the result and print it")
	}
	if verb == "assign" {
		f.fs.StringVar(&f.until, "until", "", "release the seats by themselves at this RFC 3339 time, or after this span (90d, 12h)")
	}
	return f
}

func defaultSource() string {
	host, _ := os.Hostname()
	user := os.Getenv("USER")
	if user == "" {
		user = "operator"
	}
	return "publish/" + user + "@" + host
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "publish-" + hex.EncodeToString(b)
}

// command builds and validates the command, as the worker will.
func (f *commandFlags) command(typ string) (events.Command, error) {
	if f.fs.NArg() > 0 {
		return events.Command{}, fmt.Errorf("unexpected argument %q", f.fs.Arg(0))
	}
	if f.id == "" {
		f.id = newID()
	}
	now, at := time.Now(), time.Now()
	if f.at != "" {
		var err error
		if at, err = parseTime(f.at); err != nil {
			return events.Command{}, err
		}
	}
	// The worker refuses a time this far ahead; refuse it before it is
	// published (a mistyped year).
	if verr := events.CheckTime(at, now, handlers.DefaultMaxClockSkew); verr != nil {
		return events.Command{}, verr
	}
	until, err := parseUntil(f.until, at)
	if err != nil {
		return events.Command{}, err
	}
	// The flags are an edge: spaces around a value are a typing slip, cut
	// here; the wire contract refuses them.
	cmd := events.NewCommand(typ, f.source, strings.TrimSpace(f.id), at, events.CommandData{
		Vendor: strings.TrimSpace(f.vendor), Account: strings.TrimSpace(f.account),
		User: strings.TrimSpace(f.user), Email: strings.TrimSpace(f.email), Licenses: trimAll(f.licenses),
		Reason: strings.TrimSpace(f.reason), DryRun: f.dryRun, Until: until,
	})
	payload, err := json.Marshal(cmd)
	if err != nil {
		return cmd, err
	}
	if _, err := events.DecodeCommand(typ, payload); err != nil {
		return cmd, err
	}
	return cmd, nil
}

func runAssign(ctx context.Context, a *app, args []string) int {
	return a.sendCommand(ctx, events.SubjectAssign, args)
}

func runRelease(ctx context.Context, a *app, args []string) int {
	return a.sendCommand(ctx, events.SubjectRelease, args)
}

func runList(ctx context.Context, a *app, args []string) int {
	return a.sendCommand(ctx, events.SubjectList, args)
}

// sendCommand parses the flags of a command verb, publishes the command and,
// with --wait (always for list), prints its result.
func (a *app) sendCommand(ctx context.Context, typ string, args []string) int {
	verb := strings.TrimPrefix(typ, "license.")
	f := newCommandFlags(verb, a.stderr)
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if typ == events.SubjectList {
		f.wait = true
	}
	idGiven := f.id != "" // a new random id cannot have been used
	cmd, err := f.command(typ)
	if err != nil {
		return a.usagef("%s: %v", verb, err)
	}
	c, err := connect(f.server)
	if err != nil {
		return a.unreachable(err)
	}
	defer c.close()
	if idGiven {
		if err := c.checkID(ctx, cmd); errors.Is(err, errIDReused) {
			return a.usagef("%s: %v", verb, err)
		} else if err != nil {
			fmt.Fprintf(a.stderr, "publish: %v\n", err)
			return exitFailed
		}
	}
	if !f.wait {
		ack, err := c.publish(ctx, cmd)
		if err != nil {
			fmt.Fprintf(a.stderr, "publish: %v\n", err)
			return exitFailed
		}
		fmt.Fprintf(a.stdout, "published %s on %s (stream %s, seq %d%s)\n", cmd.ID, typ, ack.Stream, ack.Sequence, dupNote(ack.Duplicate))
		return exitOK
	}
	r, ack, err := c.send(ctx, cmd, f.timeout)
	if errors.Is(err, errTimeout) {
		fmt.Fprintf(a.stderr, "publish: no result for %s within %s; the command is queued (stream seq %d) and runs when a worker takes it\n", cmd.ID, f.timeout, ack.Sequence)
		return exitTimedOut
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "publish: %v\n", err)
		return exitFailed
	}
	if f.json {
		fmt.Fprintf(a.stdout, "%s\n", r.raw)
	} else {
		printResult(a.stdout, r.res)
	}
	if r.res.Type == events.SubjectFailed {
		return exitFailed
	}
	return exitOK
}

func dupNote(dup bool) string {
	if dup {
		return ", duplicate of an earlier publish"
	}
	return ""
}

// Command publish is the operator's and integrator's tool for seatkeeper:
// it publishes license commands (assign, release, list, or a file of them
// with batch) and can wait for their results, shows every vendor's pools,
// tails the audit trail (watch) and re-submits failed commands (redrive).
//
// It reads the nats CLI's environment (NATS_URL, NATS_USER, NATS_CREDS, ...),
// so one environment serves both; without NATS_URL it talks to the worker's
// embedded server on nats://127.0.0.1:4222.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Exit statuses, for scripts (the README lists them).
const (
	exitOK       = 0 // done; also when there was nothing to change
	exitFailed   = 1 // a command failed, or could not be published
	exitUsage    = 2 // a usage error or invalid input; nothing invalid was published
	exitTimedOut = 3 // --wait ran out of time; the commands are queued
	exitNoNATS   = 4 // NATS could not be reached; nothing was published
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// subcommand runs one verb; it returns an exit status.
type subcommand func(ctx context.Context, app *app, args []string) int

var subcommands = map[string]subcommand{
	"assign":    runAssign,
	"release":   runRelease,
	"list":      runList,
	"batch":     runBatch,
	"watch":     runWatch,
	"redrive":   runRedrive,
	"pools":     runPools,
	"person":    runPerson, // person.go, plan.go, policy.go
	"plan":      runPlan,
	"policy":    runPolicy,
	"schedules": runSchedules,
	"reclaim":   runReclaim,
}

// app is what every subcommand shares: its streams and a way to reach NATS.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// unreachable reports a failed connection to NATS and returns its exit
// status, distinct from a failed command's: a script can retry the same run.
func (a *app) unreachable(err error) int {
	fmt.Fprintf(a.stderr, "publish: %v\n", err)
	return exitNoNATS
}

// parseVerb parses the flags of verb, which takes no positional argument.
// ok is false when the run ends here, with status: help asked for, a bad
// flag, or an argument.
func (a *app) parseVerb(fs *flag.FlagSet, verb string, args []string) (status int, ok bool) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	if fs.NArg() > 0 {
		return a.usagef("%s: unexpected argument %q", verb, fs.Arg(0)), false
	}
	return exitOK, true
}

// usagef prints a one-line hint and returns the usage exit status.
func (a *app) usagef(format string, args ...any) int {
	fmt.Fprintf(a.stderr, "publish: "+format+"\n", args...)
	return exitUsage
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage())
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	sub, ok := subcommands[args[0]]
	if !ok {
		return a.usagef("unknown command %q; want one of %s (publish --help)", args[0], strings.Join(verbs(), ", "))
	}
	return sub(ctx, a, args[1:])
}

func verbs() []string {
	v := make([]string, 0, len(subcommands))
	for k := range subcommands {
		v = append(v, k)
	}
	sort.Strings(v)
	return v
}

func usage() string {
	return `publish: send license commands to seatkeeper and read their results

  publish assign  --vendor V --user U --license L [--license L2] [--account A] [--id ID]
                  [--source S] [--reason R] [--dry-run] [--wait] [--timeout 30s] [--json]
                  [--until 2027-06-30T00:00:00Z|90d]     (the seats are released by themselves then)
  publish release --vendor V --user U [--license L ...]   (no --license: everything the user holds)
  publish list    --vendor V [--user U]                   (no --user: the license pools)
  publish pools                                           (every vendor's license pools)
  publish batch   --file hr.csv|hr.ndjson [--wait] [--skip-invalid] [--failed-out F]
                  [--in-flight 256] [--timeout 5m]        (CSV header: type,vendor,account,user,licenses,reason,id,time[,until])
  publish watch   [--since 24h|RFC3339] [--type failed] [--vendor V] [--user U] [--code C]
                  [--json] [--no-follow]                  (tails the audit trail, LICENSE_EVENTS)
  publish schedules [--vendor V] [--user U] [--json]      (pending releases of time-bound seats)
  publish reclaim --vendor V --inactive 90d [--warn 7d] [--license L] [--exempt U] [--user U]
                  [--dry-run] [--json]                    (idle seats: the report; without --dry-run, warn then release)
  publish redrive --id ID | --since 24h [--code retries_exhausted] [--force] [--wait]
  publish person  joined|changed|left --person P [--email E] [--attr name=value ...] [--id ID]
                  [--time T] [--file event.json] [--wait] [--json]   (an HR fact about a person)
  publish plan    --file event.json [--policy FILE] [--offline]   (what a person event would do)
  publish policy  check FILE                              (compile a policy; exit 2 naming a bad rule)

NATS: NATS_URL (default nats://127.0.0.1:4222, the worker's embedded server) or --server,
and the nats CLI's NATS_USER, NATS_PASSWORD, NATS_TOKEN, NATS_CREDS, NATS_NKEY, NATS_CA,
NATS_CERT, NATS_KEY.

Exit status: 0 done (also when nothing needed changing), 1 a command failed, 2 usage or
invalid input, 3 timed out waiting (the commands stay queued), 4 NATS could not be reached.
`
}

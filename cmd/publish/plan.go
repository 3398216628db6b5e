package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/people"
)

// runPlan runs "publish plan --file event.json": what the person event
// would do under the policy, against what policy granted the person so far
// (read from the people bucket), applying nothing.
func runPlan(ctx context.Context, a *app, args []string) int {
	fs := flag.NewFlagSet("publish plan", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	file := fs.String("file", "", "the person event (CloudEvents JSON)")
	policyFile := fs.String("policy", "", "the policy (default $SEATKEEPER_POLICY_FILE)")
	offline := fs.Bool("offline", false, "plan as for a person seen for the first time, without reading NATS")
	asJSON := fs.Bool("json", false, "print the plan as the person.reconciled event it would be")
	server := fs.String("server", "", "NATS URL (default $NATS_URL, else "+defaultURL+")")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *file == "" || fs.NArg() > 0 {
		return a.usagef("plan: want --file event.json")
	}
	b, err := os.ReadFile(*file)
	if err != nil {
		return a.usagef("plan: %v", err)
	}
	var probe struct{ Type string }
	_ = json.Unmarshal(b, &probe)
	ev, err := events.DecodePersonEvent(probe.Type, b)
	if err != nil {
		return a.usagef("plan: %s: %v", *file, err)
	}
	policy, _, err := policyFrom(*policyFile)
	if err != nil {
		return a.usagef("plan: %v", err)
	}
	var prev *people.Record
	if !*offline {
		if prev, err = currentRecord(ctx, *server, ev.Data.Person); err != nil {
			fmt.Fprintf(a.stderr, "publish: %v\n", err)
			return exitFailed
		}
	}
	plan := policy.Reconcile(prev, people.Input{Event: ev, Published: time.Now()}, nil)
	plan.Result.DryRun = true
	res := events.NewPersonResult(ev, 0, time.Now(), plan.Result)
	if *asJSON {
		out, _ := json.Marshal(res)
		fmt.Fprintf(a.stdout, "%s\n", out)
		return exitOK
	}
	fmt.Fprintf(a.stdout, "plan (nothing applied; against %s):\n", recordNote(prev))
	printPersonResult(a.stdout, res)
	if ev.Type == events.SubjectPersonLeft && policy.Offboarding.ReleaseAll {
		fmt.Fprintln(a.stdout, "  (release_all: the worker releases at every vendor it has configured; shown for those the policy names)")
	}
	return exitOK
}

func currentRecord(ctx context.Context, server, person string) (*people.Record, error) {
	c, err := connect(server)
	if err != nil {
		return nil, fmt.Errorf("%w (or plan --offline)", err)
	}
	defer c.close()
	kv, err := c.js.KeyValue(ctx, events.PeopleBucket)
	if err != nil {
		return nil, fmt.Errorf("people bucket: %w (or plan --offline)", err)
	}
	rec, _, err := consumer.PersonRecord(ctx, kv, person)
	return rec, err
}

func recordNote(rec *people.Record) string {
	if rec == nil {
		return "a person not seen before"
	}
	return fmt.Sprintf("what policy granted %s after event %s", rec.Person, rec.Last.EventID)
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// runReclaim publishes a license.reclaim and prints its report: every seat
// with its last use and verdict, idle ones first, and the count per code.
func runReclaim(ctx context.Context, a *app, args []string) int {
	f := newCommandFlags("reclaim", a.stderr)
	inactive := f.fs.String("inactive", "", "a seat unused for longer is idle: whole days (90d)")
	warn := f.fs.String("warn", "7d", "days between the warning and the release (0d: release at once)")
	var exempt stringList
	f.fs.Var(&exempt, "exempt", "a user whose seats are never reclaimed (repeatable)")
	f.fs.Lookup("timeout").DefValue, f.timeout = "2m", 2*time.Minute
	repeat := addRepeatFlags(f.fs)
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if repeat.cancel {
		return runReclaimRepeat(ctx, a, f, repeat, events.Command{})
	}
	inDays, err := days(*inactive)
	if err != nil || inDays < 1 {
		return a.usagef("reclaim: --inactive %q: want whole days, at least 1d (e.g. 90d)", *inactive)
	}
	warnDays, err := days(*warn)
	if err != nil || warnDays < 0 {
		return a.usagef("reclaim: --warn %q: want whole days (e.g. 7d, or 0d)", *warn)
	}
	if f.fs.NArg() > 0 {
		return a.usagef("reclaim: unexpected argument %q", f.fs.Arg(0))
	}
	if f.id == "" {
		f.id = newID()
	}
	cmd := events.NewCommand(events.SubjectReclaim, f.source, f.id, time.Now(), events.CommandData{
		Vendor: f.vendor, Account: f.account, User: f.user, Licenses: f.licenses, Reason: f.reason,
		DryRun: f.dryRun, InactiveDays: inDays, WarnDays: warnDays, Exempt: exempt,
	})
	if err := validate(cmd); err != nil {
		return a.usagef("reclaim: %v", err)
	}
	if repeat.set() {
		return runReclaimRepeat(ctx, a, f, repeat, cmd)
	}
	c, err := connect(f.server)
	if err != nil {
		return a.unreachable(err)
	}
	defer c.close()
	r, _, err := c.send(ctx, cmd, f.timeout)
	if errors.Is(err, errTimeout) {
		fmt.Fprintf(a.stderr, "publish: no report for %s within %s; the reclaim is queued and runs when a worker takes it\n", cmd.ID, f.timeout)
		return exitTimedOut
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "publish: %v\n", err)
		return exitFailed
	}
	if f.json {
		fmt.Fprintf(a.stdout, "%s\n", r.raw)
	}
	if r.res.Type == events.SubjectFailed {
		if !f.json {
			printResult(a.stdout, r.res)
		}
		return exitFailed
	}
	var n events.Notice[events.ReclaimedData]
	if err := json.Unmarshal(r.raw, &n); err != nil {
		fmt.Fprintf(a.stderr, "publish: read the report: %v\n", err)
		return exitFailed
	}
	if !f.json {
		printReclaim(a.stdout, n.Data)
	}
	return exitOK
}

// days reads a whole number of days: "90d", or "90".
func days(s string) (int, error) {
	var n int
	_, err := fmt.Sscanf(strings.TrimSuffix(s, "d"), "%d", &n)
	if err != nil || fmt.Sprint(n) != strings.TrimSuffix(s, "d") {
		return 0, fmt.Errorf("not a whole number of days: %q", s)
	}
	return n, nil
}

// validate checks cmd as the worker will.
func validate(cmd events.Command) error {
	payload, err := json.Marshal(cmd)
	if err != nil {
		return err
	}
	_, err = events.DecodeCommand(cmd.Type, payload)
	return err
}

// verdictOrder puts the seats that need an administrator's eye first.
var verdictOrder = map[string]int{"idle": 0, "released": 1, "kept": 2, "no_last_use": 3, "young": 4, "active": 5, "exempt": 6, "inherited": 7}

func printReclaim(w io.Writer, d events.ReclaimedData) {
	seats := d.Seats
	sort.SliceStable(seats, func(i, j int) bool { return verdictOrder[seats[i].Verdict] < verdictOrder[seats[j].Verdict] })
	mode := "reclaim"
	if d.DryRun {
		mode = "reclaim dry run"
	}
	fmt.Fprintf(w, "%s %s/%s: seats unused for more than %d days", mode, d.Vendor, d.Account, d.InactiveDays)
	if !d.DryRun {
		fmt.Fprintf(w, ", released %d days after a warning", d.WarnDays)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tUSER\tLAST USED\tVERDICT\tRELEASE AT")
	idle := map[string]int{}
	for _, s := range seats {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Code, s.User, stamp(s.LastUsed, "(none reported)"), s.Verdict, stamp(s.ReleaseAt, "-"))
		if s.Verdict == "idle" {
			idle[s.Code]++
		}
	}
	_ = tw.Flush()
	codes := make([]string, 0, len(idle))
	for c := range idle {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		fmt.Fprintf(w, "%s: %s\n", c, plural(idle[c], "idle seat"))
	}
	if len(codes) == 0 {
		fmt.Fprintln(w, "no idle seats")
	}
	if n := d.Counts["no_last_use"]; n > 0 {
		fmt.Fprintf(w, "%s without a last use from %s: never judged idle\n", plural(n, "seat"), d.Vendor)
	}
	if n := d.Counts["young"]; n > 0 {
		fmt.Fprintf(w, "%s assigned within the last %d days: too new to judge\n", plural(n, "seat"), d.InactiveDays)
	}
}

func stamp(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.UTC().Format("2006-01-02")
}

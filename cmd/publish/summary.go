package main

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// What a row came to, as the summary of batch and redrive counts it. A
// row's result type says little ("license.assigned" also answers a user who
// held the license already, or a command superseded by a later one), so a
// done row is judged by its per-license statuses.
const (
	outcomeChanged   = "changed"   // a license was assigned or released
	outcomeUnchanged = "unchanged" // done, nothing to change
	outcomeDryRun    = "dry_run"   // a dry run, nothing changed
	outcomeListed    = "listed"
	outcomeFailed    = "failed"
	outcomeInvalid   = "invalid"       // refused before publishing
	outcomeNotSent   = "not_published" // the publish itself failed
	outcomeNoResult  = "no_result"     // published; no result within --timeout
	outcomePublished = "published"     // published, not waited for
)

// outcomeOrder is the order the summary prints outcomes in.
var outcomeOrder = []string{outcomeChanged, outcomeUnchanged, outcomeDryRun, outcomeListed,
	outcomePublished, outcomeFailed, outcomeInvalid, outcomeNotSent, outcomeNoResult}

// statusOrder is the order the summary prints per-license statuses in.
var statusOrder = []string{events.StatusAssigned, events.StatusReleased, events.StatusAlreadyAssigned,
	events.StatusNotAssigned, events.StatusInherited, events.StatusSkippedSuperseded,
	events.StatusWouldAssign, events.StatusWouldRelease}

// outcome returns what row r came to.
func (r *row) outcome() string {
	switch r.status {
	case statusInvalid:
		return outcomeInvalid
	case statusPublish:
		return outcomeNotSent
	case statusTimedOut:
		return outcomeNoResult
	case statusPublished:
		return outcomePublished
	case statusFailed:
		return outcomeFailed
	case "listed":
		return outcomeListed
	}
	d := r.result.res.Data
	if d.DryRun {
		return outcomeDryRun
	}
	for _, l := range d.Licenses {
		if l.Status == events.StatusAssigned || l.Status == events.StatusReleased {
			return outcomeChanged
		}
	}
	return outcomeUnchanged
}

// tally counts the outcomes of a run's rows.
type tally struct {
	rows     int
	outcomes map[string]int
	statuses map[string]int // per-license status -> licenses
	codes    map[string]int // error code of failed and invalid rows -> rows
	first    map[string]*row
}

func newTally(rows []*row) *tally {
	t := &tally{rows: len(rows), outcomes: map[string]int{}, statuses: map[string]int{},
		codes: map[string]int{}, first: map[string]*row{}}
	for _, r := range rows {
		t.outcomes[r.outcome()]++
		if r.result.res.Data.Error == nil {
			for _, l := range r.result.res.Data.Licenses {
				t.statuses[l.Status]++
			}
		}
		code := r.code
		if code == "" && r.message != "" {
			code = r.status // a publish that failed: no error code
		}
		if code != "" {
			t.codes[code]++
			if t.first[code] == nil {
				t.first[code] = r
			}
		}
	}
	return t
}

// exitStatus is the run's exit status: 3 when results are missing, 1 when a
// command failed or could not be published, 2 when rows were invalid, else
// 0, also when nothing needed changing.
func (t *tally) exitStatus() int {
	switch {
	case t.outcomes[outcomeNoResult] > 0:
		return exitTimedOut
	case t.outcomes[outcomeFailed] > 0 || t.outcomes[outcomeNotSent] > 0:
		return exitFailed
	case t.outcomes[outcomeInvalid] > 0:
		return exitUsage
	}
	return exitOK
}

// print writes the summary table: rows by outcome, licenses by status,
// failed and invalid rows by error code with the first of each, named by
// where(r).
func (t *tally) print(w io.Writer, where func(*row) string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROWS")
	for _, o := range outcomeOrder {
		if n := t.outcomes[o]; n > 0 {
			fmt.Fprintf(tw, "  %s\t%d\n", o, n)
		}
	}
	if len(t.statuses) > 0 {
		fmt.Fprintln(tw, "LICENSES")
		for _, s := range statusOrder {
			if n := t.statuses[s]; n > 0 {
				fmt.Fprintf(tw, "  %s\t%d\n", s, n)
			}
		}
		for _, s := range sortedKeys(t.statuses) {
			if !slices.Contains(statusOrder, s) {
				fmt.Fprintf(tw, "  %s\t%d\n", s, t.statuses[s])
			}
		}
	}
	if len(t.codes) > 0 {
		fmt.Fprintln(tw, "ERRORS")
		for _, c := range sortedKeys(t.codes) {
			r := t.first[c]
			fmt.Fprintf(tw, "  %s\t%d\t(first: %s: %s)\n", c, t.codes[c], where(r), oneLine(r.message))
		}
	}
	_ = tw.Flush()
}

// oneLine shortens a message to fit one line of the summary.
func oneLine(s string) string {
	const max = 160
	if r := []rune(s); len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}

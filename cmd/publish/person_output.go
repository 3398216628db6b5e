package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// printPersonResult prints a person event's outcome: the rules' verdicts,
// the commands it led to and what policy grants the person now.
func printPersonResult(w io.Writer, r events.PersonResult) {
	d := r.Data
	fmt.Fprintf(w, "%s %s (event %s, %s)\n", r.Type, dash(d.Person), d.EventID, dash(d.EventType))
	if d.Error != nil {
		fmt.Fprintf(w, "  error: %s: %s\n", d.Error.Code, d.Error.Message)
		return
	}
	if !d.Scheduled.IsZero() {
		fmt.Fprintf(w, "  scheduled: reconciled at %s\n", d.Scheduled.Format("2006-01-02T15:04:05Z07:00"))
		return
	}
	if s := d.Skipped; s != nil {
		fmt.Fprintf(w, "  skipped: %s by %s (%s); nothing changed\n", s.Reason, s.NewerEvent, s.NewerTime.Format("2006-01-02T15:04:05Z07:00"))
		return
	}
	if len(d.Rules) > 0 {
		var parts []string
		for _, o := range d.Rules {
			switch {
			case o.Matched:
				parts = append(parts, o.Name+" matched")
			case o.Error != "":
				parts = append(parts, fmt.Sprintf("%s not matched (%s)", o.Name, o.Error))
			default:
				parts = append(parts, o.Name+" not matched")
			}
		}
		fmt.Fprintf(w, "  rules: %s\n", strings.Join(parts, ", "))
	}
	if len(d.Commands) == 0 {
		fmt.Fprintln(w, "  no license changes")
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range d.Commands {
		codes := strings.Join(c.Licenses, ",")
		if c.All {
			codes = "(everything held)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", c.Type, c.Vendor, codes, c.ID)
	}
	_ = tw.Flush()
	fmt.Fprintf(w, "  granted: %s\n", grantedText(d.Granted))
}

func grantedText(g map[string][]string) string {
	if len(g) == 0 {
		return "nothing"
	}
	var parts []string
	for _, v := range slices.Sorted(maps.Keys(g)) {
		parts = append(parts, v+" "+strings.Join(g[v], ","))
	}
	return strings.Join(parts, "; ")
}

// personSubject reads a --type naming a person outcome: "reconciled",
// "person.reconciled", "person.failed", "scheduled" or "person.scheduled";
// "" for any other.
func personSubject(t string) string {
	switch t = strings.TrimSpace(t); t {
	case "reconciled", events.SubjectPersonReconciled:
		return events.SubjectPersonReconciled
	case events.SubjectPersonFailed:
		return events.SubjectPersonFailed
	case "scheduled", events.SubjectPersonScheduled:
		return events.SubjectPersonScheduled
	}
	return ""
}

// printPersonRow prints a person outcome as a row of publish watch: the
// person in the user column, the commands it led to, the event id.
func printPersonRow(w io.Writer, raw []byte) error {
	var r events.PersonResult
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil
	}
	d := r.Data
	outcome := plural(len(d.Commands), "command")
	switch {
	case d.Error != nil:
		outcome = d.Error.Code
	case d.Skipped != nil:
		outcome = "skipped (" + d.Skipped.Reason + ")"
	case !d.Scheduled.IsZero():
		outcome = "at " + d.Scheduled.UTC().Format(time.RFC3339)
	}
	var vendors []string
	for _, c := range d.Commands {
		if !slices.Contains(vendors, c.Vendor) {
			vendors = append(vendors, c.Vendor)
		}
	}
	_, err := fmt.Fprintf(w, watchRow, r.Time.UTC().Format(time.RFC3339), strings.TrimPrefix(r.Type, "person."),
		dash(strings.Join(vendors, ",")), "person:"+dash(d.Person), dash(strings.TrimPrefix(d.EventType, "person.")), outcome, d.EventID)
	return err
}

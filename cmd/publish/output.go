package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// printResult prints a result for a person.
func printResult(w io.Writer, r events.Result) {
	d := r.Data
	fmt.Fprintf(w, "%s %s (command %s, %s, %d ms%s)\n", r.Type, r.Subject, d.CommandID,
		plural(d.Attempts, "attempt"), d.DurationMS, dryNote(d.DryRun))
	if d.Error != nil {
		fmt.Fprintf(w, "error: %s: %s\n", d.Error.Code, d.Error.Message)
		if d.Error.Retryable {
			fmt.Fprintf(w, "(retryable: publish redrive can re-submit it)\n")
		}
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	switch {
	case d.Pools != nil:
		fmt.Fprintln(tw, "CODE\tTOTAL\tASSIGNED\tFREE")
		for _, p := range d.Pools {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", p.Code, p.Total, p.Assigned, p.Free)
		}
	case d.Holdings != nil:
		fmt.Fprintln(tw, "CODE\tID\tNAME\tTYPE\tEXPIRES")
		for _, h := range d.Holdings {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", h.Code, dash(h.ID), dash(h.Name), dash(h.Type), dash(h.Expires))
		}
		if len(d.Holdings) == 0 {
			fmt.Fprintln(tw, "(no licenses)")
		}
	default:
		for _, l := range d.Licenses {
			fmt.Fprintf(tw, "  %s\t%s\n", l.Code, l.Status)
		}
		fmt.Fprintf(tw, "held: %s\n", dash(strings.Join(d.Held, ", ")))
		if !d.Until.IsZero() {
			fmt.Fprintf(tw, "until: %s (then released by itself; publish schedules lists it)\n", d.Until.Format(time.RFC3339))
		}
	}
	_ = tw.Flush()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func dryNote(dry bool) string {
	if dry {
		return ", dry run"
	}
	return ""
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

package main

import (
	"fmt"
	"io"
	"slices"
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
		printHoldings(tw, d.Holdings)
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

// printHoldings prints a user's licenses with the columns the vendor
// fills: every vendor gives the code, few give an id, a name, a type or an
// expiry, and a column of dashes says nothing.
func printHoldings(w io.Writer, holdings []events.Holding) {
	if len(holdings) == 0 {
		fmt.Fprintln(w, "(no licenses)")
		return
	}
	cols := []struct {
		name string
		get  func(events.Holding) string
	}{
		{"ID", func(h events.Holding) string { return h.ID }},
		{"NAME", func(h events.Holding) string { return h.Name }},
		{"TYPE", func(h events.Holding) string { return h.Type }},
		{"EXPIRES", func(h events.Holding) string { return h.Expires }},
		{"SOURCE", holdingSource},
		{"LAST USED", func(h events.Holding) string {
			if h.LastUsed.IsZero() {
				return ""
			}
			return h.LastUsed.UTC().Format(time.RFC3339)
		}},
	}
	header := []string{"CODE"}
	var shown []func(events.Holding) string
	for _, c := range cols {
		if slices.ContainsFunc(holdings, func(h events.Holding) bool { return c.get(h) != "" }) {
			header = append(header, c.name)
			shown = append(shown, c.get)
		}
	}
	fmt.Fprintln(w, strings.Join(header, "\t"))
	for _, h := range holdings {
		row := []string{h.Code}
		for _, get := range shown {
			row = append(row, dash(get(h)))
		}
		fmt.Fprintln(w, strings.Join(row, "\t"))
	}
}

// holdingSource says where a seat comes from: direct, or group (and which).
func holdingSource(h events.Holding) string {
	if h.Group != "" {
		return h.Source + " " + h.Group
	}
	return h.Source
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

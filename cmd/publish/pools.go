package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// runPools prints the license pools of every vendor: a license.list without
// a user for each, sent at once.
func runPools(ctx context.Context, a *app, args []string) int {
	fs := flag.NewFlagSet("publish pools", flag.ContinueOnError)
	fs.SetOutput(a.stderr)
	account := fs.String("account", "", "vendor account (default: each worker's configured account)")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the answers")
	server := fs.String("server", "", "NATS URL (default $NATS_URL, else "+defaultURL+")")
	if status, ok := a.parseVerb(fs, "pools", args); !ok {
		return status
	}
	c, err := connect(*server)
	if err != nil {
		return a.unreachable(err)
	}
	defer c.close()
	type answer struct {
		res result
		err error
	}
	answers := make([]answer, len(events.Vendors))
	var wg sync.WaitGroup
	for i, v := range events.Vendors {
		cmd := events.NewCommand(events.SubjectList, defaultSource(), newID(), time.Now(),
			events.CommandData{Vendor: v, Account: *account})
		wg.Go(func() {
			r, _, err := c.send(ctx, cmd, *timeout)
			answers[i] = answer{r, err}
		})
	}
	wg.Wait()
	status := exitOK
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VENDOR\tCODE\tTOTAL\tASSIGNED\tFREE")
	for i, v := range events.Vendors {
		ans := answers[i]
		switch {
		case errors.Is(ans.err, errTimeout):
			fmt.Fprintf(tw, "%s\t(no answer within %s)\t\t\t\n", v, *timeout)
			status = exitTimedOut
		case ans.err != nil:
			fmt.Fprintf(tw, "%s\t(%v)\t\t\t\n", v, ans.err)
			status = max(status, exitFailed)
		case ans.res.res.Data.Error != nil:
			e := ans.res.res.Data.Error
			if e.Code == events.CodeVendorNotConfigured {
				fmt.Fprintf(tw, "%s\t(not configured)\t\t\t\n", v)
				continue
			}
			fmt.Fprintf(tw, "%s\t(%s: %s)\t\t\t\n", v, e.Code, e.Message)
			if status == exitOK {
				status = exitFailed
			}
		case len(ans.res.res.Data.Pools) == 0:
			fmt.Fprintf(tw, "%s\t(no pools)\t\t\t\n", v)
		default:
			for _, p := range ans.res.res.Data.Pools {
				fmt.Fprintln(tw, poolRow(v, p))
			}
		}
	}
	_ = tw.Flush()
	return status
}

// poolRow is one line of the pools table. A pool whose total the vendor
// does not tell shows "?" for its total and free seats, never a number
// made up; a trial pool is marked after its code.
func poolRow(vendor string, p events.Pool) string {
	code, total, free := p.Code, strconv.Itoa(p.Total), strconv.Itoa(p.Free)
	if p.Trial {
		code += " (trial)"
	}
	if p.TotalUnknown {
		total, free = "?", "?"
	}
	return fmt.Sprintf("%s\t%s\t%s\t%d\t%s", vendor, code, total, p.Assigned, free)
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// lifecycleSubject is the subject of --type pool_low, reclaim_warning or
// reclaimed, or "" for another type.
func lifecycleSubject(t string) string {
	s := "license." + strings.TrimPrefix(strings.TrimSpace(t), "license.")
	if slices.Contains(events.LifecycleSubjects, s) {
		return s
	}
	return ""
}

// printLifecycleRow prints a pool_low, reclaim_warning or reclaimed notice
// as a row of publish watch; ok is false for other events.
func printLifecycleRow(w io.Writer, raw []byte, typ string) (ok bool, err error) {
	var row [7]string
	switch typ {
	case events.SubjectPoolLow:
		var n events.Notice[events.PoolLowData]
		if json.Unmarshal(raw, &n) != nil {
			return true, nil
		}
		d := n.Data
		row = [7]string{stampTime(n.Time), "pool_low", d.Vendor, "-", d.Code,
			fmt.Sprintf("%d of %d free", d.Free, d.Total), n.ID}
	case events.SubjectReclaimWarning:
		var n events.Notice[events.ReclaimWarningData]
		if json.Unmarshal(raw, &n) != nil {
			return true, nil
		}
		d := n.Data
		row = [7]string{stampTime(n.Time), "reclaim_warning", d.Vendor, d.User, d.Code,
			"release " + d.ReleaseAt.UTC().Format(time.DateOnly), d.ReclaimID}
	case events.SubjectReclaimed:
		var n events.Notice[events.ReclaimedData]
		if json.Unmarshal(raw, &n) != nil {
			return true, nil
		}
		d := n.Data
		row = [7]string{stampTime(n.Time), "reclaimed", d.Vendor, "-", "-",
			fmt.Sprintf("%d idle of %d", d.Counts["idle"], len(d.Seats)), strings.TrimSuffix(n.ID, "/result")}
	default:
		return false, nil
	}
	_, err = fmt.Fprintf(w, watchRow, row[0], row[1], row[2], row[3], row[4], row[5], row[6])
	return true, err
}

func stampTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

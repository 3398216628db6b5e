package main

import (
	"strings"
	"testing"
	"time"
)

func TestReclaimDryRunPrintsTheReport(t *testing.T) {
	e := newEnv(t, testPolicy())
	// Seats given half a year ago, and one given now: that one is too new
	// to judge.
	e.fake.AddUser(account, "singer-122")
	for _, u := range []string{"singer-77", "singer-88", "singer-111", "singer-122"} {
		at := longAgo()
		if u == "singer-122" {
			at = time.Now().UTC().Format(time.RFC3339)
		}
		if o := e.run("", "assign", "--vendor", "uipath", "--user", u, "--license", "ATTUNU", "--time", at, "--wait"); o.status != exitOK {
			t.Fatalf("assign %s: %d %s%s", u, o.status, o.stdout, o.stderr)
		}
	}
	e.fake.SetLastUse(account, "singer-122", "ATTUNU", time.Now().Add(-120*24*time.Hour))
	e.fake.SetLastUse(account, "singer-77", "ATTUNU", time.Now().Add(-120*24*time.Hour))
	e.fake.SetLastUse(account, "singer-88", "ATTUNU", time.Now().Add(-5*24*time.Hour))
	o := e.run("", "reclaim", "--vendor", "uipath", "--inactive", "90d", "--dry-run")
	if o.status != exitOK {
		t.Fatalf("reclaim --dry-run: %d\n%s%s", o.status, o.stdout, o.stderr)
	}
	t.Logf("report:\n%s", o.stdout)
	lines := strings.Split(o.stdout, "\n")
	if len(lines) < 5 || !strings.HasPrefix(lines[0], "reclaim dry run uipath/") ||
		!strings.Contains(lines[2], "singer-77") || !strings.Contains(lines[2], "idle") {
		t.Fatalf("report, want singer-77's idle seat first:\n%s", o.stdout)
	}
	for _, want := range []string{"ATTUNU: 1 idle seat", "singer-88", "active", "singer-111", "no_last_use", "1 seat without a last use from uipath",
		"singer-122", "young", "1 seat assigned within the last 90 days: too new to judge"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, o.stdout)
		}
	}
	if got := e.fake.Held(account, "singer-77"); len(got) == 0 {
		t.Error("a dry run released a seat")
	}
	if o := e.run("", "reclaim", "--vendor", "uipath", "--inactive", "ninety"); o.status != exitUsage {
		t.Errorf("reclaim --inactive ninety: %d, want %d", o.status, exitUsage)
	}
}

// A real reclaim warns about the idle seat; publish schedules then shows
// its pending re-check beside the expiries.
func TestReclaimShowsItsPendingReleaseInSchedules(t *testing.T) {
	e := newEnv(t, testPolicy())
	if o := e.run("", "assign", "--vendor", "uipath", "--user", "singer-77", "--license", "ATTUNU", "--time", longAgo(), "--wait"); o.status != exitOK {
		t.Fatalf("assign: %d %s", o.status, o.stderr)
	}
	if o := e.run("", "assign", "--vendor", "uipath", "--user", "singer-88", "--license", "ATTUNU", "--until", "30d", "--id", "tb-88", "--wait"); o.status != exitOK {
		t.Fatalf("assign --until: %d %s", o.status, o.stderr)
	}
	e.fake.SetLastUse(account, "singer-77", "ATTUNU", time.Now().Add(-120*24*time.Hour))
	if o := e.run("", "reclaim", "--vendor", "uipath", "--inactive", "90d", "--warn", "7d", "--id", "rc-1"); o.status != exitOK {
		t.Fatalf("reclaim: %d\n%s%s", o.status, o.stdout, o.stderr)
	}
	o := e.run("", "schedules")
	t.Logf("schedules:\n%s", o.stdout)
	if !strings.Contains(o.stdout, "2 releases pending") {
		t.Fatalf("schedules, want the expiry and the re-check:\n%s%s", o.stdout, o.stderr)
	}
	for _, want := range []string{"singer-77", "reclaim", "rc-1/recheck/singer-77/ATTUNU", "singer-88", "expiry", "tb-88"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("schedules lacks %q", want)
		}
	}
}

// longAgo is a date half a year back: a seat assigned then is old enough
// for a 90-day reclaim to judge.
func longAgo() string { return time.Now().AddDate(0, -6, 0).Format("2006-01-02") }

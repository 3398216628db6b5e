package main

import (
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// A --time further ahead than the worker allows is refused before
// anything is published (exit 2); a back-dated --time is published as
// given.
func TestPublishRefusesAFutureTime(t *testing.T) {
	e := newEnv(t, testPolicy())
	user := uipathtest.DemoUsers[0]
	future := time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339)
	o := e.run("", "assign", "--vendor", "uipath", "--user", user, "--license", "ATTUNU", "--time", future, "--id", "future-1")
	if o.status != exitUsage || !strings.Contains(o.stderr, future) {
		t.Errorf("assign --time 2 h ahead: status %d, stderr %q; want %d naming the time", o.status, o.stderr, exitUsage)
	}
	if n := len(e.fake.Requests()); n != 0 {
		t.Errorf("the vendor got %d calls, want none", n)
	}
	o = e.run("", "assign", "--vendor", "uipath", "--user", user, "--license", "ATTUNU", "--time", "2026-01-05", "--id", "past-1", "--wait", "--json")
	if o.status != exitOK || !strings.Contains(o.stdout, `"license.assigned"`) {
		t.Errorf("assign --time 2026-01-05: status %d, stdout %q, stderr %q; want it assigned", o.status, o.stdout, o.stderr)
	}
}

// --id of a command already stored with another meaning is refused before
// publishing (exit 2); the same meaning is published (and replayed).
func TestPublishRefusesAnIDUsedForAnotherCommand(t *testing.T) {
	e := newEnv(t, testPolicy())
	user := uipathtest.DemoUsers[1]
	o := e.run("", "release", "--vendor", "uipath", "--user", user, "--license", "ATTUNU", "--id", "reused-1", "--wait")
	if o.status != exitOK {
		t.Fatalf("release: status %d, stderr %q", o.status, o.stderr)
	}
	o = e.run("", "assign", "--vendor", "uipath", "--user", user, "--license", "ATTUNU", "--id", "reused-1", "--wait")
	if o.status != exitUsage || !strings.Contains(o.stderr, "reused-1") || !strings.Contains(o.stderr, "license.release") {
		t.Errorf("assign --id of a release: status %d, stdout %q, stderr %q; want %d naming the earlier release", o.status, o.stdout, o.stderr, exitUsage)
	}
	o = e.run("", "release", "--vendor", "uipath", "--user", user, "--license", "ATTUNU", "--id", "reused-1", "--account", account, "--wait")
	if o.status != exitOK {
		t.Errorf("the same release again, its account spelled out: status %d, stderr %q; want %d (a replay)", o.status, o.stderr, exitOK)
	}
}

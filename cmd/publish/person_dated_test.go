package main

import (
	"strings"
	"testing"
)

// TestDatedLeaverInSchedules: publish person left --effective schedules the
// leaver (--wait says when), and publish schedules lists it beside the
// seat releases until its date.
func TestDatedLeaverInSchedules(t *testing.T) {
	e := newPeopleEnv(t, 5)
	o := e.run("", "person", "left", "--person", "E77", "--email", "lu.park@example.com", "--id", "leave-77",
		"--effective", "30d", "--wait")
	if o.status != exitOK || !strings.Contains(o.stdout, "person.scheduled") {
		t.Fatalf("person left --effective 30d --wait: %d\n%s%s", o.status, o.stdout, o.stderr)
	}
	t.Logf("publish person left --effective 30d --wait:\n%s", o.stdout)
	o = e.run("", "schedules")
	if o.status != exitOK || !strings.Contains(o.stdout, "leave-77") || !strings.Contains(o.stdout, "E77") ||
		!strings.Contains(o.stdout, "person.left") {
		t.Errorf("schedules: %d, want the dated leaver listed\n%s%s", o.status, o.stdout, o.stderr)
	}
	t.Logf("publish schedules:\n%s", o.stdout)
	if o = e.run("", "watch", "--since", "1h", "--no-follow", "--type", "scheduled"); !strings.Contains(o.stdout, "leave-77") ||
		!strings.Contains(o.stdout, "at 20") {
		t.Errorf("watch --type scheduled: %d, want the dated leaver and its date\n%s%s", o.status, o.stdout, o.stderr)
	}
	if o = e.run("", "schedules", "--vendor", "m365"); strings.Contains(o.stdout, "leave-77") {
		t.Errorf("schedules --vendor m365 lists a person event:\n%s", o.stdout)
	}
}

// TestPersonTimeAheadRefused: publish person refuses a --time the worker
// would refuse (a mistyped year) before publishing, exit 2.
func TestPersonTimeAheadRefused(t *testing.T) {
	a, stderr := &app{stdout: &strings.Builder{}, stderr: &strings.Builder{}}, ""
	code := runPerson(t.Context(), a, []string{"joined", "--person", "E1", "--email", "e1@example.com", "--time", "2062-01-01T00:00:00Z",
		"--server", "nats://127.0.0.1:1"})
	stderr = a.stderr.(*strings.Builder).String()
	if code != exitUsage || !strings.Contains(stderr, "time") {
		t.Errorf("person joined --time 2062: exit %d %q, want %d naming the time", code, stderr, exitUsage)
	}
}

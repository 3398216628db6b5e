package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// shortPolicy exhausts the retry budget within a fraction of a second.
func shortPolicy() vendors.RetryPolicy {
	p := testPolicy()
	p.InProcessBudget = 50 * time.Millisecond
	p.TotalBudget = 300 * time.Millisecond
	p.MaxDeferral = 50 * time.Millisecond
	return p
}

func TestRedriveAfterVendorRecovers(t *testing.T) {
	e := newEnv(t, shortPolicy())
	e.fake.FailNext(500, 1_000_000, 0)
	o := e.run("", "assign", "--vendor", "uipath", "--user", "singer-77", "--license", "ATTUNU", "--id", "hr-17", "--wait")
	if o.status != exitFailed || !strings.Contains(o.stdout, "retries_exhausted") {
		t.Fatalf("assign against a failing vendor: exit %d\n%s%s", o.status, o.stdout, o.stderr)
	}
	e.fake.Recover()

	o = e.run("", "redrive", "--id", "hr-17", "--wait", "--json")
	if o.status != exitOK {
		t.Fatalf("redrive: exit %d\n%s%s", o.status, o.stdout, o.stderr)
	}
	lines := strings.Split(strings.TrimSpace(o.stdout), "\n")
	if len(lines) != 2 || lines[0] != "redriving hr-17 as hr-17/redrive-1 (license.assign uipath/"+account+"/singer-77)" {
		t.Fatalf("redrive printed:\n%s", o.stdout)
	}
	var r events.Result
	if err := json.Unmarshal([]byte(lines[1]), &r); err != nil {
		t.Fatal(err)
	}
	if r.Type != events.SubjectAssigned || r.Data.CommandID != "hr-17/redrive-1" || r.Data.RedriveOf != "hr-17" {
		t.Errorf("result %s %s redrive_of %q, want license.assigned hr-17/redrive-1 redrive_of hr-17", r.Type, r.Data.CommandID, r.Data.RedriveOf)
	}
	if got := e.fake.Held(account, "singer-77"); len(got) != 1 || got[0] != "ATTUNU" {
		t.Errorf("singer-77 holds %v, want [ATTUNU]", got)
	}

	// Redriving it again runs nothing: the same new id replays its result.
	writes := e.fake.Writes()
	o = e.run("", "redrive", "--id", "hr-17", "--wait")
	if o.status != exitOK || !strings.Contains(o.stdout, "license.assigned") {
		t.Fatalf("second redrive: exit %d\n%s%s", o.status, o.stdout, o.stderr)
	}
	if got := e.fake.Writes(); got != writes {
		t.Errorf("second redrive wrote at the vendor (%d writes, then %d)", writes, got)
	}
	// A scan skips what was redriven already.
	e.settled()
	o = e.run("", "redrive", "--since", "1h", "--code", "retries_exhausted", "--wait")
	if o.status != exitOK || !strings.Contains(o.stderr, "already redriven as hr-17/redrive-1") || !strings.Contains(o.stdout, "nothing to redrive") {
		t.Errorf("scan after the redrive: exit %d\n%s%s", o.status, o.stdout, o.stderr)
	}
}

func TestRedriveSinceFailsAgain(t *testing.T) {
	e := newEnv(t, shortPolicy())
	e.fake.FailNext(500, 1_000_000, 0)
	for _, id := range []string{"a-1", "a-2"} {
		e.run("", "assign", "--vendor", "uipath", "--user", "singer-88", "--license", "TSTNU", "--id", id, "--wait")
	}
	// Still failing: both come back retries_exhausted, and a second scan
	// takes the new failures on (a-1/redrive-2), not the originals again.
	e.settled()
	o := e.run("", "redrive", "--since", "1h", "--code", "retries_exhausted", "--wait")
	if o.status != exitFailed {
		t.Fatalf("redrive while failing: exit %d\n%s%s", o.status, o.stdout, o.stderr)
	}
	checkCounts(t, o.stdout, map[string]int{"failed": 2, "retries_exhausted": 2})
	e.fake.Recover()
	e.settled()
	o = e.run("", "redrive", "--since", "1h", "--wait")
	if o.status != exitOK {
		t.Fatalf("redrive after recovery: exit %d\n%s%s", o.status, o.stdout, o.stderr)
	}
	for _, want := range []string{"a-1/redrive-1 as a-1/redrive-2", "a-2/redrive-1 as a-2/redrive-2"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, o.stdout)
		}
	}
}

func TestRedriveRefusesInvalidCommands(t *testing.T) {
	e := newEnv(t, testPolicy())
	// Redrive reads the failure from LICENSE_EVENTS, so wait for it there.
	stored := testproc.Follow(t, e.svc.JS)
	cmd := `{"specversion":"1.0","type":"license.assign","source":"hr/test","id":"bad-1","data":{"vendor":"uipath","licenses":["ATTUNU"]}}`
	msg := &nats.Msg{Subject: events.SubjectAssign, Data: []byte(cmd), Header: nats.Header{"Nats-Msg-Id": {"bad-1"}}}
	if _, err := e.svc.JS.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	stored.WaitDistinct(t, 1, 30*time.Second)
	if r := stored.ByID()["bad-1"]; len(r) != 1 || r[0].Type != events.SubjectFailed {
		t.Fatalf("results of bad-1: %+v, want one license.failed", r)
	}
	o := e.run("", "redrive", "--id", "bad-1")
	if o.status != exitUsage || !strings.Contains(o.stderr, "invalid_command") {
		t.Errorf("redrive of an invalid command: exit %d\n%s%s", o.status, o.stdout, o.stderr)
	}
	o = e.run("", "redrive", "--id", "bad-1", "--force")
	if o.status != exitUsage || !strings.Contains(o.stderr, "data.user is missing") {
		t.Errorf("forced redrive of a still invalid command: exit %d\n%s%s", o.status, o.stdout, o.stderr)
	}
	o = e.run("", "redrive", "--id", "never-was")
	if o.status != exitUsage || !strings.Contains(o.stderr, "no result for never-was") {
		t.Errorf("redrive of an unknown id: exit %d\n%s%s", o.status, o.stdout, o.stderr)
	}
}

func TestRedriveID(t *testing.T) {
	for in, want := range map[string]string{
		"hr-17":                  "hr-17/redrive-1",
		"hr-17/redrive-1":        "hr-17/redrive-2",
		"hr-17/redrive-9":        "hr-17/redrive-10",
		"x/redrive-a":            "x/redrive-a/redrive-1",
		strings.Repeat("x", 195): "redrive-",
	} {
		if got := redriveID(in); !strings.HasPrefix(got, want) || len(got) > events.MaxIDLength {
			t.Errorf("redriveID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPools(t *testing.T) {
	e := newEnv(t, testPolicy())
	o := e.run("", "pools")
	if o.status != exitOK {
		t.Fatalf("exit %d\n%s%s", o.status, o.stdout, o.stderr)
	}
	want := `VENDOR         CODE              TOTAL  ASSIGNED  FREE
uipath         ATTUNU            25     0         25
uipath         RPADEVNU          10     0         10
uipath         RPADEVPRONU       1      1         0
uipath         TSTNU             5      0         5
msp360         (not configured)
licensespring  (not configured)
arcgis         (not configured)
m365           (not configured)
`
	if got := trimLines(o.stdout); got != want {
		t.Errorf("pools:\n%s\nwant:\n%s", got, want)
	}
}

func trimLines(s string) string {
	var b strings.Builder
	for l := range strings.Lines(s) {
		b.WriteString(strings.TrimRight(l, " \n") + "\n")
	}
	return b.String()
}

// TestRedriveSummarizes: a redrive of many failures ends with the summary
// table, and a repeated one says once how many were redriven already
// instead of a line for each.
func TestRedriveSummarizes(t *testing.T) {
	e := newEnv(t, shortPolicy())
	e.fake.FailNext(500, 1_000_000, 0)
	users := []string{"singer-77", "singer-88", "singer-111"}
	for _, u := range users {
		e.run("", "assign", "--vendor", "uipath", "--user", u, "--license", "TSTNU", "--id", "s-"+u, "--wait")
	}
	e.fake.Recover()
	e.settled()
	o := e.run("", "redrive", "--since", "1h", "--wait")
	if o.status != exitOK {
		t.Fatalf("redrive: exit %d\n%s%s", o.status, o.stdout, o.stderr)
	}
	checkCounts(t, o.stdout, map[string]int{"changed": 3, "assigned": 3})
	e.settled()
	o = e.run("", "redrive", "--since", "1h", "--wait")
	if o.status != exitOK {
		t.Fatalf("second redrive: exit %d\n%s%s", o.status, o.stdout, o.stderr)
	}
	if got := strings.Count(o.stderr, "\n"); got != 1 || !strings.Contains(o.stderr, "not redriving 3 failures: already redriven") {
		t.Errorf("second redrive said (%d lines):\n%s", got, o.stderr)
	}
}

// A failure is published before its record is stored: for a moment the
// record still says the command is deferred. A redrive at that moment
// finds the failure in the audit trail instead of calling the command
// still running (the record and the trail are set up here as the worker
// leaves them in that moment).
func TestRedriveRightAfterTheFailureWasAnnounced(t *testing.T) {
	e := newEnv(t, testPolicy())
	ctx := context.Background()
	js := e.svc.JS
	cmd := events.NewCommand(events.SubjectAssign, "test/hr", "hr-18", time.Now().Add(-time.Minute), events.CommandData{
		Vendor: "uipath", Account: account, User: "singer-77", Licenses: []string{"ATTUNU"},
	})
	kv, err := js.KeyValue(ctx, events.CommandBucket)
	if err != nil {
		t.Fatal(err)
	}
	deferred := `{"state":"deferred","digest":"` + handlers.Digest(cmd) + `","first_attempt":"` +
		time.Now().Add(-time.Minute).UTC().Format(time.RFC3339Nano) + `","attempts":3}`
	if _, err := kv.Create(ctx, handlers.CommandKey(cmd.ID), []byte(deferred)); err != nil {
		t.Fatal(err)
	}
	failure := events.NewFailure(cmd, 1, time.Now(), "", events.Error{
		Code: events.CodeRetriesExhausted, Message: "the vendor kept failing", Retryable: true}, 3, 0)
	b, err := json.Marshal(failure)
	if err != nil {
		t.Fatal(err)
	}
	msg := &nats.Msg{Subject: events.SubjectFailed, Data: b, Header: nats.Header{events.HeaderContentType: {events.ContentType}}}
	if _, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID(failure.ID)); err != nil {
		t.Fatal(err)
	}
	o := e.run("", "redrive", "--id", cmd.ID, "--wait")
	if o.status != exitOK || !strings.Contains(o.stdout, "hr-18/redrive-1") {
		t.Fatalf("redrive right after the failure: exit %d\n%s%s", o.status, o.stdout, o.stderr)
	}
}

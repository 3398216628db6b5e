package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/people"
)

func TestPolicyCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name, when string) string {
		p := filepath.Join(dir, name)
		src := "rules:\n  - name: " + name + "\n    when: " + when + "\n    grant: {uipath: [RPADEVNU]}\n"
		if err := os.WriteFile(p, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, when string
		status     int
		want       string
	}{
		{"good", `person.department == "Engineering"`, exitOK, "ok: 1 rule granting at uipath"},
		{"syntax", `person.department == "Eng`, exitUsage, `rule "syntax" (line 3, column 32)`},
		{"unknownfn", `frobnicate(person.x)`, exitUsage, `rule "unknownfn"`},
		{"notbool", `person.department`, exitUsage, "not a boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := run(t.Context(), []string{"policy", "check", write(tt.name, tt.when)}, nil, &stdout, &stderr)
			if status != tt.status || !strings.Contains(stdout.String()+stderr.String(), tt.want) {
				t.Errorf("policy check = %d\nstdout %s\nstderr %s\nwant %d and %q", status, stdout.String(), stderr.String(), tt.status, tt.want)
			}
		})
	}
	if _, err := people.LoadPolicy("../../deploy/policy.example.yaml"); err != nil {
		t.Errorf("the example policy: %v", err)
	}
}

// TestPersonWait: publish person joined --wait prints the plan and each
// command's result; plan shows what a leave would do without applying it.
func TestPersonWait(t *testing.T) {
	e := newPeopleEnv(t, 10)
	const email = "ana.smith@example.com"
	user := e.ms.AddUser(m365testUser(email))
	o := e.run("", "person", "joined", "--person", "E1042", "--email", email, "--id", "hire-1042",
		"--attr", "department=Engineering", "--attr", "employment_type=employee", "--wait")
	if o.status != exitOK || !strings.Contains(o.stdout, "person.reconciled E1042") || !strings.Contains(o.stdout, "hire-1042/m365/assign") {
		t.Fatalf("person joined --wait = %d\n%s\n%s", o.status, o.stdout, o.stderr)
	}
	if got := e.ms.Held(user); len(got) != 1 {
		t.Errorf("m365 holds %v after joining, want %s", got, m365SKU)
	}
	ctx, cancel := context.WithCancel(t.Context())
	stdout, stderr := newNotifyBuffer(), newNotifyBuffer()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"watch", "--server", e.url, "--since", "1h"}, strings.NewReader(""), stdout, stderr)
	}()
	stdout.waitFor(t, "person:E1042")
	stdout.waitFor(t, "hire-1042/m365/assign")
	cancel()
	<-done
	if !strings.Contains(stdout.String(), "reconciled") {
		t.Errorf("watch shows no reconciled row:\n%s", stdout.String())
	}
	ev := events.NewPersonEvent(events.SubjectPersonLeft, "hr", "leave-1042", time.Now(), events.PersonData{Person: "E1042"})
	file := filepath.Join(t.TempDir(), "leave.json")
	b, _ := json.Marshal(ev)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	o = e.run("", "plan", "--file", file, "--policy", e.policyFile)
	if o.status != exitOK || !strings.Contains(o.stdout, "leave-1042/m365/release") || !strings.Contains(o.stdout, "(everything held)") {
		t.Errorf("plan = %d\n%s\n%s", o.status, o.stdout, o.stderr)
	}
	if got := e.ms.Held(user); len(got) != 1 {
		t.Errorf("plan changed the vendor: m365 holds %v", got)
	}
}

// TestPersonBatchThousandJoiners: an HR export of a thousand hires is one
// command; every one is reconciled and its seats assigned, and a re-run
// changes nothing.
func TestPersonBatchThousandJoiners(t *testing.T) {
	const n = 1000
	e := newPeopleEnv(t, n)
	var file bytes.Buffer
	at := time.Now().Add(-time.Hour)
	for i := range n {
		email := fmt.Sprintf("hire%04d@example.com", i)
		e.ms.AddUser(m365testUser(email))
		ev := events.NewPersonEvent(events.SubjectPersonJoined, "hr/export", fmt.Sprintf("hire-%04d", i), at,
			events.PersonData{Person: fmt.Sprintf("E%04d", i), Email: email,
				Attributes: map[string]any{"department": "Engineering", "employment_type": "employee"}})
		b, _ := json.Marshal(ev)
		file.Write(append(b, '\n'))
	}
	path := filepath.Join(t.TempDir(), "hires.ndjson")
	if err := os.WriteFile(path, file.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	o := e.run("", "batch", "--file", path, "--wait")
	t.Logf("first run: %s\n%s", time.Since(start), o.stdout)
	if o.status != exitOK || !strings.Contains(o.stdout, fmt.Sprintf("people: %d reconciled", n)) ||
		!strings.Contains(o.stdout, fmt.Sprintf("license commands: %d (%d assigned)", 2*n, 2*n)) {
		t.Fatalf("batch --wait = %d\n%s\n%s", o.status, o.stdout, o.stderr)
	}
	writes := e.ls.Writes() + e.ms.Writes()
	start = time.Now()
	o = e.run("", "batch", "--file", path, "--wait")
	t.Logf("re-run: %s\n%s", time.Since(start), o.stdout)
	// Within JetStream's two-minute duplicate window the events are dropped
	// as duplicates; past it (a slow run) the worker replays their stored
	// outcomes. Either way every event is reconciled and no vendor is written.
	if o.status != exitOK || !strings.Contains(o.stdout, fmt.Sprintf("people: %d reconciled", n)) {
		t.Errorf("re-run = %d\n%s\n%s", o.status, o.stdout, o.stderr)
	}
	if got := e.ls.Writes() + e.ms.Writes(); got != writes {
		t.Errorf("the re-run made %d vendor writes, want none", got-writes)
	}
}

package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// bulkCode is a pool the batch tests fill: 990 seats for 997 valid rows.
const bulkCode = "BULKNU"

// writeBulkCSV writes 1,000 assign rows, three of them invalid, and makes
// their users known to the fake.
func writeBulkCSV(t *testing.T, e *env) (path string, badLines []int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("type,vendor,account,user,licenses,reason,id,time\n")
	for i := range 1000 {
		line := i + 2
		user := fmt.Sprintf("bulk-%04d", i)
		e.fake.AddUser(account, user)
		switch i {
		case 100:
			fmt.Fprintf(&b, "assign,nosuchvendor,,%s,%s,onboarding,,\n", user, bulkCode)
		case 500:
			fmt.Fprintf(&b, "assign,uipath,,,%s,onboarding,,\n", bulkCode)
		case 900:
			fmt.Fprintf(&b, "assign,uipath,,%s,%s,onboarding,,yesterday\n", user, bulkCode)
		default:
			fmt.Fprintf(&b, "assign,uipath,,%s,%s,onboarding,,2026-11-24T09:00:00Z\n", user, bulkCode)
			continue
		}
		badLines = append(badLines, line)
	}
	e.fake.SetPool(account, bulkCode, 990)
	path = filepath.Join(t.TempDir(), "hr.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, badLines
}

func (e *env) commandsStored() uint64 {
	e.t.Helper()
	s, err := e.svc.JS.Stream(context.Background(), events.CommandStream)
	if err != nil {
		e.t.Fatal(err)
	}
	return s.CachedInfo().State.Msgs
}

func TestBatchThousandRows(t *testing.T) {
	e := newEnv(t, testPolicy())
	path, badLines := writeBulkCSV(t, e)

	// Invalid rows stop the batch before anything is published.
	o := e.run("", "batch", "--file", path, "--wait")
	if o.status != exitUsage {
		t.Fatalf("exit status %d, want %d; stderr:\n%s", o.status, exitUsage, o.stderr)
	}
	for _, l := range badLines {
		if want := fmt.Sprintf("%s:%d: ", path, l); !strings.Contains(o.stderr, want) {
			t.Errorf("stderr does not name line %d (%q):\n%s", l, want, o.stderr)
		}
	}
	for _, want := range []string{"unknown_vendor", "data.user is missing", "not an RFC 3339 timestamp", "3 of 1000 rows are invalid"} {
		if !strings.Contains(o.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, o.stderr)
		}
	}
	if n := e.commandsStored(); n != 0 {
		t.Fatalf("%d commands published, want none", n)
	}
	// The invalid rows, with their errors, are ready to be fixed.
	if failed := readCSVFile(t, strings.TrimSuffix(path, ".csv")+".failed.csv"); len(failed) != 1+3 || failed[1][8] != "unknown_vendor" {
		t.Errorf("failed rows after the refusal: %q, want the header and the 3 invalid rows", failed)
	}

	// --skip-invalid publishes the 997 others; 7 find the pool full.
	o = e.run("", "batch", "--file", path, "--wait", "--skip-invalid")
	if o.status != exitFailed {
		t.Fatalf("exit status %d, want %d; stdout:\n%s\nstderr:\n%s", o.status, exitFailed, o.stdout, o.stderr)
	}
	checkSummary(t, o.stdout, "997 published (0 already published before), 3 invalid (skipped)")
	if got := e.fake.Pools(account); !hasPool(got, bulkCode, 990) {
		t.Errorf("pools %+v, want %s fully assigned (990)", got, bulkCode)
	}
	failed := readCSVFile(t, strings.TrimSuffix(path, ".csv")+".failed.csv")
	if len(failed) != 1+10 {
		t.Errorf("failed file has %d records, want the header and 10 rows", len(failed))
	}
	writes := e.fake.Writes()

	// The same file again changes nothing at the vendor and says the same.
	o = e.run("", "batch", "--file", path, "--wait", "--skip-invalid")
	if o.status != exitFailed {
		t.Fatalf("second run: exit status %d, want %d; stderr:\n%s", o.status, exitFailed, o.stderr)
	}
	checkSummary(t, o.stdout, "997 published (997 already published before), 3 invalid (skipped)")
	if got := e.fake.Writes(); got != writes {
		t.Errorf("second run: the vendor had %d writes, then %d, want no change", writes, got)
	}
	if n := e.commandsStored(); n != 997 {
		t.Errorf("%d commands in the stream, want 997", n)
	}
}

func checkSummary(t *testing.T, stdout, head string) {
	t.Helper()
	if !strings.Contains(stdout, head) {
		t.Errorf("summary lacks %q:\n%s", head, stdout)
	}
	checkCounts(t, stdout, map[string]int{"changed": 990, "failed": 7, "invalid": 3, "assigned": 990,
		"capacity_exhausted": 7, "unknown_vendor": 1, "invalid_command": 2})
}

// checkCounts checks the summary's lines "  NAME  COUNT", and that no other
// outcome, status or error is counted.
func checkCounts(t *testing.T, stdout string, want map[string]int) {
	t.Helper()
	got := make(map[string]int)
	for l := range strings.Lines(stdout) {
		var name string
		var n int
		if !strings.HasPrefix(l, "  ") {
			continue
		}
		if _, err := fmt.Sscanf(l, "%s %d", &name, &n); err == nil {
			got[name] = n
		}
	}
	for name, n := range want {
		if got[name] != n {
			t.Errorf("summary counts %s %d, want %d:\n%s", name, got[name], n, stdout)
		}
	}
	for name, n := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("summary counts %s %d, want none:\n%s", name, n, stdout)
		}
	}
}

func hasPool(pools []events.Pool, code string, assigned int) bool {
	for _, p := range pools {
		if p.Code == code {
			return p.Assigned == assigned
		}
	}
	return false
}

func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func TestBatchNDJSON(t *testing.T) {
	e := newEnv(t, testPolicy())
	full := events.NewCommand(events.SubjectAssign, "hr/test", "nd-full-1", mustTime(t, "2026-11-24T09:00:00Z"),
		events.CommandData{Vendor: "uipath", User: "singer-88", Licenses: []string{"TSTNU"}})
	fullLine, err := jsonLine(full)
	if err != nil {
		t.Fatal(err)
	}
	input := strings.Join([]string{
		`{"type":"assign","vendor":"uipath","user":"singer-77","licenses":["RPADEVNU","ATTUNU"]}`,
		fullLine,
		``,
		`{"type":"release","vendor":"uipath","user":"singer-111"}`,
		`{"type":"assign","vendor":"uipath","user":"nobody-here","licenses":["ATTUNU"]}`,
	}, "\n")
	path := filepath.Join(t.TempDir(), "hr.ndjson")
	if err := os.WriteFile(path, []byte(input), 0o600); err != nil {
		t.Fatal(err)
	}
	o := e.run("", "batch", "--file", path, "--wait")
	if o.status != exitFailed {
		t.Fatalf("exit status %d, want %d; stdout:\n%s\nstderr:\n%s", o.status, exitFailed, o.stdout, o.stderr)
	}
	if !strings.Contains(o.stdout, "4 rows, 4 published") {
		t.Errorf("summary:\n%s", o.stdout)
	}
	checkCounts(t, o.stdout, map[string]int{"changed": 2, "unchanged": 1, "failed": 1,
		"assigned": 3, "not_assigned": 0, "user_not_found": 1})
	if !strings.Contains(o.stdout, "(first: "+path+":5: ") {
		t.Errorf("summary does not name line 5 as the first user_not_found:\n%s", o.stdout)
	}
	failed, err := os.ReadFile(filepath.Join(filepath.Dir(path), "hr.failed.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"type":"assign","vendor":"uipath","user":"nobody-here","licenses":["ATTUNU"],"error_code":"user_not_found","error_message":`; !strings.HasPrefix(string(failed), want) {
		t.Errorf("failed file %q, want %q", failed, want)
	}
	if got := e.fake.Held(account, "singer-88"); len(got) != 1 || got[0] != "TSTNU" {
		t.Errorf("singer-88 holds %v, want [TSTNU] (the full CloudEvent line)", got)
	}
}

func TestBatchNoProgressBarWithoutTerminal(t *testing.T) {
	e := newEnv(t, testPolicy())
	path := filepath.Join(t.TempDir(), "hr.csv")
	csvText := "type,vendor,user,licenses\nassign,uipath,singer-77,ATTUNU\nassign,uipath,singer-88,ATTUNU\n"
	if err := os.WriteFile(path, []byte(csvText), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	if isTerminal(stdout) {
		t.Fatal("a regular file is taken for a terminal")
	}
	var stderr notifyBuffer
	status := run(context.Background(), []string{"batch", "--server", e.url, "--file", path, "--wait"}, strings.NewReader(""), stdout, &stderr)
	if status != exitOK {
		t.Fatalf("exit status %d; stderr:\n%s", status, stderr.String())
	}
	printed, err := os.ReadFile(stdout.Name())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{string(printed), stderr.String()} {
		if strings.ContainsAny(s, "\r") || strings.Contains(s, "|█") {
			t.Errorf("a progress bar was drawn:\n%q", s)
		}
	}
	if !strings.Contains(stderr.String(), "results 2/2") {
		t.Errorf("no plain progress line on stderr:\n%s", stderr.String())
	}
	if !strings.Contains(string(printed), "assigned  2") {
		t.Errorf("summary:\n%s", printed)
	}
}

func TestProgressBarOnTerminal(t *testing.T) {
	var bar, lines notifyBuffer
	p := &progress{bar: &bar, lines: &lines}
	p.start("published", 4)
	for range 4 {
		p.step(false)
	}
	p.finish()
	if got := bar.String(); !strings.Contains(got, "\rpublished 100% |") || !strings.Contains(got, "| (4/4)") {
		t.Errorf("bar %q", bar.String())
	}
	if lines.String() != "" {
		t.Errorf("plain lines %q beside the bar", lines.String())
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if isTerminal(null) {
		t.Error("the null device is taken for a terminal")
	}
}

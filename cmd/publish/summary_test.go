package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBatchSummaryCountsWhatHappened: a row answered already_assigned or
// skipped_superseded changed nothing, and the summary says so instead of
// counting it assigned; a run whose only trouble is an invalid row exits 2,
// and the failed-rows file adds the error to the row as it was.
func TestBatchSummaryCountsWhatHappened(t *testing.T) {
	e := newEnv(t, testPolicy())
	dir := t.TempDir()
	before := filepath.Join(dir, "before.csv")
	writeFile(t, before, "type,vendor,user,licenses,time\n"+
		"assign,uipath,singer-88,ATTUNU,2026-11-24T08:00:00Z\n"+
		"assign,uipath,singer-111,TSTNU,2026-11-24T10:00:00Z\n")
	if o := e.run("", "batch", "--file", before, "--wait"); o.status != exitOK {
		t.Fatalf("setting up: exit %d\n%s%s", o.status, o.stdout, o.stderr)
	}

	path := filepath.Join(dir, "hr.csv")
	writeFile(t, path, "type,vendor,account,user,licenses,reason,id,time\n"+
		"assign,uipath,,singer-77,RPADEVNU,,,\n"+ // assigned
		"assign,uipath,,singer-88,ATTUNU,,,\n"+ // already_assigned
		"release,uipath,,singer-111,TSTNU,,,2026-11-24T09:00:00Z\n"+ // older than the assign at 10:00
		"assign,nosuchvendor,,singer-77,ATTUNU,,,\n") // invalid
	o := e.run("", "batch", "--file", path, "--wait", "--skip-invalid")
	if o.status != exitUsage {
		t.Errorf("exit status %d, want %d (an invalid row, nothing failed)\n%s%s", o.status, exitUsage, o.stdout, o.stderr)
	}
	checkCounts(t, o.stdout, map[string]int{"changed": 1, "unchanged": 2, "invalid": 1,
		"assigned": 1, "already_assigned": 1, "skipped_superseded": 1, "unknown_vendor": 1})

	failed := readCSVFile(t, filepath.Join(dir, "hr.failed.csv"))
	want := [][]string{
		{"type", "vendor", "account", "user", "licenses", "reason", "id", "time", "error_code", "error_message"},
		{"assign", "nosuchvendor", "", "singer-77", "ATTUNU", "", "", "", "unknown_vendor"},
	}
	if len(failed) != 2 || strings.Join(failed[0], ",") != strings.Join(want[0], ",") ||
		strings.Join(failed[1][:9], ",") != strings.Join(want[1], ",") || !strings.Contains(failed[1][9], "nosuchvendor") {
		t.Errorf("failed rows %q, want %q and a message naming the vendor", failed, want)
	}

	// The failed-rows file reads back as a batch file.
	fixed := strings.Replace(readFile(t, filepath.Join(dir, "hr.failed.csv")), "nosuchvendor", "uipath", 1)
	writeFile(t, path, fixed)
	if o := e.run("", "batch", "--file", path, "--wait"); o.status != exitOK {
		t.Fatalf("the fixed failed rows: exit %d\n%s%s", o.status, o.stdout, o.stderr)
	}

	// A run that changes nothing is not a failure.
	writeFile(t, path, "type,vendor,user,licenses,reason\nassign,uipath,singer-88,ATTUNU,again\n")
	o = e.run("", "batch", "--file", path, "--wait")
	if o.status != exitOK {
		t.Errorf("a row already so: exit %d, want 0\n%s%s", o.status, o.stdout, o.stderr)
	}
	checkCounts(t, o.stdout, map[string]int{"unchanged": 1, "already_assigned": 1})
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestInvalidRowsNamedUpToALimit: a file of many bad rows names the first
// twenty and counts the rest, which the failed-rows file holds.
func TestInvalidRowsNamedUpToALimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("type,vendor,user,licenses\n")
	for range 25 {
		b.WriteString("assign,nosuchvendor,singer-77,ATTUNU\n")
	}
	b.WriteString("assign,uipath,singer-77,ATTUNU\n")
	in, err := readInput(strings.NewReader(b.String()), formatCSV, "test")
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	valid, invalid := splitInvalid(&stderr, "hr.csv", in.rows)
	if len(valid) != 1 || len(invalid) != 25 {
		t.Errorf("%d valid and %d invalid rows, want 1 and 25", len(valid), len(invalid))
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != invalidShown+1 || lines[invalidShown] != "... and 5 more invalid rows" {
		t.Errorf("stderr (%d lines):\n%s", len(lines), stderr.String())
	}
}

package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseUntil(t *testing.T) {
	from := mustTime(t, "2026-12-01T09:00:00Z")
	for _, c := range []struct {
		in, want string
		bad      bool
	}{
		{in: "", want: "0001-01-01T00:00:00Z"},
		{in: "2027-06-30T00:00:00+02:00", want: "2027-06-29T22:00:00Z"},
		{in: "90d", want: "2027-03-01T09:00:00Z"},
		{in: "36h", want: "2026-12-02T21:00:00Z"},
		{in: "tomorrow", bad: true},
		{in: "-3d", bad: true},
		{in: "0s", bad: true},
	} {
		got, err := parseUntil(c.in, from)
		if (err != nil) != c.bad {
			t.Errorf("parseUntil(%q): error %v, want error %v", c.in, err, c.bad)
			continue
		}
		if !c.bad && got.Format(time.RFC3339) != c.want {
			t.Errorf("parseUntil(%q) = %s, want %s", c.in, got.Format(time.RFC3339), c.want)
		}
	}
}

func TestSchedulesListsPendingReleases(t *testing.T) {
	e := newEnv(t, testPolicy())
	for _, u := range []string{"singer-77", "singer-88"} {
		if o := e.run("", "assign", "--vendor", "uipath", "--user", u, "--license", "ATTUNU", "--until", "30d", "--id", "tb-"+u, "--wait"); o.status != exitOK {
			t.Fatalf("assign --until: %d %s %s", o.status, o.stdout, o.stderr)
		}
	}
	o := e.run("", "schedules")
	if o.status != exitOK || !strings.Contains(o.stdout, "2 releases pending") ||
		!strings.Contains(o.stdout, "tb-singer-77") || !strings.Contains(o.stdout, "tb-singer-88") {
		t.Fatalf("schedules: %d\n%s%s", o.status, o.stdout, o.stderr)
	}
	o = e.run("", "schedules", "--vendor", "uipath", "--user", "singer-88")
	if !strings.Contains(o.stdout, "1 release pending") || strings.Contains(o.stdout, "singer-77") {
		t.Errorf("schedules --user singer-88:\n%s%s", o.stdout, o.stderr)
	}
	if o := e.run("", "release", "--vendor", "uipath", "--user", "singer-77", "--id", "tb-release", "--wait"); o.status != exitOK {
		t.Fatalf("release: %d %s", o.status, o.stderr)
	}
	o = e.run("", "schedules", "--json")
	if lines := strings.Split(strings.TrimSpace(o.stdout), "\n"); len(lines) != 1 || !strings.Contains(lines[0], `"user":"singer-88"`) {
		t.Errorf("schedules after a release, want singer-88's alone:\n%s%s", o.stdout, o.stderr)
	}
	if o := e.run("", "assign", "--vendor", "uipath", "--user", "singer-77", "--license", "ATTUNU", "--until", "2020-01-01T00:00:00Z"); o.status != exitUsage {
		t.Errorf("assign with an until in the past: status %d, want %d (%s)", o.status, exitUsage, o.stderr)
	}
}

func TestBatchUntilColumn(t *testing.T) {
	in, err := readInput(strings.NewReader("type,vendor,user,licenses,time,until\n"+
		"assign,arcgis,ana,usertype:creatorUT,2026-12-01T09:00:00Z,180d\n"+
		"assign,arcgis,bo,usertype:creatorUT,2026-12-01T09:00:00Z,2026-11-01T00:00:00Z\n"), formatCSV, "test")
	if err != nil {
		t.Fatal(err)
	}
	if r := in.rows[0]; r.err != nil || r.cmd.Data.Until.Format(time.RFC3339) != "2027-05-30T09:00:00Z" {
		t.Errorf("row 1: until %s, error %v; want 2027-05-30T09:00:00Z", r.cmd.Data.Until, r.err)
	}
	if r := in.rows[1]; r.err == nil || !strings.Contains(r.err.Error(), "data.until") {
		t.Errorf("row 2, until before time: error %v, want one naming data.until", r.err)
	}
}

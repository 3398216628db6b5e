package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

func TestWatchSinceShowsPastAndNewResults(t *testing.T) {
	e := newEnv(t, testPolicy())
	if o := e.run("", "assign", "--vendor", "uipath", "--user", "singer-77", "--license", "ATTUNU", "--id", "before-1", "--wait"); o.status != exitOK {
		t.Fatalf("assign: %d %s", o.status, o.stderr)
	}
	if o := e.run("", "assign", "--vendor", "uipath", "--user", "nobody", "--license", "ATTUNU", "--id", "before-2", "--wait"); o.status != exitFailed {
		t.Fatalf("assign for an unknown user: %d %s", o.status, o.stderr)
	}

	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := newNotifyBuffer(), newNotifyBuffer()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"watch", "--server", e.url, "--since", "1h"}, strings.NewReader(""), stdout, stderr)
	}()
	stdout.waitFor(t, "before-2")
	if o := e.run("", "release", "--vendor", "uipath", "--user", "singer-77", "--id", "after-1", "--wait"); o.status != exitOK {
		t.Fatalf("release: %d %s", o.status, o.stderr)
	}
	stdout.waitFor(t, "after-1")
	cancel()
	if status := <-done; status != exitOK {
		t.Fatalf("watch exit status %d; stderr:\n%s", status, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 4 {
		t.Fatalf("watch printed %d lines, want a header and 3 results:\n%s", len(lines), stdout.String())
	}
	for i, want := range [][]string{
		{"TIME", "TYPE", "VENDOR", "USER", "LICENSES", "OUTCOME", "COMMAND"},
		{"assigned", "uipath", "singer-77", "ATTUNU", "assigned", "before-1"},
		{"failed", "uipath", "nobody", "ATTUNU", "user_not_found", "before-2"},
		{"released", "uipath", "singer-77", "ATTUNU", "released", "after-1"},
	} {
		fields := strings.Fields(lines[i])
		if i > 0 {
			fields = fields[1:] // the time
		}
		if strings.Join(fields, " ") != strings.Join(want, " ") {
			t.Errorf("line %d: got %q, want %q", i, fields, want)
		}
	}
}

func TestWatchJSONAndFilters(t *testing.T) {
	e := newEnv(t, testPolicy())
	for _, args := range [][]string{
		{"assign", "--vendor", "uipath", "--user", "singer-77", "--license", "ATTUNU", "--id", "j-1", "--wait"},
		{"assign", "--vendor", "uipath", "--user", "nobody", "--license", "ATTUNU", "--id", "j-2", "--wait"},
		{"assign", "--vendor", "m365", "--user", "alex", "--license", "SPE_E3", "--id", "j-3", "--wait"},
	} {
		e.run("", args...)
	}
	e.settled()
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"all", nil, []string{"j-1", "j-2", "j-3"}},
		{"failed", []string{"--type", "failed"}, []string{"j-2", "j-3"}},
		{"code", []string{"--code", "vendor_not_configured"}, []string{"j-3"}},
		{"vendor", []string{"--vendor", "uipath"}, []string{"j-1", "j-2"}},
		{"user", []string{"--user", "singer-77", "--type", "assigned,released"}, []string{"j-1"}},
		{"new only", []string{"--since", ""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"watch", "--json", "--no-follow", "--since", "24h"}, tt.args...)
			o := e.run("", args...)
			if o.status != exitOK {
				t.Fatalf("exit status %d; stderr:\n%s", o.status, o.stderr)
			}
			var got []string
			for line := range strings.Lines(o.stdout) {
				var r events.Result
				if err := json.Unmarshal([]byte(line), &r); err != nil {
					t.Fatalf("line %q is not JSON: %v", line, err)
				}
				if r.SpecVersion != events.SpecVersion || r.Source != events.ResultSource || r.ID != events.ResultID(r.Data.CommandID) || r.Time.IsZero() {
					t.Errorf("line %q is not a seatkeeper CloudEvent", line)
				}
				got = append(got, r.Data.CommandID)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWatchUsage(t *testing.T) {
	var stdout, stderr strings.Builder
	for _, args := range [][]string{
		{"watch", "--type", "bogus"},
		{"watch", "--code", "nope"},
		{"watch", "--code", "user_not_found", "--type", "assigned"},
		{"watch", "--since", "yesterday"},
	} {
		if status := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr); status != exitUsage {
			t.Errorf("%v: exit status %d, want %d", args, status, exitUsage)
		}
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"24h":                  now.Add(-24 * time.Hour),
		"7d":                   now.Add(-7 * 24 * time.Hour),
		"90m":                  now.Add(-90 * time.Minute),
		"2026-11-20T08:00:00Z": time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC),
		"":                     {},
	} {
		got, err := parseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

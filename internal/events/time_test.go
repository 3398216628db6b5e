package events_test

import (
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

func TestCheckTime(t *testing.T) {
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		at   time.Time
		ok   bool
	}{
		{"absent", time.Time{}, true},
		{"past", now.Add(-24 * time.Hour), true},
		{"at the bound", now.Add(5 * time.Minute), true},
		{"past the bound", now.Add(5*time.Minute + time.Second), false},
		{"a mistyped year", time.Date(2099, 12, 1, 0, 0, 0, 0, time.UTC), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := events.CheckTime(tc.at, now, 5*time.Minute)
			if got := err == nil; got != tc.ok {
				t.Fatalf("CheckTime(%s) = %v, want ok %v", tc.at, err, tc.ok)
			}
			if err != nil && (err.Code != events.CodeInvalidCommand || !strings.Contains(err.Message, tc.at.Format(time.RFC3339))) {
				t.Errorf("CheckTime(%s) = %s %q, want invalid_command naming the time", tc.at, err.Code, err.Message)
			}
		})
	}
}

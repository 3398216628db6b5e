package events_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// maxMessageBytes bounds a ValidationError's message: it goes into a result
// and a log line whatever the payload held.
const maxMessageBytes = 300

// FuzzDecodeCommand checks that DecodeCommand never panics, that a command it
// accepts survives re-encoding unchanged, and that a refusal is a short
// *events.ValidationError with one of the two validation codes.
func FuzzDecodeCommand(f *testing.F) {
	examples, err := filepath.Glob(filepath.Join(exampleDir, "command-*.json"))
	if err != nil || len(examples) == 0 {
		f.Fatalf("no command examples under %s (%v)", exampleDir, err)
	}
	for _, name := range examples {
		payload := readFile(f, name)
		f.Add(subjectOf(payload), payload)
	}
	for _, tt := range commandCases {
		f.Add(subjectOf(tt.payload), tt.payload)
	}
	f.Fuzz(func(t *testing.T, subject string, payload []byte) {
		cmd, err := events.DecodeCommand(subject, payload)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		again, err := json.Marshal(cmd)
		if err != nil {
			t.Fatalf("json.Marshal(%+v): %v", cmd, err)
		}
		cmd2, err := events.DecodeCommand(subject, again)
		if err != nil {
			t.Fatalf("DecodeCommand(re-encoded %s) = %v, want no error", again, err)
		}
		if !sameCommand(cmd2, cmd) {
			t.Errorf("re-decoded command = %+v, want %+v", cmd2, cmd)
		}
	})
}

func checkRefusal(t *testing.T, err error) {
	t.Helper()
	var verr *events.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("error = %v (%T), want a *events.ValidationError", err, err)
	}
	if verr.Code != events.CodeInvalidCommand && verr.Code != events.CodeUnknownVendor {
		t.Errorf("Code = %q, want %q or %q", verr.Code, events.CodeInvalidCommand, events.CodeUnknownVendor)
	}
	if verr.Message == "" || len(verr.Message) > maxMessageBytes {
		t.Errorf("Message is %d bytes (%.400q), want 1 to %d", len(verr.Message), verr.Message, maxMessageBytes)
	}
	if strings.ContainsFunc(verr.Message, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		t.Errorf("Message = %q, want no control characters", verr.Message)
	}
}

// sameCommand compares commands as the wire sees them: times by instant,
// an empty license list as an absent one.
func sameCommand(a, b events.Command) bool {
	if !a.Time.Equal(b.Time) || !slices.Equal(a.Data.Licenses, b.Data.Licenses) {
		return false
	}
	a.Time, b.Time = time.Time{}, time.Time{}
	a.Data.Licenses, b.Data.Licenses = nil, nil
	return reflect.DeepEqual(a, b)
}

func readFile(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

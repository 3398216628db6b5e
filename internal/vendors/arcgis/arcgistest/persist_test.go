package arcgistest

import (
	"bytes"
	"testing"
)

// TestSnapshotRestore: a fake restored from the demo organisation's
// snapshot holds what the demo fake held, so a sandbox worker restarted on
// its saved state agrees with its ledger.
func TestSnapshotRestore(t *testing.T) {
	demo := NewServer(t, Options{Demo: true})
	saved, err := demo.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	empty := NewServer(t, Options{})
	before, err := empty.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(before, saved) {
		t.Fatalf("an empty fake's snapshot equals the demo's: %s", saved)
	}
	if err := empty.Restore(saved); err != nil {
		t.Fatal(err)
	}
	got, err := empty.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, saved) {
		t.Errorf("restored snapshot:\n%s\nwant:\n%s", got, saved)
	}
	if err := empty.Restore([]byte("{")); err == nil {
		t.Error("Restore of broken JSON: nil error")
	}
}

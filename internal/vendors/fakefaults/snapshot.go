package fakefaults

import (
	"bytes"
	"testing"
)

// Snapshotter is a fake whose organisation can be saved and restored, so
// that a sandbox outlives its process.
type Snapshotter interface {
	Snapshot() ([]byte, error)
	Restore([]byte) error
}

// CheckSnapshotRestore checks that empty, restored from demo's snapshot,
// holds what demo held (its own snapshot is the same), that the two differ
// before, and that broken JSON is refused.
func CheckSnapshotRestore(t *testing.T, demo, empty Snapshotter) {
	t.Helper()
	saved, err := demo.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
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

package arcgistest

import (
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/vendors/fakefaults"
)

// TestSnapshotRestore: a fake restored from the demo organisation's
// snapshot holds what the demo fake held, so a sandbox worker restarted on
// its saved state agrees with its ledger.
func TestSnapshotRestore(t *testing.T) {
	fakefaults.CheckSnapshotRestore(t, NewServer(t, Options{Demo: true}), NewServer(t, Options{}))
}

package chaos_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/testproc"
)

// bin holds the binaries built once for the package: the worker, and
// nats-server itself (a dependency of this module), so that a server can be
// killed like any process.
var bin struct{ worker, natsServer string }

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "seatkeeper-chaos-")
	if err == nil {
		err = testproc.Build(dir, map[string]string{"worker": "../../cmd/worker", "nats-server": "github.com/nats-io/nats-server/v2"})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin.worker, bin.natsServer = filepath.Join(dir, "worker"), filepath.Join(dir, "nats-server")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// start starts path with args and env (added to testproc.BaseEnv) in a
// directory of its own and waits for an output line containing ready.
func start(t *testing.T, name, path string, args, env []string, ready string) *testproc.Proc {
	t.Helper()
	p := testproc.Start(t, name, t.TempDir(), path, args, env)
	p.WaitLine(ready, time.Minute)
	return p
}

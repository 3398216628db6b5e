package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/testproc"
)

// bin holds the binaries built once for the package's tests.
var bin struct{ worker, publish string }

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "seatkeeper-e2e-")
	if err == nil {
		err = testproc.Build(dir, map[string]string{"worker": "../../cmd/worker", "publish": "../../cmd/publish"})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin.worker, bin.publish = filepath.Join(dir, "worker"), filepath.Join(dir, "publish")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// worker is a worker subprocess; its output lines are JSON log lines.
type worker struct {
	*testproc.Proc
	t *testing.T
}

// startWorker starts the worker binary with args in dir, with env added to
// testproc.BaseEnv, and waits for its "ready" log line.
func startWorker(t *testing.T, dir string, env []string, args ...string) *worker {
	t.Helper()
	w := &worker{Proc: testproc.Start(t, "worker", dir, bin.worker, args, env), t: t}
	w.waitLog("ready", 60*time.Second)
	return w
}

// waitLog waits for a log line whose msg is msg.
func (w *worker) waitLog(msg string, timeout time.Duration) map[string]any {
	w.t.Helper()
	var found map[string]any
	if err := w.Await(timeout, func() bool { found = w.find(msg); return found != nil }); err != nil {
		w.t.Fatalf("worker did not log %q: %v; log:\n%s", msg, err, w.logText())
	}
	return found
}

// find returns the first log line whose msg is msg, or nil.
func (w *worker) find(msg string) map[string]any {
	for _, l := range w.Lines() {
		var line map[string]any
		if json.Unmarshal([]byte(l), &line) == nil && line["msg"] == msg {
			return line
		}
	}
	return nil
}

// natsURL is the embedded server's client URL, from the worker's log.
func (w *worker) natsURL(t *testing.T) string {
	t.Helper()
	url, _ := w.waitLog("embedded nats-server started", time.Second)["listen"].(string)
	if !strings.HasPrefix(url, "nats://") {
		t.Fatalf("the worker logs its embedded server at %q", url)
	}
	return url
}

// logText is every log line, as the worker wrote it (for the secrets scan).
func (w *worker) logText() string { return strings.Join(w.Lines(), "\n") }

// runPublish runs the publish binary and returns its output and exit status.
func runPublish(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin.publish, args...)
	cmd.Env = append(testproc.BaseEnv(), env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("publish %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), code
}

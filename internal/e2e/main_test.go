package e2e_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// bin holds the binaries built once for the package's tests.
var bin struct{ worker, publish string }

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "seatkeeper-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin.worker = filepath.Join(dir, "worker")
	bin.publish = filepath.Join(dir, "publish")
	for out, pkg := range map[string]string{bin.worker: "../../cmd/worker", bin.publish: "../../cmd/publish"} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n", pkg, err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// baseEnv is a minimal environment: no NATS_* or vendor variables from the
// machine running the tests.
func baseEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// worker is a worker subprocess whose JSON log lines are collected.
type worker struct {
	t    *testing.T
	cmd  *exec.Cmd
	done chan struct{}
	err  error

	mu    sync.Mutex
	lines []map[string]any
	seen  chan struct{}
}

// startWorker starts the worker binary with args in dir, with env added to
// baseEnv, and waits for its "ready" log line.
func startWorker(t *testing.T, dir string, env []string, args ...string) *worker {
	t.Helper()
	w := &worker{t: t, done: make(chan struct{}), seen: make(chan struct{}, 1)}
	w.cmd = exec.Command(bin.worker, args...)
	w.cmd.Dir = dir
	w.cmd.Env = append(baseEnv(), env...)
	stdout, err := w.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	w.cmd.Stderr = w.cmd.Stdout
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go w.read(stdout)
	t.Cleanup(func() {
		_ = w.cmd.Process.Kill()
		<-w.done
	})
	w.waitLog("ready", 60*time.Second)
	return w
}

func (w *worker) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			line = map[string]any{"msg": "(not JSON) " + sc.Text()}
		}
		w.mu.Lock()
		w.lines = append(w.lines, line)
		w.mu.Unlock()
		select {
		case w.seen <- struct{}{}:
		default:
		}
	}
	w.err = w.cmd.Wait()
	close(w.done)
}

// waitLog waits for a log line whose msg is msg.
func (w *worker) waitLog(msg string, timeout time.Duration) map[string]any {
	w.t.Helper()
	deadline := time.After(timeout)
	for {
		if l := w.find(msg); l != nil {
			return l
		}
		select {
		case <-w.seen:
		case <-w.done:
			if l := w.find(msg); l != nil {
				return l
			}
			w.t.Fatalf("worker exited (%v) before logging %q; log:\n%s", w.err, msg, w.dump())
		case <-deadline:
			w.t.Fatalf("worker did not log %q within %s; log:\n%s", msg, timeout, w.dump())
		}
	}
}

func (w *worker) find(msg string) map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, l := range w.lines {
		if l["msg"] == msg {
			return l
		}
	}
	return nil
}

func (w *worker) dump() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b strings.Builder
	for _, l := range w.lines {
		j, _ := json.Marshal(l)
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.String()
}

// logText is every log line, as text (for the secrets scan).
func (w *worker) logText() string { return w.dump() }

// signal sends sig and waits for the process to exit.
func (w *worker) stop(sig syscall.Signal, timeout time.Duration) error {
	w.t.Helper()
	if err := w.cmd.Process.Signal(sig); err != nil {
		w.t.Fatal(err)
	}
	select {
	case <-w.done:
		return w.err
	case <-time.After(timeout):
		w.t.Fatalf("worker did not exit within %s of %v", timeout, sig)
		return nil
	}
}

// runPublish runs the publish binary and returns its output and exit status.
func runPublish(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin.publish, args...)
	cmd.Env = append(baseEnv(), env...)
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

// eventually polls cond until it holds, failing after 30 s. It is for state
// that nothing announces (a fake's request log); it never stands in for a
// fixed sleep.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30s for %s", what)
		}
		<-tick.C
	}
}

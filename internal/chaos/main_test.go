package chaos_test

import (
	"bufio"
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

// bin holds the binaries built once for the package: the worker, and
// nats-server itself (a dependency of this module), so that a server can be
// killed like any process.
var bin struct{ worker, natsServer string }

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "seatkeeper-chaos-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin.worker = filepath.Join(dir, "worker")
	bin.natsServer = filepath.Join(dir, "nats-server")
	for out, pkg := range map[string]string{bin.worker: "../../cmd/worker", bin.natsServer: "github.com/nats-io/nats-server/v2"} {
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

// proc is a subprocess whose output lines are collected.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error

	mu    sync.Mutex
	lines []string
	seen  chan struct{}
}

// start starts path with args and env (added to a minimal environment) and
// waits for an output line containing ready.
func start(t *testing.T, name, path string, args, env []string, ready string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, done: make(chan struct{}), seen: make(chan struct{}, 1)}
	p.cmd = exec.Command(path, args...)
	p.cmd.Dir = t.TempDir()
	p.cmd.Env = append(baseEnv(), env...)
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stderr = p.cmd.Stdout
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go p.read(out)
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("last lines of %s:\n%s", p.name, p.tail(30))
		}
	})
	p.waitLine(ready, time.Minute)
	return p
}

// baseEnv is PATH, HOME and TMPDIR only: no NATS_* or vendor variables from
// the machine running the tests.
func baseEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

func (p *proc) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		p.mu.Lock()
		p.lines = append(p.lines, sc.Text())
		p.mu.Unlock()
		select {
		case p.seen <- struct{}{}:
		default:
		}
	}
	p.err = p.cmd.Wait()
	close(p.done)
}

// count returns how many output lines contain s.
func (p *proc) count(s string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, l := range p.lines {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}

// waitLine waits for an output line containing s.
func (p *proc) waitLine(s string, timeout time.Duration) { p.t.Helper(); p.waitCount(s, 1, timeout) }

// waitCount waits until k output lines contain s.
func (p *proc) waitCount(s string, k int, timeout time.Duration) {
	p.t.Helper()
	deadline := time.After(timeout)
	for p.count(s) < k {
		select {
		case <-p.seen:
		case <-p.done:
			if p.count(s) < k {
				p.t.Fatalf("%s exited (%v) before printing %q %d times:\n%s", p.name, p.err, s, k, p.tail(30))
			}
		case <-deadline:
			p.t.Fatalf("%s did not print %q %d times within %s:\n%s", p.name, s, k, timeout, p.tail(30))
		}
	}
}

func (p *proc) tail(n int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines[max(0, len(p.lines)-n):], "\n")
}

// stop sends sig and waits for the process to exit.
func (p *proc) stop(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.t.Fatalf("%s did not exit within 30s of %v", p.name, sig)
	}
}

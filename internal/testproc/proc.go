package testproc

import (
	"bufio"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Proc is a subprocess whose output lines (stdout and stderr) are
// collected as they come.
type Proc struct {
	t    testing.TB
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error

	mu    sync.Mutex
	lines []string
	seen  chan struct{}
}

// Start starts path with args in dir, with env added to BaseEnv. name
// stands for the process in failure messages. A cleanup kills the process
// and, if the test failed, logs its last lines.
func Start(t testing.TB, name, dir, path string, args, env []string) *Proc {
	t.Helper()
	p := &Proc{t: t, name: name, done: make(chan struct{}), seen: make(chan struct{}, 1)}
	p.cmd = exec.Command(path, args...)
	p.cmd.Dir = dir
	p.cmd.Env = append(BaseEnv(), env...)
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
			t.Logf("last lines of %s:\n%s", p.name, p.Tail(30))
		}
	})
	return p
}

func (p *Proc) read(r io.Reader) {
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

// Lines returns the output lines so far.
func (p *Proc) Lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// Tail returns the last n output lines, one a line.
func (p *Proc) Tail(n int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines[max(0, len(p.lines)-n):], "\n")
}

// Count returns how many output lines contain s.
func (p *Proc) Count(s string) int {
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

// Await waits until cond holds, checking it again after each output line.
// It returns an error if the process exits or timeout passes first.
func (p *Proc) Await(timeout time.Duration, cond func() bool) error {
	deadline := time.After(timeout)
	for !cond() {
		select {
		case <-p.seen:
		case <-p.done:
			if !cond() {
				return fmt.Errorf("%s exited (%v)", p.name, p.err)
			}
		case <-deadline:
			return fmt.Errorf("%s: not within %s", p.name, timeout)
		}
	}
	return nil
}

// WaitLine waits for an output line containing s.
func (p *Proc) WaitLine(s string, timeout time.Duration) {
	p.t.Helper()
	p.WaitCount(s, 1, timeout)
}

// WaitCount waits until k output lines contain s.
func (p *Proc) WaitCount(s string, k int, timeout time.Duration) {
	p.t.Helper()
	if err := p.Await(timeout, func() bool { return p.Count(s) >= k }); err != nil {
		p.t.Fatalf("%q printed %d times, want %d: %v; last lines:\n%s", s, p.Count(s), k, err, p.Tail(30))
	}
}

// Stop sends sig, waits for the process to exit and returns how it ended.
func (p *Proc) Stop(sig syscall.Signal, timeout time.Duration) error {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		p.t.Fatalf("%s did not exit within %s of %v", p.name, timeout, sig)
		return nil
	}
}

package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// isTerminal reports whether w is a terminal: a character device other
// than the null device, and TERM is not dumb. A pipe, a file or a test's
// buffer is not.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
}

// progress shows how far a batch has come: a bar redrawn in place on a
// terminal, otherwise a plain line at every tenth of the way, on the
// diagnostics stream, so that stdout keeps only the summary.
type progress struct {
	bar   io.Writer // nil when not a terminal
	lines io.Writer

	mu        sync.Mutex
	phase     string
	done, of  int
	failed    int
	drawn     time.Time
	lastTenth int
}

func newProgress(stdout, stderr io.Writer) *progress {
	p := &progress{lines: stderr}
	if isTerminal(stdout) {
		p.bar = stdout
	}
	return p
}

// start begins a phase ("published", "results") of n steps.
func (p *progress) start(phase string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.phase, p.done, p.of, p.failed, p.lastTenth = phase, 0, n, 0, 0
	p.drawLocked(true)
}

// step counts one step; failed says the step failed.
func (p *progress) step(failed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if failed {
		p.failed++
	}
	p.drawLocked(p.done == p.of)
}

// finish ends the phase's bar with a newline.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil && p.of > 0 {
		p.drawLocked(true)
		fmt.Fprintln(p.bar)
	}
}

func (p *progress) drawLocked(force bool) {
	if p.of == 0 {
		return
	}
	if p.bar == nil {
		tenth := p.done * 10 / p.of
		if tenth > p.lastTenth || (force && p.done == p.of && p.lastTenth < 10) {
			p.lastTenth = tenth
			fmt.Fprintf(p.lines, "%s %d/%d%s\n", p.phase, p.done, p.of, p.failedNote())
		}
		return
	}
	if !force && time.Since(p.drawn) < 100*time.Millisecond {
		return
	}
	p.drawn = time.Now()
	const width = 30
	filled := p.done * width / p.of
	fmt.Fprintf(p.bar, "\r[%s%s] %d/%d %s%s ", strings.Repeat("=", filled), strings.Repeat(" ", width-filled),
		p.done, p.of, p.phase, p.failedNote())
}

func (p *progress) failedNote() string {
	if p.failed == 0 {
		return ""
	}
	return fmt.Sprintf(", %d failed", p.failed)
}

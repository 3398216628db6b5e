package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
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
// terminal (progressbar), otherwise a plain line at every tenth of the way
// on the diagnostics stream, so that stdout keeps only the summary.
type progress struct {
	bar   io.Writer // nil when not a terminal
	lines io.Writer

	mu        sync.Mutex
	drawn     *progressbar.ProgressBar
	phase     string
	done, of  int
	failed    int
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
	if p.bar != nil && n > 0 {
		p.drawn = progressbar.NewOptions(n,
			progressbar.OptionSetWriter(p.bar),
			progressbar.OptionSetDescription(phase),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionSetPredictTime(false),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(p.bar) }),
		)
		return
	}
	p.lineLocked(true)
}

// step counts one step; failed says the step failed.
func (p *progress) step(failed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if failed {
		p.failed++
	}
	if p.drawn != nil {
		if failed {
			p.drawn.Describe(p.phase + p.failedNote())
		}
		_ = p.drawn.Add(1)
		return
	}
	p.lineLocked(p.done == p.of)
}

// finish ends the phase, completing its bar.
func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn != nil {
		_ = p.drawn.Finish()
		p.drawn = nil
	}
}

// lineLocked prints the plain line of a tenth of the way, once each.
func (p *progress) lineLocked(force bool) {
	if p.of == 0 {
		return
	}
	tenth := p.done * 10 / p.of
	if tenth > p.lastTenth || (force && p.done == p.of && p.lastTenth < 10) {
		p.lastTenth = tenth
		fmt.Fprintf(p.lines, "%s %d/%d%s\n", p.phase, p.done, p.of, p.failedNote())
	}
}

func (p *progress) failedNote() string {
	if p.failed == 0 {
		return ""
	}
	return fmt.Sprintf(", %d failed", p.failed)
}

package fakefaults

import (
	"net/http"
	"strconv"
	"time"
)

// action is what the next fault does to a call.
type action int

const (
	serve action = iota
	hang
	reset
	fail
)

// next takes the fault the next call suffers: hangs first, then resets, then
// failures, then the failure rate.
func (f *Faults) next() (action, Failure, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.hangN > 0:
		f.hangN--
		return hang, Failure{}, f.latency
	case f.resetN > 0:
		f.resetN--
		return reset, Failure{}, f.latency
	case len(f.failures) > 0:
		first := &f.failures[0]
		fl := first.Failure
		if first.n--; first.n == 0 {
			f.failures = f.failures[1:]
		}
		return fail, fl, f.latency
	case f.rate > 0 && f.rng.Float64() < f.rate:
		return fail, f.rateFail, f.latency
	}
	return serve, Failure{}, f.latency
}

// Inject applies the next fault to a call, after the latency: it reports
// whether the call has been answered (or dropped), and false when the fake
// should serve it. A call the fake holds (HangNext, SetLatency) and the
// client or Close releases is dropped, never answered.
func (f *Faults) Inject(w http.ResponseWriter, r *http.Request) bool {
	a, fl, latency := f.next()
	if latency > 0 && !f.wait(r, latency) {
		panic(http.ErrAbortHandler)
	}
	switch a {
	case hang:
		f.wait(r, -1)
		panic(http.ErrAbortHandler)
	case reset:
		f.cut(w)
		return true
	case fail:
		if fl.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((fl.RetryAfter+time.Second-1)/time.Second)))
		}
		f.cfg.WriteFailure(w, r, fl)
		return true
	}
	return false
}

// cut closes the connection part-way through an answer. Some bytes must go
// out first: net/http's client silently repeats an idempotent request whose
// reused connection closes before a single byte arrives, which would hide
// the fault; with a byte read it reports the broken exchange instead.
func (f *Faults) cut(w http.ResponseWriter) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	answer := f.cfg.CutAnswer
	if answer == "" {
		answer = "HTTP/1.1 "
	}
	_, _ = buf.WriteString(answer)
	_ = buf.Flush()
	_ = conn.Close()
}

// wait blocks for d (until released if d < 0) or until the client gives up
// or Close; it reports whether d passed.
func (f *Faults) wait(r *http.Request, d time.Duration) bool {
	var timeout <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return true
	case <-r.Context().Done():
	case <-f.closing:
	}
	return false
}

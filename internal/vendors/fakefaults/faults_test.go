package fakefaults_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors/fakefaults"
)

// fake serves "ok" behind f, and counts the calls that reach it.
type fake struct {
	*httptest.Server
	f     *fakefaults.Faults
	calls atomic.Int64
}

func newFake(t *testing.T, cfg fakefaults.Config) *fake {
	t.Helper()
	cfg.WriteFailure = func(w http.ResponseWriter, _ *http.Request, fl fakefaults.Failure) {
		w.WriteHeader(fl.Status)
		_, _ = io.WriteString(w, fl.Message)
	}
	s := &fake{f: fakefaults.New(cfg)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		if !s.f.Inject(w, r) {
			_, _ = io.WriteString(w, "ok")
		}
	}))
	t.Cleanup(func() { s.f.Close(); s.Close() })
	return s
}

// get answers the status and body of a GET, or the error.
func (s *fake) get(ctx context.Context) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL, nil)
	resp, err := s.Client().Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return strconv.Itoa(resp.StatusCode) + " " + string(b) + " " + resp.Header.Get("Retry-After"), err
}

func TestFailuresReplaceOrQueue(t *testing.T) {
	tests := []struct {
		accumulate bool
		want       []string
	}{
		{false, []string{"503 b 2", "200 ok ", "200 ok "}},
		{true, []string{"500 a ", "503 b 2", "200 ok "}},
	}
	for _, tt := range tests {
		t.Run("accumulate="+strconv.FormatBool(tt.accumulate), func(t *testing.T) {
			s := newFake(t, fakefaults.Config{Accumulate: tt.accumulate})
			s.f.FailNext(fakefaults.Failure{Status: 500, Message: "a"}, 1)
			s.f.FailNext(fakefaults.Failure{Status: 503, Message: "b", RetryAfter: 1500 * time.Millisecond}, 1)
			for i, want := range tt.want {
				if got, err := s.get(context.Background()); err != nil || got != want {
					t.Errorf("call %d: got %q, %v; want %q", i, got, err, want)
				}
			}
		})
	}
}

// A count costs nothing: a fake told to fail "forever" must not allocate
// per call to come.
func TestHugeCountsAreConstant(t *testing.T) {
	for _, accumulate := range []bool{false, true} {
		f := fakefaults.New(fakefaults.Config{Accumulate: accumulate})
		allocs := testing.AllocsPerRun(10, func() {
			f.FailNext(fakefaults.Failure{Status: 500}, 1<<30)
			f.ResetNext(1 << 30)
			f.HangNext(1 << 30)
			f.Recover()
		})
		if allocs > 4 {
			t.Errorf("accumulate=%v: %v allocations for counts of 1<<30", accumulate, allocs)
		}
	}
}

// A reset GET on a reused connection reaches the client as an error: the
// transport does not repeat it unseen.
func TestResetIsNotRetriedByTheClient(t *testing.T) {
	s := newFake(t, fakefaults.Config{})
	if _, err := s.get(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.f.ResetNext(1)
	if got, err := s.get(context.Background()); err == nil {
		t.Errorf("reset call answered %q", got)
	}
	if got := s.calls.Load(); got != 2 {
		t.Errorf("the fake saw %d calls, want 2 (none repeated)", got)
	}
	if got, err := s.get(context.Background()); err != nil || got != "200 ok " {
		t.Errorf("after the reset: got %q, %v", got, err)
	}
}

func TestSeededRateRepeats(t *testing.T) {
	draw := func(f *fakefaults.Faults) string {
		var out []byte
		for range 40 {
			rec := httptest.NewRecorder()
			if f.Inject(rec, httptest.NewRequest(http.MethodGet, "/", nil)) {
				out = append(out, 'x')
			} else {
				out = append(out, '.')
			}
		}
		return string(out)
	}
	newRate := func() *fakefaults.Faults {
		f := fakefaults.New(fakefaults.Config{Seed: 7, WriteFailure: func(w http.ResponseWriter, _ *http.Request, fl fakefaults.Failure) {
			w.WriteHeader(fl.Status)
		}})
		f.SetFailureRate(0.5, 503)
		return f
	}
	a := newRate()
	first := draw(a)
	if second := draw(newRate()); first != second {
		t.Errorf("same seed, different draws: %s and %s", first, second)
	}
	a.Recover()
	a.SetFailureRate(0.5, 503)
	if again := draw(a); again != first {
		t.Errorf("after Recover: %s, want the seed's draws %s again", again, first)
	}
}

// Close releases a hung call, which the client sees dropped, not answered.
func TestCloseDropsHungCalls(t *testing.T) {
	s := newFake(t, fakefaults.Config{})
	s.f.HangNext(1)
	written := make(chan struct{})
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { close(written) }}
	done := make(chan error, 1)
	go func() {
		_, err := s.get(httptrace.WithClientTrace(context.Background(), trace))
		done <- err
	}()
	<-written
	s.f.Close()
	if err := <-done; err == nil {
		t.Errorf("a hung call was answered")
	}
}

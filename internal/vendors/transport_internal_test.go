package vendors

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The time a request waits to be sent is not taken from its exchange: the
// request timeout starts again when it goes out.
func TestTransportTimeoutStartsWhenSent(t *testing.T) {
	const timeout = time.Minute
	tr := NewTransport("uipath", Limits{RequestTimeout: timeout}, nil)
	var left time.Duration
	tr.next = roundTripFunc(func(r *http.Request) (*http.Response, error) {
		deadline, ok := r.Context().Deadline()
		if !ok {
			t.Error("the exchange has no deadline")
		}
		left = time.Until(deadline)
		rec := httptest.NewRecorder()
		rec.WriteHeader(http.StatusOK)
		return rec.Result(), nil
	})
	const pause = 300 * time.Millisecond
	tr.Pause(pause)
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://vendor.invalid/", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// Counted from before the pause, less than timeout-pause would be left.
	if left <= timeout-pause/2 {
		t.Errorf("the exchange had %s of its %s timeout left after a %s pause, want nearly all", left, timeout, pause)
	}
}

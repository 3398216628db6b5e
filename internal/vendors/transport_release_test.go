package vendors_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// trackedBody records whether it was closed.
type trackedBody struct {
	io.Reader
	closed atomic.Bool
}

func (b *trackedBody) Close() error { b.closed.Store(true); return nil }

// A request refused before it is sent (its context ended while it waited
// for a slot) still has its body closed, as http.RoundTripper requires.
func TestTransportClosesTheBodyOfARefusedRequest(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	tr := vendors.NewTransport("v", vendors.Limits{MaxConcurrency: 1}, nil)
	// Take the one slot and keep it: the response body stays open.
	first, err := tr.RoundTrip(httptest.NewRequest(http.MethodGet, srv.URL, nil).WithContext(context.Background()))
	if err != nil {
		t.Fatal(err)
	}
	defer first.Body.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	body := &trackedBody{Reader: strings.NewReader("{}")}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, body)
	if _, err := tr.RoundTrip(req); err == nil {
		t.Fatal("the second request got through a cap of 1 while the first's body was open")
	}
	if !body.closed.Load() {
		t.Errorf("the refused request's body was not closed")
	}
}

// A request holds its slot until its response body is closed: reading the
// answer counts against the cap.
func TestTransportSlotLastsUntilTheBodyIsClosed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	defer srv.Close()
	client := &http.Client{Transport: vendors.NewTransport("v", vendors.Limits{MaxConcurrency: 1}, nil)}
	first, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("a second request went out while the first's body was still open")
	}
	cancel()
	first.Body.Close()
	second, err := client.Get(srv.URL)
	if err != nil {
		t.Fatalf("after the first body was closed: %v", err)
	}
	second.Body.Close()
}

// RequestTimeout bounds the whole exchange: a vendor that sends its headers
// and then stalls the body fails the read, and one that never answers fails
// the request, each with an error that says it timed out.
func TestTransportRequestTimeoutCoversTheBody(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/headers-then-stall" {
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write([]byte("{"))
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	client := vendors.NewHTTPClient("v", vendors.Limits{RequestTimeout: 100 * time.Millisecond}, nil)

	resp, err := client.Get(srv.URL + "/headers-then-stall")
	if err != nil {
		t.Fatalf("headers were sent, yet the request failed: %v", err)
	}
	_, err = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("reading a stalled body: got %v, want the request's deadline", err)
	}

	_, err = client.Get(srv.URL + "/silent")
	var ue *url.Error
	if !errors.As(err, &ue) || !ue.Timeout() {
		t.Errorf("a vendor that never answers: got %v, want a timeout", err)
	}
}

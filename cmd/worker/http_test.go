package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/seatkeeper/seatkeeper/internal/natstest"
)

func TestReadyzBeforeTheConsumerIsBound(t *testing.T) {
	srv := natstest.RunServer(t, nil)
	nc := natstest.Connect(t, srv.ClientURL())
	p := newProbes(nc, prometheus.NewRegistry())
	h := httptest.NewServer(p.handler())
	t.Cleanup(h.Close)

	readyz := func() (int, map[string]string) {
		t.Helper()
		resp, err := http.Get(h.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got map[string]string
		if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, got
	}

	// Connected, but no consumer yet: the worker is alive, not ready.
	code, got := readyz()
	if code != http.StatusServiceUnavailable || got["consumer"] != "unbound" || got["nats"] != "CONNECTED" || got["status"] != "not ready" {
		t.Errorf("/readyz without a consumer = %d %v, want 503, consumer unbound, nats CONNECTED", code, got)
	}
	if resp, err := http.Get(h.URL + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz while not ready = %v, %v; want 200", resp, err)
	} else {
		resp.Body.Close()
	}

	nc.Close()
	code, got = readyz()
	if code != http.StatusServiceUnavailable || got["nats"] != "CLOSED" {
		t.Errorf("/readyz after the connection closed = %d %v, want 503 with nats CLOSED", code, got)
	}

	if resp, err := http.Post(h.URL+"/readyz", "text/plain", nil); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /readyz = %v, %v; want 405", resp, err)
	} else {
		resp.Body.Close()
	}
}

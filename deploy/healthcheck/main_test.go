package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestCheck(t *testing.T) {
	ready := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ready {
			http.Error(w, "nats: disconnected", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	if err := check(context.Background(), srv.URL+"/readyz"); err != nil {
		t.Errorf("ready server: %v", err)
	}
	ready = false
	if err := check(context.Background(), srv.URL+"/readyz"); err == nil {
		t.Error("a 503 passed the check")
	}
	srv.Close()
	if err := check(context.Background(), srv.URL+"/readyz"); err == nil {
		t.Error("a closed server passed the check")
	}
}

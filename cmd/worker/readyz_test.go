package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// An operator's LICENSE_EVENTS refuses results (MaxMsgs reached,
// DiscardNew): /readyz answers 503 naming the cause, /metrics counts the
// failures, and once there is room the command's result lands and the
// worker is ready again.
func TestReadyzNamesAResultStreamThatRefusesResults(t *testing.T) {
	workerEnv(t, t.TempDir())
	w := startWorker(t, "-sandbox")
	nc, err := nats.Connect(w.natsURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	list(t, nc, "before-full")
	ctx := context.Background()
	st, err := js.Stream(ctx, events.EventStream)
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	cfg.MaxMsgs, cfg.Discard = int64(st.CachedInfo().State.Msgs), jetstream.DiscardNew
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	cmd := events.NewCommand(events.SubjectList, "test/hr", "while-full", time.Now(), events.CommandData{
		Vendor: "uipath", Account: uipathtest.DemoAccount, User: uipathtest.DemoAdmin,
	})
	b, _ := json.Marshal(cmd)
	if _, err := js.PublishMsg(ctx, &nats.Msg{Subject: cmd.Type, Data: b, Header: nats.Header{events.HeaderContentType: {events.ContentType}}},
		jetstream.WithMsgID(cmd.ID)); err != nil {
		t.Fatal(err)
	}
	var body string
	testproc.Eventually(t, "/readyz to name the full stream", func() bool {
		var code int
		code, body = w.get("/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "stream_full")
	})
	if _, metrics := w.get("/metrics"); !strings.Contains(metrics, `seatkeeper_result_publish_failures_total{reason="stream_full"}`) {
		t.Errorf("/metrics counts no stream_full publish failure")
	}
	cfg.MaxMsgs = -1
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	testproc.Eventually(t, "the result to land and the worker to be ready", func() bool {
		code, _ := w.get("/readyz")
		return code == http.StatusOK && len(testproc.StoredResults(t, js)["while-full"]) == 1
	})
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/ingress"
	"github.com/seatkeeper/seatkeeper/internal/natstest"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

const (
	ingressToken  = "ingress-token-2f7c9a-must-not-print"
	ingressSecret = "whsec_aW5ncmVzcy1zZWNyZXQtbXVzdC1ub3QtcHJpbnQtOGQ="
)

// post sends body to the worker's ingress through a real HTTP client.
func post(t *testing.T, url string, body []byte, headers map[string]string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// listCommand is a license.list of the UiPath demo admin.
func listCommand(id string) []byte {
	b, _ := json.Marshal(events.NewCommand(events.SubjectList, "hr/ingress-test", id, time.Now(), events.CommandData{
		Vendor: "uipath", Account: uipathtest.DemoAccount, User: uipathtest.DemoAdmin,
	}))
	return b
}

// TestRunIngress sends events in all three modes and both authentication
// schemes to a sandbox worker over HTTP, and waits for the worker's result
// of each, which names the credential that sent it.
func TestRunIngress(t *testing.T) {
	workerEnv(t, t.TempDir())
	t.Setenv("SEATKEEPER_INGRESS_ADDR", "127.0.0.1:0")
	// The tokens from a file, one a line, as a secret store mounts them.
	tokenFile := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(tokenFile, []byte("old:ingress-token-retired-0000000000\nworkday:"+ingressToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SEATKEEPER_INGRESS_TOKEN_FILE", tokenFile)
	t.Setenv("SEATKEEPER_INGRESS_SECRET", "platform:"+ingressSecret)
	w := startWorker(t, "-sandbox")
	addr, _ := w.entry("serving the HTTP ingress")["addr"].(string)
	url := "http://" + addr + ingress.Path

	nc := natstest.Connect(t, w.natsURL)
	sub, err := nc.SubscribeSync("license.>")
	if err != nil {
		t.Fatal(err)
	}
	personSub, err := nc.SubscribeSync("person.>")
	if err != nil {
		t.Fatal(err)
	}
	bearer := map[string]string{"Authorization": "Bearer " + ingressToken, "Content-Type": events.ContentType}

	want := map[string]string{} // command id -> authid its result must carry
	if status, b := post(t, url, listCommand("http-structured"), bearer); status != http.StatusAccepted {
		t.Fatalf("structured: %d %s", status, b)
	}
	want["http-structured"] = "bearer:workday"

	data := []byte(`{"vendor":"uipath","account":"` + uipathtest.DemoAccount + `","user":"` + uipathtest.DemoAdmin + `"}`)
	ts := time.Now().Unix()
	sig, err := ingress.Sign(ingressSecret, "msg_binary", ts, data)
	if err != nil {
		t.Fatal(err)
	}
	status, b := post(t, url, data, map[string]string{
		"Content-Type": "application/json", "ce-specversion": "1.0", "ce-type": events.SubjectList,
		"ce-id": "http-binary", "ce-source": "hr%2Fplatform",
		"webhook-id": "msg_binary", "webhook-timestamp": strconv.FormatInt(ts, 10), "webhook-signature": sig,
	})
	if status != http.StatusAccepted {
		t.Fatalf("binary: %d %s", status, b)
	}
	want["http-binary"] = "webhook:platform"

	batch := []byte("[" + string(listCommand("http-batch-1")) + "," + string(listCommand("http-batch-2")) + "]")
	if status, b := post(t, url, batch, map[string]string{"Authorization": "Bearer " + ingressToken, "Content-Type": "application/cloudevents-batch+json"}); status != http.StatusAccepted {
		t.Fatalf("batched: %d %s", status, b)
	}
	want["http-batch-1"], want["http-batch-2"] = "bearer:workday", "bearer:workday"

	person, _ := json.Marshal(events.NewPersonEvent(events.SubjectPersonJoined, "hr/bamboohr", "http-person", time.Now(),
		events.PersonData{Person: "E9001", Email: "nobody-9001@example.com", Attributes: map[string]any{"department": "Sales"}}))
	if status, b := post(t, url, person, bearer); status != http.StatusAccepted {
		t.Fatalf("person event: %d %s", status, b)
	}

	status, b = post(t, url, listCommand("http-structured"), bearer)
	var again ingress.Answer
	if err := json.Unmarshal(b, &again); err != nil || status != http.StatusAccepted || !again.Duplicate {
		t.Errorf("the same id again: %d %s; want 202 marked duplicate", status, b)
	}

	deadline := time.Now().Add(60 * time.Second)
	for len(want) > 0 {
		m, err := sub.NextMsg(time.Until(deadline))
		if err != nil {
			t.Fatalf("no result for %v: %v\n%s", want, err, w.output())
		}
		var res events.Result
		if json.Unmarshal(m.Data, &res) != nil {
			continue
		}
		authID, ok := want[res.Data.CommandID]
		if !ok {
			continue
		}
		if res.Type != events.SubjectListed || res.Data.CommandAuthID != authID {
			t.Errorf("result of %s: %s, command_authid %q; want %s naming %s", res.Data.CommandID, res.Type, res.Data.CommandAuthID, events.SubjectListed, authID)
		}
		delete(want, res.Data.CommandID)
	}
	// The person event is reconciled (the sandbox loads the example policy).
	for {
		m, err := personSub.NextMsg(time.Until(deadline))
		if err != nil {
			t.Fatalf("no outcome for the person event: %v\n%s", err, w.output())
		}
		var res events.PersonResult
		if json.Unmarshal(m.Data, &res) == nil && res.Data.EventID == "http-person" {
			break
		}
	}
	// The duplicate made no second command.
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(context.Background(), events.CommandStream)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.CachedInfo().State.Msgs; got != 4 {
		t.Errorf("%s holds %d commands, want 4: one per id", events.CommandStream, got)
	}

	_, metrics := w.get("/metrics")
	if !strings.Contains(metrics, `seatkeeper_ingress_events_total{outcome="accepted",type="license.list"} 4`) {
		t.Errorf("/metrics lacks 4 accepted license.list events:\n%s", grepLines(metrics, "seatkeeper_ingress"))
	}
	if err := w.stop(); err != nil {
		t.Errorf("run: %v", err)
	}
	assertNoSecrets(t, "the worker's output", w.output(), ingressToken, ingressSecret, strings.TrimPrefix(ingressSecret, "whsec_"))
}

func grepLines(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestRunIngressRefusesBadConfig checks that a worker asked to serve the
// ingress with no way for a caller to authenticate does not start, and says
// which variables to set.
func TestRunIngressRefusesBadConfig(t *testing.T) {
	workerEnv(t, t.TempDir())
	t.Setenv("SEATKEEPER_INGRESS_ADDR", "127.0.0.1:0")
	err := run(context.Background(), []string{"-sandbox"}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "SEATKEEPER_INGRESS_TOKEN") {
		t.Errorf("run = %v, want an error naming SEATKEEPER_INGRESS_TOKEN", err)
	}
}

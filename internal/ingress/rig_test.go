package ingress_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/ingress"
	"github.com/seatkeeper/seatkeeper/internal/natstest"
)

// Recognisable credentials: none may appear in a log line or an answer.
const (
	workdayToken   = "tok-workday-must-not-print-5b1e"
	rotatedToken   = "tok-rotated-must-not-print-9c3a"
	bamboohrKey    = "whsec_YmFtYm9vaHItc2VjcmV0LW11c3Qtbm90LXByaW50LTc3"
	bamboohrKeyB64 = "YmFtYm9vaHItc2VjcmV0LW11c3Qtbm90LXByaW50LTc3"
)

// rig is the ingress handler served over loopback HTTP in front of a real
// in-process nats-server whose streams the worker's own setup created.
type rig struct {
	t    *testing.T
	srv  *server.Server
	js   jetstream.JetStream
	url  string
	logs *observer.ObservedLogs
	reg  *prometheus.Registry

	mu  sync.Mutex
	now time.Time // the handler's clock
}

func newRig(t *testing.T, configure ...func(*ingress.Options)) *rig {
	t.Helper()
	r := &rig{t: t, now: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)}
	r.srv = natstest.RunServer(t, nil)
	nc := natstest.Connect(t, r.srv.ClientURL(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	r.js = js
	ctx := context.Background()
	if _, err := consumer.Setup(ctx, js, consumer.DefaultSettings(4)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := consumer.SetupPeople(ctx, js, consumer.DefaultSettings(4)); err != nil {
		t.Fatal(err)
	}
	guard, err := ingress.NewKVReplayGuard(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	core, logs := observer.New(zap.DebugLevel)
	r.logs = logs
	r.reg = prometheus.NewRegistry()
	tokens, err := ingress.ParseTokens("workday:" + workdayToken + ",rotated:" + rotatedToken)
	if err != nil {
		t.Fatal(err)
	}
	secrets, err := ingress.ParseSecrets("bamboohr:" + bamboohrKey)
	if err != nil {
		t.Fatal(err)
	}
	opts := ingress.Options{
		Tokens: tokens, Secrets: secrets, Rate: 1000, Burst: 1000, PublishTimeout: 2 * time.Second,
		Publisher: &ingress.JetStreamPublisher{JS: js}, Replay: guard,
		Metrics: ingress.NewMetrics(r.reg), Logger: zap.New(core), Now: r.clock,
	}
	for _, c := range configure {
		c(&opts)
	}
	h, err := ingress.NewHandler(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	r.url = hs.URL + ingress.Path
	return r
}

func (r *rig) clock() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.now
}

func (r *rig) advance(d time.Duration) {
	r.mu.Lock()
	r.now = r.now.Add(d)
	r.mu.Unlock()
}

// reply is an answer as a sender sees it.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (rp reply) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(rp.body, v); err != nil {
		t.Fatalf("answer %d is not JSON: %v\n%s", rp.status, err, rp.body)
	}
}

// send posts body with headers through a real HTTP client.
func (r *rig) send(method string, body []byte, headers map[string]string) reply {
	r.t.Helper()
	req, err := http.NewRequest(method, r.url, bytes.NewReader(body))
	if err != nil {
		r.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatalf("%s %s: %v", method, r.url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		r.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// bearer returns headers for a structured event sent with token.
func bearer(token string) map[string]string {
	return map[string]string{"Content-Type": "application/cloudevents+json", "Authorization": "Bearer " + token}
}

// signed returns headers for a structured event signed with the BambooHR
// secret at ts.
func signed(t *testing.T, webhookID string, ts time.Time, body []byte) map[string]string {
	t.Helper()
	sig, err := ingress.Sign(bamboohrKey, webhookID, ts.Unix(), body)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"Content-Type": "application/cloudevents+json", "webhook-id": webhookID,
		"webhook-timestamp": strconv.FormatInt(ts.Unix(), 10), "webhook-signature": sig,
	}
}

// stored returns how many messages LICENSE_COMMANDS holds.
func (r *rig) stored() uint64 {
	r.t.Helper()
	s, err := r.js.Stream(context.Background(), events.CommandStream)
	if err != nil {
		r.t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		r.t.Fatal(err)
	}
	return info.State.Msgs
}

// message returns the message stored in LICENSE_COMMANDS at seq.
func (r *rig) message(seq uint64) *jetstream.RawStreamMsg {
	r.t.Helper()
	return r.messageIn(events.CommandStream, seq)
}

// messageIn returns the message stored in stream at seq.
func (r *rig) messageIn(stream string, seq uint64) *jetstream.RawStreamMsg {
	r.t.Helper()
	s, err := r.js.Stream(context.Background(), stream)
	if err != nil {
		r.t.Fatal(err)
	}
	m, err := s.GetMsg(context.Background(), seq)
	if err != nil {
		r.t.Fatalf("message %d: %v", seq, err)
	}
	return m
}

// assertNoSecrets checks that no credential appears in the log or in text.
func (r *rig) assertNoSecrets(text string) {
	r.t.Helper()
	var all strings.Builder
	for _, e := range r.logs.All() {
		all.WriteString(e.Message)
		for k, v := range e.ContextMap() {
			all.WriteString(" " + k + "=")
			b, _ := json.Marshal(v)
			all.Write(b)
		}
		all.WriteString("\n")
	}
	for _, s := range []string{workdayToken, rotatedToken, bamboohrKey, bamboohrKeyB64} {
		if strings.Contains(all.String(), s) || strings.Contains(text, s) {
			r.t.Errorf("a credential (%.8s…) appears in the log or an answer", s)
		}
	}
}

// command returns a license command in structured JSON.
func command(typ, id string, data events.CommandData) []byte {
	b, _ := json.Marshal(events.NewCommand(typ, "hr/test", id, time.Date(2026, 12, 1, 8, 59, 0, 0, time.UTC), data))
	return b
}

func assign(id, user string) []byte {
	return command(events.SubjectAssign, id, events.CommandData{Vendor: "uipath", User: user, Licenses: []string{"RPADEVNU"}})
}

// counter returns the value of the counter name with the label pairs.
func (r *rig) counter(name string, labels ...string) float64 {
	r.t.Helper()
	families, err := r.reg.Gather()
	if err != nil {
		r.t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if got[labels[i]] != labels[i+1] {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// joined returns a person.joined event in structured JSON.
func joined(id, person string) []byte {
	b, _ := json.Marshal(events.NewPersonEvent(events.SubjectPersonJoined, "hr/bamboohr", id, time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC),
		events.PersonData{Person: person, Email: person + "@example.com", Attributes: map[string]any{"department": "Engineering"}}))
	return b
}

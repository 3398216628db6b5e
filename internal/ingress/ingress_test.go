package ingress_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/ingress"
)

// checkStored checks that the answer for one event names where it is, and
// that the stored message is the event as the worker decodes it, with
// Nats-Msg-Id = its id and the credential's name in authid.
func checkStored(t *testing.T, r *rig, a ingress.Answer, id, authID string) {
	t.Helper()
	if a.Status != http.StatusAccepted || a.Stream != events.CommandStream || a.Seq == 0 || a.ID != id {
		t.Fatalf("answer %+v: want 202 for %s with its %s sequence", a, id, events.CommandStream)
	}
	m := r.message(a.Seq)
	if got := m.Header.Get(jetstream.MsgIDHeader); got != id {
		t.Errorf("Nats-Msg-Id = %q, want %q", got, id)
	}
	cmd, err := events.DecodeCommand(m.Subject, m.Data)
	if err != nil {
		t.Fatalf("the worker refuses the stored event: %v\n%s", err, m.Data)
	}
	if cmd.ID != id || cmd.AuthID != authID || cmd.AuthType != "api_key" {
		t.Errorf("stored id %q authid %q authtype %q; want %q, %q, api_key", cmd.ID, cmd.AuthID, cmd.AuthType, id, authID)
	}
}

func TestStructuredBinaryAndBatchedEventsAreStored(t *testing.T) {
	r := newRig(t)

	t.Run("structured, bearer token", func(t *testing.T) {
		rp := r.send("POST", assign("s-1", "ana"), bearer(workdayToken))
		var a ingress.Answer
		rp.decode(t, &a)
		checkStored(t, r, a, "s-1", "bearer:workday")
	})

	t.Run("structured, rotated token", func(t *testing.T) {
		rp := r.send("POST", assign("s-2", "ana"), bearer(rotatedToken))
		var a ingress.Answer
		rp.decode(t, &a)
		checkStored(t, r, a, "s-2", "bearer:rotated")
	})

	t.Run("structured, webhook signature, forged authid replaced", func(t *testing.T) {
		body := []byte(strings.Replace(string(assign("s-3", "ana")), `"specversion"`, `"authid":"bearer:admin","specversion"`, 1))
		rp := r.send("POST", body, signed(t, "msg_s3", r.clock(), body))
		var a ingress.Answer
		rp.decode(t, &a)
		checkStored(t, r, a, "s-3", "webhook:bamboohr")
	})

	t.Run("binary, percent-encoded headers", func(t *testing.T) {
		rp := r.send("POST", []byte(`{"vendor":"uipath","user":"bo","licenses":["RPADEVNU"]}`), map[string]string{
			"Authorization": "Bearer " + workdayToken, "Content-Type": "application/json; charset=utf-8",
			"ce-specversion": "1.0", "ce-type": "license.assign", "ce-id": "b-1%20%E2%9C%93",
			"ce-source": "hr%2Fworkday", "ce-time": "2026-12-01T08:59:00Z",
		})
		var a ingress.Answer
		rp.decode(t, &a)
		checkStored(t, r, a, "b-1 ✓", "bearer:workday")
		if cmd, _ := events.DecodeCommand(events.SubjectAssign, r.message(a.Seq).Data); cmd.Source != "hr/workday" || cmd.Data.User != "bo" {
			t.Errorf("source %q, user %q: want the decoded header and the body", cmd.Source, cmd.Data.User)
		}
	})

	t.Run("batched", func(t *testing.T) {
		body := []byte("[" + string(assign("batch-1", "cy")) + ",\n" +
			string(command(events.SubjectList, "batch-2", events.CommandData{Vendor: "m365"})) + "]")
		rp := r.send("POST", body, map[string]string{"Content-Type": "application/cloudevents-batch+json", "Authorization": "Bearer " + workdayToken})
		if rp.status != http.StatusAccepted {
			t.Fatalf("status %d: %s", rp.status, rp.body)
		}
		var got ingress.Accepted
		rp.decode(t, &got)
		if len(got.Events) != 2 {
			t.Fatalf("%d answers, want one per event: %s", len(got.Events), rp.body)
		}
		checkStored(t, r, got.Events[0], "batch-1", "bearer:workday")
		checkStored(t, r, got.Events[1], "batch-2", "bearer:workday")
	})

	t.Run("person events, alone and in a batch with a command", func(t *testing.T) {
		body := joined("p-1", "E1042")
		var a ingress.Answer
		r.send("POST", body, signed(t, "msg_p1", r.clock(), body)).decode(t, &a)
		batch := []byte("[" + string(joined("p-2", "E1043")) + "," + string(assign("p-3", "dee")) + "]")
		var got ingress.Accepted
		r.send("POST", batch, map[string]string{"Content-Type": "application/cloudevents-batch+json", "Authorization": "Bearer " + workdayToken}).decode(t, &got)
		if len(got.Events) != 2 {
			t.Fatalf("batch answers %+v, want two", got.Events)
		}
		checkStored(t, r, got.Events[1], "p-3", "bearer:workday")
		for _, a := range []ingress.Answer{a, got.Events[0]} {
			if a.Status != http.StatusAccepted || a.Stream != events.PeopleStream {
				t.Fatalf("answer %+v: want 202 in %s", a, events.PeopleStream)
			}
			m := r.messageIn(events.PeopleStream, a.Seq)
			if _, err := events.DecodePersonEvent(m.Subject, m.Data); err != nil || m.Header.Get(jetstream.MsgIDHeader) != a.ID {
				t.Errorf("stored person event %s: %v, Nats-Msg-Id %q", a.ID, err, m.Header.Get(jetstream.MsgIDHeader))
			}
			if !strings.Contains(string(m.Data), `"authid":"`) {
				t.Errorf("stored person event %s has no authid: %s", a.ID, m.Data)
			}
		}
	})

	if got := r.counter("seatkeeper_ingress_events_total", "type", events.SubjectAssign, "outcome", "accepted"); got != 6 {
		t.Errorf("events accepted for license.assign = %v, want 6", got)
	}
	if got := r.counter("seatkeeper_ingress_requests_total", "method", "POST", "status", "202"); got != 7 {
		t.Errorf("POST requests answered 202 = %v, want 7", got)
	}
	r.assertNoSecrets("")
}

func TestSameIDTwiceIsOneCommand(t *testing.T) {
	r := newRig(t)
	var first, second ingress.Answer
	r.send("POST", assign("dup-1", "ana"), bearer(workdayToken)).decode(t, &first)
	rp := r.send("POST", assign("dup-1", "ana"), bearer(rotatedToken))
	rp.decode(t, &second)
	if first.Status != 202 || first.Duplicate || second.Status != 202 || !second.Duplicate || second.Seq != first.Seq {
		t.Errorf("answers %+v then %+v: want 202 twice, the second a duplicate of the same sequence", first, second)
	}
	if got := r.stored(); got != 1 {
		t.Errorf("the stream holds %d messages, want 1", got)
	}
}

func TestRefusedCredentialsPublishNothing(t *testing.T) {
	r := newRig(t)
	body := assign("auth-1", "ana")
	replayed := assign("auth-replayed", "ana")
	hs := signed(t, "msg_replayed", r.clock(), replayed)
	if rp := r.send("POST", replayed, hs); rp.status != http.StatusAccepted {
		t.Fatalf("first delivery: %d %s", rp.status, rp.body)
	}
	before := r.stored()
	badSig := signed(t, "msg_1", r.clock(), body)
	badSig["webhook-signature"] = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
	tests := []struct {
		name    string
		body    []byte
		headers map[string]string
		detail  string
	}{
		{"no credentials", body, map[string]string{"Content-Type": "application/cloudevents+json"}, "no credentials"},
		{"wrong token", body, bearer("tok-guess-0000000000000000"), "bearer token is not accepted"},
		{"token of another service", body, map[string]string{"Content-Type": "application/cloudevents+json", "Authorization": "Basic " + workdayToken}, "not a Bearer token"},
		{"bad signature", body, badSig, "no v1 signature"},
		{"signature over another body", assign("auth-2", "ana"), signed(t, "msg_2", r.clock(), body), "no v1 signature"},
		{"timestamp 10 minutes old", body, signed(t, "msg_3", r.clock().Add(-10*time.Minute), body), "5 minutes"},
		{"timestamp 10 minutes ahead", body, signed(t, "msg_4", r.clock().Add(10*time.Minute), body), "5 minutes"},
		{"replayed webhook id", replayed, hs, "replay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rp := r.send("POST", tt.body, tt.headers)
			var p ingress.Problem
			rp.decode(t, &p)
			if rp.status != http.StatusUnauthorized || !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("answer %d %q, want 401 saying %q", rp.status, p.Detail, tt.detail)
			}
			if ct := rp.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q, want application/problem+json", ct)
			}
			if rp.header.Get("WWW-Authenticate") == "" {
				t.Error("no WWW-Authenticate challenge")
			}
			r.assertNoSecrets(string(rp.body))
		})
	}
	if got := r.stored(); got != before {
		t.Errorf("the stream holds %d messages after the refusals, want %d", got, before)
	}
}

func TestOversizedIs413(t *testing.T) {
	r := newRig(t)
	big := command(events.SubjectAssign, "big-1", events.CommandData{Vendor: "uipath", User: "ana", Licenses: []string{"A"},
		Reason: strings.Repeat("r", 1000)})
	padded := strings.Replace(string(big), `"specversion"`, `"padding":"`+strings.Repeat("p", ingress.MaxEventBytes)+`","specversion"`, 1)
	batch := "[" + strings.Repeat(string(assign("many", "ana"))+",", ingress.MaxBatchBytes/len(assign("many", "ana"))) + string(assign("many", "ana")) + "]"
	tests := []struct {
		name    string
		body    string
		headers map[string]string
	}{
		{"event over 64 KiB", padded, bearer(workdayToken)},
		{"batched event over 64 KiB", "[" + padded + "]", map[string]string{"Content-Type": "application/cloudevents-batch+json", "Authorization": "Bearer " + workdayToken}},
		{"batch over 1 MiB", batch, map[string]string{"Content-Type": "application/cloudevents-batch+json", "Authorization": "Bearer " + workdayToken}},
		{"binary data over 64 KiB", `{"vendor":"uipath","user":"ana","licenses":["A"],"reason":"` + strings.Repeat("r", ingress.MaxEventBytes) + `"}`,
			map[string]string{"Authorization": "Bearer " + workdayToken, "Content-Type": "application/json", "ce-specversion": "1.0",
				"ce-type": "license.assign", "ce-id": "big-2", "ce-source": "hr"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if rp := r.send("POST", []byte(tt.body), tt.headers); rp.status != http.StatusRequestEntityTooLarge {
				t.Errorf("status %d (%.200s), want 413", rp.status, rp.body)
			}
		})
	}
	if got := r.stored(); got != 0 {
		t.Errorf("the stream holds %d messages, want none", got)
	}
}

func TestInvalidIs400NamingTheField(t *testing.T) {
	r := newRig(t)
	noVendor := command(events.SubjectAssign, "inv-1", events.CommandData{User: "ana", Licenses: []string{"A"}})
	batchHeaders := map[string]string{"Content-Type": "application/cloudevents-batch+json", "Authorization": "Bearer " + workdayToken}
	tests := []struct {
		name    string
		body    string
		headers map[string]string
		field   string
		index   int // of the invalid event in a batch, -1 for none
	}{
		{"vendor missing", string(noVendor), bearer(workdayToken), "data.vendor", -1},
		{"unknown vendor", string(command(events.SubjectList, "inv-2", events.CommandData{Vendor: "oracle"})), bearer(workdayToken), "data.vendor", -1},
		{"type not taken", strings.Replace(string(assign("inv-3", "ana")), "license.assign", "license.revoke", 1), bearer(workdayToken), "type", -1},
		{"person without person", strings.Replace(string(joined("inv-5", "E1")), `"person":"E1",`, "", 1), bearer(workdayToken), "data.person", -1},
		{"binary without ce-id", `{"vendor":"uipath","user":"ana","licenses":["A"]}`, map[string]string{
			"Authorization": "Bearer " + workdayToken, "Content-Type": "application/json",
			"ce-specversion": "1.0", "ce-type": "license.assign", "ce-source": "hr"}, "id", -1},
		{"one bad event in a batch", "[" + string(assign("inv-4", "ana")) + "," + string(noVendor) + "]", batchHeaders, "data.vendor", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rp := r.send("POST", []byte(tt.body), tt.headers)
			var p ingress.Problem
			rp.decode(t, &p)
			if rp.status != http.StatusBadRequest || rp.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("answer %d %s, want 400 application/problem+json", rp.status, rp.header.Get("Content-Type"))
			}
			if p.Field != tt.field || !strings.Contains(p.Detail, tt.field) {
				t.Errorf("field %q, detail %q: want both to name %s", p.Field, p.Detail, tt.field)
			}
			if tt.index >= 0 {
				if len(p.Events) != 2 || p.Events[tt.index].Field != tt.field || p.Events[1-tt.index].Status == http.StatusAccepted {
					t.Errorf("events %+v: want one answer per event, the bad one naming %s, none accepted", p.Events, tt.field)
				}
			}
		})
	}
	if got := r.stored(); got != 0 {
		t.Errorf("the stream holds %d messages, want none: all or nothing", got)
	}
}

func TestJetStreamUnavailableIs503(t *testing.T) {
	r := newRig(t, func(o *ingress.Options) { o.PublishTimeout = time.Second })
	body := assign("down-1", "ana")
	hs := signed(t, "msg_down", r.clock(), body)

	if err := r.js.DeleteStream(context.Background(), events.CommandStream); err != nil {
		t.Fatal(err)
	}
	rp := r.send("POST", body, hs)
	if rp.status != http.StatusServiceUnavailable || rp.header.Get("Retry-After") == "" {
		t.Fatalf("with no stream: %d, Retry-After %q; want 503 with Retry-After", rp.status, rp.header.Get("Retry-After"))
	}
	// The sender's retry of the same delivery is taken once JetStream is
	// back: a 503 does not use up the webhook id.
	if _, err := r.js.CreateStream(context.Background(), jetstream.StreamConfig{Name: events.CommandStream, Subjects: events.CommandSubjects}); err != nil {
		t.Fatal(err)
	}
	if rp := r.send("POST", body, hs); rp.status != http.StatusAccepted {
		t.Fatalf("the retry after the stream came back: %d %s", rp.status, rp.body)
	}

	r.srv.Shutdown()
	r.srv.WaitForShutdown()
	rp = r.send("POST", assign("down-2", "ana"), bearer(workdayToken))
	if rp.status != http.StatusServiceUnavailable || rp.header.Get("Retry-After") != "5" {
		t.Fatalf("with the server down: %d, Retry-After %q; want 503 with Retry-After 5", rp.status, rp.header.Get("Retry-After"))
	}
}

func TestRateLimitIs429(t *testing.T) {
	r := newRig(t, func(o *ingress.Options) { o.Rate, o.Burst = 1, 2 })
	for i, want := range []int{202, 202, 429} {
		rp := r.send("POST", assign("rate-"+string(rune('a'+i)), "ana"), bearer(workdayToken))
		if rp.status != want {
			t.Fatalf("request %d: %d, want %d", i+1, rp.status, want)
		}
		if want == 429 && rp.header.Get("Retry-After") != "1" {
			t.Errorf("Retry-After %q, want 1", rp.header.Get("Retry-After"))
		}
	}
	if rp := r.send("POST", assign("rate-other", "ana"), bearer(rotatedToken)); rp.status != http.StatusAccepted {
		t.Errorf("another client: %d, want 202: limits are per client", rp.status)
	}
	r.advance(time.Second)
	if rp := r.send("POST", assign("rate-later", "ana"), bearer(workdayToken)); rp.status != http.StatusAccepted {
		t.Errorf("a second later: %d, want 202", rp.status)
	}
}

func TestValidationHandshake(t *testing.T) {
	r := newRig(t, func(o *ingress.Options) { o.Rate = 2 })
	rp := r.send("OPTIONS", nil, map[string]string{"WebHook-Request-Origin": "eventemitter.example.com", "WebHook-Request-Rate": "600"})
	if rp.status != http.StatusOK {
		t.Fatalf("status %d, want 200", rp.status)
	}
	for name, want := range map[string]string{
		"WebHook-Allowed-Origin": "eventemitter.example.com", "WebHook-Allowed-Rate": "120", "Allow": "POST, OPTIONS",
	} {
		if got := rp.header.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	rp = r.send("OPTIONS", nil, map[string]string{"WebHook-Request-Origin": "a.example.com", "WebHook-Request-Rate": "30"})
	if got := rp.header.Get("WebHook-Allowed-Rate"); got != "30" {
		t.Errorf("asked for 30 a minute: allowed %q, want 30", got)
	}
}

// TestRefusedDeliveryIsJudgedAgain checks that only stored deliveries count
// against replays: the sender's retry of a signed delivery refused as
// invalid is refused as invalid again, not as a replay.
func TestRefusedDeliveryIsJudgedAgain(t *testing.T) {
	r := newRig(t)
	body := command(events.SubjectAssign, "again-1", events.CommandData{User: "ana", Licenses: []string{"A"}})
	hs := signed(t, "msg_again", r.clock(), body)
	for i := range 2 {
		if rp := r.send("POST", body, hs); rp.status != http.StatusBadRequest {
			t.Errorf("delivery %d: %d %s, want 400", i+1, rp.status, rp.body)
		}
	}
}

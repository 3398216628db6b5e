package ingress

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// encodeHeaderValue percent-encodes v as the binding tells senders to.
func encodeHeaderValue(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c <= ' ' || c == '"' || c == '%' || c > '~' {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// FuzzBinaryHeaders feeds arbitrary ce-* header values and bodies to the
// binary-mode decoding: it must never panic, a value it decodes must be
// UTF-8 and survive the binding's encoding and decoding again, and an event
// it builds must be a JSON object carrying the decoded values.
func FuzzBinaryHeaders(f *testing.F) {
	f.Add("hr%2Fworkday", "wd-1", "license.assign", `{"vendor":"uipath","user":"u","licenses":["A"]}`)
	f.Add(`"quoted \"source\""`, "Euro%20%E2%82%AC%20%F0%9F%98%80", "license.list", `{"vendor":"m365"}`)
	f.Add("%C0%A0", "%", `"`, `[`)
	f.Add("a%zzb", `"x\`, "%e2%82", "null")
	f.Fuzz(func(t *testing.T, source, id, typ, body string) {
		for _, v := range []string{source, id, typ} {
			got, err := decodeHeaderValue(v)
			if err != nil {
				continue
			}
			if !utf8.ValidString(got) {
				t.Fatalf("decodeHeaderValue(%q) = %q: not UTF-8", v, got)
			}
			if again, err := decodeHeaderValue(encodeHeaderValue(got)); err != nil || again != got {
				t.Fatalf("round trip of %q: %q, %v", got, again, err)
			}
		}
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		h.Set("ce-specversion", "1.0")
		h.Set("ce-source", source)
		h.Set("ce-id", id)
		h.Set("ce-type", typ)
		ev, err := binaryEvent(h, []byte(body))
		if err != nil {
			if _, ok := err.(*requestError); !ok {
				t.Fatalf("binaryEvent error %T %v: want a *requestError", err, err)
			}
			return
		}
		var got map[string]json.RawMessage
		if err := json.Unmarshal(ev, &got); err != nil {
			t.Fatalf("binaryEvent built %q: not a JSON object: %v", ev, err)
		}
		var gotSource string
		want, _ := decodeHeaderValue(source)
		if err := json.Unmarshal(got["source"], &gotSource); err != nil || gotSource != want {
			t.Fatalf("source %q, want %q (%v)", gotSource, want, err)
		}
		// Whatever the headers, the worker's decoder judges the event
		// without panicking.
		_, _ = DefaultKinds().prepare(ev, Credential{Scheme: "bearer", Name: "fuzz"})
	})
}

// FuzzBatch feeds arbitrary bodies to the batch parser and the event
// preparation: no panic; a batch it splits holds only JSON objects within
// the event limit; an event it prepares is one the worker decodes, naming
// the credential.
func FuzzBatch(f *testing.F) {
	cmd, _ := json.Marshal(events.NewCommand(events.SubjectAssign, "hr/workday", "wd-1", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
		events.CommandData{Vendor: "uipath", User: "u", Licenses: []string{"A"}}))
	f.Add(`[` + string(cmd) + `]`)
	f.Add(`[` + string(cmd) + `,` + string(cmd) + `]`)
	f.Add(`[{"specversion":"1.0","type":"license.list","id":"x","source":"s","data":{"vendor":"m365"},"authid":"forged"}]`)
	f.Add(`[]`)
	f.Add(`[{"id":"a","id":"b"}]`)
	f.Add(`[1, "x", null, {}]`)
	f.Add(`{"not":"a batch"}`)
	f.Fuzz(func(t *testing.T, body string) {
		batch, err := splitBatch([]byte(body))
		if err != nil {
			return
		}
		for i, raw := range batch {
			if len(raw) > MaxEventBytes || raw[0] != '{' {
				t.Fatalf("event %d of the batch: %d bytes starting %q", i, len(raw), raw[0])
			}
			ev, err := DefaultKinds().prepare(raw, Credential{Scheme: "webhook", Name: "fuzz"})
			if err != nil {
				continue
			}
			cmd, err := events.DecodeCommand(ev.Type, ev.Payload)
			if err != nil {
				t.Fatalf("prepared event %d is refused by the worker: %v", i, err)
			}
			if cmd.AuthID != "webhook:fuzz" || cmd.AuthType != authTypeAPIKey || cmd.ID != ev.ID {
				t.Fatalf("prepared event %d: authid %q, authtype %q, id %q; want webhook:fuzz, api_key, %q", i, cmd.AuthID, cmd.AuthType, cmd.ID, ev.ID)
			}
		}
	})
}

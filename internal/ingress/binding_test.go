package ingress

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

func TestDecodeHeaderValue(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{in: "hr/workday", want: "hr/workday"},
		// The binding's own example.
		{in: "Euro%20%E2%82%AC%20%F0%9F%98%80", want: "Euro € 😀"},
		{in: "euro%e2%82%ac", want: "euro€"},
		{in: "%41%42", want: "AB"}, // needlessly encoded: accepted
		{in: `"hr workday"`, want: "hr workday"},
		{in: `"a \"quoted\" \\ value"`, want: `a "quoted" \ value`},
		{in: `"100%25"`, want: "100%"}, // unquoted first, then decoded
		{in: "%C0%A0", bad: true},      // overlong encoding of a space
		{in: "%FF", bad: true},
		{in: "50%", bad: true},
		{in: "%4", bad: true},
		{in: "%zz", bad: true},
		{in: `"unterminated`, bad: true},
		{in: `"a"b`, bad: true},
		{in: `"ends in \`, bad: true},
	}
	for _, tt := range tests {
		got, err := decodeHeaderValue(tt.in)
		if tt.bad {
			if err == nil {
				t.Errorf("decodeHeaderValue(%q) = %q, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("decodeHeaderValue(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestModeOf(t *testing.T) {
	tests := []struct {
		contentType string
		ceHeader    bool
		want        mode
		status      int
	}{
		{"application/cloudevents+json", false, modeStructured, 0},
		{"application/cloudevents+json; charset=UTF-8", false, modeStructured, 0},
		{"application/cloudevents-batch+json", false, modeBatch, 0},
		{"application/json", true, modeBinary, 0},
		{"", true, modeBinary, 0},
		{"application/cloudevents+avro", true, 0, http.StatusUnsupportedMediaType},
		{"application/json", false, 0, http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.contentType != "" {
			h.Set("Content-Type", tt.contentType)
		}
		if tt.ceHeader {
			h.Set("Ce-Specversion", "1.0")
		}
		got, err := modeOf(h)
		if tt.status != 0 {
			re, ok := err.(*requestError)
			if !ok || re.status != tt.status {
				t.Errorf("modeOf(%q, ce %v) = %v, %v; want status %d", tt.contentType, tt.ceHeader, got, err, tt.status)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("modeOf(%q, ce %v) = %v, %v; want %v", tt.contentType, tt.ceHeader, got, err, tt.want)
		}
	}
}

func TestBinaryEvent(t *testing.T) {
	h := http.Header{}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("ce-specversion", "1.0")
	h.Set("ce-type", "license.assign")
	h.Set("ce-source", "hr%2Fworkday%20EU")
	h.Set("ce-id", "wd-1")
	h.Set("ce-traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	got, err := binaryEvent(h, []byte(` {"vendor":"uipath","user":"u","licenses":["A"]} `))
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(got, &ev); err != nil {
		t.Fatalf("not JSON: %s", got)
	}
	for name, want := range map[string]string{
		"specversion": "1.0", "type": "license.assign", "source": "hr/workday EU", "id": "wd-1",
		"datacontenttype": "application/json; charset=utf-8",
		"traceparent":     "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
	} {
		if ev[name] != want {
			t.Errorf("%s = %v, want %q", name, ev[name], want)
		}
	}
	if data, _ := ev["data"].(map[string]any); data["vendor"] != "uipath" {
		t.Errorf("data = %v, want the body", ev["data"])
	}

	for name, mutate := range map[string]func(http.Header){
		"ce-datacontenttype set": func(h http.Header) { h.Set("ce-datacontenttype", "application/json") },
		"ce-id twice":            func(h http.Header) { h.Add("ce-id", "wd-2") },
		"attribute not lower":    func(h http.Header) { h.Set("ce-trace_parent", "x") },
		"bad percent":            func(h http.Header) { h.Set("ce-source", "hr%") },
		"text data":              func(h http.Header) { h.Set("Content-Type", "text/plain") },
	} {
		hh := h.Clone()
		mutate(hh)
		if _, err := binaryEvent(hh, []byte(`{}`)); err == nil {
			t.Errorf("%s: binaryEvent accepted it", name)
		}
	}
	if _, err := binaryEvent(h, []byte(`{"vendor":`)); err == nil {
		t.Error("binaryEvent accepted a body that is not JSON")
	}
}

func TestSplitBatch(t *testing.T) {
	for body, status := range map[string]int{
		`[]`:                            0,
		` [ {"id":"a"} , {"id":"b"} ] `: 0,
		`{"id":"a"}`:                    http.StatusBadRequest,
		`[{"id":"a"},`:                  http.StatusBadRequest,
		`[{"id":"a"}, 7]`:               http.StatusBadRequest,
		`[{"id":"a"}, null]`:            http.StatusBadRequest,
		`[{"pad":"` + string(make([]byte, 0)) + padding(MaxEventBytes) + `"}]`: http.StatusRequestEntityTooLarge,
	} {
		_, err := splitBatch([]byte(body))
		got := 0
		if re, ok := err.(*requestError); ok {
			got = re.status
		} else if err != nil {
			got = -1
		}
		if got != status {
			t.Errorf("splitBatch(%.40q) status %d (%v), want %d", body, got, err, status)
		}
	}
}

func padding(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'x'
	}
	return string(b)
}

func TestLimiter(t *testing.T) {
	l := newLimiter(2, 3) // 2 a second, 3 at once
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i := range 3 {
		if ok, _ := l.allow("bearer:a", now); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.allow("bearer:a", now)
	if ok || wait != time.Second {
		t.Errorf("past the burst: allowed %v, wait %s; want refused, 1s (half a second, rounded up)", ok, wait)
	}
	if ok, _ := l.allow("webhook:b", now); !ok {
		t.Error("another client was refused: limits are per client")
	}
	if ok, _ := l.allow("bearer:a", now.Add(500*time.Millisecond)); !ok {
		t.Error("refused half a second later, when a token is due")
	}
	if got := l.perMinute(); got != 120 {
		t.Errorf("perMinute = %d, want 120", got)
	}
}

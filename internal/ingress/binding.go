package ingress

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// Limits on a request body.
const (
	// MaxEventBytes bounds one event, as the worker bounds a command.
	MaxEventBytes = events.MaxPayloadBytes
	// MaxBatchBytes bounds a request body, batch or not.
	MaxBatchBytes = 1 << 20
)

// Content types of the CloudEvents HTTP binding's structured and batched
// modes with the JSON event format.
const (
	contentTypeStructured = "application/cloudevents+json"
	contentTypeBatch      = "application/cloudevents-batch+json"
)

// A mode is how a request carries its events.
type mode int

const (
	modeStructured mode = iota
	modeBatch
	modeBinary
)

func (m mode) String() string {
	return [...]string{"structured", "batched", "binary"}[m]
}

// requestError is a request the binding refuses as a whole: its status
// (400, 413 or 415) and why.
type requestError struct {
	status int
	detail string
}

func (e *requestError) Error() string { return e.detail }

func refuse(status int, format string, args ...any) *requestError {
	return &requestError{status: status, detail: fmt.Sprintf(format, args...)}
}

// modeOf tells the content mode from the Content-Type, as the binding says:
// the CloudEvents media types mean structured or batched, anything else is
// binary when the ce-specversion header is there.
func modeOf(h http.Header) (mode, error) {
	ct := h.Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	switch {
	case mt == contentTypeStructured:
		return modeStructured, nil
	case mt == contentTypeBatch:
		return modeBatch, nil
	case strings.HasPrefix(mt, "application/cloudevents"):
		return 0, refuse(http.StatusUnsupportedMediaType, "event format %q is not supported: want %s or %s", mt, contentTypeStructured, contentTypeBatch)
	case h.Get("ce-specversion") != "":
		return modeBinary, nil
	}
	return 0, refuse(http.StatusUnsupportedMediaType,
		"not a CloudEvent: want Content-Type %s or %s, or binary mode with ce-* headers", contentTypeStructured, contentTypeBatch)
}

// splitBatch returns the events of a JSON batch: an array of JSON objects.
func splitBatch(body []byte) ([]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '[' {
		return nil, refuse(http.StatusBadRequest, "a batch must be a JSON array of events")
	}
	var batch []json.RawMessage
	if err := json.Unmarshal(trimmed, &batch); err != nil {
		return nil, refuse(http.StatusBadRequest, "the batch is not valid JSON: %v", err)
	}
	for i, ev := range batch {
		if len(ev) > MaxEventBytes {
			return nil, refuse(http.StatusRequestEntityTooLarge, "event %d is %d bytes, over the %d-byte limit", i, len(ev), MaxEventBytes)
		}
		if ev[0] != '{' {
			return nil, refuse(http.StatusBadRequest, "event %d of the batch is not a JSON object", i)
		}
	}
	return batch, nil
}

// binaryEvent turns a binary-mode request into the event in structured
// JSON: every ce-* header an attribute, Content-Type the datacontenttype,
// the body the data.
func binaryEvent(h http.Header, body []byte) ([]byte, error) {
	attrs, err := binaryAttributes(h)
	if err != nil {
		return nil, err
	}
	if ct := h.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != events.DataContentType {
			return nil, refuse(http.StatusUnsupportedMediaType, "binary-mode data must be %s, not %q", events.DataContentType, ct)
		}
		attrs["datacontenttype"] = ct
	}
	data := bytes.TrimSpace(body)
	if !json.Valid(data) {
		return nil, refuse(http.StatusBadRequest, "data (the request body) is not valid JSON")
	}
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	slices.Sort(names)
	var buf bytes.Buffer
	buf.WriteByte('{')
	for _, name := range names {
		v, _ := json.Marshal(attrs[name])
		fmt.Fprintf(&buf, "%q:%s,", name, v)
	}
	buf.WriteString(`"data":`)
	buf.Write(data)
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// binaryAttributes decodes the ce-* headers into attributes.
func binaryAttributes(h http.Header) (map[string]string, error) {
	attrs := make(map[string]string)
	for key, values := range h {
		name, ok := strings.CutPrefix(strings.ToLower(key), "ce-")
		if !ok {
			continue
		}
		header := "ce-" + name
		switch {
		case name == "datacontenttype":
			return nil, refuse(http.StatusBadRequest, "header %s must not be set in binary mode: Content-Type carries datacontenttype", header)
		case name == "data" || name == "data_base64":
			return nil, refuse(http.StatusBadRequest, "header %s: the data is the request body", header)
		case !isAttributeName(name):
			return nil, refuse(http.StatusBadRequest, "header %s: an attribute name is lower-case letters and digits", header)
		case len(values) != 1:
			return nil, refuse(http.StatusBadRequest, "header %s is given %d times", header, len(values))
		}
		v, err := decodeHeaderValue(values[0])
		if err != nil {
			return nil, refuse(http.StatusBadRequest, "header %s: %v", header, err)
		}
		attrs[name] = v
	}
	return attrs, nil
}

// decodeHeaderValue undoes the binding's encoding of an attribute value:
// the quoted-string escaping of RFC 7230 §3.2.6 first (older senders quote),
// then one round of percent-decoding, whose result must be UTF-8.
func decodeHeaderValue(v string) (string, error) {
	if strings.HasPrefix(v, `"`) {
		unq, err := unquoteHeader(v)
		if err != nil {
			return "", err
		}
		v = unq
	}
	if !strings.Contains(v, "%") {
		if !utf8.ValidString(v) {
			return "", fmt.Errorf("not valid UTF-8")
		}
		return v, nil
	}
	out := make([]byte, 0, len(v))
	for i := 0; i < len(v); i++ {
		if v[i] != '%' {
			out = append(out, v[i])
			continue
		}
		if i+2 >= len(v) || !isHex(v[i+1]) || !isHex(v[i+2]) {
			return "", fmt.Errorf("%% at byte %d is not followed by two hexadecimal digits", i)
		}
		out = append(out, unhex(v[i+1])<<4|unhex(v[i+2]))
		i += 2
	}
	if !utf8.Valid(out) {
		return "", fmt.Errorf("the percent-decoded value is not valid UTF-8")
	}
	return string(out), nil
}

// unquoteHeader reads a quoted-string: the value between double quotes,
// backslash escaping the character after it.
func unquoteHeader(v string) (string, error) {
	var b strings.Builder
	for i := 1; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			if i+1 >= len(v) {
				return "", fmt.Errorf("the quoted value ends in a backslash")
			}
			i++
			b.WriteByte(v[i])
		case '"':
			if i != len(v)-1 {
				return "", fmt.Errorf("text follows the closing quote")
			}
			return b.String(), nil
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("the quoted value has no closing quote")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// isAttributeName reports whether name is a CloudEvents attribute name:
// lower-case ASCII letters and digits.
func isAttributeName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

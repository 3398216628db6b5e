package ingress

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// Answer is the ingress's answer for one event: 202 with where it was
// stored, or why it was not.
type Answer struct {
	Index     int    `json:"index"`
	ID        string `json:"id,omitempty"`
	Type      string `json:"type,omitempty"`
	Status    int    `json:"status"`
	Stream    string `json:"stream,omitempty"`
	Seq       uint64 `json:"seq,omitempty"`
	Duplicate bool   `json:"duplicate"`
	// Code, Detail and Field say why an event was refused; Field names the
	// attribute or data field at fault.
	Code   string `json:"code,omitempty"`
	Detail string `json:"detail,omitempty"`
	Field  string `json:"field,omitempty"`
}

// Problem is an RFC 9457 problem details object, the body of every refusal.
// For a batch, Events answers each event.
type Problem struct {
	Type   string   `json:"type"`
	Title  string   `json:"title"`
	Status int      `json:"status"`
	Detail string   `json:"detail"`
	Code   string   `json:"code,omitempty"`
	Field  string   `json:"field,omitempty"`
	ID     string   `json:"id,omitempty"`
	Events []Answer `json:"events,omitempty"`
}

// Accepted is the body of a 202 for a batch.
type Accepted struct {
	Events []Answer `json:"events"`
}

func problem(status int, detail string) Problem {
	return Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail}
}

func writeProblem(w http.ResponseWriter, p Problem) {
	writeBody(w, p.Status, "application/problem+json", p)
}

func writeBody(w http.ResponseWriter, status int, contentType string, v any) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// retryAfter sets Retry-After to d in whole seconds, at least one.
func retryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int((d+time.Second-1)/time.Second))))
}

// unauthorized answers 401 saying why, with the challenge RFC 6750 asks for.
func unauthorized(w http.ResponseWriter, why error) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="seatkeeper"`)
	writeProblem(w, problem(http.StatusUnauthorized, why.Error()))
}

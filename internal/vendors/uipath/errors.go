package uipath

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// maxMessage bounds the vendor message carried by an error.
const maxMessage = 300

// problemDetails is the ASP.NET error body the lease_ API answers with.
type problemDetails struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// statusError classifies a non-2xx answer to cl.
func statusError(cl call, resp *http.Response, body []byte) error {
	status := resp.StatusCode
	class := vendors.Classify(status)
	if class == nil {
		switch status {
		case http.StatusNotFound:
			class = cl.notFound
		case http.StatusConflict:
			class = vendors.ErrCapacity
		}
	}
	if class == nil {
		class = vendors.ErrRejected
	}
	return &vendors.Error{
		Class:      class,
		Op:         cl.op,
		Status:     status,
		Message:    vendorMessage(status, body),
		RetryAfter: vendors.ParseRetryAfter(resp.Header, time.Now()),
	}
}

// vendorMessage returns the detail (or title) of a ProblemDetails body. Any
// other body is not shown: it could hold anything, secrets included.
func vendorMessage(status int, body []byte) string {
	var p problemDetails
	if json.Unmarshal(body, &p) == nil {
		msg := p.Detail
		if strings.TrimSpace(msg) == "" {
			msg = p.Title
		}
		if msg = clean(msg); msg != "" {
			return msg
		}
	}
	return http.StatusText(status)
}

// clean makes a vendor message fit for a log line and a result: one line,
// no control characters, bounded length.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxMessage {
		s = string(r[:maxMessage]) + "…"
	}
	return s
}

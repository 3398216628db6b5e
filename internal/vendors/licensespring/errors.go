package licensespring

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// capacityPhrases are what a 400 from assign_user says when the license has
// no free user slot. ASSUMED (the vendor reference): the answer is a 400
// whose detail mentions the maximum number of license users; change this
// list if LicenseSpring words it otherwise.
var capacityPhrases = []string{
	"maximum number of license users",
	"max_license_users",
	"no free slot",
	"no free user slot",
}

// maxMessage bounds the vendor message carried in an error.
const maxMessage = 300

// classify turns a non-2xx answer into a *vendors.Error. Only the vendor's
// documented message field is kept, never the body itself.
func classify(op string, resp *http.Response) *vendors.Error {
	msg := message(io.LimitReader(resp.Body, 64<<10))
	e := &vendors.Error{Op: op, Status: resp.StatusCode, Message: msg}
	switch status := resp.StatusCode; {
	case status == http.StatusNotFound:
		// Every Management API path with an id in it names a license.
		e.Class = vendors.ErrLicenseNotFound
	case status == http.StatusBadRequest && isCapacity(msg):
		e.Class = vendors.ErrCapacity
	default:
		e.Class = vendors.Classify(status)
		if e.Class == nil {
			e.Class = vendors.ErrRejected
		}
	}
	if vendors.Retryable(e) {
		e.RetryAfter = vendors.ParseRetryAfter(resp.Header, time.Now())
	}
	return e
}

func isCapacity(msg string) bool {
	lower := strings.ToLower(msg)
	for _, p := range capacityPhrases {
		if strings.Contains(lower, p) {
			return true
		}
	}
	return false
}

// message reads the explanation of a Management API error: {"detail": "..."}
// or a field map {"field": ["message", ...]} (ASSUMED, the Django REST
// framework shape). The License API's {"code","message"} is read too. Anything
// else yields "".
func message(r io.Reader) string {
	var body map[string]json.RawMessage
	if err := json.NewDecoder(r).Decode(&body); err != nil {
		return ""
	}
	for _, k := range []string{"detail", "message"} {
		if s := text(body[k]); s != "" {
			return clean(s)
		}
	}
	fields := make([]string, 0, len(body))
	for k := range body {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	for _, k := range fields {
		if credential(k) {
			continue
		}
		if s := text(body[k]); s != "" {
			return clean(k + ": " + s)
		}
	}
	return ""
}

// credential reports whether a field's name says it holds a credential (a
// new_password, say), whose value must never become a message.
func credential(field string) bool {
	f := strings.ToLower(field)
	for _, w := range []string{"password", "token", "secret", "key"} {
		if strings.Contains(f, w) {
			return true
		}
	}
	return false
}

// text returns raw as a string, or the first string of a list of them.
func text(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
		return list[0]
	}
	return ""
}

// clean drops control characters and bounds the length of a vendor message.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if r := []rune(s); len(r) > maxMessage {
		s = string(r[:maxMessage]) + "…"
	}
	return s
}

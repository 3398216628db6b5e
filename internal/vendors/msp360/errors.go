package msp360

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// maxMessage bounds the vendor message carried in an error.
const maxMessage = 300

// apiError is an ASP.NET Web API error body. ASSUMED (reference): errors
// come as {"Message":"..."} with 400/401/403/404. Only Message is read; the
// other fields ASP.NET may add (MessageDetail, ExceptionMessage,
// StackTrace) are never quoted.
type apiError struct {
	Message string `json:"Message"`
}

// statusError turns a non-2xx answer into a classified *vendors.Error:
// 401 ErrAuth (call repeats it once after a fresh login), 403 ErrForbidden,
// 429 ErrRateLimited, 408 and 5xx ErrTransient, any other status
// ErrRejected, which operations narrow where the status means more (a 404
// on Grant is ErrUserNotFound, a 400 on Grant may be a lost race).
func (c *Client) statusError(op string, resp *http.Response) *vendors.Error {
	class := vendors.Classify(resp.StatusCode)
	if class == nil {
		class = vendors.ErrRejected
	}
	e := &vendors.Error{Class: class, Op: op, Status: resp.StatusCode, Message: c.readMessage(resp.Body)}
	if errors.Is(class, vendors.ErrTransient) || class == vendors.ErrRateLimited {
		e.RetryAfter = vendors.ParseRetryAfter(resp.Header, time.Now())
	}
	return e
}

// readMessage returns the Message of an error body, cleaned and with any
// secret masked, or "" when the body is not such a document.
func (c *Client) readMessage(body io.Reader) string {
	var ae apiError
	if err := json.NewDecoder(io.LimitReader(body, 64<<10)).Decode(&ae); err != nil {
		return ""
	}
	return clean(c.redact(ae.Message)) // redact first: truncation could cut a secret
}

// clean drops control characters and bounds the length.
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

// redact masks the password and recent tokens, should a vendor message ever
// echo one.
func (c *Client) redact(s string) string {
	for _, secret := range c.secrets() {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "******")
		}
	}
	return s
}

// transportError classifies a failed exchange (network error, timeout,
// cancelled context): always transient, the caller retries.
func transportError(op string, err error) error {
	return &vendors.Error{Class: vendors.ErrTransient, Op: op, Err: err}
}

// statusOf returns the HTTP status carried by err, or 0.
func statusOf(err error) int {
	var e *vendors.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// withClass returns a copy of err's *vendors.Error with class, or err
// itself when it carries none.
func withClass(err error, class error) error {
	var e *vendors.Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Class = class
	return &c
}

package m365

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Fragments of Graph's 400 messages that have a more specific meaning than
// "rejected". ASSUMED: Graph documents the error codes (all Request_BadRequest
// here) but not the messages; these are the wordings Graph is reported to
// use. Change them here if Graph words them otherwise.
const (
	// "Subscription with SKU <id> does not have any available licenses."
	msgNoSeats = "does not have any available licenses"
	// "License <id> does not correspond to a valid company License."
	msgUnknownSKU = "does not correspond to a valid company license"
)

// Usage-location refusals ("License assignment cannot be done for user with
// invalid usage location.") are ErrRejected and carry Graph's message
// unchanged, so that the operator reads what to fix. Removing a SKU the user
// inherits from a group is never asked (Release reports it inherited), so
// Graph's refusal of it ("User license is inherited from a group membership
// and it cannot be removed directly from the user.") would be ErrRejected too.

// maxMessage bounds the vendor message carried in an error.
const maxMessage = 500

// graphError is Graph's error body.
type graphError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// responseError classifies a non-2xx Graph answer. notFound is the class of
// a 404 (nil: ErrRejected). Only Graph's documented code and message fields
// reach the error, never the raw body.
func responseError(op string, resp *http.Response, notFound error) error {
	e := &vendors.Error{Op: op, Status: resp.StatusCode, Message: graphMessage(resp.Body)}
	switch resp.StatusCode {
	case http.StatusBadRequest:
		e.Class = classify400(e.Message)
	case http.StatusNotFound:
		e.Class = notFound
	default:
		e.Class = vendors.Classify(resp.StatusCode)
	}
	if e.Class == nil {
		e.Class = vendors.ErrRejected
	}
	if vendors.Retryable(e) {
		e.RetryAfter = vendors.ParseRetryAfter(resp.Header, time.Now())
	}
	return e
}

func classify400(msg string) error {
	lower := strings.ToLower(msg)
	switch {
	case strings.Contains(lower, msgNoSeats):
		return vendors.ErrCapacity
	case strings.Contains(lower, msgUnknownSKU):
		return vendors.ErrLicenseNotFound
	}
	return vendors.ErrRejected
}

// graphMessage returns the message of a Graph error body ("code: message"
// when both are there), or "" when the body is not one.
func graphMessage(body io.Reader) string {
	var ge graphError
	if err := json.NewDecoder(io.LimitReader(body, 1<<20)).Decode(&ge); err != nil {
		return ""
	}
	msg := strings.TrimSpace(ge.Error.Message)
	if code := strings.TrimSpace(ge.Error.Code); code != "" {
		if msg == "" {
			msg = code
		} else {
			msg = code + ": " + msg
		}
	}
	if len(msg) > maxMessage {
		msg = msg[:maxMessage] + "…"
	}
	return strings.ToValidUTF8(msg, "")
}

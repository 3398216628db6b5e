package arcgis

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// The portal's error codes that mean "get a new token": 498 invalid or
// expired token, 499 token required (and 401, which some front ends use).
func isTokenCode(code int) bool { return code == 498 || code == 499 || code == http.StatusUnauthorized }

// Message fragments the adapter reads the error class from, all in one place
// so that a user who meets the real wording can adjust them. The portal
// answers most refusals with code 400 and a message; only the message tells
// them apart.
var (
	// capacityFragments: a pool without a free seat. ASSUMED wording
	// (vendor file): "... exceeds the maximum number of users ..." from
	// provisionUserEntitlements, "... available licenses ..." from
	// updateUserLicenseType.
	capacityFragments = []string{"available license", "maximum number", "no licenses available"}
	// notExistFragment: ASSUMED, an unknown username ("User 'x' does not
	// exist or is inaccessible.").
	notExistFragment = "does not exist"
	// itemFragment: the same wording for an item ("Item does not exist or
	// is inaccessible."), which means the configured Pro listing is wrong.
	itemFragment = "item"
	// unknownLicenseFragments: ASSUMED, a user type or entitlement the
	// organisation does not have.
	unknownLicenseFragments = []string{"invalid user type", "invalid user license type", "invalid entitlement"}
)

// apiError is the portal's error object: {"code":..,"message":..,"details":..}.
type apiError struct {
	Code    int     `json:"code"`
	Message string  `json:"message"`
	Details details `json:"details"`
}

// details is an error's details, which the portal sends as a list of
// strings or as one string (or null): both are read.
type details []string

// UnmarshalJSON implements json.Unmarshaler.
func (d *details) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*d = details{one}
		return nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(b, &list); err != nil {
		*d = nil // null, or a shape nobody documented: no details
		return nil
	}
	out := make(details, 0, len(list))
	for _, raw := range list {
		if err := json.Unmarshal(raw, &one); err == nil {
			out = append(out, one)
		}
	}
	*d = out
	return nil
}

// text joins the message and its details, which often carry the reason.
func (e apiError) text() string {
	parts := make([]string, 0, 1+len(e.Details))
	if e.Message != "" {
		parts = append(parts, e.Message)
	}
	for _, d := range e.Details {
		if d != "" {
			parts = append(parts, d)
		}
	}
	return strings.Join(parts, " ")
}

// errTokenRejected marks an answer that calls for a new token; call turns
// it into ErrAuth after the one refresh.
var errTokenRejected = errors.New("token rejected")

// classify turns a portal error into a classified *vendors.Error. status is
// the HTTP status of an answer that failed with it, or 0 for an error inside
// an HTTP 200 body, whose code then leads the message.
func classify(op string, status int, e apiError, retryAfter time.Duration) *vendors.Error {
	msg := e.text()
	lower := strings.ToLower(msg)
	if status == 0 && e.Code != 0 {
		msg = fmt.Sprintf("error %d: %s", e.Code, msg)
	}
	out := &vendors.Error{Op: op, Status: status, Message: msg, RetryAfter: retryAfter}
	switch {
	case isTokenCode(e.Code):
		out.Class, out.Err = vendors.ErrAuth, errTokenRejected
	case e.Code == http.StatusForbidden:
		out.Class = vendors.ErrForbidden
	case e.Code == http.StatusTooManyRequests:
		out.Class = vendors.ErrRateLimited
	case e.Code >= 500 || e.Code == http.StatusRequestTimeout:
		out.Class = vendors.ErrTransient
	case containsAny(lower, capacityFragments):
		out.Class = vendors.ErrCapacity
	case strings.Contains(lower, notExistFragment) && strings.Contains(lower, itemFragment):
		out.Class = vendors.ErrNotLicensed
	case strings.Contains(lower, notExistFragment):
		out.Class = vendors.ErrUserNotFound
	case containsAny(lower, unknownLicenseFragments):
		out.Class = vendors.ErrLicenseNotFound
	default:
		out.Class = vendors.ErrRejected
	}
	return out
}

// classifyStatus classifies a non-2xx HTTP answer; e is the JSON error of
// its body when there was one.
func classifyStatus(op string, status int, e apiError, h http.Header) *vendors.Error {
	retryAfter := vendors.ParseRetryAfter(h, time.Now())
	if e.Code == 0 || e.Code == http.StatusOK {
		e.Code = status
	}
	if class := vendors.Classify(status); class != nil && !isTokenCode(status) {
		if e.Message == "" {
			e.Message = http.StatusText(status)
		}
		return &vendors.Error{Class: class, Op: op, Status: status, Message: e.text(), RetryAfter: retryAfter}
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return classify(op, status, e, retryAfter)
}

func containsAny(s string, fragments []string) bool {
	for _, f := range fragments {
		if strings.Contains(s, f) {
			return true
		}
	}
	return false
}

// transportError classifies a failure to get an answer at all. net/http's
// *url.Error names the URL, which for a GET carries the token: only the
// underlying cause is kept.
func transportError(op string, err error) *vendors.Error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &vendors.Error{Class: vendors.ErrTransient, Op: op, Message: "no answer from the portal", Err: err}
}

// scrubbed returns err with every occurrence of the secrets removed from its
// message, as a last line of defence: the portal sometimes echoes
// parameters in its messages.
func scrubbed(err error, secrets ...string) error {
	var ve *vendors.Error
	if !errors.As(err, &ve) {
		return err
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(ve.Message, s) {
			ve.Message = strings.ReplaceAll(ve.Message, s, "[redacted]")
		}
	}
	return err
}

// opError wraps err with the adapter's context.
func opError(op, user string, err error) error {
	if user == "" {
		return fmt.Errorf("arcgis: %s: %w", op, err)
	}
	return fmt.Errorf("arcgis: %s %s: %w", op, user, err)
}

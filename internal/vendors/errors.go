package vendors

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// Error classes. Adapters wrap their failures in an *Error whose Class is one
// of these, so that callers decide with errors.Is alone.
var (
	// ErrTransient is returned for network errors, timeouts, 5xx answers and
	// anything else worth retrying.
	ErrTransient = errors.New("transient vendor failure")
	// ErrRateLimited is returned for a 429 (or a vendor's equivalent); it is
	// also transient. The *Error carries the announced wait in RetryAfter.
	ErrRateLimited = errors.New("rate limited by vendor")
	// ErrAuth is returned when the vendor refuses the credentials even after
	// a fresh token.
	ErrAuth = errors.New("vendor authentication failed")
	// ErrForbidden is returned when the credentials lack a permission.
	ErrForbidden = errors.New("forbidden by vendor")
	// ErrUserNotFound is returned when the vendor does not know the user.
	ErrUserNotFound = errors.New("user not found")
	// ErrAmbiguousUser is returned when an e-mail matches several users at
	// the vendor: seatkeeper never guesses which one is meant.
	ErrAmbiguousUser = errors.New("ambiguous user")
	// ErrLicenseNotFound is returned when a license code does not exist.
	ErrLicenseNotFound = errors.New("license not found")
	// ErrCapacity is returned when a pool has no free seat.
	ErrCapacity = errors.New("license capacity exhausted")
	// ErrNotLicensed is returned when the account has no license of the kind.
	ErrNotLicensed = errors.New("account not licensed")
	// ErrUnknownAccount is returned when no account is named and none is
	// configured, or the vendor does not know the account.
	ErrUnknownAccount = errors.New("unknown account")
	// ErrNotConfigured is returned by the Registry for a vendor with no
	// configuration.
	ErrNotConfigured = errors.New("vendor not configured")
	// ErrUnknownVendor is returned by the Registry for a name that is not
	// one of events.Vendors.
	ErrUnknownVendor = errors.New("unknown vendor")
	// ErrRejected is any other permanent refusal (a 4xx).
	ErrRejected = errors.New("rejected by vendor")

	// ErrNotSent is wrapped, under ErrRateLimited, in the error of a request
	// the Transport held back (for the vendor's pause, its concurrency cap,
	// its rate limit) past the request timeout: the vendor was not called.
	ErrNotSent = errors.New("request not sent")
)

// Error is a classified vendor failure.
type Error struct {
	// Class is one of the Err* sentinels.
	Class error
	// Op names the operation ("allocate", "token", ...).
	Op string
	// Status is the HTTP status, or 0.
	Status int
	// Message is the vendor's own explanation, safe to show: adapters never
	// put a secret or a raw response body that could hold one here.
	Message string
	// RetryAfter is the wait the vendor announced, or 0.
	RetryAfter time.Duration
	// Err is the underlying error, if any.
	Err error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	b.WriteString(e.Class.Error())
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is see both the class and the underlying error.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Class}
	}
	return []error{e.Class, e.Err}
}

// Is makes a rate-limited error transient too.
func (e *Error) Is(target error) bool {
	return target == ErrTransient && e.Class == ErrRateLimited
}

// Errorf returns an *Error of class with a formatted message.
func Errorf(class error, op string, status int, format string, args ...any) *Error {
	return &Error{Class: class, Op: op, Status: status, Message: fmt.Sprintf(format, args...)}
}

// Retryable reports whether err is worth retrying.
func Retryable(err error) bool {
	return errors.Is(err, ErrTransient)
}

// RetryAfterOf returns the wait announced in err, or 0: the longest
// RetryAfter of the *Errors err wraps, since an adapter's *Error can wrap
// the transport's (a request the transport held back).
func RetryAfterOf(err error) time.Duration {
	var longest time.Duration
	for _, e := range chain(err) {
		if ve, ok := e.(*Error); ok && ve.RetryAfter > longest {
			longest = ve.RetryAfter
		}
	}
	return longest
}

// chain returns err and every error it wraps, depth first.
func chain(err error) []error {
	var out []error
	var walk func(error)
	walk = func(err error) {
		for err != nil {
			out = append(out, err)
			switch u := err.(type) {
			case interface{ Unwrap() []error }:
				for _, inner := range u.Unwrap() {
					walk(inner)
				}
				return
			case interface{ Unwrap() error }:
				err = u.Unwrap()
			default:
				return
			}
		}
	}
	walk(err)
	return out
}

// Code maps err to the stable error code of a license.failed result.
func Code(err error) string {
	for _, c := range codes {
		if errors.Is(err, c.class) {
			return c.code
		}
	}
	return events.CodeVendorRejected
}

var codes = []struct {
	class error
	code  string
}{
	{ErrAuth, events.CodeAuthFailed},
	{ErrForbidden, events.CodeForbidden},
	{ErrUserNotFound, events.CodeUserNotFound},
	{ErrAmbiguousUser, events.CodeAmbiguousUser},
	{ErrLicenseNotFound, events.CodeLicenseNotFound},
	{ErrCapacity, events.CodeCapacityExhausted},
	{ErrNotLicensed, events.CodeAccountNotLicensed},
	{ErrUnknownAccount, events.CodeUnknownAccount},
	{ErrNotConfigured, events.CodeVendorNotConfigured},
	{ErrUnknownVendor, events.CodeUnknownVendor},
	{ErrTransient, events.CodeRetriesExhausted},
	{ErrRejected, events.CodeVendorRejected},
}

// Classify returns the class of an HTTP status that is not a success, for the
// statuses whose meaning is the same at every vendor. It returns nil for
// statuses an adapter must interpret itself (400, 404, 409, ...), which are
// permanent unless the adapter knows better.
func Classify(status int) error {
	switch {
	case status == http.StatusTooManyRequests:
		return ErrRateLimited
	case status == http.StatusRequestTimeout, status >= 500:
		return ErrTransient
	case status == http.StatusUnauthorized:
		return ErrAuth
	case status == http.StatusForbidden:
		return ErrForbidden
	}
	return nil
}

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
// It returns 0 when the header is absent, unreadable or in the past.
func ParseRetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	// Out of range, ParseInt returns the extreme of the sign: an absurdly
	// long wait stays long instead of wrapping around to a negative one.
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		switch {
		case secs < 0:
			return 0
		case secs > math.MaxInt64/int64(time.Second):
			return math.MaxInt64
		}
		return time.Duration(secs) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil {
		if d := at.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

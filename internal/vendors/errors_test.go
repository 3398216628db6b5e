package vendors_test

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// classes lists every error class with the result code it must map to and
// whether it is worth retrying.
var classes = []struct {
	class     error
	code      string
	retryable bool
}{
	{vendors.ErrTransient, events.CodeRetriesExhausted, true},
	{vendors.ErrRateLimited, events.CodeRetriesExhausted, true},
	{vendors.ErrAuth, events.CodeAuthFailed, false},
	{vendors.ErrForbidden, events.CodeForbidden, false},
	{vendors.ErrUserNotFound, events.CodeUserNotFound, false},
	{vendors.ErrLicenseNotFound, events.CodeLicenseNotFound, false},
	{vendors.ErrCapacity, events.CodeCapacityExhausted, false},
	{vendors.ErrNotLicensed, events.CodeAccountNotLicensed, false},
	{vendors.ErrUnknownAccount, events.CodeUnknownAccount, false},
	{vendors.ErrNotConfigured, events.CodeVendorNotConfigured, false},
	{vendors.ErrUnknownVendor, events.CodeUnknownVendor, false},
	{vendors.ErrRejected, events.CodeVendorRejected, false},
}

func TestErrorClasses(t *testing.T) {
	cause := errors.New("connection reset by peer")
	for _, c := range classes {
		t.Run(c.code+"/"+c.class.Error(), func(t *testing.T) {
			err := &vendors.Error{Class: c.class, Op: "allocate", Status: 418, Message: "the vendor says no", Err: cause}
			// Wrapped once more, as adapters do with their own context.
			wrapped := fmt.Errorf("uipath: allocate singer-77: %w", err)

			if !errors.Is(wrapped, c.class) {
				t.Errorf("errors.Is(err, %v) = false, want true", c.class)
			}
			if !errors.Is(wrapped, cause) {
				t.Errorf("errors.Is(err, cause) = false, want true: Unwrap must expose the underlying error")
			}
			var e *vendors.Error
			if !errors.As(wrapped, &e) || e != err {
				t.Errorf("errors.As did not find the *Error")
			}
			if got := vendors.Code(wrapped); got != c.code {
				t.Errorf("Code = %q, want %q", got, c.code)
			}
			if got := vendors.Retryable(wrapped); got != c.retryable {
				t.Errorf("Retryable = %v, want %v", got, c.retryable)
			}
			for _, other := range classes {
				if other.class == c.class || (c.class == vendors.ErrRateLimited && other.class == vendors.ErrTransient) {
					continue
				}
				if errors.Is(wrapped, other.class) {
					t.Errorf("errors.Is(err, %v) = true, want false", other.class)
				}
			}
			want := "allocate: " + c.class.Error() + " (HTTP 418): the vendor says no: connection reset by peer"
			if got := err.Error(); got != want {
				t.Errorf("Error() = %q, want %q", got, want)
			}
		})
	}
}

func TestErrorWithoutCauseOrStatus(t *testing.T) {
	err := vendors.Errorf(vendors.ErrCapacity, "allocate", 0, "pool %s is full", "RPADEVPRONU")
	if got, want := err.Error(), "allocate: license capacity exhausted: pool RPADEVPRONU is full"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got := err.Unwrap(); len(got) != 1 || got[0] != vendors.ErrCapacity {
		t.Errorf("Unwrap() = %v, want only the class", got)
	}
}

func TestCodeOfUnclassifiedErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"plain error", errors.New("boom"), events.CodeVendorRejected},
		{"retries exhausted", fmt.Errorf("%w: %w", vendors.ErrRetriesExhausted, vendors.Errorf(vendors.ErrTransient, "list", 503, "busy")), events.CodeRetriesExhausted},
		{"deferral", &vendors.Deferral{Delay: time.Second, Err: vendors.Errorf(vendors.ErrRateLimited, "list", 429, "slow down")}, events.CodeRetriesExhausted},
		{"bare sentinel", vendors.ErrUserNotFound, events.CodeUserNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := vendors.Code(tc.err); got != tc.want {
				t.Errorf("Code(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

func TestRetryAfterOf(t *testing.T) {
	err := fmt.Errorf("m365: %w", &vendors.Error{Class: vendors.ErrRateLimited, Op: "assign", Status: 429, RetryAfter: 7 * time.Second})
	if got := vendors.RetryAfterOf(err); got != 7*time.Second {
		t.Errorf("RetryAfterOf = %s, want 7s", got)
	}
	if got := vendors.RetryAfterOf(errors.New("boom")); got != 0 {
		t.Errorf("RetryAfterOf(plain error) = %s, want 0", got)
	}
	// An adapter's error around the transport's, through net/http's.
	held := &vendors.Error{Class: vendors.ErrRateLimited, Op: "GET", RetryAfter: 90 * time.Second}
	wrapped := &vendors.Error{Class: vendors.ErrTransient, Op: "allocate", Message: "no answer",
		Err: &url.Error{Op: "Get", URL: "https://vendor.example/", Err: held}}
	if got := vendors.RetryAfterOf(wrapped); got != 90*time.Second {
		t.Errorf("RetryAfterOf(adapter error around the transport's) = %s, want 90s", got)
	}
	if !errors.Is(wrapped, vendors.ErrRateLimited) {
		t.Errorf("the transport's class is lost in %v", wrapped)
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   error
	}{
		{http.StatusTooManyRequests, vendors.ErrRateLimited},
		{http.StatusRequestTimeout, vendors.ErrTransient},
		{http.StatusInternalServerError, vendors.ErrTransient},
		{http.StatusBadGateway, vendors.ErrTransient},
		{http.StatusServiceUnavailable, vendors.ErrTransient},
		{http.StatusGatewayTimeout, vendors.ErrTransient},
		{599, vendors.ErrTransient},
		{http.StatusUnauthorized, vendors.ErrAuth},
		{http.StatusForbidden, vendors.ErrForbidden},
		// The adapter interprets these itself.
		{http.StatusBadRequest, nil},
		{http.StatusNotFound, nil},
		{http.StatusConflict, nil},
		{http.StatusUnprocessableEntity, nil},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			if got := vendors.Classify(tc.status); got != tc.want {
				t.Errorf("Classify(%d) = %v, want %v", tc.status, got, tc.want)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name   string
		header string
		want   time.Duration
	}{
		{"absent", "", 0},
		{"seconds", "120", 2 * time.Minute},
		{"seconds with spaces", " 5 ", 5 * time.Second},
		{"zero", "0", 0},
		{"negative", "-5", 0},
		{"HTTP date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"RFC 850 date", now.Add(time.Hour).Format("Monday, 02-Jan-06 15:04:05 GMT"), time.Hour},
		{"date in the past", now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"garbage", "soon", 0},
		{"fractional seconds", "1.5", 0},
		{"seconds past the range of a Duration", "9999999999", math.MaxInt64},
		{"seconds past the range of an int64", "99999999999999999999", math.MaxInt64},
		{"very negative", "-99999999999999999999", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != "" {
				h.Set("Retry-After", tc.header)
			}
			if got := vendors.ParseRetryAfter(h, now); got != tc.want {
				t.Errorf("ParseRetryAfter(%q) = %s, want %s", tc.header, got, tc.want)
			}
		})
	}
}

func TestDeferralWrapsItsError(t *testing.T) {
	cause := vendors.Errorf(vendors.ErrTransient, "list", 503, "busy")
	d := &vendors.Deferral{Delay: 1500 * time.Millisecond, Err: cause}
	if !errors.Is(d, vendors.ErrTransient) {
		t.Error("a Deferral must unwrap to its error's class")
	}
	if got := d.Error(); !strings.HasPrefix(got, "deferred for 1.5s: ") {
		t.Errorf("Error() = %q, want it to start with the delay", got)
	}
}

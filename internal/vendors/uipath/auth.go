package uipath

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// tokenPath is where the organisation's identity service issues tokens.
const tokenPath = "/identity_/connect/token"

// maxRefreshMargin bounds how long before its expiry a token is replaced.
const maxRefreshMargin = time.Minute

// tokens fetches client-credentials tokens and caches the current one until
// shortly before it expires. The identity service issues no refresh token:
// a new one is simply requested.
type tokens struct {
	conf clientcredentials.Config
	hc   *http.Client

	// mu is held across a fetch so that concurrent callers share one token
	// request instead of stampeding the identity service.
	mu      sync.Mutex
	current string
	renewAt time.Time // zero: no expiry announced, keep until a 401

	now func() time.Time // the clock; tests replace it
}

func newTokens(base, clientID, secret, scope string, hc *http.Client) *tokens {
	return &tokens{
		conf: clientcredentials.Config{
			ClientID:     clientID,
			ClientSecret: secret,
			TokenURL:     base + tokenPath,
			Scopes:       strings.Fields(scope),
			// The identity service reads the credentials from the form.
			AuthStyle: oauth2.AuthStyleInParams,
		},
		hc:  hc,
		now: time.Now,
	}
}

// get returns a valid access token, fetching one when none is cached or the
// cached one is about to expire.
func (t *tokens) get(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.current != "" && (t.renewAt.IsZero() || t.now().Before(t.renewAt)) {
		return t.current, nil
	}
	t.current = ""
	ctx = context.WithValue(vendors.WithOp(ctx, "token"), oauth2.HTTPClient, t.hc)
	issued := t.now()
	tok, err := t.conf.Token(ctx)
	if err != nil {
		return "", tokenError(err)
	}
	if tok.AccessToken == "" {
		return "", vendors.Errorf(vendors.ErrTransient, "token", 0, "identity service answered without an access token")
	}
	t.current, t.renewAt = tok.AccessToken, time.Time{}
	// The lifetime is counted from before the request, on t's clock,
	// which is never later than the moment the identity service issued it.
	if lifetime := expiresIn(tok); lifetime > 0 {
		margin := min(lifetime/10, maxRefreshMargin)
		t.renewAt = issued.Add(lifetime - margin)
	}
	return t.current, nil
}

// expiresIn is the lifetime the identity service announced for tok, 0 when
// it announced none. oauth2 keeps expires_in only as tok.Expiry, dated by
// its own clock after the answer arrived, and as the raw field.
func expiresIn(tok *oauth2.Token) time.Duration {
	if tok.ExpiresIn > 0 {
		return time.Duration(tok.ExpiresIn) * time.Second
	}
	var secs float64
	switch v := tok.Extra("expires_in").(type) {
	case float64:
		secs = v
	case string: // a form-encoded answer, or a JSON string
		secs, _ = strconv.ParseFloat(v, 64)
	}
	if secs > 0 {
		return time.Duration(secs * float64(time.Second))
	}
	if !tok.Expiry.IsZero() {
		return time.Until(tok.Expiry)
	}
	return 0
}

// invalidate drops token if it is still the cached one, so that the next get
// fetches a new one. A token another caller already replaced stays.
func (t *tokens) invalidate(token string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.current == token {
		t.current = ""
	}
}

// tokenError classifies a failed token request. It keeps the OAuth error code
// and description but never the raw response body.
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		// No answer, or one that could not be read: worth another try.
		return &vendors.Error{Class: vendors.ErrTransient, Op: "token", Err: err}
	}
	status := 0
	var header http.Header
	if re.Response != nil {
		status, header = re.Response.StatusCode, re.Response.Header
	}
	class := vendors.Classify(status)
	switch {
	case class != nil && class != vendors.ErrForbidden:
		// 429, 5xx and 401 mean what they mean everywhere.
	case re.ErrorCode == "invalid_scope" || re.ErrorCode == "unauthorized_client" || status == http.StatusForbidden:
		class = vendors.ErrForbidden
	default:
		// invalid_client, invalid_grant and any other refusal: the
		// credentials do not work.
		class = vendors.ErrAuth
	}
	msg := re.ErrorCode
	if re.ErrorDescription != "" {
		msg += ": " + re.ErrorDescription
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	return &vendors.Error{Class: class, Op: "token", Status: status, Message: msg,
		RetryAfter: vendors.ParseRetryAfter(header, time.Now())}
}

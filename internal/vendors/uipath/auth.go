package uipath

import (
	"context"
	"errors"
	"net/http"
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
		hc: hc,
	}
}

// get returns a valid access token, fetching one when none is cached or the
// cached one is about to expire.
func (t *tokens) get(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.current != "" && (t.renewAt.IsZero() || time.Now().Before(t.renewAt)) {
		return t.current, nil
	}
	t.current = ""
	ctx = context.WithValue(vendors.WithOp(ctx, "token"), oauth2.HTTPClient, t.hc)
	issued := time.Now()
	tok, err := t.conf.Token(ctx)
	if err != nil {
		return "", tokenError(err)
	}
	if tok.AccessToken == "" {
		return "", vendors.Errorf(vendors.ErrTransient, "token", 0, "identity service answered without an access token")
	}
	t.current, t.renewAt = tok.AccessToken, time.Time{}
	if !tok.Expiry.IsZero() {
		margin := min(tok.Expiry.Sub(issued)/10, maxRefreshMargin)
		t.renewAt = tok.Expiry.Add(-margin)
	}
	return t.current, nil
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

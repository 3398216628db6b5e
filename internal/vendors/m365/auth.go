package m365

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// graphScope asks for the app's application permissions on Microsoft Graph
// (LicenseAssignment.ReadWrite.All).
const graphScope = "https://graph.microsoft.com/.default"

// renewBefore is how long before its expiry a token is replaced.
const renewBefore = time.Minute

// tokenCache holds the app-only access token. Fetches are serialised so a
// burst of calls after expiry makes one token request, not one each.
type tokenCache struct {
	cfg   Config
	hc    *http.Client
	fetch chan struct{} // a one-slot lock that a context can give up on

	mu  sync.Mutex
	tok *oauth2.Token
}

func newTokenCache(cfg Config, hc *http.Client) *tokenCache {
	return &tokenCache{cfg: cfg, hc: hc, fetch: make(chan struct{}, 1)}
}

// token returns a cached access token or fetches a new one.
func (a *tokenCache) token(ctx context.Context) (string, error) {
	if t := a.cached(); t != "" {
		return t, nil
	}
	select {
	case a.fetch <- struct{}{}:
		defer func() { <-a.fetch }()
	case <-ctx.Done():
		return "", &vendors.Error{Class: vendors.ErrTransient, Op: "token", Message: "gave up waiting for a token", Err: ctx.Err()}
	}
	if t := a.cached(); t != "" {
		return t, nil // another caller fetched it meanwhile
	}
	tok, err := a.retrieve(ctx)
	if err != nil {
		return "", err
	}
	a.mu.Lock()
	a.tok = tok
	a.mu.Unlock()
	return tok.AccessToken, nil
}

func (a *tokenCache) cached() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tok == nil || a.tok.AccessToken == "" {
		return ""
	}
	if !a.tok.Expiry.IsZero() && time.Until(a.tok.Expiry) < renewBefore {
		return ""
	}
	return a.tok.AccessToken
}

// invalidate drops the cached token if it is still used, the one Graph
// refused; a newer token fetched by a concurrent caller is kept.
func (a *tokenCache) invalidate(used string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.tok != nil && a.tok.AccessToken == used {
		a.tok = nil
	}
}

// retrieve runs the client-credentials flow through the vendor's HTTP
// client, so token requests share Graph's rate limit and Retry-After pause.
func (a *tokenCache) retrieve(ctx context.Context) (*oauth2.Token, error) {
	cc := clientcredentials.Config{
		ClientID:     a.cfg.ClientID,
		ClientSecret: a.cfg.ClientSecret.Reveal(),
		TokenURL:     tokenURL(a.cfg),
		Scopes:       []string{graphScope},
		// Microsoft reads the client credentials from the form; saying so
		// spares the library's probe with a Basic header first.
		AuthStyle: oauth2.AuthStyleInParams,
	}
	ctx = context.WithValue(vendors.WithOp(ctx, "token"), oauth2.HTTPClient, a.hc)
	tok, err := cc.Token(ctx)
	if err != nil {
		return nil, tokenError(ctx, err)
	}
	return tok, nil
}

func tokenURL(cfg Config) string {
	return strings.TrimRight(cfg.LoginURL, "/") + "/" + url.PathEscape(cfg.TenantID) + "/oauth2/v2.0/token"
}

// aadCode finds Microsoft's AADSTSnnnn error number in a description.
var aadCode = regexp.MustCompile(`AADSTS\d+`)

// oauthCode accepts RFC 6749 error codes (and nothing a body could smuggle).
var oauthCode = regexp.MustCompile(`^[a-z_]{1,64}$`)

// tokenError classifies a failed token request. oauth2's own errors quote
// the token endpoint's body, so none is passed on verbatim: the message is
// built from the status, the RFC 6749 error code and the AADSTS number only.
func tokenError(ctx context.Context, err error) error {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		e := &vendors.Error{Class: vendors.ErrTransient, Op: "token", Message: "token request failed"}
		var ue *url.Error
		switch {
		case ctx.Err() != nil:
			e.Err = ctx.Err()
		case errors.As(err, &ue):
			e.Err = ue.Err // the URL holds no secret, but the request is said once already
		default:
			e.Message = "token endpoint answered without a usable token"
		}
		return e
	}
	status := 0
	var header http.Header
	if re.Response != nil {
		status, header = re.Response.StatusCode, re.Response.Header
	}
	e := &vendors.Error{Op: "token", Status: status, Message: "token endpoint refused the request"}
	if oauthCode.MatchString(re.ErrorCode) {
		e.Message += ": " + re.ErrorCode
	}
	if n := aadCode.FindString(re.ErrorDescription); n != "" {
		e.Message += " (" + n + ")"
	}
	switch c := vendors.Classify(status); {
	case c == vendors.ErrRateLimited || c == vendors.ErrTransient:
		e.Class, e.RetryAfter = c, vendors.ParseRetryAfter(header, time.Now())
	default:
		// 400 and 401 (invalid_client, unauthorized_client, an unknown
		// tenant) and any other refusal: the credentials or the tenant are
		// wrong; retrying will not help.
		e.Class = vendors.ErrAuth
	}
	return e
}

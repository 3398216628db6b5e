package msp360

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// tokenLifetime is used when the login answer does not say how long the
// token lives: the reference says two weeks after issue.
const tokenLifetime = 14 * 24 * time.Hour

// tokenCache holds the current Bearer token. Logins are serialised by mu, so
// that callers meeting an expired token together log in once.
type tokenCache struct {
	mu      sync.Mutex
	token   string
	expires time.Time
	// recent holds the last tokens received, for secrets, which must not
	// wait for a login in progress.
	recentMu sync.Mutex
	recent   []string
}

// loginRequest is POST /api/Provider/Login's body.
type loginRequest struct {
	UserName string `json:"UserName"`
	Password string `json:"Password"`
}

// loginAnswer is the part of the login answer the adapter reads.
type loginAnswer struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
}

// token returns the cached token, logging in when there is none or it is
// about to expire.
func (c *Client) token(ctx context.Context) (string, error) {
	c.auth.mu.Lock()
	defer c.auth.mu.Unlock()
	if c.auth.token != "" && c.now().Before(c.auth.expires) {
		return c.auth.token, nil
	}
	return c.loginLocked(ctx)
}

// refresh replaces stale, the token a 401 refused, unless another caller
// has replaced it already.
func (c *Client) refresh(ctx context.Context, stale string) (string, error) {
	c.auth.mu.Lock()
	defer c.auth.mu.Unlock()
	if c.auth.token != "" && c.auth.token != stale && c.now().Before(c.auth.expires) {
		return c.auth.token, nil
	}
	c.auth.token = ""
	return c.loginLocked(ctx)
}

// loginLocked logs in; c.auth.mu is held.
func (c *Client) loginLocked(ctx context.Context) (string, error) {
	const op = "login"
	ctx = vendors.WithOp(ctx, op)
	body, err := json.Marshal(loginRequest{UserName: c.username, Password: c.password.Reveal()})
	if err != nil {
		return "", &vendors.Error{Class: vendors.ErrAuth, Op: op, Message: "the login request could not be encoded"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/Provider/Login", bytes.NewReader(body))
	if err != nil {
		return "", &vendors.Error{Class: vendors.ErrRejected, Op: op, Message: "the base URL is unusable"}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", transportError(op, err)
	}
	defer drainClose(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", c.loginError(resp)
	}
	var ans loginAnswer
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&ans); err != nil || ans.AccessToken == "" {
		return "", &vendors.Error{Class: vendors.ErrAuth, Op: op, Status: resp.StatusCode,
			Message: "the login answer carried no access_token"}
	}
	lifetime := tokenLifetime
	if ans.ExpiresIn > 0 {
		lifetime = time.Duration(ans.ExpiresIn) * time.Second
	}
	c.auth.token = ans.AccessToken
	c.auth.remember(ans.AccessToken)
	c.auth.expires = c.now().Add(lifetime - refreshMargin(lifetime))
	return c.auth.token, nil
}

// refreshMargin is how long before its expiry a token is replaced: a tenth
// of its life, at most ten minutes.
func refreshMargin(lifetime time.Duration) time.Duration {
	return min(lifetime/10, 10*time.Minute)
}

// loginError classifies a refused login. ASSUMED: the reference does not
// say how wrong credentials are refused, so 400, 401 and 403 all mean
// ErrAuth (credentials are not fixed by retrying).
func (c *Client) loginError(resp *http.Response) error {
	err := c.statusError("login", resp)
	switch resp.StatusCode {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden:
		err.Class = vendors.ErrAuth
		err.RetryAfter = 0
	}
	return err
}

// secrets returns the values no error may carry: the password and the
// tokens received lately.
func (c *Client) secrets() []string {
	c.auth.recentMu.Lock()
	defer c.auth.recentMu.Unlock()
	return append([]string{c.password.Reveal()}, c.auth.recent...)
}

// remember keeps token among the last few received.
func (t *tokenCache) remember(token string) {
	const keep = 4
	t.recentMu.Lock()
	defer t.recentMu.Unlock()
	t.recent = append(t.recent, token)
	if len(t.recent) > keep {
		t.recent = t.recent[len(t.recent)-keep:]
	}
}

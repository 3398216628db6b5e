package arcgis

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

const (
	// tokenMinutes is the lifetime asked of generateToken.
	tokenMinutes = 60
	// tokenMargin is how long before its expiry a token is replaced.
	tokenMargin = 2 * time.Minute
)

// tokenCache holds the current token; mu also makes concurrent callers wait
// for one generateToken instead of each asking for their own.
type tokenCache struct {
	mu      sync.Mutex
	token   string
	expires time.Time
}

// tokenAnswer is generateToken's answer.
type tokenAnswer struct {
	Token   string `json:"token"`
	Expires int64  `json:"expires"` // epoch milliseconds
}

// token returns a cached token, or a new one when none is fresh.
func (c *Client) token(ctx context.Context) (string, error) {
	c.tokens.mu.Lock()
	defer c.tokens.mu.Unlock()
	if c.tokens.token != "" && time.Now().Before(c.tokens.expires) {
		return c.tokens.token, nil
	}
	return c.generate(ctx)
}

// refresh replaces stale, unless another caller already has.
func (c *Client) refresh(ctx context.Context, stale string) (string, error) {
	c.tokens.mu.Lock()
	defer c.tokens.mu.Unlock()
	if c.tokens.token != "" && c.tokens.token != stale && time.Now().Before(c.tokens.expires) {
		return c.tokens.token, nil
	}
	return c.generate(ctx)
}

// generate asks generateToken for a token bound to the client's referer;
// c.tokens.mu is held.
func (c *Client) generate(ctx context.Context) (string, error) {
	const op = "generateToken"
	c.tokens.token = ""
	params := url.Values{
		"username":   {c.cfg.Username},
		"password":   {c.cfg.Password.Reveal()},
		"client":     {"referer"},
		"referer":    {c.referer},
		"expiration": {strconv.Itoa(tokenMinutes)},
		"f":          {"json"},
	}
	var ans tokenAnswer
	err := c.do(vendors.WithOp(ctx, op), op, http.MethodPost, c.sharing("generateToken"), params, &ans)
	if err != nil {
		return "", authError(scrubbed(err, c.cfg.Password.Reveal()))
	}
	if ans.Token == "" {
		return "", &vendors.Error{Class: vendors.ErrAuth, Op: op, Message: "generateToken answered no token"}
	}
	expires := time.UnixMilli(ans.Expires).Add(-tokenMargin)
	if ans.Expires == 0 || expires.Before(time.Now()) {
		// An unreadable or very short expiry: use the token for this call.
		expires = time.Now()
	}
	c.tokens.token, c.tokens.expires = ans.Token, expires
	return ans.Token, nil
}

// authError makes a refusal of the credentials ErrAuth. generateToken
// answers bad credentials with code 400 ("Invalid username or password."),
// which would otherwise read as a rejected request; transient failures stay
// transient.
func authError(err error) error {
	var ve *vendors.Error
	if !errors.As(err, &ve) || vendors.Retryable(err) || ve.Class == vendors.ErrForbidden {
		return err
	}
	ve.Class, ve.Err = vendors.ErrAuth, nil
	return err
}

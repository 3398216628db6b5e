// Package msp360 is seatkeeper's adapter for the MSP360 Managed Backup (MBS)
// API: it grants licenses of the provider account to MBS users and releases
// them, reading the license list first so that every operation is
// idempotent.
//
// A license code is either a license type as the API reports it in
// LicenseType ("Desktop", "Server", ...; compared case-insensitively) or the
// id of one specific license. An assign of a type picks a free license of
// that type (no user, not taken, not expired; paid before trial, then the
// earliest expiry, then the lowest id) and grants it. A release calls
// Release, which also takes the license off the user's computer; Revoke,
// which only detaches the computer, is never used.
//
// MSP360 has one provider account per API login, so the adapter serves one
// account, named DefaultAccount.
package msp360

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Name is the vendor's name as commands spell it.
const Name = "msp360"

// DefaultAccount is the name of the one account the adapter serves: the
// provider account of the configured API login. Commands may omit it.
const DefaultAccount = "default"

// maxListBody bounds the license list read into memory; a provider with
// tens of thousands of licenses still fits.
const maxListBody = 32 << 20

// Client is the MSP360 adapter. It is safe for concurrent use.
type Client struct {
	base     string
	username string
	password config.Secret
	hc       *http.Client
	auth     tokenCache
	now      func() time.Time
	// grantMu serialises non-dry assigns (see Assign).
	grantMu sync.Mutex
}

var _ vendors.Vendor = (*Client)(nil)

// New returns a client for cfg. hc nil means an HTTP client built by
// vendors.NewHTTPClient with cfg's limits.
func New(cfg Config, hc *http.Client) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("msp360: %w", err)
	}
	if hc == nil {
		hc = vendors.NewHTTPClient(Name, cfg.Limits(), nil)
	}
	return &Client{
		base:     strings.TrimRight(cfg.BaseURL, "/"),
		username: cfg.Username,
		password: cfg.Password,
		hc:       hc,
		now:      time.Now,
	}, nil
}

// Name returns "msp360".
func (c *Client) Name() string { return Name }

// DefaultAccount returns DefaultAccount.
func (c *Client) DefaultAccount() string { return DefaultAccount }

// call sends one API request with the cached token and decodes a
// successful answer into out (when not nil). A token refused with 401 or
// 403 (tokenRefused) gets exactly one fresh login and one repeat; a second
// refusal is ErrAuth (401) or ErrForbidden (403).
func (c *Client) call(ctx context.Context, op, method, path string, in, out any) error {
	ctx = vendors.WithOp(ctx, op)
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("%s: encode request: %w", op, err)
		}
	}
	token, err := c.token(ctx)
	if err != nil {
		return err
	}
	err = c.send(ctx, op, method, path, token, body, out)
	if !tokenRefused(statusOf(err)) {
		return err
	}
	if token, err = c.refresh(ctx, token); err != nil {
		return err
	}
	return c.send(ctx, op, method, path, token, body, out)
}

// tokenRefused reports whether status may mean an expired token. ASSUMED:
// the vendor does not document how an expired token is answered; 401 is
// ASP.NET's answer, and a public client of the API treats 403 as invalid
// credentials too. Both get one fresh login, so that a token that lapsed
// after its two weeks never turns every call into a failure.
func tokenRefused(status int) bool {
	return status == http.StatusUnauthorized || status == http.StatusForbidden
}

// send makes one HTTP exchange.
func (c *Client) send(ctx context.Context, op, method, path, token string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return transportError(op, err)
	}
	defer drainClose(resp.Body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.statusError(op, resp)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxListBody)).Decode(out); err != nil {
		// The body is not quoted: it is not a documented message field.
		return &vendors.Error{Class: vendors.ErrTransient, Op: op, Status: resp.StatusCode,
			Message: "the answer could not be read as JSON"}
	}
	return nil
}

// drainClose reads what is left of a body (up to a bound) so that the
// connection can be reused, then closes it.
func drainClose(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}

// Package uipath is seatkeeper's adapter for the UiPath License Accountant
// (lease_) API of Automation Cloud and Automation Suite: it allocates and
// releases user bundle licenses (RPADEVNU, ATTUNU, ...) for a user of an
// organisation account, authenticating as an external application with the
// client-credentials flow.
//
// The allocation PUT replaces a user's directly allocated bundles, so every
// change reads the user's allocations first (direct ones and those held
// through a group, which the PUT cannot touch) and writes the whole new list
// of direct ones. A bundle held through a group is never copied to the user
// and is reported inherited on release.
package uipath

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Name is the vendor's name as commands spell it.
const Name = "uipath"

// maxBody bounds how much of an answer is read.
const maxBody = 4 << 20

// Client is the UiPath adapter, bound to one organisation's credentials.
type Client struct {
	base    string
	account string
	hc      *http.Client
	tokens  *tokens // for the license API
	// users is for the Identity user API, under its own scope, fetched
	// only when needed so that an application without it still works.
	users *tokens
}

var (
	_ vendors.Vendor    = (*Client)(nil)
	_ vendors.Directory = (*Client)(nil)
)

// New returns a client for cfg. hc nil means
// vendors.NewHTTPClient(Name, cfg.Limits(), nil); its timeout bounds every
// exchange, the token request included.
func New(cfg Config, hc *http.Client) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("uipath: %w", err)
	}
	if hc == nil {
		hc = vendors.NewHTTPClient(Name, cfg.Limits(), nil)
	}
	base := strings.TrimRight(cfg.BaseURL, "/")
	return &Client{
		base:    base,
		account: cfg.AccountID,
		hc:      hc,
		tokens:  newTokens(base, cfg.ClientID, cfg.ClientSecret.Reveal(), cfg.Scope, hc),
		users:   newTokens(base, cfg.ClientID, cfg.ClientSecret.Reveal(), userReadScope, hc),
	}, nil
}

// Name returns "uipath".
func (c *Client) Name() string { return Name }

// DefaultAccount returns the configured UIPATH_ACCOUNT_ID.
func (c *Client) DefaultAccount() string { return c.account }

// call is one exchange with the lease_ API.
type call struct {
	op     string // for errors and metrics
	method string
	path   string // under {base}/lease_/api/account/{account}, or {base}/identity_/api
	body   any    // JSON-encoded when not nil
	// identity makes the call to the Identity user API with its token.
	identity bool
	// notFound is the class of a 404, which means something different for
	// each endpoint.
	notFound error
}

// do performs cl against account and decodes a successful answer into out.
// A 401 is answered by fetching a new token and trying once more.
func (c *Client) do(ctx context.Context, account string, cl call, out any) error {
	var payload []byte
	if cl.body != nil {
		var err error
		if payload, err = json.Marshal(cl.body); err != nil {
			return &vendors.Error{Class: vendors.ErrRejected, Op: cl.op, Err: err}
		}
	}
	target, toks := c.base+"/lease_/api/account/"+url.PathEscape(account)+cl.path, c.tokens
	if cl.identity {
		target, toks = c.base+"/identity_/api"+cl.path, c.users
	}
	ctx = vendors.WithOp(ctx, cl.op)
	var used []string
	for attempt := 0; ; attempt++ {
		token, err := toks.get(ctx)
		if err != nil {
			return c.scrub(err, used)
		}
		used = append(used, token)
		resp, err := c.send(ctx, cl.method, target, token, payload)
		if err != nil {
			return c.scrub(&vendors.Error{Class: vendors.ErrTransient, Op: cl.op, Err: err}, used)
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 {
			drain(resp)
			toks.invalidate(token)
			continue
		}
		return c.scrub(c.decode(resp, cl, out), used)
	}
}

func (c *Client) send(ctx context.Context, method, target, token string, payload []byte) (*http.Response, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.hc.Do(req)
}

// decode turns resp into out or into a classified error, and closes it.
func (c *Client) decode(resp *http.Response, cl call, out any) error {
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return &vendors.Error{Class: vendors.ErrTransient, Op: cl.op, Status: resp.StatusCode, Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return statusError(cl, resp, body)
	}
	if out == nil || len(bytes.TrimSpace(body)) == 0 {
		// 204, or 200 without a body: nothing to read.
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		// A garbled success (a proxy's page, a cut-off body) is worth
		// another try: every call is a read or an idempotent replace.
		return &vendors.Error{Class: vendors.ErrTransient, Op: cl.op, Status: resp.StatusCode,
			Message: "unreadable answer", Err: fmt.Errorf("decode %s: %w", resp.Header.Get("Content-Type"), err)}
	}
	return nil
}

// scrub removes the client secret and the tokens used from the vendor's
// message in err, should the vendor (or a gateway in front of it) ever echo
// one back.
func (c *Client) scrub(err error, tokens []string) error {
	e, ok := err.(*vendors.Error)
	if !ok {
		return err
	}
	for _, s := range append(tokens, c.tokens.conf.ClientSecret) {
		if s != "" {
			e.Message = strings.ReplaceAll(e.Message, s, "[redacted]")
		}
	}
	return e
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	resp.Body.Close()
}

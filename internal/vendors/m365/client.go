// Package m365 is seatkeeper's adapter for Microsoft 365 licenses, managed
// through Microsoft Graph with an app registration's client credentials.
//
// License codes are SKU part numbers (ENTERPRISEPACK, SPE_E3, ...) or skuId
// GUIDs; part numbers are resolved through subscribedSkus, which is cached and
// fetched again once when a code is not in the cache. Users are user
// principal names (compared by Graph without regard to case; one starting
// with $ is addressed as users('...')) or object ids. The tenant is the only
// account.
//
// What a user holds is read from licenseAssignmentStates, which tells a
// direct assignment from one inherited from a group: only direct ones are
// ever removed, since Graph refuses a whole assignLicense that removes an
// inherited SKU.
package m365

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Name is the vendor's name as commands spell it.
const Name = "m365"

// maxBody bounds how much of a Graph answer is read.
const maxBody = 8 << 20

// Client is the Microsoft 365 adapter. It is safe for concurrent use.
type Client struct {
	cfg   Config
	hc    *http.Client
	graph string
	auth  *tokenCache
	skus  *skuCache
	// noSignIns is set once Graph refuses signInActivity (the tenant has
	// no Entra ID P1/P2, or the app no AuditLog.Read.All): it is not asked
	// for again.
	noSignIns atomic.Bool
}

var (
	_ vendors.Vendor    = (*Client)(nil)
	_ vendors.Directory = (*Client)(nil)
)

// New returns a client for cfg. hc carries every request, token requests
// included; nil means vendors.NewHTTPClient("m365", cfg.Limits(), nil).
func New(cfg Config, hc *http.Client) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("m365: %w", err)
	}
	if hc == nil {
		hc = vendors.NewHTTPClient(Name, cfg.Limits(), nil)
	}
	c := &Client{
		cfg:   cfg,
		hc:    hc,
		graph: strings.TrimRight(cfg.GraphURL, "/"),
		auth:  newTokenCache(cfg, hc),
	}
	c.skus = newSKUCache(c.subscribedSkus)
	return c, nil
}

// Name returns "m365".
func (c *Client) Name() string { return Name }

// DefaultAccount returns the configured tenant.
func (c *Client) DefaultAccount() string { return c.cfg.TenantID }

// checkAccount accepts the configured tenant, spelled as configured (case
// aside), or no account at all.
func (c *Client) checkAccount(op, account string) error {
	if account == "" || strings.EqualFold(account, c.cfg.TenantID) {
		return nil
	}
	return vendors.Errorf(vendors.ErrUnknownAccount, op, 0,
		"this worker is configured for tenant %s, not %q", c.cfg.TenantID, account)
}

// call is one Graph request.
type call struct {
	op     string // operation label, for metrics and errors
	method string
	path   string // under {graph}/v1.0, already escaped
	body   any
	out    any
	// notFound is the class of a 404 answer; nil: ErrRejected.
	notFound error
}

// do makes c, refreshing the token once if Graph answers 401.
func (c *Client) do(ctx context.Context, cl call) error {
	var payload []byte
	if cl.body != nil {
		var err error
		if payload, err = json.Marshal(cl.body); err != nil {
			return fmt.Errorf("%s: encode: %w", cl.op, err)
		}
	}
	ctx = vendors.WithOp(ctx, cl.op)
	for refreshed := false; ; refreshed = true {
		tok, err := c.auth.token(ctx)
		if err != nil {
			return err
		}
		resp, err := c.send(ctx, cl, payload, tok)
		if err != nil {
			return transportError(cl.op, err)
		}
		if resp.StatusCode == http.StatusUnauthorized && !refreshed {
			drain(resp)
			c.auth.invalidate(tok)
			continue
		}
		return decode(cl, resp)
	}
}

func (c *Client) send(ctx context.Context, cl call, payload []byte, tok string) (*http.Response, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, c.graph+"/v1.0"+cl.path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return c.hc.Do(req)
}

// decode reads a Graph answer into cl.out or turns it into an error.
func decode(cl call, resp *http.Response) error {
	defer drain(resp)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return responseError(cl.op, resp, cl.notFound)
	}
	if cl.out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(cl.out); err != nil {
		// A cut-off answer is worth another try; the decoder's message
		// holds no body content.
		return &vendors.Error{Class: vendors.ErrTransient, Op: cl.op, Status: resp.StatusCode,
			Message: "unreadable answer", Err: err}
	}
	return nil
}

// transportError classifies a request that got no answer.
func transportError(op string, err error) error {
	msg := "no answer"
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() {
		msg = "timed out"
	}
	return &vendors.Error{Class: vendors.ErrTransient, Op: op, Message: msg, Err: err}
}

// drain reads what is left of a body (bounded) so the connection can be
// reused, then closes it.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	_ = resp.Body.Close()
}

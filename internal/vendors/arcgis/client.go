// Package arcgis is seatkeeper's adapter for the license API of an ArcGIS
// Online or ArcGIS Enterprise portal: user types (usertype:<id>) set with
// updateUserLicenseType, and ArcGIS Pro entitlements (pro:<entitlement>) on
// the Pro listing set with provisionUserEntitlements; on Enterprise, a
// release first frees a Pro license checked out to a lost device with the
// portal admin's license/releaseLicense.
//
// The portal answers most errors with HTTP 200 and an {"error":{...}} body,
// so every answer's body is checked, not only its status. Tokens come from
// generateToken (client=referer) and travel in the form body of a POST and
// in the query of a GET; such URLs are never logged nor put in an error.
package arcgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Name is the vendor's name in commands.
const Name = "arcgis"

// DefaultAccount is the only account the adapter serves: the portal's own
// organisation, which the API calls "self" (portals/self). Commands may omit
// the account or name it "self".
const DefaultAccount = "self"

// maxBody bounds how much of an answer is read.
const maxBody = 8 << 20

// Client talks to one portal with one administrator's credentials.
type Client struct {
	cfg     Config
	hc      *http.Client
	portal  string // sharing REST root, no trailing slash
	admin   string // portal admin root, or ""
	referer string // the referer tokens are bound to
	tokens  tokenCache
}

var _ vendors.Vendor = (*Client)(nil)

// New returns a client for cfg. hc nil means
// vendors.NewHTTPClient("arcgis", cfg.Limits(), nil).
func New(cfg Config, hc *http.Client) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if hc == nil {
		hc = vendors.NewHTTPClient(Name, cfg.Limits(), nil)
	}
	portal := strings.TrimRight(cfg.PortalURL, "/")
	u, _ := url.Parse(portal) // Validate parsed it already
	return &Client{
		cfg:     cfg,
		hc:      hc,
		portal:  portal,
		admin:   strings.TrimRight(cfg.AdminURL, "/"),
		referer: u.Scheme + "://" + u.Host,
	}, nil
}

// Name returns "arcgis".
func (c *Client) Name() string { return Name }

// DefaultAccount returns "self", the portal's one organisation.
func (c *Client) DefaultAccount() string { return DefaultAccount }

// checkAccount accepts the one organisation, named "self" or not at all.
func checkAccount(account string) error {
	if account == "" || account == DefaultAccount {
		return nil
	}
	return &vendors.Error{Class: vendors.ErrUnknownAccount, Op: Name,
		Message: fmt.Sprintf("account %q: the portal has one organisation; name it %q or omit the account", account, DefaultAccount)}
}

// call makes one authenticated call and decodes the answer into out. An
// answer asking for a new token (498/499) gets one refresh and one repeat;
// a second such answer is ErrAuth.
func (c *Client) call(ctx context.Context, op, method, endpoint string, params url.Values, out any) error {
	ctx = vendors.WithOp(ctx, op)
	token, err := c.token(ctx)
	if err != nil {
		return err
	}
	err = c.do(ctx, op, method, endpoint, withToken(params, token), out)
	if !errors.Is(err, errTokenRejected) {
		return scrubbed(err, token, c.cfg.Password.Reveal())
	}
	token, err = c.refresh(ctx, token)
	if err != nil {
		return err
	}
	err = c.do(ctx, op, method, endpoint, withToken(params, token), out)
	if errors.Is(err, errTokenRejected) {
		var ve *vendors.Error
		errors.As(err, &ve)
		return &vendors.Error{Class: vendors.ErrAuth, Op: op, Status: ve.Status,
			Message: "the portal refused a fresh token: " + ve.Message}
	}
	return scrubbed(err, token, c.cfg.Password.Reveal())
}

func withToken(params url.Values, token string) url.Values {
	v := make(url.Values, len(params)+2)
	for k, vs := range params {
		v[k] = vs
	}
	v.Set("f", "json")
	v.Set("token", token)
	return v
}

// do makes one HTTP exchange: a form POST, or a GET with params in the
// query. It decodes a successful answer into out.
func (c *Client) do(ctx context.Context, op, method, endpoint string, params url.Values, out any) error {
	var body io.Reader
	target := endpoint
	if method == http.MethodPost {
		body = strings.NewReader(params.Encode())
	} else {
		target += "?" + params.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		// The URL carries the token: say only what went wrong.
		return &vendors.Error{Class: vendors.ErrRejected, Op: op, Message: "cannot build the request"}
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Referer", c.referer)
	resp, err := c.hc.Do(req)
	if err != nil {
		return transportError(op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	_, _ = io.Copy(io.Discard, resp.Body)
	if err != nil {
		return transportError(op, err)
	}
	return decode(op, resp, raw, out)
}

// envelope is what every answer may carry besides its payload: the sharing
// API's {"error":{...}} and the portal admin's
// {"status":"error","messages":[...],"code":...}.
type envelope struct {
	Error    json.RawMessage `json:"error"`
	Status   json.RawMessage `json:"status"`
	Messages []string        `json:"messages"`
	Code     json.RawMessage `json:"code"`
}

// apiErr reads the sharing API's error object, or nil when there is none.
// An error object that cannot be read in full is still an error: its
// answer is never taken for an unreadable, transient one.
func (env envelope) apiErr() *apiError {
	if len(env.Error) == 0 || string(env.Error) == "null" {
		return nil
	}
	var e apiError
	if err := json.Unmarshal(env.Error, &e); err != nil {
		var loose struct {
			Code    json.RawMessage `json:"code"`
			Message string          `json:"message"`
		}
		_ = json.Unmarshal(env.Error, &loose)
		e = apiError{Code: number(loose.Code), Message: loose.Message}
		if e.Message == "" {
			e.Message = "an error the adapter could not read"
		}
	}
	return &e
}

// number reads a JSON number or a string holding one; 0 otherwise.
func number(raw json.RawMessage) int {
	n, _ := strconv.Atoi(strings.Trim(string(raw), `"`))
	return n
}

// decode checks an answer's status and body, then fills out.
func decode(op string, resp *http.Response, raw []byte, out any) error {
	var env envelope
	jsonErr := json.Unmarshal(raw, &env)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e apiError
		if ae := env.apiErr(); jsonErr == nil && ae != nil {
			e = *ae
		}
		return classifyStatus(op, resp.StatusCode, e, resp.Header)
	}
	if jsonErr != nil {
		// A proxy's page or a portal that ignored f=json: nothing to read,
		// maybe better on another try.
		return &vendors.Error{Class: vendors.ErrTransient, Op: op, Status: resp.StatusCode,
			Message: "the portal's answer is not JSON"}
	}
	if ae := env.apiErr(); ae != nil {
		return classify(op, 0, *ae, 0)
	}
	if string(env.Status) == `"error"` {
		return classify(op, 0, apiError{Code: number(env.Code), Message: strings.Join(env.Messages, " ")}, 0)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return &vendors.Error{Class: vendors.ErrTransient, Op: op, Status: resp.StatusCode,
			Message: "unexpected answer shape"}
	}
	return nil
}

// sharing returns the URL of a sharing REST endpoint.
func (c *Client) sharing(path ...string) string {
	return c.portal + "/" + strings.Join(path, "/")
}

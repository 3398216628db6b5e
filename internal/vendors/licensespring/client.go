// Package licensespring is seatkeeper's adapter for LicenseSpring's
// Management API (https://saas.licensespring.com/api/v1): it assigns
// user-based licenses to license users (by email) and takes them away,
// authenticating with a static management API key.
//
// A license code is the numeric id of a user-based license; such a license
// is a seat pool of max_license_users seats. LicenseSpring has one vendor
// account per API key, so the adapter's only account is DefaultAccountName
// and commands may omit it.
//
// The package also holds what seatkeeper knows of LicenseSpring's License API
// v4, the API installed applications call: its request signer (Signer) and a
// parser for its user_licenses answer (ParseUserLicenses). The adapter's
// operations do not use them: user_licenses authenticates as the end user.
package licensespring

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Name is the vendor's name as commands spell it.
const Name = "licensespring"

// DefaultAccountName is the one account of a configuration. A management API
// key belongs to one LicenseSpring company, so there is nothing to choose:
// commands may omit the account or name this one.
const DefaultAccountName = "default"

// maxBody bounds how much of an answer is read.
const maxBody = 8 << 20

// Client is the LicenseSpring adapter, bound to one management API key.
type Client struct {
	base *url.URL
	key  config.Secret
	hc   *http.Client
}

var _ vendors.Vendor = (*Client)(nil)

// New returns a client for cfg (an empty BaseURL means DefaultBaseURL). hc
// nil means vendors.NewHTTPClient(Name, cfg.Limits(), nil).
func New(cfg Config, hc *http.Client) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("licensespring: %w", err)
	}
	base, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("licensespring: %w", err)
	}
	if hc == nil {
		hc = vendors.NewHTTPClient(Name, cfg.Limits(), nil)
	}
	return &Client{base: base, key: cfg.APIKey, hc: hc}, nil
}

// Name returns "licensespring".
func (c *Client) Name() string { return Name }

// DefaultAccount returns DefaultAccountName: one account per configuration.
func (c *Client) DefaultAccount() string { return DefaultAccountName }

// call is one exchange with the Management API.
type call struct {
	op     string // for errors and metrics
	method string
	// ref is the path (under the base URL's path) and query.
	ref  string
	body any // JSON-encoded when not nil
}

// do performs cl and decodes a successful answer into out (nil: discard).
// It makes one attempt: the key is static, so a 401 is final.
func (c *Client) do(ctx context.Context, cl call, out any) error {
	var payload io.Reader
	if cl.body != nil {
		b, err := json.Marshal(cl.body)
		if err != nil {
			return &vendors.Error{Class: vendors.ErrRejected, Op: cl.op, Err: err}
		}
		payload = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(vendors.WithOp(ctx, cl.op), cl.method, c.target(cl.ref), payload)
	if err != nil {
		return &vendors.Error{Class: vendors.ErrRejected, Op: cl.op, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c.authorize(req)
	resp, err := c.hc.Do(req)
	if err != nil {
		return &vendors.Error{Class: vendors.ErrTransient, Op: cl.op, Err: err}
	}
	defer drain(resp)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return classify(cl.op, resp)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(out); err != nil {
		// A garbled success (a proxy's page, a cut connection) is worth
		// another try; the body itself is never quoted.
		return &vendors.Error{Class: vendors.ErrTransient, Op: cl.op, Status: resp.StatusCode,
			Message: "unreadable answer", Err: err}
	}
	return nil
}

// target joins ref (an absolute path with an optional query) to the base URL,
// keeping any path prefix the base URL has.
func (c *Client) target(ref string) string {
	return c.base.String() + ref
}

// drain reads what is left of a body (bounded) so the connection can be
// reused, then closes it.
func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	_ = resp.Body.Close()
}

package uipath

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Assign gives the user every requested bundle the user does not hold. The
// PUT replaces the user's bundles, so it sends the union of what the user
// holds and what is requested.
func (c *Client) Assign(ctx context.Context, req vendors.Request) (vendors.Outcome, error) {
	out, err := c.assign(ctx, req)
	if err != nil {
		return vendors.Outcome{}, fmt.Errorf("uipath: assign %s: %w", req.User, err)
	}
	return out, nil
}

func (c *Client) assign(ctx context.Context, req vendors.Request) (vendors.Outcome, error) {
	account, err := c.accountOf(req.Account)
	if err != nil {
		return vendors.Outcome{}, err
	}
	cur, err := c.allocation(ctx, account, req.User)
	if err != nil {
		return vendors.Outcome{}, err
	}
	held := cur.codes()
	var out vendors.Outcome
	var add []string
	for _, code := range dedupe(req.Licenses) {
		status := events.StatusAlreadyAssigned
		if !slices.Contains(held, code) {
			add = append(add, code)
			status = events.StatusAssigned
			if req.DryRun {
				status = events.StatusWouldAssign
			}
		}
		out.Licenses = append(out.Licenses, events.LicenseResult{Code: code, Status: status})
	}
	if len(add) > 0 && !req.DryRun {
		held, err = c.allocate(ctx, account, req.User, append(slices.Clone(held), add...), cur.UseExternalLicense)
		if errors.Is(err, vendors.ErrCapacity) {
			err = c.explainCapacity(ctx, account, add, err)
		}
		if err != nil {
			return vendors.Outcome{}, err
		}
	}
	out.Held = holdings(held)
	return out, nil
}

// Release takes the requested bundles from the user, or every bundle the
// user holds when none is named, by sending what remains (possibly nothing).
func (c *Client) Release(ctx context.Context, req vendors.Request) (vendors.Outcome, error) {
	out, err := c.release(ctx, req)
	if err != nil {
		return vendors.Outcome{}, fmt.Errorf("uipath: release %s: %w", req.User, err)
	}
	return out, nil
}

func (c *Client) release(ctx context.Context, req vendors.Request) (vendors.Outcome, error) {
	account, err := c.accountOf(req.Account)
	if err != nil {
		return vendors.Outcome{}, err
	}
	cur, err := c.allocation(ctx, account, req.User)
	if err != nil {
		return vendors.Outcome{}, err
	}
	held := cur.codes()
	codes := dedupe(req.Licenses)
	if len(codes) == 0 {
		codes = held
	}
	var out vendors.Outcome
	var drop []string
	for _, code := range codes {
		status := events.StatusNotAssigned
		if slices.Contains(held, code) {
			drop = append(drop, code)
			status = events.StatusReleased
			if req.DryRun {
				status = events.StatusWouldRelease
			}
		}
		out.Licenses = append(out.Licenses, events.LicenseResult{Code: code, Status: status})
	}
	if len(drop) > 0 && !req.DryRun {
		keep := slices.DeleteFunc(slices.Clone(held), func(code string) bool { return slices.Contains(drop, code) })
		if held, err = c.allocate(ctx, account, req.User, keep, cur.UseExternalLicense); err != nil {
			return vendors.Outcome{}, err
		}
	}
	out.Held = holdings(held)
	return out, nil
}

// List returns the bundles directly allocated to the user.
func (c *Client) List(ctx context.Context, account, user string) ([]events.Holding, error) {
	account, err := c.accountOf(account)
	if err != nil {
		return nil, fmt.Errorf("uipath: list %s: %w", user, err)
	}
	cur, err := c.allocation(ctx, account, user)
	if err != nil {
		return nil, fmt.Errorf("uipath: list %s: %w", user, err)
	}
	return holdings(cur.codes()), nil
}

// Pools returns the account's user bundle pools.
func (c *Client) Pools(ctx context.Context, account string) ([]events.Pool, error) {
	account, err := c.accountOf(account)
	if err != nil {
		return nil, fmt.Errorf("uipath: pools: %w", err)
	}
	ps, err := c.pools(ctx, account)
	if err != nil {
		return nil, fmt.Errorf("uipath: pools: %w", err)
	}
	out := make([]events.Pool, len(ps))
	for i, p := range ps {
		out[i] = events.Pool{Code: p.Code, Total: p.Total, Assigned: p.Allocated, Free: p.free()}
	}
	return out, nil
}

func (c *Client) accountOf(account string) (string, error) {
	if account != "" {
		return account, nil
	}
	if c.account != "" {
		return c.account, nil
	}
	return "", vendors.Errorf(vendors.ErrUnknownAccount, "account", 0,
		"the command names no account and UIPATH_ACCOUNT_ID is not set")
}

func (c *Client) allocation(ctx context.Context, account, user string) (allocation, error) {
	var a allocation
	err := c.do(ctx, account, call{
		op:       "allocation",
		method:   http.MethodGet,
		path:     "/user-license/user/" + url.PathEscape(user) + "/allocation",
		notFound: vendors.ErrUserNotFound,
	}, &a)
	return a, err
}

// allocate replaces the user's direct bundles with codes and returns what the
// vendor says the user holds now.
func (c *Client) allocate(ctx context.Context, account, user string, codes []string, external bool) ([]string, error) {
	var got []allocated
	err := c.do(ctx, account, call{
		op:       "allocate",
		method:   http.MethodPut,
		path:     "/user-license",
		body:     allocateRequest{UserIDs: []string{user}, UserBundleCodes: nonNil(codes), UseExternalLicense: external},
		notFound: vendors.ErrNotLicensed,
	}, &got)
	if err != nil {
		return nil, err
	}
	for _, a := range got {
		if a.UserID == user {
			return a.UserBundleCodes, nil
		}
	}
	// An answer that does not list the user: the PUT succeeded, so the user
	// holds what was sent.
	return codes, nil
}

func (c *Client) pools(ctx context.Context, account string) ([]pool, error) {
	var ps []pool
	err := c.do(ctx, account, call{
		op:       "pools",
		method:   http.MethodGet,
		path:     "/user-license",
		notFound: vendors.ErrNotLicensed,
	}, &ps)
	return ps, err
}

// explainCapacity names, in the message of a 409, the requested codes the
// account's pools show full or missing. The vendor's 409 says neither; when
// the pools cannot be read the 409 is returned as it came.
func (c *Client) explainCapacity(ctx context.Context, account string, add []string, conflict error) error {
	var e *vendors.Error
	if !errors.As(conflict, &e) {
		return conflict
	}
	ps, err := c.pools(ctx, account)
	if err != nil {
		return conflict
	}
	var why []string
	for _, code := range add {
		i := slices.IndexFunc(ps, func(p pool) bool { return p.Code == code })
		switch {
		case i < 0:
			why = append(why, fmt.Sprintf("the account has no %s pool", code))
		case ps[i].free() == 0:
			why = append(why, fmt.Sprintf("%s has no free seat (%d of %d allocated)", code, ps[i].Allocated, ps[i].Total))
		}
	}
	if len(why) == 0 {
		return conflict
	}
	explained := *e
	explained.Message = strings.Join(why, "; ")
	if e.Message != "" && e.Message != http.StatusText(e.Status) {
		explained.Message += " (vendor: " + e.Message + ")"
	}
	return &explained
}

func holdings(codes []string) []events.Holding {
	out := make([]events.Holding, len(codes))
	for i, code := range codes {
		out[i] = events.Holding{Code: code}
	}
	return out
}

// dedupe drops repeated codes, keeping the first of each.
func dedupe(codes []string) []string {
	var out []string
	for _, code := range codes {
		if !slices.Contains(out, code) {
			out = append(out, code)
		}
	}
	return out
}

// nonNil makes an empty list encode as [] (release everything), not null.
func nonNil(codes []string) []string {
	if codes == nil {
		return []string{}
	}
	return codes
}

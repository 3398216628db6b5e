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

// Assign gives the user every requested bundle the user does not hold,
// directly or through a group. The PUT replaces the user's direct
// allocations, so it sends the direct ones and the new ones; a bundle a
// group gives is already held and gets no direct copy.
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
	cur, err := c.allocations(ctx, account, req.User)
	if err != nil {
		return vendors.Outcome{}, err
	}
	var out vendors.Outcome
	var add []string
	for _, code := range dedupe(req.Licenses) {
		status := events.StatusAlreadyAssigned
		if !cur.holds(code) {
			add = append(add, code)
			status = events.StatusAssigned
			if req.DryRun {
				status = events.StatusWouldAssign
			}
		}
		out.Licenses = append(out.Licenses, events.LicenseResult{Code: code, Status: status})
	}
	switch {
	case len(add) == 0:
	case req.DryRun:
		// What the PUT would refuse: a code without a pool, a full pool.
		ps, err := c.pools(ctx, account)
		if err != nil {
			return vendors.Outcome{}, err
		}
		if err := refusal(ps, add, nil); err != nil {
			return vendors.Outcome{}, err
		}
	default:
		direct, err := c.allocate(ctx, account, req.User, append(slices.Clone(cur.direct), add...), cur.external)
		if errors.Is(err, vendors.ErrCapacity) {
			err = c.explainConflict(ctx, account, add, err)
		}
		if err != nil {
			return vendors.Outcome{}, err
		}
		cur = cur.withDirect(direct)
	}
	out.Held = cur.holdings()
	return out, nil
}

// Release takes the requested bundles from the user, or every bundle the
// user holds when none is named, by sending the direct allocations that
// remain (possibly none). A bundle held through a group cannot be taken
// from the user: it is reported inherited, naming the group, and its seat
// stays taken.
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
	cur, err := c.allocations(ctx, account, req.User)
	if err != nil {
		return vendors.Outcome{}, err
	}
	codes := dedupe(req.Licenses)
	if len(codes) == 0 {
		codes = cur.order
	}
	var out vendors.Outcome
	var drop []string
	for _, code := range codes {
		r := events.LicenseResult{Code: code, Status: events.StatusNotAssigned}
		if slices.Contains(cur.direct, code) {
			// Dropped even when a group gives it too: the user should
			// not hold it of their own.
			drop = append(drop, code)
			r.Status = events.StatusReleased
			if req.DryRun {
				r.Status = events.StatusWouldRelease
			}
		}
		if group, ok := cur.group(code); ok {
			r.Status, r.Group = events.StatusInherited, group
		}
		out.Licenses = append(out.Licenses, r)
	}
	if len(drop) > 0 && !req.DryRun {
		keep := slices.DeleteFunc(slices.Clone(cur.direct), func(code string) bool { return slices.Contains(drop, code) })
		direct, err := c.allocate(ctx, account, req.User, keep, cur.external)
		if err != nil {
			return vendors.Outcome{}, err
		}
		cur = cur.withDirect(direct)
	}
	out.Held = cur.holdings()
	return out, nil
}

// List returns the bundles the user holds, directly or through a group,
// with their last use.
func (c *Client) List(ctx context.Context, account, user string) ([]events.Holding, error) {
	account, err := c.accountOf(account)
	if err != nil {
		return nil, fmt.Errorf("uipath: list %s: %w", user, err)
	}
	cur, err := c.allocations(ctx, account, user)
	if err != nil {
		return nil, fmt.Errorf("uipath: list %s: %w", user, err)
	}
	return cur.holdings(), nil
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

// allocations reads what the user holds. A 404 may mean a user the
// license service has never known, who holds nothing and must be
// assignable: the Identity service tells.
func (c *Client) allocations(ctx context.Context, account, user string) (seats, error) {
	var a allocations
	err := c.do(ctx, account, call{
		op:       "allocations",
		method:   http.MethodGet,
		path:     "/user-license/user/" + url.PathEscape(user) + "/allocations",
		notFound: vendors.ErrUserNotFound,
	}, &a)
	if errors.Is(err, vendors.ErrUserNotFound) {
		if _, err = c.userExists(ctx, user, err); err == nil {
			a = allocations{}
		}
	}
	if err != nil {
		return seats{}, err
	}
	return newSeats(a), nil
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

// explainConflict turns the PUT's 409, which says neither which code nor
// why, into what the pools show: license_not_found for a code the account
// has no pool of (a typo must not be retried as if seats could free up), a
// capacity error naming the full pools otherwise. When the pools cannot be
// read the 409 is returned as it came.
func (c *Client) explainConflict(ctx context.Context, account string, add []string, conflict error) error {
	var e *vendors.Error
	if !errors.As(conflict, &e) {
		return conflict
	}
	ps, err := c.pools(ctx, account)
	if err != nil {
		return conflict
	}
	if err := refusal(ps, add, e); err != nil {
		return err
	}
	return conflict
}

// refusal says why the pools refuse one more seat of each code in add:
// ErrLicenseNotFound when a code has no pool, else ErrCapacity when a pool
// is full, else nil. conflict, when not nil, is the vendor's answer to keep
// the status and message of.
func refusal(ps []pool, add []string, conflict *vendors.Error) error {
	var missing, full []string
	for _, code := range add {
		i := slices.IndexFunc(ps, func(p pool) bool { return p.Code == code })
		switch {
		case i < 0:
			missing = append(missing, fmt.Sprintf("the account has no %s pool", code))
		case ps[i].free() == 0:
			full = append(full, fmt.Sprintf("%s has no free seat (%d of %d allocated)", code, ps[i].Allocated, ps[i].Total))
		}
	}
	e := &vendors.Error{Class: vendors.ErrLicenseNotFound, Op: "allocate", Message: strings.Join(missing, "; ")}
	if len(missing) == 0 {
		e.Class, e.Message = vendors.ErrCapacity, strings.Join(full, "; ")
	}
	if e.Message == "" {
		return nil
	}
	if conflict != nil {
		e.Status = conflict.Status
		if conflict.Message != "" && conflict.Message != http.StatusText(conflict.Status) {
			e.Message += " (vendor: " + conflict.Message + ")"
		}
	}
	return e
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

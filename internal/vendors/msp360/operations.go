package msp360

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// maxGrantAttempts bounds the grants of one code when other callers keep
// taking the chosen license between the list and the grant.
const maxGrantAttempts = 3

// operation is the body of Grant and Release (and Revoke, never used).
type operation struct {
	LicenseID string `json:"LicenseID"`
	UserID    string `json:"UserID"`
}

// Assign grants the user one license of every requested type (or the
// requested license) it does not hold. Every code is checked against the
// list before the first grant, so that an unknown code or a full pool fails
// the command without a partial assignment.
func (c *Client) Assign(ctx context.Context, req vendors.Request) (vendors.Outcome, error) {
	if err := checkRequest("assign", req); err != nil {
		return vendors.Outcome{}, err
	}
	if !req.DryRun {
		// The API has no "grant any free license of this type": a caller
		// picks one from the list and grants it. Concurrent assigns in one
		// worker would all pick the same license and lose races to each
		// other, so they take turns; across replicas the lost-race retry
		// in assignOne covers it.
		c.grantMu.Lock()
		defer c.grantMu.Unlock()
	}
	inv, err := c.inventory(ctx)
	if err != nil {
		return vendors.Outcome{}, fmt.Errorf("msp360: assign to %s: %w", req.User, err)
	}
	results := make([]events.LicenseResult, len(req.Licenses))
	plan := inv.clone()
	for i, code := range req.Licenses {
		l, err := plan.choose(req.User, code)
		if err != nil {
			return vendors.Outcome{}, fmt.Errorf("msp360: assign %s to %s: %w", code, req.User, err)
		}
		results[i] = events.LicenseResult{Code: code, Status: events.StatusAlreadyAssigned}
		if l != nil {
			l.UserID = req.User
			results[i].Status = events.StatusWouldAssign
		}
	}
	if req.DryRun {
		return vendors.Outcome{Licenses: results, Held: inv.holdings(req.User)}, nil
	}
	for i, code := range req.Licenses {
		if results[i].Status == events.StatusAlreadyAssigned {
			continue
		}
		if results[i].Status, inv, err = c.assignOne(ctx, inv, req.User, code); err != nil {
			return vendors.Outcome{}, fmt.Errorf("msp360: assign %s to %s: %w", code, req.User, err)
		}
	}
	return vendors.Outcome{Licenses: results, Held: inv.holdings(req.User)}, nil
}

// choose returns the license to grant user for code, or nil when user
// holds it already.
func (inv *inventory) choose(user, code string) (*license, error) {
	if l := inv.byID(code); l != nil {
		switch {
		case l.heldBy(user):
			return nil, nil
		case l.expired(inv.now):
			return nil, vendors.Errorf(vendors.ErrRejected, "assign", 0, "license %s has expired", l.ID)
		case !l.free(inv.now):
			return nil, vendors.Errorf(vendors.ErrCapacity, "assign", 0, "license %s is held by another user or computer", l.ID)
		}
		return l, nil
	}
	if !inv.hasType(code) {
		return nil, vendors.Errorf(vendors.ErrLicenseNotFound, "assign", 0, "no license of type or with id %q", code)
	}
	if len(inv.heldOf(user, code)) > 0 {
		return nil, nil
	}
	if l := inv.pick(code); l != nil {
		return l, nil
	}
	return nil, vendors.Errorf(vendors.ErrCapacity, "assign", 0, "no free %s license", code)
}

// assignOne grants user a license for code and returns the inventory as it
// now stands. A 400 on Grant after which the list shows the license taken
// is a lost race: it chooses anew from that list, at most maxGrantAttempts
// times in all.
func (c *Client) assignOne(ctx context.Context, inv *inventory, user, code string) (string, *inventory, error) {
	for attempt := 1; ; attempt++ {
		l, err := inv.choose(user, code)
		if err != nil {
			return "", nil, err
		}
		if l == nil {
			return events.StatusAlreadyAssigned, inv, nil
		}
		err = c.call(ctx, "grant", http.MethodPost, "/api/Licenses/Grant", operation{LicenseID: l.ID, UserID: user}, nil)
		switch statusOf(err) {
		case 0:
			if err != nil {
				return "", nil, err
			}
			l.UserID = user
			return events.StatusAssigned, inv, nil
		case http.StatusNotFound:
			// ASSUMED: the license was just listed, so a 404 names the user.
			return "", nil, withClass(err, vendors.ErrUserNotFound)
		case http.StatusBadRequest:
		default:
			return "", nil, err
		}
		fresh, lerr := c.inventory(ctx)
		if lerr != nil {
			return "", nil, lerr
		}
		if now := fresh.byID(l.ID); now != nil && now.free(fresh.now) {
			return "", nil, err // still free: the 400 was about something else
		}
		if attempt == maxGrantAttempts {
			return "", nil, vendors.Errorf(vendors.ErrTransient, "grant", http.StatusBadRequest,
				"the chosen %s license was taken by another caller %d times in a row", code, attempt)
		}
		inv = fresh
	}
}

// Release takes the requested licenses from the user (every license of a
// requested type), or all of the user's licenses when none is requested.
// A code the user does not hold, known or not, is not_assigned: an
// offboarding must not fail for a license that is already gone.
func (c *Client) Release(ctx context.Context, req vendors.Request) (vendors.Outcome, error) {
	if err := checkRequest("release", req); err != nil {
		return vendors.Outcome{}, err
	}
	inv, err := c.inventory(ctx)
	if err != nil {
		return vendors.Outcome{}, fmt.Errorf("msp360: release from %s: %w", req.User, err)
	}
	codes := req.Licenses
	if len(codes) == 0 {
		codes = inv.heldTypes(req.User)
	}
	work := inv
	if req.DryRun {
		work = inv.clone()
	}
	results := make([]events.LicenseResult, 0, len(codes))
	for _, code := range codes {
		status, err := c.releaseCode(ctx, work, req.User, code, req.DryRun)
		if err != nil {
			return vendors.Outcome{}, fmt.Errorf("msp360: release %s from %s: %w", code, req.User, err)
		}
		results = append(results, events.LicenseResult{Code: code, Status: status})
	}
	return vendors.Outcome{Licenses: results, Held: inv.holdings(req.User)}, nil
}

// releaseCode releases the user's licenses that code names; inv is updated.
func (c *Client) releaseCode(ctx context.Context, inv *inventory, user, code string, dry bool) (string, error) {
	held := inv.heldOf(user, code)
	if len(held) == 0 {
		return events.StatusNotAssigned, nil
	}
	status := events.StatusNotAssigned
	for _, l := range held {
		if dry {
			l.UserID = ""
			status = events.StatusWouldRelease
			continue
		}
		released, err := c.releaseOne(ctx, l, user)
		if err != nil {
			return "", err
		}
		if released {
			status = events.StatusReleased
		}
	}
	return status, nil
}

// releaseOne calls Release for l and clears it locally. released is false
// when the license turned out to be gone from the user already: a 404, or
// a 400 after which the list no longer shows it held.
func (c *Client) releaseOne(ctx context.Context, l *license, user string) (released bool, err error) {
	err = c.call(ctx, "release", http.MethodPost, "/api/Licenses/Release", operation{LicenseID: l.ID, UserID: user}, nil)
	switch statusOf(err) {
	case 0:
		if err != nil {
			return false, err
		}
		released = true
	case http.StatusNotFound:
	case http.StatusBadRequest:
		fresh, lerr := c.inventory(ctx)
		if lerr != nil {
			return false, lerr
		}
		if now := fresh.byID(l.ID); now != nil && now.heldBy(user) {
			return false, err
		}
	default:
		return false, err
	}
	l.UserID, l.ComputerName, l.IsTaken = "", "", false
	return released, nil
}

// List returns the licenses the user holds, each with its last use (the
// last start of the user's backups, lastUse).
func (c *Client) List(ctx context.Context, account, user string) ([]events.Holding, error) {
	if err := checkAccount("list", account); err != nil {
		return nil, err
	}
	inv, err := c.inventory(ctx)
	if err != nil {
		return nil, fmt.Errorf("msp360: list %s: %w", user, err)
	}
	held := inv.holdings(user)
	if err := c.withLastUse(ctx, user, held, inv); err != nil {
		return nil, fmt.Errorf("msp360: list %s: %w", user, err)
	}
	return held, nil
}

// Pools returns one pool per license type.
func (c *Client) Pools(ctx context.Context, account string) ([]events.Pool, error) {
	if err := checkAccount("pools", account); err != nil {
		return nil, err
	}
	inv, err := c.inventory(ctx)
	if err != nil {
		return nil, fmt.Errorf("msp360: pools: %w", err)
	}
	return inv.pools(), nil
}

// inventory reads the provider's license list.
func (c *Client) inventory(ctx context.Context) (*inventory, error) {
	var ls []license
	if err := c.call(ctx, "list", http.MethodGet, "/api/Licenses", nil, &ls); err != nil {
		return nil, err
	}
	return newInventory(ls, c.now()), nil
}

func checkRequest(op string, req vendors.Request) error {
	if err := checkAccount(op, req.Account); err != nil {
		return err
	}
	if strings.TrimSpace(req.User) == "" {
		return fmt.Errorf("msp360: %w", vendors.Errorf(vendors.ErrRejected, op, 0, "an MBS user id is required"))
	}
	return nil
}

// checkAccount accepts the one account the adapter serves.
func checkAccount(op, account string) error {
	if account == "" || strings.EqualFold(account, DefaultAccount) {
		return nil
	}
	return fmt.Errorf("msp360: %w", vendors.Errorf(vendors.ErrUnknownAccount, op, 0,
		"MSP360 serves one account per configuration, %q; not %q", DefaultAccount, account))
}

package m365

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Assign gives req.User every SKU in req.Licenses it does not hold, directly
// or from a group: it reads the user's licenseAssignmentStates and sends one
// assignLicense with the missing SKUs.
func (c *Client) Assign(ctx context.Context, req vendors.Request) (vendors.Outcome, error) {
	out, err := c.assign(ctx, req)
	if err != nil {
		return vendors.Outcome{}, fmt.Errorf("m365: assign %s: %w", req.User, err)
	}
	return out, nil
}

func (c *Client) assign(ctx context.Context, req vendors.Request) (vendors.Outcome, error) {
	if err := c.checkRequest("assign", req); err != nil {
		return vendors.Outcome{}, err
	}
	if len(req.Licenses) == 0 {
		return vendors.Outcome{}, vendors.Errorf(vendors.ErrRejected, "assign", 0, "no license codes to assign")
	}
	held, err := c.userLicenses(ctx, req.User)
	if err != nil {
		return vendors.Outcome{}, err
	}
	skus, err := c.skus.resolve(ctx, held.unmatched(req.Licenses))
	if err != nil {
		return vendors.Outcome{}, err
	}
	results := make([]events.LicenseResult, len(req.Licenses))
	var add []sku
	for i, code := range req.Licenses {
		results[i] = events.LicenseResult{Code: code, Status: events.StatusAlreadyAssigned}
		if _, ok := held.match(code); ok {
			// Held directly or from a group: no direct copy.
			continue
		}
		k := skus[0]
		skus = skus[1:]
		results[i].Status = events.StatusAssigned
		if req.DryRun {
			results[i].Status = events.StatusWouldAssign
		}
		if !slices.Contains(add, k) {
			add = append(add, k)
		}
	}
	switch {
	case len(add) == 0:
	case req.DryRun:
		if err := c.checkSeats(ctx, add); err != nil {
			return vendors.Outcome{}, err
		}
	default:
		if err := c.assignLicense(ctx, req.User, ids(add), nil); err != nil {
			return vendors.Outcome{}, err
		}
		held = held.after(add, nil)
	}
	return vendors.Outcome{Licenses: results, Held: held.holdings()}, nil
}

// Release takes req.Licenses (or, when empty, every license the user holds)
// from req.User with one assignLicense that removes direct assignments
// only. A SKU the user has from a group cannot be removed from the user
// (Graph would refuse the whole call): it is reported inherited, naming the
// group, and its seat stays taken.
func (c *Client) Release(ctx context.Context, req vendors.Request) (vendors.Outcome, error) {
	out, err := c.release(ctx, req)
	if err != nil {
		return vendors.Outcome{}, fmt.Errorf("m365: release %s: %w", req.User, err)
	}
	return out, nil
}

func (c *Client) release(ctx context.Context, req vendors.Request) (vendors.Outcome, error) {
	if err := c.checkRequest("release", req); err != nil {
		return vendors.Outcome{}, err
	}
	held, err := c.userLicenses(ctx, req.User)
	if err != nil {
		return vendors.Outcome{}, err
	}
	codes := req.Licenses
	if len(codes) == 0 {
		codes = held.parts()
	}
	// Codes the user does not hold must still name a SKU of the tenant.
	if _, err := c.skus.resolve(ctx, held.unmatched(codes)); err != nil {
		return vendors.Outcome{}, err
	}
	results := make([]events.LicenseResult, len(codes))
	var remove []string
	for i, code := range codes {
		results[i] = events.LicenseResult{Code: code, Status: events.StatusNotAssigned}
		k, ok := held.match(code)
		if !ok {
			continue
		}
		if k.direct {
			// Removed even when a group gives it too: the user should
			// not hold it of their own.
			results[i].Status = events.StatusReleased
			if req.DryRun {
				results[i].Status = events.StatusWouldRelease
			}
			if !slices.Contains(remove, k.ID) {
				remove = append(remove, k.ID)
			}
		}
		if k.group != "" {
			results[i].Status, results[i].Group = events.StatusInherited, k.group
		}
	}
	if len(remove) > 0 && !req.DryRun {
		if err := c.assignLicense(ctx, req.User, nil, remove); err != nil {
			return vendors.Outcome{}, err
		}
		held = held.after(nil, remove)
	}
	return vendors.Outcome{Licenses: results, Held: held.holdings()}, nil
}

// List returns the user's licenses: Code is the SKU part number, ID the
// skuId, Source and Group where each comes from, LastUsed the user's last
// sign-in where the tenant can tell.
func (c *Client) List(ctx context.Context, account, user string) ([]events.Holding, error) {
	if err := c.checkRequest("list", vendors.Request{Account: account, User: user}); err != nil {
		return nil, fmt.Errorf("m365: list %s: %w", user, err)
	}
	held, err := c.userLicenses(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("m365: list %s: %w", user, err)
	}
	return held.holdings(), nil
}

// Pools returns the tenant's user SKUs (those that apply to the company
// are no user's seats): total is the enabled prepaid units, assigned the
// consumed units, free what is left and never below none (a suspended
// subscription can have no enabled units while its seats are still
// consumed); suspended and warning units are named.
func (c *Client) Pools(ctx context.Context, account string) ([]events.Pool, error) {
	if err := c.checkAccount("pools", account); err != nil {
		return nil, fmt.Errorf("m365: pools: %w", err)
	}
	skus, err := c.subscribedSkus(ctx)
	if err != nil {
		return nil, fmt.Errorf("m365: pools: %w", err)
	}
	c.skus.store(skus)
	var pools []events.Pool
	for _, s := range skus {
		if strings.EqualFold(s.AppliesTo, "Company") {
			continue
		}
		pools = append(pools, pool(s))
	}
	return pools, nil
}

func pool(s subscribedSku) events.Pool {
	return events.Pool{
		Code:      s.SkuPartNumber,
		Total:     s.PrepaidUnits.Enabled,
		Assigned:  s.ConsumedUnits,
		Free:      max(s.PrepaidUnits.Enabled-s.ConsumedUnits, 0),
		Suspended: s.PrepaidUnits.Suspended,
		Warning:   s.PrepaidUnits.Warning,
	}
}

// checkSeats refuses, as assignLicense would, SKUs without a free seat.
func (c *Client) checkSeats(ctx context.Context, add []sku) error {
	skus, err := c.subscribedSkus(ctx)
	if err != nil {
		return err
	}
	c.skus.store(skus)
	var full []string
	for _, k := range add {
		for _, s := range skus {
			if strings.EqualFold(s.SkuID, k.ID) && pool(s).Free == 0 {
				full = append(full, fmt.Sprintf("%s has no free seat (%d of %d consumed)", k.Part, s.ConsumedUnits, s.PrepaidUnits.Enabled))
			}
		}
	}
	if len(full) == 0 {
		return nil
	}
	return vendors.Errorf(vendors.ErrCapacity, "assignLicense", 0, "%s", strings.Join(full, "; "))
}

func ids(skus []sku) []string {
	out := make([]string, len(skus))
	for i, k := range skus {
		out[i] = k.ID
	}
	return out
}

func (c *Client) checkRequest(op string, req vendors.Request) error {
	if err := c.checkAccount(op, req.Account); err != nil {
		return err
	}
	if strings.TrimSpace(req.User) == "" {
		return vendors.Errorf(vendors.ErrRejected, op, 0, "no user named")
	}
	return nil
}

// subscribedSkus reads the tenant's SKUs with their seat counts.
func (c *Client) subscribedSkus(ctx context.Context) ([]subscribedSku, error) {
	var page struct {
		Value []subscribedSku `json:"value"`
	}
	err := c.do(ctx, call{op: "subscribedSkus", method: http.MethodGet, path: "/subscribedSkus", out: &page})
	return page.Value, err
}

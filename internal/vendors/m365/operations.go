package m365

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Assign gives req.User every SKU in req.Licenses it does not hold: it reads
// the user's licenseDetails and sends one assignLicense with the missing
// SKUs.
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
	held, err := c.licenseDetails(ctx, req.User)
	if err != nil {
		return vendors.Outcome{}, err
	}
	skus, err := c.skus.resolve(ctx, held.unmatched(req.Licenses))
	if err != nil {
		return vendors.Outcome{}, err
	}
	results := make([]events.LicenseResult, len(req.Licenses))
	var add []string
	for i, code := range req.Licenses {
		results[i] = events.LicenseResult{Code: code, Status: events.StatusAlreadyAssigned}
		if _, ok := held.match(code); ok {
			continue
		}
		k := skus[0]
		skus = skus[1:]
		results[i].Status = events.StatusWouldAssign
		if !req.DryRun {
			results[i].Status = events.StatusAssigned
			add = appendNew(add, k.ID)
		}
	}
	if len(add) == 0 {
		return vendors.Outcome{Licenses: results, Held: held.holdings()}, nil
	}
	after, err := c.assignLicense(ctx, req.User, add, nil, held)
	if err != nil {
		return vendors.Outcome{}, err
	}
	return vendors.Outcome{Licenses: results, Held: after}, nil
}

// Release takes req.Licenses (or, when empty, every license the user holds)
// from req.User with one assignLicense. A SKU the user has from a group
// cannot be removed directly: Graph refuses, and so does Release
// (ErrRejected with Graph's message).
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
	held, err := c.licenseDetails(ctx, req.User)
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
		d, ok := held.match(code)
		if !ok {
			continue
		}
		results[i].Status = events.StatusWouldRelease
		if !req.DryRun {
			results[i].Status = events.StatusReleased
			remove = appendNew(remove, d.ID)
		}
	}
	if len(remove) == 0 {
		return vendors.Outcome{Licenses: results, Held: held.holdings()}, nil
	}
	after, err := c.assignLicense(ctx, req.User, nil, remove, held)
	if err != nil {
		return vendors.Outcome{}, err
	}
	return vendors.Outcome{Licenses: results, Held: after}, nil
}

// List returns the user's licenses: Code is the SKU part number, ID the
// skuId.
func (c *Client) List(ctx context.Context, account, user string) ([]events.Holding, error) {
	if err := c.checkRequest("list", vendors.Request{Account: account, User: user}); err != nil {
		return nil, fmt.Errorf("m365: list %s: %w", user, err)
	}
	held, err := c.licenseDetails(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("m365: list %s: %w", user, err)
	}
	return held.holdings(), nil
}

// Pools returns the tenant's subscribed SKUs: total is the enabled prepaid
// units, assigned the consumed units. Free is total − assigned as Graph
// reports them; it is negative when a subscription shrank below its use.
func (c *Client) Pools(ctx context.Context, account string) ([]events.Pool, error) {
	if err := c.checkAccount("pools", account); err != nil {
		return nil, fmt.Errorf("m365: pools: %w", err)
	}
	skus, err := c.subscribedSkus(ctx)
	if err != nil {
		return nil, fmt.Errorf("m365: pools: %w", err)
	}
	c.skus.store(skus)
	pools := make([]events.Pool, len(skus))
	for i, s := range skus {
		pools[i] = events.Pool{
			Code:     s.SkuPartNumber,
			Total:    s.PrepaidUnits.Enabled,
			Assigned: s.ConsumedUnits,
			Free:     s.PrepaidUnits.Enabled - s.ConsumedUnits,
		}
	}
	return pools, nil
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

func appendNew(ids []string, id string) []string {
	for _, have := range ids {
		if have == id {
			return ids
		}
	}
	return append(ids, id)
}

// subscribedSkus reads the tenant's SKUs with their seat counts.
func (c *Client) subscribedSkus(ctx context.Context) ([]subscribedSku, error) {
	var page struct {
		Value []subscribedSku `json:"value"`
	}
	err := c.do(ctx, call{op: "subscribedSkus", method: http.MethodGet, path: "/subscribedSkus", out: &page})
	return page.Value, err
}

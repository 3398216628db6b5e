package arcgis

import (
	"context"
	"fmt"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// checkAssignable fails as the real assign of codes would: an entitlement
// or user type the organisation does not have is ErrLicenseNotFound, one
// without a free seat ErrCapacity. A dry run calls it for the codes the
// user does not hold yet.
//
// Pro entitlements are checked against the purchases and the listing's
// user entitlements. User types are checked on Enterprise only, against
// the portal admin's license resource and users/counts: ArcGIS Online
// documents no source of user-type totals, so there a dry run cannot tell
// a full or unknown user type and reports would_assign.
func (c *Client) checkAssignable(ctx context.Context, codes []code) error {
	var pro, types []code
	for _, cd := range codes {
		if cd.pro {
			pro = append(pro, cd)
		} else {
			types = append(types, cd)
		}
	}
	if len(pro) > 0 {
		if err := c.checkEntitlements(ctx, pro); err != nil {
			return err
		}
	}
	if len(types) > 0 && c.admin != "" {
		return c.checkUserTypes(ctx, types)
	}
	return nil
}

func (c *Client) checkEntitlements(ctx context.Context, codes []code) error {
	listings, err := c.listingPools(ctx)
	if err != nil {
		return err
	}
	for code, lp := range listings {
		if lp.item != c.cfg.ProListingID {
			delete(listings, code)
		}
	}
	pools, err := c.entitlementPools(ctx, listings)
	if err != nil {
		return err
	}
	for _, cd := range codes {
		i := poolIndex(pools, cd.raw)
		switch {
		case i < 0:
			return &vendors.Error{Class: vendors.ErrLicenseNotFound, Op: "dry_run",
				Message: fmt.Sprintf("%s: the Pro listing has no entitlement %q", cd.raw, cd.id)}
		case pools[i].Free == 0:
			return &vendors.Error{Class: vendors.ErrCapacity, Op: "dry_run",
				Message: fmt.Sprintf("%s: all %d purchased users are provisioned", cd.raw, pools[i].Total)}
		}
	}
	return nil
}

func (c *Client) checkUserTypes(ctx context.Context, codes []code) error {
	pools, err := c.userTypePools(ctx)
	if err != nil {
		return err
	}
	for _, cd := range codes {
		i := poolIndex(pools, cd.raw)
		switch {
		case i < 0 || pools[i].TotalUnknown && pools[i].Assigned == 0:
			return &vendors.Error{Class: vendors.ErrLicenseNotFound, Op: "dry_run",
				Message: fmt.Sprintf("%s: the portal licenses no user type %q", cd.raw, cd.id)}
		case !pools[i].TotalUnknown && pools[i].Free == 0:
			return &vendors.Error{Class: vendors.ErrCapacity, Op: "dry_run",
				Message: fmt.Sprintf("%s: all %d members of the user type are registered", cd.raw, pools[i].Total)}
		}
	}
	return nil
}

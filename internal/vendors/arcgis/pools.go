package arcgis

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// pageSize is how many entries a paged read asks for (the portal's maximum).
const pageSize = 100

// purchasesAnswer is portals/self/purchases' answer. ASSUMED for user types:
// a purchase whose provision names userLicenseTypeId, with maxUsers seats.
// The ArcGIS Pro purchase (provision.itemId = the Pro listing) carries
// orgEntitlements.entitlements.<name>.num, the purchased maximum of users.
type purchasesAnswer struct {
	Purchases []struct {
		Provision struct {
			ItemID            string `json:"itemId"`
			UserLicenseTypeID string `json:"userLicenseTypeId"`
			MaxUsers          int    `json:"maxUsers"`
			OrgEntitlements   struct {
				Entitlements map[string]struct {
					Num int `json:"num"`
				} `json:"entitlements"`
			} `json:"orgEntitlements"`
		} `json:"provision"`
	} `json:"purchases"`
}

// pagedAnswer is the paging part of portals/self/users and of
// content/listings/{item}/userEntitlements.
type pagedAnswer struct {
	NextStart int `json:"nextStart"`
	Users     []struct {
		UserLicenseTypeID string `json:"userLicenseTypeId"`
	} `json:"users"`
	UserEntitlements []struct {
		Entitlements []string `json:"entitlements"`
	} `json:"userEntitlements"`
}

// Pools returns one pool per purchased user type and one per purchased
// ArcGIS Pro entitlement, with the assigned seats counted from the members.
func (c *Client) Pools(ctx context.Context, account string) ([]events.Pool, error) {
	if err := checkAccount(account); err != nil {
		return nil, opError("pools", "", err)
	}
	var p purchasesAnswer
	if err := c.call(ctx, "purchases", http.MethodGet, c.sharing("portals", "self", "purchases"), nil, &p); err != nil {
		return nil, opError("pools", "", err)
	}
	totals := map[string]int{}
	pro := false
	for _, pu := range p.Purchases {
		pv := pu.Provision
		if pv.UserLicenseTypeID != "" {
			totals[userTypePrefix+pv.UserLicenseTypeID] += pv.MaxUsers
		}
		if c.cfg.ProListingID != "" && pv.ItemID == c.cfg.ProListingID {
			for e, n := range pv.OrgEntitlements.Entitlements {
				totals[proPrefix+e] += n.Num
				pro = true
			}
		}
	}
	assigned := map[string]int{}
	err := c.eachPage(ctx, "users", c.sharing("portals", "self", "users"), func(a pagedAnswer) {
		for _, u := range a.Users {
			assigned[userTypePrefix+u.UserLicenseTypeID]++
		}
	})
	if err == nil && pro {
		err = c.eachPage(ctx, "userEntitlements",
			c.sharing("content", "listings", url.PathEscape(c.cfg.ProListingID), "userEntitlements"), func(a pagedAnswer) {
				for _, u := range a.UserEntitlements {
					for _, e := range u.Entitlements {
						assigned[proPrefix+e]++
					}
				}
			})
	}
	if err != nil {
		return nil, opError("pools", "", err)
	}
	pools := make([]events.Pool, 0, len(totals))
	for code, total := range totals {
		pools = append(pools, events.Pool{Code: code, Total: total, Assigned: assigned[code], Free: total - assigned[code]})
	}
	sort.Slice(pools, func(i, j int) bool { return pools[i].Code < pools[j].Code })
	return pools, nil
}

// eachPage reads a paged endpoint to its end (nextStart -1).
func (c *Client) eachPage(ctx context.Context, op, endpoint string, visit func(pagedAnswer)) error {
	start := 1
	for {
		var a pagedAnswer
		params := url.Values{"start": {strconv.Itoa(start)}, "num": {strconv.Itoa(pageSize)}}
		if err := c.call(ctx, op, http.MethodGet, endpoint, params, &a); err != nil {
			return err
		}
		visit(a)
		if a.NextStart <= start {
			return nil
		}
		start = a.NextStart
	}
}

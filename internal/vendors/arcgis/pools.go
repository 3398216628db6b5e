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

// listingPrefix starts the pool code of an entitlement on an app listing
// other than ArcGIS Pro: listing:<itemId>:<entitlement>. Such pools are
// shown, not assigned.
const listingPrefix = "listing:"

// provision is one entry of portals/self/purchases' purchases or trials:
// an app listing (ArcGIS Pro and others; never a user type) with the
// organisation's entitlements and their purchased numbers of users.
type provision struct {
	Provision struct {
		ItemID          string `json:"itemId"`
		Trial           bool   `json:"trial"`
		OrgEntitlements struct {
			MaxUsers     int `json:"maxUsers"`
			Entitlements map[string]struct {
				Num int `json:"num"`
			} `json:"entitlements"`
		} `json:"orgEntitlements"`
	} `json:"provision"`
}

// purchasesAnswer is portals/self/purchases' answer.
type purchasesAnswer struct {
	Purchases []provision `json:"purchases"`
	Trials    []provision `json:"trials"`
}

// pagedAnswer is the paging part of content/listings/{item}/userEntitlements
// and portals/self/users/counts.
type pagedAnswer struct {
	NextStart        int `json:"nextStart"`
	UserEntitlements []struct {
		Entitlements []string `json:"entitlements"`
	} `json:"userEntitlements"`
	Results []struct {
		Key   string `json:"key"`
		Count int    `json:"count"`
	} `json:"results"`
}

// listingPool is a pool read from the purchases, before its assigned count.
type listingPool struct {
	item, entitlement string
	total             int
	trial             bool
}

// Pools returns the portal's license pools: one per Pro entitlement and per
// entitlement of another app listing (purchases and trials, trials marked),
// and one per user type. User-type totals come from the Enterprise portal
// admin's license resource; ArcGIS Online documents none, so there they
// are unknown. Assigned counts come from the listings' user entitlements
// and from users/counts.
func (c *Client) Pools(ctx context.Context, account string) ([]events.Pool, error) {
	if err := checkAccount(account); err != nil {
		return nil, opError("pools", "", err)
	}
	listings, err := c.listingPools(ctx)
	if err != nil {
		return nil, opError("pools", "", err)
	}
	pools, err := c.entitlementPools(ctx, listings)
	if err != nil {
		return nil, opError("pools", "", err)
	}
	types, err := c.userTypePools(ctx)
	if err != nil {
		return nil, opError("pools", "", err)
	}
	pools = append(pools, types...)
	sort.Slice(pools, func(i, j int) bool { return pools[i].Code < pools[j].Code })
	return pools, nil
}

// listingPools reads the purchases and trials, one pool per entitlement
// (or per listing, for a listing without named entitlements).
func (c *Client) listingPools(ctx context.Context) (map[string]*listingPool, error) {
	var p purchasesAnswer
	if err := c.call(ctx, "purchases", http.MethodGet, c.sharing("portals", "self", "purchases"), nil, &p); err != nil {
		return nil, err
	}
	out := map[string]*listingPool{}
	add := func(item, ent string, n int, trial bool) {
		code := c.listingCode(item, ent)
		if lp := out[code]; lp != nil {
			lp.total += n
			lp.trial = lp.trial && trial // marked only when all of it is trial
			return
		}
		out[code] = &listingPool{item: item, entitlement: ent, total: n, trial: trial}
	}
	for _, group := range []struct {
		provisions []provision
		trials     bool
	}{{p.Purchases, false}, {p.Trials, true}} {
		for _, pr := range group.provisions {
			pv := pr.Provision
			trial := pv.Trial || group.trials
			if len(pv.OrgEntitlements.Entitlements) == 0 {
				add(pv.ItemID, "", pv.OrgEntitlements.MaxUsers, trial)
			}
			for e, n := range pv.OrgEntitlements.Entitlements {
				add(pv.ItemID, e, n.Num, trial)
			}
		}
	}
	return out, nil
}

// listingCode is the code of an entitlement's pool: pro:<entitlement> on
// the Pro listing, listing:<itemId>:<entitlement> on another.
func (c *Client) listingCode(item, ent string) string {
	if item == c.cfg.ProListingID && c.cfg.ProListingID != "" && ent != "" {
		return proPrefix + ent
	}
	if ent == "" {
		return listingPrefix + item
	}
	return listingPrefix + item + ":" + ent
}

// entitlementPools counts the users of each listing's entitlements.
func (c *Client) entitlementPools(ctx context.Context, listings map[string]*listingPool) ([]events.Pool, error) {
	assigned := map[string]int{}
	read := map[string]bool{}
	for _, lp := range listings {
		if read[lp.item] {
			continue
		}
		read[lp.item] = true
		item := lp.item
		err := c.eachPage(ctx, "userEntitlements", c.sharing("content", "listings", url.PathEscape(item), "userEntitlements"),
			nil, func(a pagedAnswer) {
				for _, u := range a.UserEntitlements {
					counted := false
					for _, e := range u.Entitlements {
						if e != "" {
							assigned[c.listingCode(item, e)]++
							counted = true
						}
					}
					if counted {
						assigned[c.listingCode(item, "")]++
					}
				}
			})
		if err != nil {
			return nil, err
		}
	}
	pools := make([]events.Pool, 0, len(listings))
	for code, lp := range listings {
		n := assigned[code]
		pools = append(pools, events.Pool{Code: code, Total: lp.total, Assigned: n, Free: max(lp.total-n, 0), Trial: lp.trial})
	}
	return pools, nil
}

// userTypePools returns one pool per user type: assigned from users/counts,
// the total from the portal admin's license resource on Enterprise, unknown
// on ArcGIS Online.
func (c *Client) userTypePools(ctx context.Context) ([]events.Pool, error) {
	assigned, err := c.userTypeCounts(ctx)
	if err != nil {
		return nil, err
	}
	totals, err := c.userTypeTotals(ctx)
	if err != nil {
		return nil, err
	}
	for t := range totals {
		if _, ok := assigned[t]; !ok {
			assigned[t] = 0
		}
	}
	pools := make([]events.Pool, 0, len(assigned))
	for t, n := range assigned {
		p := events.Pool{Code: userTypePrefix + t, Assigned: n}
		if total, ok := totals[t]; ok && total >= 0 {
			p.Total, p.Free = total, max(total-n, 0)
		} else {
			p.TotalUnknown = true
		}
		pools = append(pools, p)
	}
	return pools, nil
}

// userTypeCounts reads how many members hold each user type.
func (c *Client) userTypeCounts(ctx context.Context) (map[string]int, error) {
	counts := map[string]int{}
	err := c.eachPage(ctx, "userCounts", c.sharing("portals", "self", "users", "counts"),
		url.Values{"type": {"userLicenseType"}}, func(a pagedAnswer) {
			for _, r := range a.Results {
				if r.Key != "" {
					counts[r.Key] += r.Count
				}
			}
		})
	return counts, err
}

// adminLicense is the portal admin's license resource: the licensed user
// types. A negative maximum is read as unlimited, that is unknown.
type adminLicense struct {
	UserTypes []struct {
		ID                       string `json:"id"`
		MaximumRegisteredMembers int    `json:"maximumRegisteredMembers"`
	} `json:"userTypes"`
}

// userTypeTotals returns each licensed user type's maximum of members on
// Enterprise (ARCGIS_ADMIN_URL set), or nil on ArcGIS Online, which
// documents no such source.
func (c *Client) userTypeTotals(ctx context.Context) (map[string]int, error) {
	if c.admin == "" {
		return nil, nil
	}
	var lic adminLicense
	if err := c.call(ctx, "license", http.MethodGet, c.admin+"/license", nil, &lic); err != nil {
		return nil, err
	}
	totals := make(map[string]int, len(lic.UserTypes))
	for _, t := range lic.UserTypes {
		totals[t.ID] = t.MaximumRegisteredMembers
	}
	return totals, nil
}

// eachPage reads a paged endpoint to its end (nextStart -1).
func (c *Client) eachPage(ctx context.Context, op, endpoint string, extra url.Values, visit func(pagedAnswer)) error {
	start := 1
	for {
		var a pagedAnswer
		params := url.Values{"start": {strconv.Itoa(start)}, "num": {strconv.Itoa(pageSize)}}
		for k, v := range extra {
			params[k] = v
		}
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

// poolIndex returns the index of the pool with code, or -1.
func poolIndex(pools []events.Pool, code string) int {
	for i, p := range pools {
		if p.Code == code {
			return i
		}
	}
	return -1
}

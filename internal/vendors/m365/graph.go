package m365

import (
	"context"
	"net/http"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Graph's wire types, limited to the fields seatkeeper reads.
type (
	subscribedSku struct {
		SkuID         string `json:"skuId"`
		SkuPartNumber string `json:"skuPartNumber"`
		ConsumedUnits int    `json:"consumedUnits"`
		PrepaidUnits  struct {
			Enabled int `json:"enabled"`
		} `json:"prepaidUnits"`
	}
	licenseDetail struct {
		SkuID         string `json:"skuId"`
		SkuPartNumber string `json:"skuPartNumber"`
	}
	assignedLicense struct {
		SkuID         string   `json:"skuId"`
		DisabledPlans []string `json:"disabledPlans"`
	}
	// assignLicenseBody always carries both arrays: Graph refuses a body
	// without either one (see newAssignLicenseBody).
	assignLicenseBody struct {
		AddLicenses    []assignedLicense `json:"addLicenses"`
		RemoveLicenses []string          `json:"removeLicenses"`
	}
	graphUser struct {
		AssignedLicenses []assignedLicense `json:"assignedLicenses"`
	}
)

// newAssignLicenseBody builds a body whose two arrays are never null, so
// they encode as [] rather than null or not at all.
func newAssignLicenseBody(add, remove []string) assignLicenseBody {
	b := assignLicenseBody{AddLicenses: []assignedLicense{}, RemoveLicenses: []string{}}
	for _, id := range add {
		b.AddLicenses = append(b.AddLicenses, assignedLicense{SkuID: id, DisabledPlans: []string{}})
	}
	b.RemoveLicenses = append(b.RemoveLicenses, remove...)
	return b
}

// heldSet is what licenseDetails said a user holds.
type heldSet []sku

// licenseDetails reads the SKUs user holds, directly or through a group.
func (c *Client) licenseDetails(ctx context.Context, user string) (heldSet, error) {
	var page struct {
		Value []licenseDetail `json:"value"`
	}
	err := c.do(ctx, call{op: "licenseDetails", method: http.MethodGet,
		path: userPath(user, "/licenseDetails"), out: &page, notFound: vendors.ErrUserNotFound})
	if err != nil {
		return nil, err
	}
	held := make(heldSet, len(page.Value))
	for i, d := range page.Value {
		held[i] = sku{ID: strings.ToLower(d.SkuID), Part: d.SkuPartNumber}
	}
	return held, nil
}

// assignLicense adds and removes SKUs and returns what the user holds after,
// from Graph's answer; before names the SKUs the user held.
func (c *Client) assignLicense(ctx context.Context, user string, add, remove []string, before heldSet) ([]events.Holding, error) {
	var u graphUser
	err := c.do(ctx, call{op: "assignLicense", method: http.MethodPost,
		path: userPath(user, "/assignLicense"), body: newAssignLicenseBody(add, remove),
		out: &u, notFound: vendors.ErrUserNotFound})
	if err != nil {
		return nil, err
	}
	held := make([]events.Holding, 0, len(u.AssignedLicenses))
	for _, l := range u.AssignedLicenses {
		id := strings.ToLower(l.SkuID)
		held = append(held, events.Holding{Code: c.partOf(id, before), ID: id})
	}
	return held, nil
}

// partOf names a skuId by its part number: from licenseDetails if the user
// held it, else from the SKU cache, else (a SKU unknown to both) by the id.
func (c *Client) partOf(id string, before heldSet) string {
	if d, ok := before.byID(id); ok {
		return d.Part
	}
	if part, ok := c.skus.part(id); ok {
		return part
	}
	return id
}

// match finds the held SKU a code names (part number or skuId).
func (h heldSet) match(code string) (sku, bool) {
	for _, k := range h {
		if strings.EqualFold(k.Part, code) || strings.EqualFold(k.ID, code) {
			return k, true
		}
	}
	return sku{}, false
}

func (h heldSet) byID(id string) (sku, bool) {
	for _, k := range h {
		if k.ID == id {
			return k, true
		}
	}
	return sku{}, false
}

// unmatched returns the codes, in order, that name no held SKU.
func (h heldSet) unmatched(codes []string) []string {
	var out []string
	for _, code := range codes {
		if _, ok := h.match(code); !ok {
			out = append(out, code)
		}
	}
	return out
}

func (h heldSet) parts() []string {
	parts := make([]string, len(h))
	for i, k := range h {
		parts[i] = k.Part
	}
	return parts
}

func (h heldSet) holdings() []events.Holding {
	out := make([]events.Holding, len(h))
	for i, k := range h {
		out[i] = events.Holding{Code: k.Part, ID: k.ID}
	}
	return out
}

package m365

import (
	"context"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// heldSKU is one SKU a user holds: directly, from a group, or both.
type heldSKU struct {
	sku
	direct bool
	group  string // the group's object id; "" when held directly only
}

// heldSet is what a user holds, and the user's last sign-in.
type heldSet struct {
	skus     []heldSKU
	lastUsed time.Time
}

// newHeldSet reads u's assignment states into one entry per SKU, naming
// each SKU by its part number.
func (c *Client) newHeldSet(ctx context.Context, u licensedUser) (heldSet, error) {
	h := heldSet{lastUsed: u.SignInActivity.lastUse()}
	for _, s := range u.LicenseAssignmentStates {
		if !holdsSeat(s) {
			continue
		}
		id := strings.ToLower(s.SkuID)
		i := h.index(id)
		if i < 0 {
			h.skus = append(h.skus, heldSKU{sku: sku{ID: id}})
			i = len(h.skus) - 1
		}
		if s.AssignedByGroup == nil {
			h.skus[i].direct = true
		} else if h.skus[i].group == "" {
			h.skus[i].group = strings.ToLower(*s.AssignedByGroup)
		}
	}
	for i := range h.skus {
		part, err := c.skus.partOf(ctx, h.skus[i].ID)
		if err != nil {
			return heldSet{}, err
		}
		h.skus[i].Part = part
	}
	return h, nil
}

func (h heldSet) index(id string) int {
	for i, k := range h.skus {
		if k.ID == id {
			return i
		}
	}
	return -1
}

// match finds the held SKU a code names (part number or skuId).
func (h heldSet) match(code string) (heldSKU, bool) {
	for _, k := range h.skus {
		if strings.EqualFold(k.Part, code) || strings.EqualFold(k.ID, code) {
			return k, true
		}
	}
	return heldSKU{}, false
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
	parts := make([]string, len(h.skus))
	for i, k := range h.skus {
		parts[i] = k.Part
	}
	return parts
}

// after returns h once Graph has added add and removed the direct
// assignments of remove (a SKU also held from a group stays held).
func (h heldSet) after(add []sku, remove []string) heldSet {
	out := heldSet{lastUsed: h.lastUsed}
	for _, k := range h.skus {
		for _, id := range remove {
			if k.ID == id {
				k.direct = false
			}
		}
		if k.direct || k.group != "" {
			out.skus = append(out.skus, k)
		}
	}
	for _, k := range add {
		if i := out.index(k.ID); i >= 0 {
			out.skus[i].direct = true
		} else {
			out.skus = append(out.skus, heldSKU{sku: k, direct: true})
		}
	}
	return out
}

// holdings is h as held entries. A SKU held from a group is from the group
// even if also assigned directly: removing it from the user does not free
// the seat.
func (h heldSet) holdings() []events.Holding {
	out := make([]events.Holding, len(h.skus))
	for i, k := range h.skus {
		out[i] = events.Holding{Code: k.Part, ID: k.ID, Source: events.SourceDirect, LastUsed: h.lastUsed}
		if k.group != "" {
			out[i].Source, out[i].Group = events.SourceGroup, k.group
		}
	}
	return out
}

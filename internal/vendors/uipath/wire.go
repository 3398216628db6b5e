package uipath

import (
	"cmp"
	"encoding/json"
	"slices"
)

// allocation is the answer of GET /user-license/user/{userId}/allocation.
type allocation struct {
	ID                 string      `json:"id"`
	UserBundleLicenses []bundleRef `json:"userBundleLicenses"`
	UseExternalLicense bool        `json:"useExternalLicense"`
}

// codes returns the user's bundle codes without repeats.
func (a allocation) codes() []string {
	out := make([]string, 0, len(a.UserBundleLicenses))
	for _, b := range a.UserBundleLicenses {
		if b != "" && !slices.Contains(out, string(b)) {
			out = append(out, string(b))
		}
	}
	return out
}

// bundleRef is one entry of userBundleLicenses. The reference shows these as
// bundle codes; an object carrying the code is read too, so that a richer
// answer does not break the adapter.
type bundleRef string

func (b *bundleRef) UnmarshalJSON(data []byte) error {
	var code string
	if err := json.Unmarshal(data, &code); err == nil {
		*b = bundleRef(code)
		return nil
	}
	var obj struct {
		Code           string `json:"code"`
		UserBundleCode string `json:"userBundleCode"`
		BundleCode     string `json:"bundleCode"`
	}
	if err := json.Unmarshal(data, &obj); err != nil {
		return err
	}
	*b = bundleRef(cmp.Or(obj.Code, obj.UserBundleCode, obj.BundleCode))
	return nil
}

// allocateRequest is the body of PUT /user-license.
type allocateRequest struct {
	UserIDs            []string `json:"userIds"`
	UserBundleCodes    []string `json:"userBundleCodes"`
	UseExternalLicense bool     `json:"useExternalLicense"`
}

// allocated is one entry of the PUT's answer.
type allocated struct {
	UserID             string   `json:"userId"`
	OrganizationID     string   `json:"organizationId"`
	UseExternalLicense bool     `json:"useExternalLicense"`
	UserBundleCodes    []string `json:"userBundleCodes"`
}

// pool is one entry of GET /user-license.
type pool struct {
	Code      string `json:"code"`
	Allocated int    `json:"allocated"`
	Total     int    `json:"total"`
}

// free is never negative, even for a pool allocated past its total.
func (p pool) free() int { return max(p.Total-p.Allocated, 0) }

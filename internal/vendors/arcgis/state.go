package arcgis

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// License code prefixes.
const (
	userTypePrefix = "usertype:"
	proPrefix      = "pro:"
)

// Holding types in list results.
const (
	holdingUserType = "user_type"
	holdingPro      = "pro_entitlement"
)

// code is a parsed license code.
type code struct {
	raw string
	pro bool   // pro:<entitlement>, else usertype:<id>
	id  string // the user type id or the entitlement
}

// parseCodes parses and deduplicates codes, keeping their order.
func (c *Client) parseCodes(raw []string) ([]code, error) {
	out := make([]code, 0, len(raw))
	seen := make(map[string]bool, len(raw))
	for _, r := range raw {
		if seen[r] {
			continue
		}
		seen[r] = true
		var cd code
		switch {
		case strings.HasPrefix(r, userTypePrefix):
			cd = code{raw: r, id: strings.TrimPrefix(r, userTypePrefix)}
		case strings.HasPrefix(r, proPrefix):
			cd = code{raw: r, pro: true, id: strings.TrimPrefix(r, proPrefix)}
		}
		if cd.id == "" || strings.ContainsAny(cd.id, " ,\"") {
			return nil, &vendors.Error{Class: vendors.ErrLicenseNotFound, Op: Name,
				Message: fmt.Sprintf("license code %q: want usertype:<id> or pro:<entitlement>", r)}
		}
		if cd.pro && c.cfg.ProListingID == "" {
			return nil, &vendors.Error{Class: vendors.ErrNotLicensed, Op: Name,
				Message: fmt.Sprintf("license code %q: ARCGIS_PRO_LISTING_ID is not set", r)}
		}
		out = append(out, cd)
	}
	return out, nil
}

// userState is what a user holds: exactly one user type, and the Pro
// entitlements on the listing (sorted).
type userState struct {
	userType     string
	typeName     string
	entitlements []string
	// disconnected: the user's Pro license is checked out for offline use.
	disconnected bool
	// lastLogin is the user's last sign-in (List reads it), proLastLogin
	// the last sign-in to ArcGIS Pro; zero for never.
	lastLogin    time.Time
	proLastLogin time.Time
}

func (s userState) hasEntitlement(e string) bool { return slices.Contains(s.entitlements, e) }

// holdings returns the state as list entries: the user type first.
func (s userState) holdings() []events.Holding {
	held := make([]events.Holding, 0, 1+len(s.entitlements))
	if s.userType != "" {
		held = append(held, events.Holding{Code: userTypePrefix + s.userType, ID: s.userType,
			Name: s.typeName, Type: holdingUserType, Source: events.SourceDirect, LastUsed: s.lastLogin})
	}
	for _, e := range s.entitlements {
		held = append(held, events.Holding{Code: proPrefix + e, ID: e, Type: holdingPro,
			Source: events.SourceDirect, LastUsed: s.proLastLogin})
	}
	return held
}

// userTypeAnswer is community/users/{user}/userLicenseType's answer.
type userTypeAnswer struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// entitlementsAnswer is content/listings/{item}/userEntitlements/{user}'s
// answer; a user without access to the listing has an empty object, and
// one with access but no entitlement the list [""].
type entitlementsAnswer struct {
	UserEntitlements struct {
		Username     string   `json:"username"`
		LastLogin    int64    `json:"lastLogin"`
		Disconnected bool     `json:"disconnected"`
		Entitlements []string `json:"entitlements"`
	} `json:"userEntitlements"`
}

// portalUser is the part of community/users/{user} (and of a user search
// result) the adapter reads.
type portalUser struct {
	Username  string `json:"username"`
	Email     string `json:"email"`
	LastLogin int64  `json:"lastLogin"`
}

// fromEpochMillis reads the portal's times: epoch milliseconds, -1 (or 0)
// for never.
func fromEpochMillis(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// readState reads the user's user type and, with a Pro listing configured,
// its entitlements.
func (c *Client) readState(ctx context.Context, user string) (userState, error) {
	var ut userTypeAnswer
	err := c.call(ctx, "userLicenseType", http.MethodGet,
		c.sharing("community", "users", url.PathEscape(user), "userLicenseType"), nil, &ut)
	if err != nil {
		return userState{}, err
	}
	st := userState{userType: ut.ID, typeName: ut.Name}
	if c.cfg.ProListingID == "" {
		return st, nil
	}
	var ents entitlementsAnswer
	err = c.call(ctx, "userEntitlements", http.MethodGet,
		c.sharing("content", "listings", url.PathEscape(c.cfg.ProListingID), "userEntitlements", url.PathEscape(user)), nil, &ents)
	if err != nil {
		return userState{}, err
	}
	ue := ents.UserEntitlements
	// [""] (as in the vendor's documentation) means none.
	held := slices.DeleteFunc(slices.Clone(ue.Entitlements), func(e string) bool { return strings.TrimSpace(e) == "" })
	st.entitlements = slices.Compact(slices.Sorted(slices.Values(held)))
	st.disconnected = ue.Disconnected
	st.proLastLogin = fromEpochMillis(ue.LastLogin)
	return st, nil
}

// readLastLogin reads the user's last sign-in, the last use of its user
// type.
func (c *Client) readLastLogin(ctx context.Context, user string) (time.Time, error) {
	var u portalUser
	if err := c.call(ctx, "user", http.MethodGet, c.sharing("community", "users", url.PathEscape(user)), nil, &u); err != nil {
		return time.Time{}, err
	}
	return fromEpochMillis(u.LastLogin), nil
}

// searchParams is the query of a member search for email. ASSUMED: the
// vendor documents portals/self/users/search?q=… as a fuzzy search and no
// field syntax for it; the e-mail itself is sent as q, and FindUser keeps
// only exact matches of the answers' email.
func searchParams(email string, start int) url.Values {
	return url.Values{"q": {email}, "start": {strconv.Itoa(start)}, "num": {strconv.Itoa(pageSize)}}
}

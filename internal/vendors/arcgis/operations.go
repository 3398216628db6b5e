package arcgis

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// List returns the user's user type and Pro entitlements.
func (c *Client) List(ctx context.Context, account, user string) ([]events.Holding, error) {
	if err := checkAccount(account); err != nil {
		return nil, opError("list", user, err)
	}
	st, err := c.readState(ctx, user)
	if err != nil {
		return nil, opError("list", user, err)
	}
	if st.lastLogin, err = c.readLastLogin(ctx, user); err != nil {
		return nil, opError("list", user, err)
	}
	return st.holdings(), nil
}

// Assign reads the user's state and sets the user type and adds the Pro
// entitlements it does not hold: the user type first, since Pro needs a
// user type that includes it.
func (c *Client) Assign(ctx context.Context, req vendors.Request) (vendors.Outcome, error) {
	if err := checkAccount(req.Account); err != nil {
		return vendors.Outcome{}, opError("assign", req.User, err)
	}
	codes, err := c.parseCodes(req.Licenses)
	if err != nil {
		return vendors.Outcome{}, opError("assign", req.User, err)
	}
	if err := oneUserType(codes); err != nil {
		return vendors.Outcome{}, opError("assign", req.User, err)
	}
	st, err := c.readState(ctx, req.User)
	if err != nil {
		return vendors.Outcome{}, opError("assign", req.User, err)
	}
	results := make([]events.LicenseResult, 0, len(codes))
	newType, ents := "", slices.Clone(st.entitlements)
	for _, cd := range codes {
		held := (!cd.pro && st.userType == cd.id) || (cd.pro && st.hasEntitlement(cd.id))
		results = append(results, events.LicenseResult{Code: cd.raw, Status: assignStatus(held, req.DryRun)})
		switch {
		case held:
		case cd.pro:
			ents = append(ents, cd.id)
		default:
			newType = cd.id
		}
	}
	if req.DryRun {
		if err := c.checkAssignable(ctx, wanted(codes, newType, ents, st)); err != nil {
			return vendors.Outcome{}, opError("assign", req.User, err)
		}
		return vendors.Outcome{Licenses: results, Held: st.holdings()}, nil
	}
	if newType != "" {
		if err := c.setUserType(ctx, req.User, newType); err != nil {
			return vendors.Outcome{}, opError("assign", req.User, err)
		}
		st.userType, st.typeName = newType, ""
	}
	if len(ents) > len(st.entitlements) {
		slices.Sort(ents)
		if err := c.provision(ctx, req.User, ents); err != nil {
			return vendors.Outcome{}, opError("assign", req.User, err)
		}
		st.entitlements = ents
	}
	return vendors.Outcome{Licenses: results, Held: st.holdings()}, nil
}

// wanted returns the codes an assign would change: the new user type and
// the entitlements not held before.
func wanted(codes []code, newType string, ents []string, st userState) []code {
	var out []code
	for _, cd := range codes {
		if (!cd.pro && cd.id == newType) || (cd.pro && slices.Contains(ents, cd.id) && !st.hasEntitlement(cd.id)) {
			out = append(out, cd)
		}
	}
	return out
}

// oneUserType refuses a request for two user types: a user has exactly one.
func oneUserType(codes []code) error {
	var first string
	for _, cd := range codes {
		if cd.pro {
			continue
		}
		if first != "" {
			return &vendors.Error{Class: vendors.ErrRejected, Op: Name,
				Message: fmt.Sprintf("%s and %s: a user has exactly one user type", first, cd.raw)}
		}
		first = cd.raw
	}
	return nil
}

func assignStatus(held, dry bool) string {
	switch {
	case held:
		return events.StatusAlreadyAssigned
	case dry:
		return events.StatusWouldAssign
	}
	return events.StatusAssigned
}

func releaseStatus(held, dry bool) string {
	switch {
	case !held:
		return events.StatusNotAssigned
	case dry:
		return events.StatusWouldRelease
	}
	return events.StatusReleased
}

// Release takes the named licenses (or everything the user holds) from the
// user: Pro entitlements first (on Enterprise after releaseLicense), then
// the user type, which falls back to ARCGIS_RELEASE_USER_TYPE.
func (c *Client) Release(ctx context.Context, req vendors.Request) (vendors.Outcome, error) {
	if err := checkAccount(req.Account); err != nil {
		return vendors.Outcome{}, opError("release", req.User, err)
	}
	codes, err := c.parseCodes(req.Licenses)
	if err != nil {
		return vendors.Outcome{}, opError("release", req.User, err)
	}
	st, err := c.readState(ctx, req.User)
	if err != nil {
		return vendors.Outcome{}, opError("release", req.User, err)
	}
	if len(req.Licenses) == 0 {
		codes = c.releasable(st)
	}
	results := make([]events.LicenseResult, 0, len(codes))
	resetType, keep := false, slices.Clone(st.entitlements)
	for _, cd := range codes {
		held := (!cd.pro && st.userType == cd.id) || (cd.pro && st.hasEntitlement(cd.id))
		if held && !cd.pro && cd.id == c.cfg.ReleaseUserType {
			return vendors.Outcome{}, opError("release", req.User, &vendors.Error{Class: vendors.ErrRejected, Op: Name,
				Message: fmt.Sprintf("%s is the user type released users fall back to (ARCGIS_RELEASE_USER_TYPE); a user always has one", cd.raw)})
		}
		results = append(results, events.LicenseResult{Code: cd.raw, Status: releaseStatus(held, req.DryRun)})
		switch {
		case !held:
		case cd.pro:
			keep = slices.DeleteFunc(keep, func(e string) bool { return e == cd.id })
		default:
			resetType = true
		}
	}
	if req.DryRun {
		return vendors.Outcome{Licenses: results, Held: st.holdings()}, nil
	}
	if len(keep) < len(st.entitlements) {
		if err := c.revoke(ctx, req.User, st, keep); err != nil {
			return vendors.Outcome{}, opError("release", req.User, err)
		}
		st.entitlements = keep
	}
	if resetType {
		if err := c.setUserType(ctx, req.User, c.cfg.ReleaseUserType); err != nil {
			return vendors.Outcome{}, opError("release", req.User, err)
		}
		st.userType, st.typeName = c.cfg.ReleaseUserType, ""
	}
	return vendors.Outcome{Licenses: results, Held: st.holdings()}, nil
}

// releasable lists what a release of everything takes: every Pro
// entitlement, and the user type unless it is already the fallback type
// (which a released user keeps).
func (c *Client) releasable(st userState) []code {
	var codes []code
	for _, e := range st.entitlements {
		codes = append(codes, code{raw: proPrefix + e, pro: true, id: e})
	}
	if st.userType != "" && st.userType != c.cfg.ReleaseUserType {
		codes = append(codes, code{raw: userTypePrefix + st.userType, id: st.userType})
	}
	return codes
}

// revoke leaves the user only the entitlements in keep. On Enterprise, a
// Pro license checked out to a device (disconnected) is first released with
// releaseLicense, which the portal would otherwise keep counting until the
// device checks it in.
func (c *Client) revoke(ctx context.Context, user string, st userState, keep []string) error {
	if c.admin != "" && st.disconnected {
		c.releaseCheckedOut(ctx, user)
	}
	return c.provision(ctx, user, keep)
}

// releaseCheckedOut calls the portal admin's license/releaseLicense for
// user. Its answer is not needed: the revoke that follows is what takes
// the seat, and a failure here (a device that checked the license in
// meanwhile, an older portal) must not fail the release, so it is ignored.
func (c *Client) releaseCheckedOut(ctx context.Context, user string) {
	var ans struct {
		Status string `json:"status"`
	}
	_ = c.call(ctx, "releaseLicense", http.MethodPost, c.admin+"/license/releaseLicense",
		url.Values{"username": {user}}, &ans)
}

// setUserType sets the user's user type with updateUserLicenseType.
func (c *Client) setUserType(ctx context.Context, user, userType string) error {
	const op = "updateUserLicenseType"
	users, _ := json.Marshal([]string{user})
	var ans struct {
		Results []struct {
			Username string    `json:"username"`
			Status   bool      `json:"status"`
			Error    *apiError `json:"error"`
		} `json:"results"`
	}
	err := c.call(ctx, op, http.MethodPost, c.sharing("portals", "self", "updateUserLicenseType"),
		url.Values{"users": {string(users)}, "userLicenseType": {userType}}, &ans)
	if err != nil {
		return err
	}
	for _, r := range ans.Results {
		if !strings.EqualFold(r.Username, user) || r.Status {
			continue
		}
		e := apiError{Code: 400, Message: fmt.Sprintf("no available licenses of user type %s", userType)}
		if r.Error != nil && r.Error.text() != "" {
			e = *r.Error
		}
		ve := classify(op, 0, e, 0)
		if ve.Class == vendors.ErrRejected {
			// status:false without a recognisable reason: the portal's
			// way of saying the user type has no free seat.
			ve.Class = vendors.ErrCapacity
		}
		return ve
	}
	return nil
}

// provision sets the user's entitlements on the Pro listing to exactly ents
// (an empty list revokes the user's access to the listing).
func (c *Client) provision(ctx context.Context, user string, ents []string) error {
	const op = "provisionUserEntitlements"
	if ents == nil {
		ents = []string{}
	}
	body, _ := json.Marshal(map[string][]string{"users": {user}, "entitlements": ents})
	var ans struct {
		Success bool `json:"success"`
	}
	// suppressCustomerEmail: as the ArcGIS API for Python sends it, so that
	// the portal does not e-mail every provisioned user.
	err := c.call(ctx, op, http.MethodPost,
		c.sharing("content", "listings", url.PathEscape(c.cfg.ProListingID), "provisionUserEntitlements"),
		url.Values{"userEntitlements": {string(body)}, "suppressCustomerEmail": {"true"}}, &ans)
	if err != nil {
		return err
	}
	if !ans.Success {
		return &vendors.Error{Class: vendors.ErrRejected, Op: op, Message: "provisionUserEntitlements answered success:false"}
	}
	return nil
}

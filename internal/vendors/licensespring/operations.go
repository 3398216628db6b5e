package licensespring

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Assign gives req.User every license in req.Licenses the user does not hold:
// it lists the user's licenses first and calls assign_user only for the
// others. A full license fails with vendors.ErrCapacity, an unknown one with
// vendors.ErrLicenseNotFound. A dry run also reads each license it would
// assign, so that those two failures show without a write.
func (c *Client) Assign(ctx context.Context, req vendors.Request) (vendors.Outcome, error) {
	email, codes, err := c.check(ctx, "assign", req)
	if err != nil {
		return vendors.Outcome{}, err
	}
	for _, code := range codes {
		if !isID(code) {
			return vendors.Outcome{}, fmt.Errorf("licensespring: %w", &vendors.Error{Class: vendors.ErrLicenseNotFound,
				Op: "assign", Message: fmt.Sprintf("license code %q is not a LicenseSpring license id", code)})
		}
	}
	before, err := c.userLicenses(ctx, "list_user_licenses", email)
	if err != nil {
		return vendors.Outcome{}, fmt.Errorf("licensespring: assign %s: %w", email, err)
	}
	out := vendors.Outcome{Held: before}
	var added []string
	for _, code := range codes {
		status := events.StatusAssigned
		switch {
		case holds(before, code):
			status = events.StatusAlreadyAssigned
		case req.DryRun:
			status = events.StatusWouldAssign
			err = c.checkAssignable(ctx, code)
		default:
			err = c.assignUser(ctx, code, email)
		}
		if err != nil {
			return out, fmt.Errorf("licensespring: assign %s to %s: %w", code, email, err)
		}
		out.Licenses = append(out.Licenses, events.LicenseResult{Code: code, Status: status})
		if status == events.StatusAssigned {
			added = append(added, code)
		}
	}
	out.Held = c.heldAfter(ctx, email, before, added, nil)
	return out, nil
}

// Release takes req.Licenses from req.User, or every license the user holds
// when req.Licenses is empty. A license the user does not hold is reported
// not_assigned without a write.
func (c *Client) Release(ctx context.Context, req vendors.Request) (vendors.Outcome, error) {
	email, codes, err := c.check(ctx, "release", req)
	if err != nil {
		return vendors.Outcome{}, err
	}
	before, err := c.userLicenses(ctx, "list_user_licenses", email)
	if err != nil {
		return vendors.Outcome{}, fmt.Errorf("licensespring: release %s: %w", email, err)
	}
	if len(codes) == 0 {
		codes = events.Codes(before)
	}
	out := vendors.Outcome{Held: before}
	var removed []string
	for _, code := range codes {
		switch {
		case !holds(before, code):
			out.Licenses = append(out.Licenses, events.LicenseResult{Code: code, Status: events.StatusNotAssigned})
		case req.DryRun:
			out.Licenses = append(out.Licenses, events.LicenseResult{Code: code, Status: events.StatusWouldRelease})
		default:
			if err := c.unassignUser(ctx, code, email); err != nil {
				return out, fmt.Errorf("licensespring: release %s from %s: %w", code, email, err)
			}
			out.Licenses = append(out.Licenses, events.LicenseResult{Code: code, Status: events.StatusReleased})
			removed = append(removed, code)
		}
	}
	out.Held = c.heldAfter(ctx, email, before, nil, removed)
	return out, nil
}

// List returns the licenses user holds, read from every page of the list.
func (c *Client) List(ctx context.Context, account, user string) ([]events.Holding, error) {
	email, _, err := c.check(ctx, "list", vendors.Request{Account: account, User: user})
	if err != nil {
		return nil, err
	}
	held, err := c.userLicenses(ctx, "list_user_licenses", email)
	if err != nil {
		return nil, fmt.Errorf("licensespring: list %s: %w", email, err)
	}
	return held, nil
}

// Pools returns one pool per user-based license of the account: total is
// max_license_users, assigned the license's users. Licenses with no user
// slot and no user (key-based licenses) are left out.
func (c *Client) Pools(ctx context.Context, account string) ([]events.Pool, error) {
	if err := checkAccount("pools", account); err != nil {
		return nil, err
	}
	pools := []events.Pool{}
	err := c.eachLicense(ctx, "list_licenses", url.Values{}, func(l license) {
		if l.MaxLicenseUsers == 0 && len(l.LicenseUsers) == 0 {
			return
		}
		p := events.Pool{Code: l.code(), Total: l.MaxLicenseUsers, Assigned: len(l.LicenseUsers)}
		p.Free = max(p.Total-p.Assigned, 0)
		pools = append(pools, p)
	})
	if err != nil {
		return nil, fmt.Errorf("licensespring: pools: %w", err)
	}
	return pools, nil
}

// assignUser adds email to license code. The answer's new_password (the
// license user's credential) is not even decoded.
func (c *Client) assignUser(ctx context.Context, code, email string) error {
	body := map[string]any{"email": email, "first_name": "", "last_name": "", "is_manager": false}
	return c.do(ctx, call{op: "assign_user", method: http.MethodPost,
		ref: licensesPath + code + "/assign_user/", body: body}, nil)
}

// unassignUser removes email from license code.
func (c *Client) unassignUser(ctx context.Context, code, email string) error {
	return c.do(ctx, call{op: "unassign_user", method: http.MethodPost,
		ref: licensesPath + code + "/unassign_user/", body: map[string]string{"license_user_email": email}}, nil)
}

// checkAssignable reads license code and fails as assign_user would: unknown
// (404) or without a free user slot.
func (c *Client) checkAssignable(ctx context.Context, code string) error {
	var l license
	if err := c.do(ctx, call{op: "get_license", method: http.MethodGet, ref: licensesPath + code + "/"}, &l); err != nil {
		return err
	}
	if l.LicenseUsers != nil && len(l.LicenseUsers) >= l.MaxLicenseUsers {
		return &vendors.Error{Class: vendors.ErrCapacity, Op: "get_license",
			Message: fmt.Sprintf("all %d license user slots are taken", l.MaxLicenseUsers)}
	}
	return nil
}

// heldAfter returns what the user holds after a change. With no change it is
// before; otherwise the list is read again for the new licenses' details, and
// if that read fails the change is applied to before instead (the writes
// succeeded, so the operation must not fail for want of details).
func (c *Client) heldAfter(ctx context.Context, email string, before []events.Holding, added, removed []string) []events.Holding {
	if len(added) == 0 && len(removed) == 0 {
		return before
	}
	if held, err := c.userLicenses(ctx, "list_user_licenses", email); err == nil {
		return held
	}
	held := make([]events.Holding, 0, len(before)+len(added))
	for _, h := range before {
		if !slices.Contains(removed, h.Code) {
			held = append(held, h)
		}
	}
	for _, code := range added {
		held = append(held, events.Holding{Code: code})
	}
	return held
}

// check validates the account and user of req and returns the user's
// address as LicenseSpring stores it and the requested codes without
// repeats.
func (c *Client) check(ctx context.Context, op string, req vendors.Request) (string, []string, error) {
	if err := checkAccount(op, req.Account); err != nil {
		return "", nil, err
	}
	email := strings.TrimSpace(req.User)
	if email == "" || !strings.Contains(email, "@") {
		return "", nil, fmt.Errorf("licensespring: %w", &vendors.Error{Class: vendors.ErrUserNotFound, Op: op,
			Message: fmt.Sprintf("user %q is not an email address", req.User)})
	}
	var codes []string
	for _, code := range req.Licenses {
		if code = strings.TrimSpace(code); !slices.Contains(codes, code) {
			codes = append(codes, code)
		}
	}
	stored, err := c.storedAddress(ctx, email)
	if err != nil {
		return "", nil, fmt.Errorf("licensespring: %s %s: %w", op, email, err)
	}
	return stored, codes, nil
}

func checkAccount(op, account string) error {
	if account != "" && account != DefaultAccountName {
		return fmt.Errorf("licensespring: %w", &vendors.Error{Class: vendors.ErrUnknownAccount, Op: op,
			Message: fmt.Sprintf("account %q: LicenseSpring has one account per API key, %q", account, DefaultAccountName)})
	}
	return nil
}

// isID reports whether code is a license id: decimal digits only, which also
// keeps it from reaching into another path.
func isID(code string) bool {
	_, err := strconv.ParseUint(code, 10, 63)
	return err == nil && code != "" && strings.Trim(code, "0123456789") == ""
}

func holds(held []events.Holding, code string) bool {
	return slices.ContainsFunc(held, func(h events.Holding) bool { return h.Code == code })
}

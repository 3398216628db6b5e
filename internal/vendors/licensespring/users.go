package licensespring

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// licenseUsersPath is the Management API's license-user collection.
const licenseUsersPath = "/api/v1/license-users/"

var _ vendors.Directory = (*Client)(nil)

// licenseUserPage is one page of the license-user list, paginated like the
// license list.
type licenseUserPage struct {
	Count   int           `json:"count"`
	Next    *string       `json:"next"`
	Results []licenseUser `json:"results"`
}

// FindUser returns the address LicenseSpring stores for email: a license
// user's id is the address itself. The lookup ignores case, as an address
// does; an address no license user has yet is answered as given, since
// assign_user creates the user on first assignment. Several users whose
// addresses differ only in case are ErrAmbiguousUser.
func (c *Client) FindUser(ctx context.Context, account, email string) (string, error) {
	if err := checkAccount("find_user", account); err != nil {
		return "", err
	}
	stored, err := c.storedAddress(ctx, strings.TrimSpace(email))
	if err != nil {
		return "", fmt.Errorf("licensespring: find user %s: %w", email, err)
	}
	return stored, nil
}

// storedAddress returns the spelling under which LicenseSpring stores
// email. The license list's license_users__true_email filter is an exact,
// case-sensitive match, so a command's address in another case must be
// turned into the stored one first (true_email__iexact ignores case).
func (c *Client) storedAddress(ctx context.Context, email string) (string, error) {
	const op = "find_license_user"
	q := url.Values{"true_email__iexact": {email}, "limit": {"100"}, "offset": {"0"}}
	var p licenseUserPage
	if err := c.do(ctx, call{op: op, method: http.MethodGet, ref: licenseUsersPath + "?" + q.Encode()}, &p); err != nil {
		return "", err
	}
	var found []string
	for _, u := range p.Results {
		// A list that ignored the filter would name everyone.
		if strings.EqualFold(u.TrueEmail, email) {
			found = append(found, u.TrueEmail)
		}
	}
	switch len(found) {
	case 0:
		return email, nil
	case 1:
		return found[0], nil
	}
	return "", &vendors.Error{Class: vendors.ErrAmbiguousUser, Op: op,
		Message: fmt.Sprintf("%d license users have the address %s in some case", len(found), email)}
}

// lastLogin reads a license user's last_login: an ISO 8601 time, or null
// for never.
func (u licenseUser) lastLogin() time.Time {
	if u.LastLogin == nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, *u.LastLogin)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

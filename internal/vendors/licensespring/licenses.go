package licensespring

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// licensesPath is the Management API's license collection.
const licensesPath = "/api/v1/licenses/"

// pageSize is the most the license list returns per page.
const pageSize = 100

// maxPages stops a listing whose next links never end (100,000 licenses).
const maxPages = 1000

// licensePage is one page of the Management API's license list. ASSUMED
// (the vendor reference): {"count","next","previous","results"}.
type licensePage struct {
	Count   int       `json:"count"`
	Next    *string   `json:"next"`
	Results []license `json:"results"`
}

// license is the part of a license object seatkeeper reads, in both APIs:
// the Management API names the product product_short_code, the License API
// nests it in product_details. Fields that may carry a credential (a license
// user's initial password) are deliberately not decoded.
type license struct {
	ID               int64   `json:"id"`
	LicenseType      string  `json:"license_type"`
	IsTrial          bool    `json:"is_trial"`
	ValidityPeriod   *string `json:"validity_period"`
	MaxLicenseUsers  int     `json:"max_license_users"`
	ProductShortCode string  `json:"product_short_code"`
	ProductDetails   struct {
		ShortCode string `json:"short_code"`
	} `json:"product_details"`
	// LicenseUsers lists the license's users, license_users [{id, email,
	// true_email, last_login}]: Pools counts them, userLicenses checks the
	// filter against them and reads the user's last sign-in.
	LicenseUsers []licenseUser `json:"license_users"`
}

// licenseUser is a license user. Its email is a suffixed form of the
// address ("ada@example.com|tn"); only true_email holds the address.
type licenseUser struct {
	ID        int64   `json:"id"`
	TrueEmail string  `json:"true_email"`
	LastLogin *string `json:"last_login"`
}

// code returns the license's seatkeeper code: its id in decimal.
func (l license) code() string { return strconv.FormatInt(l.ID, 10) }

// holding normalises l.
func (l license) holding() events.Holding {
	h := events.Holding{Code: l.code(), Name: l.ProductShortCode, Type: l.LicenseType, Trial: l.IsTrial}
	if h.Name == "" {
		h.Name = l.ProductDetails.ShortCode
	}
	if l.ValidityPeriod != nil {
		h.Expires = *l.ValidityPeriod
	}
	return h
}

// user returns the user of l whose address is email, in any case. A
// license object without a user list is taken at the filter's word.
func (l license) user(email string) (licenseUser, bool) {
	if l.LicenseUsers == nil {
		return licenseUser{}, true
	}
	for _, u := range l.LicenseUsers {
		if strings.EqualFold(u.TrueEmail, email) {
			return u, true
		}
	}
	return licenseUser{}, false
}

// userLicenses returns the licenses stored holds, every page of them, each
// with the user's last sign-in. stored is the address as LicenseSpring
// stores it (storedAddress): the filter is exact and case-sensitive.
func (c *Client) userLicenses(ctx context.Context, op, stored string) ([]events.Holding, error) {
	q := url.Values{"license_users__true_email": {stored}}
	held := []events.Holding{}
	err := c.eachLicense(ctx, op, q, func(l license) {
		// If the filter were ignored, every license would come back: the
		// user list guards against reporting (and releasing) those.
		if u, ok := l.user(stored); ok {
			h := l.holding()
			h.LastUsed = u.lastLogin()
			held = append(held, h)
		}
	})
	return held, err
}

// eachLicense calls fn for every license the list with filter q returns,
// following next links until there is none.
func (c *Client) eachLicense(ctx context.Context, op string, q url.Values, fn func(license)) error {
	q.Set("limit", strconv.Itoa(pageSize))
	q.Set("offset", "0")
	ref := licensesPath + "?" + q.Encode()
	for page := 0; ref != ""; page++ {
		if page == maxPages {
			return &vendors.Error{Class: vendors.ErrRejected, Op: op,
				Message: fmt.Sprintf("license list did not end after %d pages", maxPages)}
		}
		var p licensePage
		if err := c.do(ctx, call{op: op, method: http.MethodGet, ref: ref}, &p); err != nil {
			return err
		}
		for _, l := range p.Results {
			fn(l)
		}
		next, err := c.nextRef(op, p.Next)
		if err != nil {
			return err
		}
		ref = next
	}
	return nil
}

// nextRef turns a page's next link into a reference under the base URL, or
// "" at the end. Only the link's path and query are used, so the API key is
// never sent to a host other than the configured one.
func (c *Client) nextRef(op string, next *string) (string, error) {
	if next == nil || *next == "" {
		return "", nil
	}
	u, err := url.Parse(*next)
	if err != nil {
		return "", &vendors.Error{Class: vendors.ErrRejected, Op: op, Message: "unreadable next link", Err: err}
	}
	path := strings.TrimPrefix(u.EscapedPath(), c.base.Path)
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if u.RawQuery == "" {
		return path, nil
	}
	return path + "?" + u.RawQuery, nil
}

package arcgis

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

var _ vendors.Directory = (*Client)(nil)

// searchAnswer is a page of portals/self/users/search.
type searchAnswer struct {
	NextStart int          `json:"nextStart"`
	Results   []portalUser `json:"results"`
}

// FindUser returns the username of the one member whose e-mail is email,
// compared without regard to case. The portal's search is fuzzy, so every
// page of its answer is read and only exact e-mails count; e-mails are not
// unique in a portal, and several members with one are ErrAmbiguousUser.
func (c *Client) FindUser(ctx context.Context, account, email string) (string, error) {
	if err := checkAccount(account); err != nil {
		return "", opError("find user", email, err)
	}
	email = strings.TrimSpace(email)
	var found []string
	start := 1
	for page := 0; page < maxSearchPages; page++ {
		var a searchAnswer
		params := searchParams(email, start)
		if err := c.call(ctx, "searchUsers", http.MethodGet, c.sharing("portals", "self", "users", "search"), params, &a); err != nil {
			return "", opError("find user", email, err)
		}
		for _, u := range a.Results {
			if u.Username != "" && strings.EqualFold(strings.TrimSpace(u.Email), email) {
				found = append(found, u.Username)
			}
		}
		if a.NextStart <= start {
			break
		}
		start = a.NextStart
	}
	switch len(found) {
	case 0:
		return "", opError("find user", email, &vendors.Error{Class: vendors.ErrUserNotFound, Op: "searchUsers",
			Message: fmt.Sprintf("no member has the e-mail %s", email)})
	case 1:
		return found[0], nil
	}
	return "", opError("find user", email, &vendors.Error{Class: vendors.ErrAmbiguousUser, Op: "searchUsers",
		Message: fmt.Sprintf("%d members have the e-mail %s: %s", len(found), email, strings.Join(found, ", "))})
}

// maxSearchPages bounds a search whose pages never end (10,000 members).
const maxSearchPages = 100

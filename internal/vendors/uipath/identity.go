package uipath

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// userReadScope is the scope of the Identity user API. It is asked for in a
// token of its own, only when a call needs it, so that an application
// granted PM.License alone still manages licenses.
const userReadScope = "PM.User.Read"

// FindUser returns the id of the one user of the organisation whose e-mail
// (or user name) is email, compared without regard to case.
func (c *Client) FindUser(ctx context.Context, account, email string) (string, error) {
	id, err := c.findUser(ctx, account, email)
	if err != nil {
		return "", fmt.Errorf("uipath: find user %s: %w", email, err)
	}
	return id, nil
}

// identityUser is a user as the Identity user API shows it.
type identityUser struct {
	ID       string `json:"id"`
	UserName string `json:"userName"`
	Email    string `json:"email"`
}

// findUser searches the organisation's directory.
//
// ASSUMED: GET /identity_/api/User/users/{partitionGlobalId}?searchTerm=
// (the partition being the organisation's account id) is a substring search
// answering {"totalCount","results":[user]} in one page; the exact match is
// made here. Change it here if the directory answers otherwise.
func (c *Client) findUser(ctx context.Context, account, email string) (string, error) {
	account, err := c.accountOf(account)
	if err != nil {
		return "", err
	}
	var page struct {
		Results []identityUser `json:"results"`
	}
	err = c.do(ctx, "", call{
		op: "search users", method: http.MethodGet, identity: true,
		path: "/User/users/" + url.PathEscape(account) + "?searchTerm=" + url.QueryEscape(email),
	}, &page)
	if err != nil {
		return "", err
	}
	var ids []string
	for _, u := range page.Results {
		if strings.EqualFold(u.Email, email) || strings.EqualFold(u.UserName, email) {
			ids = appendNew(ids, u.ID)
		}
	}
	switch len(ids) {
	case 0:
		return "", vendors.Errorf(vendors.ErrUserNotFound, "search users", 0, "no user has the e-mail %s", email)
	case 1:
		return ids[0], nil
	}
	return "", vendors.Errorf(vendors.ErrAmbiguousUser, "search users", 0,
		"%d users have the e-mail %s: %s", len(ids), email, strings.Join(ids, ", "))
}

// userExists tells a user the license service has never known from one
// that does not exist, after the allocations read answered 404 for user.
//
// ASSUMED: whether the allocations read answers a never-licensed user with
// 404 is undocumented; GET /identity_/api/User/{userId} answers 200 for a
// user of the organisation and 404 otherwise. Without PM.User.Read the
// question cannot be asked, and the 404 stands as user_not_found.
func (c *Client) userExists(ctx context.Context, user string, notFound error) (bool, error) {
	err := c.do(ctx, "", call{op: "user", method: http.MethodGet, identity: true,
		path: "/User/" + url.PathEscape(user), notFound: vendors.ErrUserNotFound}, nil)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, vendors.ErrUserNotFound):
		return false, notFound
	case errors.Is(err, vendors.ErrForbidden) || errors.Is(err, vendors.ErrAuth):
		return false, vendors.Errorf(vendors.ErrUserNotFound, "allocations", http.StatusNotFound,
			"the license service does not know user %s, and whether the user exists cannot be asked "+
				"(grant the external application %s to tell a never-licensed user from an unknown one)", user, userReadScope)
	}
	return false, err
}

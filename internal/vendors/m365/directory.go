package m365

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// FindUser returns the object id of the one user whose mail or user
// principal name is email (Graph compares them without regard to case).
// It needs User.Read.All.
func (c *Client) FindUser(ctx context.Context, account, email string) (string, error) {
	id, err := c.findUser(ctx, account, email)
	if err != nil {
		return "", fmt.Errorf("m365: find user %s: %w", email, err)
	}
	return id, nil
}

func (c *Client) findUser(ctx context.Context, account, email string) (string, error) {
	if err := c.checkAccount("find user", account); err != nil {
		return "", err
	}
	literal := "'" + strings.ReplaceAll(email, "'", "''") + "'"
	filter := "mail eq " + literal + " or userPrincipalName eq " + literal
	var page struct {
		Value []struct {
			ID string `json:"id"`
		} `json:"value"`
	}
	err := c.do(ctx, call{op: "find user", method: http.MethodGet,
		path: "/users?$filter=" + url.QueryEscape(filter) + "&$select=id", out: &page})
	if err != nil {
		return "", err
	}
	switch len(page.Value) {
	case 0:
		return "", vendors.Errorf(vendors.ErrUserNotFound, "find user", 0, "no user has the mail or user principal name %s", email)
	case 1:
		return page.Value[0].ID, nil
	}
	ids := make([]string, len(page.Value))
	for i, u := range page.Value {
		ids[i] = u.ID
	}
	return "", vendors.Errorf(vendors.ErrAmbiguousUser, "find user", 0,
		"%d users have the mail or user principal name %s: %s", len(ids), email, strings.Join(ids, ", "))
}

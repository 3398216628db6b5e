package m365

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

var _ vendors.UserResolver = (*Client)(nil)

// objectID matches a directory object id (a GUID). A user principal name
// always has an @, so it never looks like one.
var objectID = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ResolveUser returns the object id of user, a user principal name or an
// object id. An object id is its own answer, without a call: a user that
// does not exist is then refused by the call that names it.
func (c *Client) ResolveUser(ctx context.Context, account, user string) (string, error) {
	if err := c.checkAccount("resolve user", account); err != nil {
		return "", fmt.Errorf("m365: resolve user %s: %w", user, err)
	}
	if objectID.MatchString(user) {
		return strings.ToLower(user), nil
	}
	var u struct {
		ID string `json:"id"`
	}
	err := c.do(ctx, call{op: "resolve user", method: http.MethodGet,
		path: userPath(user, "?$select=id,userPrincipalName"), out: &u, notFound: vendors.ErrUserNotFound})
	if err != nil {
		return "", fmt.Errorf("m365: resolve user %s: %w", user, err)
	}
	if u.ID == "" {
		return "", fmt.Errorf("m365: resolve user %s: Graph answered without an id", user)
	}
	return strings.ToLower(u.ID), nil
}

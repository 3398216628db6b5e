package msp360

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

var _ vendors.Directory = (*Client)(nil)

// mbsUser is the part of a GET /api/Users entry the adapter reads.
type mbsUser struct {
	ID    string `json:"ID"`
	Email string `json:"Email"`
}

// FindUser returns the MBS user id of the one user whose Email is email,
// compared without regard to case. No match is ErrUserNotFound, several
// are ErrAmbiguousUser.
func (c *Client) FindUser(ctx context.Context, account, email string) (string, error) {
	if err := checkAccount("find_user", account); err != nil {
		return "", err
	}
	var users []mbsUser
	if err := c.call(ctx, "users", http.MethodGet, "/api/Users", nil, &users); err != nil {
		return "", fmt.Errorf("msp360: find user %s: %w", email, err)
	}
	var ids []string
	for _, u := range users {
		if u.ID != "" && strings.EqualFold(strings.TrimSpace(u.Email), strings.TrimSpace(email)) {
			ids = append(ids, u.ID)
		}
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("msp360: %w", vendors.Errorf(vendors.ErrUserNotFound, "find_user", 0, "no MBS user has the e-mail %s", email))
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("msp360: %w", vendors.Errorf(vendors.ErrAmbiguousUser, "find_user", 0,
		"%d MBS users have the e-mail %s", len(ids), email))
}

// planRun is the part of a GET /api/Monitoring/{UserID} entry the adapter
// reads: one backup plan on one computer.
type planRun struct {
	ComputerName string `json:"ComputerName"`
	LastStart    string `json:"LastStart"`
}

// withLastUse sets each holding's LastUsed from the user's backup plans.
// A user the monitoring does not know (404) has no last use.
func (c *Client) withLastUse(ctx context.Context, user string, held []events.Holding, inv *inventory) error {
	if len(held) == 0 {
		return nil
	}
	var runs []planRun
	err := c.call(ctx, "monitoring", http.MethodGet, "/api/Monitoring/"+url.PathEscape(user), nil, &runs)
	switch {
	case statusOf(err) == http.StatusNotFound:
		return nil
	case err != nil:
		return err
	}
	for i := range held {
		if l := inv.byID(held[i].ID); l != nil {
			held[i].LastUsed = lastUse(l.ComputerName, runs)
		}
	}
	return nil
}

// lastUse is a license's last use: the latest LastStart of the backup
// plans on the computer the license is bound to, or, for a license bound
// to none, on any of the user's computers. ASSUMED: the vendor documents
// LastStart per plan and computer, not per license; LastStart is read like
// DateExpired (a zone-less time is UTC).
func lastUse(computer string, runs []planRun) time.Time {
	var latest time.Time
	for _, r := range runs {
		if computer != "" && !strings.EqualFold(r.ComputerName, computer) {
			continue
		}
		l := license{DateExpired: r.LastStart}
		if t, ok := l.expiry(); ok && t.After(latest) {
			latest = t
		}
	}
	return latest
}

package m365_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365/m365test"
)

// Every name of one user resolves to its object id; an object id needs no
// call; an unknown user is user_not_found.
func TestResolveUser(t *testing.T) {
	s := newTenant(t)
	c := newClient(t, testConfig(s))
	ctx := context.Background()
	id := s.AddUser(m365test.User{UPN: "Jane.Doe@contoso.example"})
	dollar := s.AddUser(m365test.User{UPN: "$svc@contoso.example"})
	for _, tc := range []struct{ user, want string }{
		{"Jane.Doe@contoso.example", id},
		{"jane.doe@CONTOSO.EXAMPLE", id},
		{"$svc@contoso.example", dollar},
	} {
		if got, err := c.ResolveUser(ctx, "", tc.user); err != nil || got != tc.want {
			t.Errorf("ResolveUser(%s) = %q, %v; want %q", tc.user, got, err, tc.want)
		}
	}
	calls := len(s.Requests())
	if got, err := c.ResolveUser(ctx, m365test.TenantID, strings.ToUpper(id)); err != nil || got != id {
		t.Errorf("ResolveUser(object id in capitals) = %q, %v; want %q", got, err, id)
	}
	if got := len(s.Requests()); got != calls {
		t.Errorf("resolving an object id made %d Graph calls, want 0", got-calls)
	}
	if _, err := c.ResolveUser(ctx, "", "nobody@contoso.example"); !errors.Is(err, vendors.ErrUserNotFound) {
		t.Errorf("ResolveUser(nobody): err = %v, want ErrUserNotFound", err)
	}
	if _, err := c.ResolveUser(ctx, "another-tenant", "Jane.Doe@contoso.example"); !errors.Is(err, vendors.ErrUnknownAccount) {
		t.Errorf("ResolveUser at another tenant: err = %v, want ErrUnknownAccount", err)
	}
}

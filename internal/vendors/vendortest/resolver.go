package vendortest

import (
	"context"
	"errors"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// ResolverCase binds an adapter's vendors.UserResolver to its fake.
type ResolverCase struct {
	Resolver vendors.UserResolver
	// Account is the account to name ("" uses the default).
	Account string
	// NewUser creates a user at the fake and returns every name it can be
	// given in a command, and its stable id.
	NewUser func(t *testing.T) (names []string, id string)
	// CaseInsensitive: the vendor compares names without regard to case.
	CaseInsensitive bool
	// Unknown is a name no user has.
	Unknown string
}

// RunResolver checks a UserResolver: every name of one user, in any case
// where the vendor ignores case, resolves to one id; an unknown name is
// ErrUserNotFound, not retried.
func RunResolver(t *testing.T, r ResolverCase) {
	t.Helper()
	ctx := context.Background()
	t.Run("every_name_is_one_id", func(t *testing.T) {
		names, id := r.NewUser(t)
		for _, name := range names {
			spellings := []string{name}
			if r.CaseInsensitive {
				spellings = append(spellings, swapCase(name))
			}
			for _, spelled := range spellings {
				if got, err := r.Resolver.ResolveUser(ctx, r.Account, spelled); err != nil || got != id {
					t.Errorf("ResolveUser(%s) = %q, %v; want %q", spelled, got, err, id)
				}
			}
		}
	})
	t.Run("unknown_name", func(t *testing.T) {
		got, err := r.Resolver.ResolveUser(ctx, r.Account, r.Unknown)
		if !errors.Is(err, vendors.ErrUserNotFound) || vendors.Retryable(err) {
			t.Errorf("ResolveUser(%s) = %q, %v; want ErrUserNotFound", r.Unknown, got, err)
		}
	})
}

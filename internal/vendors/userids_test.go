package vendors_test

import (
	"context"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// lowerNames is a vendor whose users' stable ids are their names in
// lower case.
type lowerNames struct{ vendors.Vendor }

func (lowerNames) ResolveUser(_ context.Context, _, user string) (string, error) {
	return strings.ToLower(user), nil
}

// ResolverOf finds a resolver through the breaker only where the vendor
// behind it has one: a vendor that names each user one way is not asked.
func TestResolverOfLooksThroughTheBreaker(t *testing.T) {
	b, _, _, _ := breakerOnFake(t)
	if _, ok := vendors.ResolverOf(b); ok {
		t.Error("ResolverOf(a breaker over UiPath) = true, want false")
	}
	if _, ok := vendors.ResolverOf(b.Vendor); ok {
		t.Error("ResolverOf(UiPath) = true, want false")
	}
	r, ok := vendors.ResolverOf(vendors.NewBreaker(lowerNames{b.Vendor}, vendors.BreakerConfig{}, nil))
	if !ok {
		t.Fatal("ResolverOf(a breaker over a resolving vendor) = false, want true")
	}
	if got, err := r.ResolveUser(context.Background(), "", "Jane"); err != nil || got != "jane" {
		t.Errorf("ResolveUser through the breaker = %q, %v; want jane", got, err)
	}
}

package vendors

import "context"

// UserResolver gives a user's stable id at a vendor where one user has
// several names (Microsoft 365: an object id and a user principal name), so
// that every name of one user is one seat holder. Adapters implement it
// where the vendor has such names; elsewhere a user's id, compared as the
// vendor compares it, is already its one name.
type UserResolver interface {
	// ResolveUser returns the stable id of user, the same for every way of
	// naming that user. An unknown user is ErrUserNotFound.
	ResolveUser(ctx context.Context, account, user string) (string, error)
}

// ResolverOf returns v's UserResolver, through its circuit breaker when v
// is a *Breaker, and false when v names each user one way.
func ResolverOf(v Vendor) (UserResolver, bool) {
	if b, ok := v.(*Breaker); ok {
		if _, ok := b.Vendor.(UserResolver); !ok {
			return nil, false
		}
		return b, true
	}
	r, ok := v.(UserResolver)
	return r, ok
}

// ResolveUser implements UserResolver through the breaker; a vendor
// without one names each user one way, so user is its own id.
func (b *Breaker) ResolveUser(ctx context.Context, account, user string) (string, error) {
	r, ok := b.Vendor.(UserResolver)
	if !ok {
		return user, nil
	}
	return guard(b, func() (string, error) { return r.ResolveUser(ctx, account, user) })
}

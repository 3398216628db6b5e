package vendors

import "context"

// FindUser implements Directory through the breaker when the vendor it
// wraps has a directory; otherwise the answer is a permanent
// ErrUserNotFound that says the vendor cannot be asked.
func (b *Breaker) FindUser(ctx context.Context, account, email string) (string, error) {
	d, ok := b.Vendor.(Directory)
	if !ok {
		return "", Errorf(ErrUserNotFound, b.Name(), 0,
			"%s cannot find a user by e-mail here: name the user instead", b.Name())
	}
	return guard(b, func() (string, error) { return d.FindUser(ctx, account, email) })
}

package licensespring_test

import (
	"context"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors/fakefaults"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring/licensespringtest"
	"github.com/seatkeeper/seatkeeper/internal/vendors/vendortest"
)

// A held license carries the user's last sign-in (last_login) as its last
// use, as the fake's clock set it; a user who never signed in has none.
func TestListCarriesLastLogin(t *testing.T) {
	clock := fakefaults.NewClock(time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC))
	fake := licensespringtest.NewServer(t, licensespringtest.Options{Now: clock.Now})
	id := fake.AddLicense(licensespringtest.License{ProductShortCode: "studio", MaxUsers: 5})
	c := newClient(t, fake)
	user := fake.NewStoredUser()
	if err := fake.AssignUser(id, user); err != nil {
		t.Fatal(err)
	}
	held, err := c.List(context.Background(), "", user)
	if err != nil || len(held) != 1 || !held[0].LastUsed.IsZero() {
		t.Fatalf("List before any sign-in = %+v, %v; want one license without last use", held, err)
	}
	clock.Advance(36 * time.Hour)
	fake.SetLastLogin(user, clock.Now())
	held, err = c.List(context.Background(), "", user)
	if err != nil || len(held) != 1 || !held[0].LastUsed.Equal(clock.Now()) {
		t.Fatalf("List = %+v, %v; want one license last used %s", held, err, clock.Now())
	}
}

// The e-mail is the user: FindUser answers it as LicenseSpring stores it,
// and an address no license user has yet as given (assign_user creates
// the user).
func TestDirectory(t *testing.T) {
	fake := licensespringtest.NewServer(t, licensespringtest.Options{})
	id := fake.AddLicense(licensespringtest.License{ProductShortCode: "studio", MaxUsers: 100})
	vendortest.RunDirectory(t, vendortest.DirectoryCase{
		Directory: newClient(t, fake),
		NewMember: func(t *testing.T) (string, string) {
			email := fake.NewStoredUser()
			if err := fake.AssignUser(id, email); err != nil {
				t.Fatal(err)
			}
			return email, email
		},
		Unknown:       "nobody@example.com",
		UnknownIsUser: true,
	})
}

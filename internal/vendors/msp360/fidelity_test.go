package msp360_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/fakefaults"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360/msp360test"
	"github.com/seatkeeper/seatkeeper/internal/vendors/vendortest"
)

// A held license's last use is the last start of the backups on the
// computer it is bound to, as the fake's clock set it; a license not yet
// bound to a computer takes the user's latest backup anywhere.
func TestListCarriesLastBackup(t *testing.T) {
	clock := fakefaults.NewClock(time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC))
	s := msp360test.NewServer(t, msp360test.Options{Now: clock.Now})
	id := s.AddLicenses("Desktop", 1)[0]
	user := s.AddUser("pat@example.test")
	c := newClient(t, s)
	if _, err := c.Assign(context.Background(), vendors.Request{User: user, Licenses: []string{"Desktop"}}); err != nil {
		t.Fatal(err)
	}
	held, err := c.List(context.Background(), "", user)
	if err != nil || len(held) != 1 || !held[0].LastUsed.IsZero() {
		t.Fatalf("List before any backup = %+v, %v; want one license without last use", held, err)
	}
	s.SetLastBackup(user, "OTHER-PC", "Docs", clock.Now().Add(time.Hour))
	held, err = c.List(context.Background(), "", user)
	if err != nil || len(held) != 1 || !held[0].LastUsed.Equal(clock.Now().Add(time.Hour)) {
		t.Fatalf("List of an unbound license = %+v, %v; want the user's latest backup", held, err)
	}
	s.BindComputer(id, "PAT-LAPTOP")
	clock.Advance(-48 * time.Hour)
	s.SetLastBackup(user, "pat-laptop", "Docs", clock.Now())
	held, err = c.List(context.Background(), "", user)
	if err != nil || len(held) != 1 || !held[0].LastUsed.Equal(clock.Now()) {
		t.Fatalf("List = %+v, %v; want the license last used %s (its own computer's backup)", held, err, clock.Now())
	}
}

var dirSeq atomic.Int64

// FindUser matches GET /api/Users' Email without regard to case; two
// users with one e-mail are ambiguous.
func TestDirectory(t *testing.T) {
	s := msp360test.NewServer(t, msp360test.Options{Demo: true})
	vendortest.RunDirectory(t, vendortest.DirectoryCase{
		Directory: newClient(t, s),
		NewMember: func(*testing.T) (string, string) {
			email := fmt.Sprintf("Member%d@Example.test", dirSeq.Add(1))
			return email, s.AddUser(email)
		},
		Share:   func(_ *testing.T, email string) { s.AddUser(email) },
		Unknown: "nobody@example.test",
	})
}

package msp360_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360/msp360test"
)

// Concurrent assigns of one license type in one worker must not pick the
// same free license and lose races to each other: 20 users, 20 free
// licenses, every assign succeeds with one grant each.
func TestConcurrentAssignsDoNotCollide(t *testing.T) {
	s := msp360test.NewServer(t, msp360test.Options{})
	s.AddLicenses("Burst", 20)
	c := newClient(t, s)
	users := make([]string, 20)
	for i := range users {
		users[i] = s.AddUser(fmt.Sprintf("burst-%d@demo.example", i))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(users))
	for i, u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := c.Assign(context.Background(), vendors.Request{User: u, Licenses: []string{"Burst"}})
			if err == nil && out.Licenses[0].Status != events.StatusAssigned {
				err = fmt.Errorf("status %s", out.Licenses[0].Status)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("assign for %s: %v", users[i], err)
		}
	}
	if got := s.Writes(); got != len(users) {
		t.Errorf("the fake received %d grants, want %d (one per user, no lost races)", got, len(users))
	}
}

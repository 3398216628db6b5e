package msp360_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360/msp360test"
)

// TestReloginOnceOn401 checks that an expired token costs one login and one
// repeat of the call, and nothing shows of it.
func TestReloginOnceOn401(t *testing.T) {
	s := msp360test.NewServer(t, msp360test.Options{Demo: true})
	c := newClient(t, s)
	ctx := context.Background()
	if _, err := c.List(ctx, "", msp360test.DemoUserAlice); err != nil {
		t.Fatalf("first List: %v", err)
	}
	logins, calls := s.Logins(), len(s.Requests())
	s.ExpireTokens()

	held, err := c.List(ctx, "", msp360test.DemoUserAlice)
	if err != nil {
		t.Fatalf("List after token expiry: %v", err)
	}
	if len(held) != 2 {
		t.Errorf("List = %v, want Alice's 2 licenses", held)
	}
	if got := s.Logins() - logins; got != 1 {
		t.Errorf("logins after the 401 = %d, want 1", got)
	}
	reqs := s.Requests()[calls:]
	if len(reqs) != 3 || reqs[0].Authorized || !reqs[1].Authorized || !reqs[2].Authorized {
		t.Errorf("calls after expiry = %+v, want one refused, then the list and the monitoring read authorized", reqs)
	}
}

// TestPersistentAuthFailure checks that a second refusal is ErrAuth, after
// exactly one fresh login, and that a 403 repeated after one fresh login
// (a 403 may mean an expired token) is ErrForbidden.
func TestPersistentAuthFailure(t *testing.T) {
	tests := []struct {
		name       string
		fault      func(s *msp360test.Server)
		want       error
		wantLogins int
		wantCalls  int
	}{
		{"token refused after a fresh login", func(s *msp360test.Server) { s.FailNext(http.StatusUnauthorized, 2, 0) },
			vendors.ErrAuth, 1, 2},
		{"credentials refused", func(s *msp360test.Server) { s.BreakAuth() }, vendors.ErrAuth, 0, 1},
		{"forbidden after a fresh login", func(s *msp360test.Server) { s.FailNext(http.StatusForbidden, 2, 0) },
			vendors.ErrForbidden, 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := msp360test.NewServer(t, msp360test.Options{Demo: true})
			c := newClient(t, s)
			ctx := context.Background()
			if _, err := c.List(ctx, "", msp360test.DemoUserBob); err != nil {
				t.Fatalf("first List: %v", err)
			}
			logins, calls := s.Logins(), len(s.Requests())
			tt.fault(s)
			_, err := c.Assign(ctx, vendors.Request{User: msp360test.DemoUserBob, Licenses: []string{msp360test.DemoCodeServer}})
			if !errors.Is(err, tt.want) || vendors.Retryable(err) {
				t.Fatalf("Assign: err = %v, want permanent %v", err, tt.want)
			}
			if got := s.Logins() - logins; got != tt.wantLogins {
				t.Errorf("logins = %d, want %d", got, tt.wantLogins)
			}
			if got := len(s.Requests()) - calls; got != tt.wantCalls {
				t.Errorf("license calls = %d, want %d", got, tt.wantCalls)
			}
			if got := s.Held(msp360test.DemoUserBob); len(got) != 1 {
				t.Errorf("Bob holds %v, want his Desktop only", got)
			}
		})
	}
}

// TestErrorsCarryNoSecret provokes every kind of failure, some with vendor
// messages that echo the password and the token, and checks that no error
// string carries either.
func TestErrorsCarryNoSecret(t *testing.T) {
	s := msp360test.NewServer(t, msp360test.Options{Demo: true})
	hc := vendors.NewHTTPClient("msp360", vendors.Limits{RatePerSecond: 1000, Burst: 100, RequestTimeout: 200 * time.Millisecond}, nil)
	c := newClientWith(t, s, hc)
	ctx := context.Background()
	list := func() error { _, err := c.List(ctx, "", msp360test.DemoUserAlice); return err }
	assign := func(codes ...string) func() error {
		return func() error {
			_, err := c.Assign(ctx, vendors.Request{User: msp360test.DemoUserCarol, Licenses: codes})
			return err
		}
	}
	if err := list(); err != nil {
		t.Fatalf("first List: %v", err)
	}
	tokens := s.IssuedTokens()
	if len(tokens) != 1 {
		t.Fatalf("issued tokens = %d, want 1", len(tokens))
	}
	echo := fmt.Sprintf("bad request from %s with password %s and token %s", msp360test.Username, msp360test.Password, tokens[0])

	steps := []struct {
		name  string
		fault func()
		call  func() error
		// masked: the vendor message is kept, with the secrets masked.
		masked bool
	}{
		{"400 echoing secrets", func() { s.FailNextMessage(http.StatusBadRequest, 1, 0, echo) }, list, true},
		{"500 echoing secrets", func() { s.FailNextMessage(http.StatusInternalServerError, 1, 0, echo) }, list, true},
		{"401 twice echoing secrets", func() { s.FailNextMessage(http.StatusUnauthorized, 2, 0, echo) }, list, true},
		{"429", func() { s.FailNext(http.StatusTooManyRequests, 1, 0) }, list, false},
		{"reset", func() { s.ResetNext(1) }, list, false},
		{"hang", func() { s.HangNext(1) }, list, false},
		{"capacity", func() {}, assign(msp360test.DemoCodeFull), false},
		{"unknown code", func() {}, assign("No Such Type"), false},
		{"unknown user", func() {}, func() error {
			_, err := c.Assign(ctx, vendors.Request{User: "00000000-0000-4000-8000-00000000dead", Licenses: []string{"Ultimate"}})
			return err
		}, false},
		{"login refused", func() { s.BreakAuth() }, list, false},
	}
	secrets := append([]string{msp360test.Password}, tokens...)
	for _, st := range steps {
		st.fault()
		err := st.call()
		if err == nil {
			t.Errorf("%s: no error", st.name)
			continue
		}
		secrets = append(secrets, s.IssuedTokens()...)
		if st.masked && !strings.Contains(err.Error(), "bad request from "+msp360test.Username+" with password ******") {
			t.Errorf("%s: error %q, want the vendor message with the secrets masked", st.name, err)
		}
		for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			for _, secret := range secrets {
				if strings.Contains(text, secret) {
					t.Errorf("%s: error carries a secret: %s", st.name, text)
				}
			}
		}
	}
}

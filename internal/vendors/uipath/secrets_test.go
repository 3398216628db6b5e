package uipath_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// failurePath provokes one failure of c against srv and returns its error.
type failurePath struct {
	name string
	run  func(srv *uipathtest.Server, c *uipath.Client, user string) error
}

// TestNoSecretInErrors drives every failure path against a fake whose error
// bodies quote the request's Authorization header and the submitted client
// secret, and checks that no error text carries either.
func TestNoSecretInErrors(t *testing.T) {
	paths := []failurePath{
		{"refused credentials", func(srv *uipathtest.Server, c *uipath.Client, user string) error {
			srv.BreakAuth()
			return assign(c, user, "RPADEVNU")
		}},
		{"persistent 401", func(srv *uipathtest.Server, c *uipath.Client, user string) error {
			srv.FailNext(401, 2, 0)
			return assign(c, user, "RPADEVNU")
		}},
		{"unknown user", func(srv *uipathtest.Server, c *uipath.Client, user string) error {
			return assign(c, "nobody", "RPADEVNU")
		}},
		{"PUT 404: account not licensed", func(srv *uipathtest.Server, c *uipath.Client, user string) error {
			srv.AddUser("unlicensed-account", "u")
			_, err := c.Assign(context.Background(), vendors.Request{Account: "unlicensed-account", User: "u", Licenses: []string{"RPADEVNU"}})
			return err
		}},
		{"PUT 409: capacity", func(srv *uipathtest.Server, c *uipath.Client, user string) error {
			return assign(c, user, uipathtest.FullCode)
		}},
		{"PUT 409: unknown code", func(srv *uipathtest.Server, c *uipath.Client, user string) error {
			return assign(c, user, "NOSUCHCODE")
		}},
		{"dropped connection", func(srv *uipathtest.Server, c *uipath.Client, user string) error {
			srv.ResetNext(1)
			return assign(c, user, "RPADEVNU")
		}},
		{"hung connection", func(srv *uipathtest.Server, c *uipath.Client, user string) error {
			srv.HangNext(1)
			return assign(c, user, "RPADEVNU")
		}},
	}
	for _, status := range []int{400, 403, 404, 409, 422, 429, 500, 502, 503} {
		paths = append(paths, failurePath{"HTTP " + strconv.Itoa(status), func(srv *uipathtest.Server, c *uipath.Client, user string) error {
			// A 404 on the read sends the adapter to the Identity
			// service, which knows the user; the PUT's 404 then fails.
			srv.FailNext(status, 1+btoi(status == 404), time.Second)
			return assign(c, user, "RPADEVNU")
		}})
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true, LeakyErrors: true})
			c := newClient(t, srv, vendors.NewHTTPClient(uipath.Name, vendors.Limits{RequestTimeout: 300 * time.Millisecond}, nil))
			checkNoSecret(t, p.run(srv, c, newUser(t, srv)), uipathtest.ClientSecret)
		})
	}

	t.Run("wrong secret", func(t *testing.T) {
		const wrongSecret = "wrong-secret-9d81c7e2"
		srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true, LeakyErrors: true})
		cfg := demoConfig(srv)
		cfg.ClientSecret = wrongSecret
		c, err := uipath.New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		checkNoSecret(t, assign(c, "singer-77", "RPADEVNU"), wrongSecret)
	})
}

func checkNoSecret(t *testing.T, err error, secret string) {
	t.Helper()
	if err == nil {
		t.Fatal("the failure path did not fail")
	}
	text := err.Error()
	for _, s := range []string{secret, "fake-at-"} {
		if strings.Contains(text, s) {
			t.Errorf("error text carries %q: %s", s, text)
		}
	}
}

func assign(c *uipath.Client, user, code string) error {
	_, err := c.Assign(context.Background(), vendors.Request{User: user, Licenses: []string{code}})
	return err
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

package uipath_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

const acct = uipathtest.DemoAccount

// writesOf returns the calls that could change state, i.e. every call that
// is not a GET.
func writesOf(srv *uipathtest.Server) []uipathtest.Request {
	var out []uipathtest.Request
	for _, r := range srv.Requests() {
		if r.Method != http.MethodGet {
			out = append(out, r)
		}
	}
	return out
}

type putBody struct {
	UserIDs            []string `json:"userIds"`
	UserBundleCodes    []string `json:"userBundleCodes"`
	UseExternalLicense *bool    `json:"useExternalLicense"`
}

// lastPut decodes the body of the last write, which must be a PUT of the
// documented shape.
func lastPut(t *testing.T, srv *uipathtest.Server) putBody {
	t.Helper()
	ws := writesOf(srv)
	if len(ws) == 0 {
		t.Fatal("no write call reached the fake")
	}
	w := ws[len(ws)-1]
	if w.Method != http.MethodPut {
		t.Fatalf("write was %s %s, want PUT (POST on this path only reads)", w.Method, w.Path)
	}
	if want := "/lease_/api/account/" + acct + "/user-license"; w.Path != want {
		t.Errorf("PUT path %s, want %s", w.Path, want)
	}
	if ct := w.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("PUT Content-Type %q, want application/json", ct)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(w.Body), &raw); err != nil {
		t.Fatalf("PUT body %s: %v", w.Body, err)
	}
	for k := range raw {
		if k != "userIds" && k != "userBundleCodes" && k != "useExternalLicense" {
			t.Errorf("PUT body has undocumented field %q: %s", k, w.Body)
		}
	}
	var b putBody
	if err := json.Unmarshal([]byte(w.Body), &b); err != nil {
		t.Fatal(err)
	}
	if b.UserBundleCodes == nil || b.UseExternalLicense == nil {
		t.Errorf("PUT body %s lacks userBundleCodes (as a list) or useExternalLicense", w.Body)
	}
	return b
}

func TestAssignSendsDocumentedPut(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	c := newClient(t, srv, nil)
	user := newUser(t, srv)
	if _, err := c.Assign(context.Background(), vendors.Request{User: user, Licenses: []string{"RPADEVNU"}}); err != nil {
		t.Fatal(err)
	}
	b := lastPut(t, srv)
	if !slices.Equal(b.UserIDs, []string{user}) || !slices.Equal(b.UserBundleCodes, []string{"RPADEVNU"}) || *b.UseExternalLicense {
		t.Errorf("PUT body %+v, want userIds [%s], userBundleCodes [RPADEVNU], useExternalLicense false", b, user)
	}
	if got := len(writesOf(srv)); got != 1 {
		t.Errorf("%d write calls, want 1 PUT", got)
	}
}

func TestReplaceSemantics(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	c := newClient(t, srv, nil)
	ctx := context.Background()
	user := newUser(t, srv)
	steps := []struct {
		name    string
		op      func(context.Context, vendors.Request) (vendors.Outcome, error)
		codes   []string
		wantPut []string
	}{
		{"assign A", c.Assign, []string{"RPADEVNU"}, []string{"RPADEVNU"}},
		{"assign B keeps A", c.Assign, []string{"ATTUNU"}, []string{"RPADEVNU", "ATTUNU"}},
		{"assign C twice in one request", c.Assign, []string{"TSTNU", "TSTNU"}, []string{"RPADEVNU", "ATTUNU", "TSTNU"}},
		{"release A keeps the rest", c.Release, []string{"RPADEVNU"}, []string{"ATTUNU", "TSTNU"}},
		{"release all sends an empty list", c.Release, nil, []string{}},
	}
	for _, s := range steps {
		out, err := s.op(ctx, vendors.Request{User: user, Licenses: s.codes})
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		b := lastPut(t, srv)
		if !slices.Equal(b.UserBundleCodes, s.wantPut) {
			t.Errorf("%s: PUT userBundleCodes %v, want %v", s.name, b.UserBundleCodes, s.wantPut)
		}
		if got, want := events.Codes(out.Held), srv.Held(acct, user); !sameSet(got, want) {
			t.Errorf("%s: outcome held %v, the fake says %v", s.name, got, want)
		}
	}
	// Releasing from a user who holds nothing writes nothing.
	before := srv.Writes()
	out, err := c.Release(ctx, vendors.Request{User: user})
	if err != nil || len(out.Licenses) != 0 || srv.Writes() != before {
		t.Errorf("release-all of nothing: %+v, %v, %d writes; want no licenses, no write", out, err, srv.Writes()-before)
	}
}

func TestCapacityIsNotRetriedAndNamesTheCode(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	c := newClient(t, srv, nil)
	user := newUser(t, srv)
	ctx := context.Background()
	if _, err := c.Assign(ctx, vendors.Request{User: user, Licenses: []string{"ATTUNU"}}); err != nil {
		t.Fatal(err)
	}
	// The 409 says neither which code nor why; the pools tell, and a code
	// without a pool is license_not_found, never capacity.
	tests := []struct {
		codes    []string
		class    error
		code     string
		wantText string
	}{
		{[]string{uipathtest.FullCode}, vendors.ErrCapacity, events.CodeCapacityExhausted, uipathtest.FullCode + " has no free seat (1 of 1 allocated)"},
		{[]string{"RPADEVNU", "NOSUCHCODE"}, vendors.ErrLicenseNotFound, events.CodeLicenseNotFound, "no NOSUCHCODE pool"},
	}
	for _, tt := range tests {
		before := srv.Writes()
		_, err := c.Assign(ctx, vendors.Request{User: user, Licenses: tt.codes})
		if !errors.Is(err, tt.class) || vendors.Retryable(err) {
			t.Fatalf("assign %v: err = %v, want permanent %v", tt.codes, err, tt.class)
		}
		if got := vendors.Code(err); got != tt.code {
			t.Errorf("Code = %q, want %q", got, tt.code)
		}
		if !strings.Contains(err.Error(), tt.wantText) {
			t.Errorf("assign %v: error %q does not say %q", tt.codes, err, tt.wantText)
		}
		if got := srv.Writes() - before; got != 1 {
			t.Errorf("assign %v: %d PUTs, want exactly 1 (no retry at this layer)", tt.codes, got)
		}
		if got := srv.Held(acct, user); !slices.Equal(got, []string{"ATTUNU"}) {
			t.Errorf("after a refused assign the user holds %v, want [ATTUNU]", got)
		}
	}
}

func TestNotFoundMeansDifferentThingsPerEndpoint(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	c := newClient(t, srv, nil)
	ctx := context.Background()

	_, err := c.List(ctx, "", "no-such-user")
	if !errors.Is(err, vendors.ErrUserNotFound) || vendors.Code(err) != events.CodeUserNotFound {
		t.Errorf("List of an unknown user: err = %v, want ErrUserNotFound", err)
	}
	_, err = c.Assign(ctx, vendors.Request{User: "no-such-user", Licenses: []string{"RPADEVNU"}})
	if !errors.Is(err, vendors.ErrUserNotFound) {
		t.Errorf("Assign to an unknown user: err = %v, want ErrUserNotFound", err)
	}

	const unlicensed = "0f0f0f0f-0000-0000-0000-00000000000a"
	srv.AddUser(unlicensed, "u")
	_, err = c.Assign(ctx, vendors.Request{Account: unlicensed, User: "u", Licenses: []string{"RPADEVNU"}})
	if !errors.Is(err, vendors.ErrNotLicensed) || vendors.Code(err) != events.CodeAccountNotLicensed || vendors.Retryable(err) {
		t.Errorf("Assign in an account without license: err = %v, want permanent ErrNotLicensed", err)
	}
	if !strings.Contains(err.Error(), "No account license is allocated") {
		t.Errorf("error %q does not carry the vendor's detail", err)
	}
}

func TestProblemDetailsAreShown(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	c := newClient(t, srv, nil)
	user := newUser(t, srv)
	tests := []struct {
		status int
		class  error
	}{
		{400, vendors.ErrRejected},
		{403, vendors.ErrForbidden},
		{422, vendors.ErrRejected},
	}
	for _, tt := range tests {
		srv.FailNext(tt.status, 1, 0)
		_, err := c.List(context.Background(), "", user)
		if !errors.Is(err, tt.class) || vendors.Retryable(err) {
			t.Errorf("HTTP %d: err = %v, want permanent %v", tt.status, err, tt.class)
			continue
		}
		var e *vendors.Error
		if !errors.As(err, &e) || e.Status != tt.status || !strings.Contains(e.Message, "injected failure") {
			t.Errorf("HTTP %d: error %#v, want the ProblemDetails detail as Message", tt.status, e)
		}
	}
}

func TestDefaultAccount(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	c := newClient(t, srv, nil)
	if got := c.DefaultAccount(); got != acct {
		t.Errorf("DefaultAccount = %q, want %q", got, acct)
	}
	c, err := uipath.New(uipath.Config{BaseURL: srv.URL, ClientID: uipathtest.ClientID,
		ClientSecret: uipathtest.ClientSecret, Scope: "PM.License"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.List(context.Background(), "", "singer-77"); !errors.Is(err, vendors.ErrUnknownAccount) {
		t.Errorf("List without any account: err = %v, want ErrUnknownAccount", err)
	}
	if _, err := c.Pools(context.Background(), acct); err != nil {
		t.Errorf("Pools naming the account: %v", err)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

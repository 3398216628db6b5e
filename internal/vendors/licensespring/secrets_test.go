package licensespring_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring/licensespringtest"
)

// TestNewPasswordNeverLeaves checks every output of the adapter (outcomes,
// holdings, pools, error strings) for the license user's password, which
// LicenseSpring returns as new_password from assign_user and which the fake
// also lists as the users' initial_password.
func TestNewPasswordNeverLeaves(t *testing.T) {
	ctx := context.Background()
	fake := licensespringtest.NewServer(t, licensespringtest.Options{Demo: true})
	c := newClient(t, fake)
	user := fake.NewUser()
	var outputs []any

	out, err := c.Assign(ctx, vendors.Request{User: user, Licenses: []string{licensespringtest.DemoStudioCode, licensespringtest.DemoCloudCode}})
	if err != nil {
		t.Fatalf("assign: %v", err)
	}
	password := fake.Password(user)
	if password == "" {
		t.Fatal("the fake issued no password; the test would prove nothing")
	}
	outputs = append(outputs, out)
	held, err := c.List(ctx, "", user)
	outputs = append(outputs, held, err)
	pools, err := c.Pools(ctx, "")
	outputs = append(outputs, pools, err)
	out, err = c.Assign(ctx, vendors.Request{User: user, Licenses: []string{licensespringtest.DemoStudioCode}, DryRun: true})
	outputs = append(outputs, out, err)
	// Failures after the password exists: full pool, vendor errors, refused key.
	_, err = c.Assign(ctx, vendors.Request{User: user, Licenses: []string{licensespringtest.DemoFullCode}})
	outputs = append(outputs, wantErr(t, err))
	for _, status := range []int{400, 403, 404, 429, 500} {
		fake.FailNext(status, 1, 0)
		_, err = c.Assign(ctx, vendors.Request{User: user, Licenses: []string{licensespringtest.DemoTrialCode}})
		outputs = append(outputs, wantErr(t, err))
	}
	out, err = c.Release(ctx, vendors.Request{User: user})
	outputs = append(outputs, out, err)
	fake.BreakAuth()
	_, err = c.Release(ctx, vendors.Request{User: user})
	outputs = append(outputs, wantErr(t, err))

	for i, o := range outputs {
		for _, text := range renderings(o) {
			if strings.Contains(text, password) {
				t.Errorf("output %d carries the license user's password: %s", i, text)
			}
		}
	}
}

func wantErr(t *testing.T, err error) error {
	t.Helper()
	if err == nil {
		t.Fatal("err = nil, want a failure")
	}
	return err
}

// renderings returns the ways an output may be printed, logged or published.
func renderings(o any) []string {
	if err, ok := o.(error); ok {
		var ve *vendors.Error
		if errors.As(err, &ve) {
			return []string{err.Error(), fmt.Sprintf("%+v", err), ve.Message}
		}
		return []string{err.Error(), fmt.Sprintf("%+v", err)}
	}
	j, _ := json.Marshal(o)
	return []string{string(j), fmt.Sprintf("%+v", o)}
}

// TestErrorMessagesCarryNoBody points the adapter at a server whose error
// bodies hold a credential next to (or instead of) the documented message.
func TestErrorMessagesCarryNoBody(t *testing.T) {
	const secret = "pw-sup3r-s3cret"
	tests := []struct {
		name    string
		status  int
		body    string
		want    error
		wantMsg string
	}{
		{"detail", 400, `{"detail":"License has reached the maximum number of license users.","new_password":"` + secret + `"}`,
			vendors.ErrCapacity, "License has reached the maximum number of license users."},
		{"field errors", 400, `{"new_password":["` + secret + `"],"email":["Enter a valid email address."]}`,
			vendors.ErrRejected, "email: Enter a valid email address."},
		{"only a credential", 400, `{"password":"` + secret + `"}`, vendors.ErrRejected, ""},
		{"not json", 500, `<html>` + secret + `</html>`, vendors.ErrTransient, ""},
		{"not found", 404, `{"detail":"Not found."}`, vendors.ErrLicenseNotFound, "Not found."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodGet {
					_, _ = w.Write([]byte(`{"count":0,"next":null,"previous":null,"results":[]}`))
					return
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c, err := licensespring.New(licensespring.Config{BaseURL: srv.URL, APIKey: "k"}, fastClient())
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Assign(context.Background(), vendors.Request{User: "a@example.com", Licenses: []string{"7"}})
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var ve *vendors.Error
			if !errors.As(err, &ve) || ve.Message != tt.wantMsg {
				t.Errorf("message = %q, want %q", ve.Message, tt.wantMsg)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error carries the body's credential: %v", err)
			}
		})
	}
}

// TestKeyStaysHome checks that a next link naming another host does not take
// the API key there: only its path and query are followed.
func TestKeyStaysHome(t *testing.T) {
	// Counted atomically: the race detector sees no order through TCP.
	var foreign, pages atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { foreign.Add(1) }))
	defer other.Close()
	home := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Api-Key k" {
			w.WriteHeader(401)
			return
		}
		if r.URL.Path == "/api/v1/license-users/" {
			fmt.Fprint(w, `{"count":0,"next":null,"previous":null,"results":[]}`)
			return
		}
		n := pages.Add(1)
		next := "null"
		if r.URL.Query().Get("offset") == "0" {
			next = `"` + other.URL + `/api/v1/licenses/?limit=100&offset=100"`
		}
		fmt.Fprintf(w, `{"count":2,"next":%s,"previous":null,"results":[{"id":%d,"max_license_users":1}]}`, next, n)
	}))
	defer home.Close()
	c, err := licensespring.New(licensespring.Config{BaseURL: home.URL, APIKey: "k"}, fastClient())
	if err != nil {
		t.Fatal(err)
	}
	held, err := c.List(context.Background(), "", "a@example.com")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(held) != 2 || pages.Load() != 2 || foreign.Load() != 0 {
		t.Errorf("got %d holdings from %d home pages and %d foreign calls, want 2, 2, 0", len(held), pages.Load(), foreign.Load())
	}
}

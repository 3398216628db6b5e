package uipathtest_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// A bundle held through a group shows in the allocations read (not in the
// older allocation read), takes one seat, and survives a PUT that replaces
// the user's direct allocations.
func TestGroupBundlesSurviveThePut(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	srv.SeedDemoGroup()
	tok := token(t, srv)
	user := uipathtest.DemoGroupMember
	before := srv.Pools(acct)
	if a := call(t, srv, tok, "PUT", acct+"/user-license", put(user, "ATTUNU", "TSTNU")); a.status != 200 {
		t.Fatalf("PUT: %d %s", a.status, a.body)
	}
	if a := call(t, srv, tok, "PUT", acct+"/user-license", put(user)); a.status != 200 {
		t.Fatalf("PUT []: %d %s", a.status, a.body)
	}
	if got := srv.Held(acct, user); !slices.Equal(got, []string{"ATTUNU"}) {
		t.Errorf("Held = %v, want the group's [ATTUNU]", got)
	}
	if after := srv.Pools(acct); !slices.Equal(after, before) {
		t.Errorf("pools %v after a direct copy came and went, want %v", after, before)
	}

	var all struct {
		Allocations []struct {
			Code, AllocationType string
			GroupID, GroupName   *string
			LastInUse            *string
		}
	}
	a := call(t, srv, tok, "GET", acct+"/user-license/user/"+user+"/allocations", "")
	if err := json.Unmarshal([]byte(a.body), &all); err != nil || a.status != 200 || len(all.Allocations) != 1 {
		t.Fatalf("allocations: %d %s (%v)", a.status, a.body, err)
	}
	e := all.Allocations[0]
	if e.Code != "ATTUNU" || e.AllocationType != "Group" || *e.GroupID != uipathtest.DemoGroup ||
		*e.GroupName != uipathtest.DemoGroupName || *e.LastInUse != "2026-11-02T09:30:00Z" {
		t.Errorf("entry %+v, want ATTUNU through %s, last used %s", e, uipathtest.DemoGroupName, uipathtest.DemoLastUse)
	}
	a = call(t, srv, tok, "GET", acct+"/user-license/user/"+user+"/allocation", "")
	if !strings.Contains(a.body, `"userBundleLicenses":[]`) {
		t.Errorf("the older read shows %s, want no bundle (it shows direct ones only)", a.body)
	}
}

// The allocations read answers a never-licensed user as Options says; a
// user the directory does not know is 404 whatever the option.
func TestNeverLicensedAnswers(t *testing.T) {
	for mode, want := range map[uipathtest.NeverLicensed]int{
		uipathtest.NeverLicensedNotFound: 404, uipathtest.NeverLicensedEmpty: 200, uipathtest.NeverLicensedNoContent: 204,
	} {
		srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true, NeverLicensed: mode})
		tok := token(t, srv)
		if a := call(t, srv, tok, "GET", acct+"/user-license/user/singer-77/allocations", ""); a.status != want {
			t.Errorf("mode %d: never-licensed user: %d, want %d", mode, a.status, want)
		}
		if a := call(t, srv, tok, "GET", acct+"/user-license/user/nobody/allocations", ""); a.status != 404 {
			t.Errorf("mode %d: unknown user: %d, want 404", mode, a.status)
		}
	}
}

// The Identity user API needs PM.User.Read; the license API PM.License.
func TestIdentityScopes(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	license := token(t, srv)
	get := func(tok, path string) int {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(license, "/identity_/api/User/singer-77"); got != 403 {
		t.Errorf("Identity with a PM.License token: %d, want 403", got)
	}
	resp, err := http.PostForm(srv.URL+"/identity_/connect/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {uipathtest.ClientID},
		"client_secret": {uipathtest.ClientSecret}, "scope": {uipathtest.UserReadScope},
	})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	for path, want := range map[string]int{
		"/identity_/api/User/singer-77": 200, "/identity_/api/User/nobody": 404,
		"/lease_/api/account/" + acct + "/user-license": 403,
	} {
		if got := get(tok.AccessToken, path); got != want {
			t.Errorf("GET %s with a PM.User.Read token: %d, want %d", path, got, want)
		}
	}

	denied := uipathtest.NewServer(t, uipathtest.Options{NoUserRead: true})
	resp, err = http.PostForm(denied.URL+"/identity_/connect/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {uipathtest.ClientID},
		"client_secret": {uipathtest.ClientSecret}, "scope": {uipathtest.UserReadScope},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("token for an ungranted scope: %d, want 400 invalid_scope", resp.StatusCode)
	}
}

package arcgistest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors/arcgis/arcgistest"
)

const referer = "https://seatkeeper.test"

// post sends a form the way a browser or the ArcGIS API for Python does.
func post(t *testing.T, s *arcgistest.Server, target string, form url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", referer)
	return send(t, s, req)
}

func get(t *testing.T, s *arcgistest.Server, target string, query url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, target+"?"+query.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Referer", referer)
	return send(t, s, req)
}

func send(t *testing.T, s *arcgistest.Server, req *http.Request) (int, string) {
	t.Helper()
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func token(t *testing.T, s *arcgistest.Server) string {
	t.Helper()
	_, body := post(t, s, s.PortalURL()+"/generateToken", url.Values{
		"username": {arcgistest.AdminUsername}, "password": {arcgistest.AdminPassword},
		"client": {"referer"}, "referer": {referer}, "expiration": {"60"}, "f": {"json"},
	})
	var ans struct {
		Token   string `json:"token"`
		Expires int64  `json:"expires"`
	}
	if err := json.Unmarshal([]byte(body), &ans); err != nil || ans.Token == "" {
		t.Fatalf("generateToken answered %s", body)
	}
	if until := time.Until(time.UnixMilli(ans.Expires)); until < 59*time.Minute || until > 61*time.Minute {
		t.Errorf("token expires in %s, want the 60 minutes asked for", until)
	}
	return ans.Token
}

func decode(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("answer is not JSON: %q", body)
	}
	return m
}

func errorCode(t *testing.T, body string) float64 {
	t.Helper()
	e, _ := decode(t, body)["error"].(map[string]any)
	code, _ := e["code"].(float64)
	return code
}

// The seed: POST /portaladmin/license/releaseLicense, form username, f=json
// (and the token the privilege requires) → {"status": "success"} for a
// member with a Pro license checked out (asmith in the demo); a member
// with nothing checked out gets the portal admin's error envelope.
func TestReleaseLicenseSeed(t *testing.T) {
	s := arcgistest.NewServer(t, arcgistest.Options{Demo: true})
	tok := token(t, s)
	tests := []struct {
		name string
		form url.Values
		want map[string]any
	}{
		{"seed request", url.Values{"username": {"asmith"}, "f": {"json"}, "token": {tok}},
			map[string]any{"status": "success"}},
		{"nothing checked out", url.Values{"username": {"jdoe"}, "f": {"json"}, "token": {tok}},
			map[string]any{"status": "error", "messages": []any{"User 'jdoe' does not have a license checked out."}, "code": float64(400)}},
		{"no token", url.Values{"username": {"jdoe"}, "f": {"json"}},
			map[string]any{"status": "error", "messages": []any{"Token Required"}, "code": float64(499)}},
		{"unknown user", url.Values{"username": {"nobody"}, "f": {"json"}, "token": {tok}},
			map[string]any{"status": "error", "messages": []any{"User 'nobody' does not exist."}, "code": float64(400)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(t, s, s.AdminURL()+"/license/releaseLicense", tc.form)
			if status != http.StatusOK {
				t.Errorf("HTTP status %d, want 200", status)
			}
			if got := decode(t, body); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("answer %v, want %v", got, tc.want)
			}
		})
	}
	if got, want := s.LicenseReleases(), []string{"asmith"}; !reflect.DeepEqual(got, want) {
		t.Errorf("LicenseReleases() = %v, want %v", got, want)
	}
}

// JSON values travel as strings inside form fields.
func TestJSONInsideFormFields(t *testing.T) {
	s := arcgistest.NewServer(t, arcgistest.Options{})
	s.SetUserTypeQuantity("creatorUT", 10)
	s.SetEntitlementMax("desktopAdvN", 1)
	for _, u := range []string{"ann", "bob", "cat"} {
		s.AddUser(u, "")
	}
	tok := token(t, s)
	userType := s.PortalURL() + "/portals/self/updateUserLicenseType"
	provision := s.PortalURL() + "/content/listings/" + arcgistest.ProListingID + "/provisionUserEntitlements"
	tests := []struct {
		name     string
		target   string
		form     url.Values
		wantCode float64 // error code in the body, 0 for success
	}{
		{"users as a JSON array", userType, url.Values{"users": {`["ann","bob"]`}, "userLicenseType": {"creatorUT"}}, 0},
		{"users comma-separated", userType, url.Values{"users": {"cat"}, "userLicenseType": {"creatorUT"}}, 0},
		{"users not JSON", userType, url.Values{"users": {`["ann"`}, "userLicenseType": {"creatorUT"}}, 400},
		{"unknown user type", userType, url.Values{"users": {`["ann"]`}, "userLicenseType": {"nopeUT"}}, 400},
		{"entitlements as a JSON object", provision,
			url.Values{"userEntitlements": {`{"users":["ann"],"entitlements":["desktopAdvN"]}`}}, 0},
		{"past the purchased maximum", provision,
			url.Values{"userEntitlements": {`{"users":["bob"],"entitlements":["desktopAdvN"]}`}}, 400},
		{"entitlements not JSON", provision, url.Values{"userEntitlements": {`users=ann`}}, 400},
		{"more than 25 users", provision,
			url.Values{"userEntitlements": {`{"users":["` + strings.Repeat(`ann","`, 25) + `bob"],"entitlements":[]}`}}, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.form.Set("f", "json")
			tc.form.Set("token", tok)
			status, body := post(t, s, tc.target, tc.form)
			if status != http.StatusOK {
				t.Errorf("HTTP status %d, want 200 (errors travel in the body)", status)
			}
			if got := errorCode(t, body); got != tc.wantCode {
				t.Errorf("error code %v, want %v (answer %s)", got, tc.wantCode, body)
			}
		})
	}
	for user, want := range map[string][]string{
		"ann": {"usertype:creatorUT", "pro:desktopAdvN"},
		"bob": {"usertype:creatorUT"},
		"cat": {"usertype:creatorUT"},
	} {
		if got := s.Held(user); !reflect.DeepEqual(got, want) {
			t.Errorf("Held(%s) = %v, want %v", user, got, want)
		}
	}
}

// 498 and 499 come back inside HTTP 200, the way the portal answers them.
func TestTokenErrorsInsideHTTP200(t *testing.T) {
	s := arcgistest.NewServer(t, arcgistest.Options{Demo: true})
	tok := token(t, s)
	target := s.PortalURL() + "/community/users/jdoe/userLicenseType"
	tests := []struct {
		name  string
		setup func()
		query url.Values
		want  float64
	}{
		{"valid token", func() {}, url.Values{"f": {"json"}, "token": {tok}}, 0},
		{"no token", func() {}, url.Values{"f": {"json"}}, 499},
		{"injected 498", func() { s.FailNext(498, 1, 0) }, url.Values{"f": {"json"}, "token": {tok}}, 498},
		{"expired", s.ExpireTokens, url.Values{"f": {"json"}, "token": {tok}}, 498},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.setup()
			status, body := get(t, s, target, tc.query)
			if status != http.StatusOK {
				t.Errorf("HTTP status %d, want 200", status)
			}
			if got := errorCode(t, body); got != tc.want {
				t.Errorf("error code %v, want %v (answer %s)", got, tc.want, body)
			}
		})
	}
}

// A token works only from the referer it was issued for, and a POST's token
// counts only in the body.
func TestTokenBinding(t *testing.T) {
	s := arcgistest.NewServer(t, arcgistest.Options{Demo: true})
	tok := token(t, s)
	req, _ := http.NewRequest(http.MethodGet, s.PortalURL()+"/community/users/jdoe/userLicenseType?f=json&token="+tok, nil)
	req.Header.Set("Referer", "https://elsewhere.test")
	if _, body := send(t, s, req); errorCode(t, body) != 498 {
		t.Errorf("token from another referer: answer %s, want error 498", body)
	}
	target := s.PortalURL() + "/portals/self/updateUserLicenseType?token=" + tok
	if _, body := post(t, s, target, url.Values{"users": {`["jdoe"]`}, "userLicenseType": {"viewerUT"}, "f": {"json"}}); errorCode(t, body) != 499 {
		t.Errorf("POST with the token in the query: answer %s, want error 499", body)
	}
	if _, body := get(t, s, s.PortalURL()+"/community/users/jdoe/userLicenseType", url.Values{"token": {tok}}); !strings.Contains(body, "<html>") {
		t.Errorf("call without f=json: answer %q, want the HTML page", body)
	}
}

// The web adaptor's 502 is an HTML page.
func TestHTMLBadGateway(t *testing.T) {
	s := arcgistest.NewServer(t, arcgistest.Options{Demo: true})
	s.FailNextHTML(1)
	status, body := get(t, s, s.PortalURL()+"/portals/self/purchases", url.Values{"f": {"json"}})
	if status != http.StatusBadGateway || !strings.HasPrefix(body, "<!DOCTYPE html>") {
		t.Errorf("got HTTP %d %q, want 502 with an HTML page", status, body)
	}
}

// The demo organisation has free seats and one full pool of each kind.
func TestDemoPools(t *testing.T) {
	s := arcgistest.NewServer(t, arcgistest.Options{Demo: true})
	full := map[string]bool{}
	for _, p := range s.Pools() {
		if p.Free == 0 {
			full[p.Code] = true
		}
	}
	for _, code := range []string{"usertype:" + arcgistest.DemoFullUserType, "pro:" + arcgistest.DemoFullEntitlement} {
		if !full[code] {
			t.Errorf("pool %s has free seats, want it full (pools %v)", code, s.Pools())
		}
	}
}

// Faults apply to license-API calls in order, and Recover clears them.
func TestFaultControls(t *testing.T) {
	s := arcgistest.NewServer(t, arcgistest.Options{Demo: true, Seed: 7})
	tok := token(t, s)
	target := s.PortalURL() + "/portals/self/purchases"
	q := url.Values{"f": {"json"}, "token": {tok}}

	s.FailNext(429, 1, 2*time.Second)
	req, _ := http.NewRequest(http.MethodGet, target+"?"+q.Encode(), nil)
	req.Header.Set("Referer", referer)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "2" {
		t.Errorf("FailNext(429): HTTP %d Retry-After %q, want 429 and 2", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	s.SetLatency(20 * time.Millisecond)
	start := time.Now()
	if status, _ := get(t, s, target, q); status != http.StatusOK {
		t.Errorf("with latency: HTTP %d, want 200", status)
	}
	if elapsed := time.Since(start); elapsed < 20*time.Millisecond {
		t.Errorf("with latency 20ms the call took %s", elapsed)
	}

	// The same seed fails the same calls.
	pattern := func() []int {
		other := arcgistest.NewServer(t, arcgistest.Options{Demo: true, Seed: 7})
		otherTok := token(t, other)
		other.SetFailureRate(0.5, 500)
		var statuses []int
		for range 12 {
			status, _ := get(t, other, other.PortalURL()+"/portals/self/purchases", url.Values{"f": {"json"}, "token": {otherTok}})
			statuses = append(statuses, status)
		}
		return statuses
	}
	first, second := pattern(), pattern()
	if !reflect.DeepEqual(first, second) || !slices.Contains(first, 500) || !slices.Contains(first, 200) {
		t.Errorf("failure-rate statuses %v then %v, want the same mix of 200 and 500", first, second)
	}

	s.FailNext(503, 5, 0)
	s.Recover()
	if status, _ := get(t, s, target, q); status != http.StatusOK {
		t.Errorf("after Recover: HTTP %d, want 200", status)
	}
}

// A hung call ends when the server closes.
func TestHangEndsOnClose(t *testing.T) {
	s := arcgistest.New(arcgistest.Options{Demo: true})
	s.HangNext(1)
	done := make(chan error, 1)
	go func() {
		resp, err := s.Client().Get(s.PortalURL() + "/portals/self/purchases?f=json")
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	for len(s.Requests()) == 0 {
		runtime.Gosched()
	}
	s.Close()
	if err := <-done; err == nil {
		t.Errorf("hung call answered, want a broken connection")
	}
}

package msp360test_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptrace"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors/fakefaults"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360/msp360test"
)

// api is a bare client of the fake, written like the seed's Python sample.
type api struct {
	t         *testing.T
	s         *msp360test.Server
	token     string
	expiresIn int64
}

func newAPI(t *testing.T, s *msp360test.Server) *api {
	t.Helper()
	a := &api{t: t, s: s}
	status, body := a.do(http.MethodPost, "/api/Provider/Login",
		map[string]string{"UserName": msp360test.Username, "Password": msp360test.Password}, false)
	var ans struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &ans); status != http.StatusOK || err != nil || ans.AccessToken == "" {
		t.Fatalf("login: %d %s", status, body)
	}
	if ans.ExpiresIn <= 0 {
		t.Errorf("expires_in = %d, want the token's lifetime", ans.ExpiresIn)
	}
	a.token, a.expiresIn = ans.AccessToken, ans.ExpiresIn
	return a
}

func (a *api) do(method, path string, in any, bearer bool) (int, []byte) {
	a.t.Helper()
	var rd io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.s.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if bearer {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body
}

func message(t *testing.T, body []byte) string {
	t.Helper()
	var m struct{ Message string }
	if err := json.Unmarshal(body, &m); err != nil || m.Message == "" {
		t.Errorf("error body %q is not {\"Message\":...}", body)
	}
	return m.Message
}

// TestSeedReleaseLicenseFromUser replays the seed: POST /api/Licenses/Release
// with a Bearer token and {"LicenseID","UserID"} answers 200 with no body
// and frees the license, computer included.
func TestSeedReleaseLicenseFromUser(t *testing.T) {
	s := msp360test.NewServer(t, msp360test.Options{Demo: true})
	a := newAPI(t, s)
	if got := a.expiresIn; got != int64(msp360test.DefaultTokenLifetime/time.Second) {
		t.Errorf("expires_in = %d, want two weeks", got)
	}
	var id string
	for _, l := range s.Licenses() {
		if l.UserID == msp360test.DemoUserAlice && l.ComputerName != "" {
			id = l.ID
		}
	}
	body := map[string]string{"LicenseID": id, "UserID": msp360test.DemoUserAlice}

	if status, b := a.do(http.MethodPost, "/api/Licenses/Release", body, false); status != http.StatusUnauthorized {
		t.Errorf("release without a token = %d %s, want 401", status, b)
	}
	status, b := a.do(http.MethodPost, "/api/Licenses/Release", body, true)
	if status != http.StatusOK || len(b) != 0 {
		t.Fatalf("release = %d %q, want 200 with no body", status, b)
	}
	l, _ := s.License(id)
	if l.UserID != "" || l.User != "" || l.ComputerName != "" || l.IsTaken {
		t.Errorf("after release license = %+v, want no user and no computer", l)
	}
	status, b = a.do(http.MethodPost, "/api/Licenses/Release", body, true)
	if status != http.StatusBadRequest || message(t, b) == "" {
		t.Errorf("second release = %d %s, want 400 with a Message", status, b)
	}
}

// TestRevokeDetachesOnlyTheComputer checks the call the adapter must never
// use for a release.
func TestRevokeDetachesOnlyTheComputer(t *testing.T) {
	s := msp360test.NewServer(t, msp360test.Options{Demo: true})
	a := newAPI(t, s)
	var l msp360test.License
	for _, x := range s.Licenses() {
		if x.UserID == msp360test.DemoUserCarol {
			l = x
		}
	}
	status, b := a.do(http.MethodPost, "/api/Licenses/Revoke", map[string]string{"LicenseID": l.ID, "UserID": l.UserID}, true)
	if status != http.StatusOK {
		t.Fatalf("revoke = %d %s", status, b)
	}
	after, _ := s.License(l.ID)
	if after.UserID != msp360test.DemoUserCarol || after.ComputerName != "" || after.IsTaken {
		t.Errorf("after revoke license = %+v, want Carol's still, without computer", after)
	}
	if got := s.Writes(); got != 1 {
		t.Errorf("Writes = %d, want 1", got)
	}
}

func TestGrantAnswers(t *testing.T) {
	s := msp360test.NewServer(t, msp360test.Options{Demo: true})
	a := newAPI(t, s)
	free := s.AddLicenses("Ultimate", 1)[0]
	lapsed := s.AddLicense(msp360test.License{LicenseType: "Ultimate", DateExpired: time.Now().Add(-time.Hour)})
	user := msp360test.DemoUserBob
	tests := []struct {
		name   string
		body   any
		status int
	}{
		{"grant", map[string]string{"LicenseID": free, "UserID": user}, http.StatusOK},
		{"taken", map[string]string{"LicenseID": free, "UserID": msp360test.DemoUserDave}, http.StatusBadRequest},
		{"expired", map[string]string{"LicenseID": lapsed, "UserID": user}, http.StatusBadRequest},
		{"no user id", map[string]string{"LicenseID": lapsed}, http.StatusBadRequest},
		{"unknown license", map[string]string{"LicenseID": "nope", "UserID": user}, http.StatusNotFound},
		{"unknown user", map[string]string{"LicenseID": lapsed, "UserID": "nobody"}, http.StatusNotFound},
	}
	for _, tt := range tests {
		status, b := a.do(http.MethodPost, "/api/Licenses/Grant", tt.body, true)
		if status != tt.status {
			t.Errorf("%s: status %d %s, want %d", tt.name, status, b, tt.status)
		}
		if status != http.StatusOK {
			message(t, b)
		}
	}
	if got := s.Held(user); !reflect.DeepEqual(got, []string{"Desktop", "Ultimate"}) {
		t.Errorf("Bob holds %v, want [Desktop Ultimate]", got)
	}
	if got := s.Writes(); got != len(tests) {
		t.Errorf("Writes = %d, want %d (refusals count)", got, len(tests))
	}
}

// TestLicenseListFields checks that every field of the reference is sent,
// and that GET /api/Licenses/{id} answers one such object.
func TestLicenseListFields(t *testing.T) {
	s := msp360test.NewServer(t, msp360test.Options{Demo: true})
	a := newAPI(t, s)
	status, b := a.do(http.MethodGet, "/api/Licenses", nil, true)
	var list []map[string]any
	if err := json.Unmarshal(b, &list); status != http.StatusOK || err != nil || len(list) != len(s.Licenses()) {
		t.Fatalf("list = %d %s", status, b)
	}
	want := []string{"ComputerName", "DateExpired", "ID", "IsTaken", "IsTrial", "LicenseType", "Number",
		"OperatingSystem", "Transaction", "User", "UserID"}
	var got []string
	for k := range list[0] {
		got = append(got, k)
	}
	sort.Strings(got)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("license fields = %v, want %v", got, want)
	}
	id := list[0]["ID"].(string)
	status, b = a.do(http.MethodGet, "/api/Licenses/"+id, nil, true)
	var one map[string]any
	if err := json.Unmarshal(b, &one); status != http.StatusOK || err != nil || !reflect.DeepEqual(one, list[0]) {
		t.Errorf("one license = %d %s, want %v", status, b, list[0])
	}
	if status, _ := a.do(http.MethodGet, "/api/Licenses/nope", nil, true); status != http.StatusNotFound {
		t.Errorf("unknown license = %d, want 404", status)
	}
}

// TestTokenExpiry checks expiry by the fake's clock, ExpireTokens,
// BreakAuth and Recover.
func TestTokenExpiry(t *testing.T) {
	clock := fakefaults.NewClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	s := msp360test.NewServer(t, msp360test.Options{Demo: true, Now: clock.Now, TokenLifetime: time.Hour})
	a := newAPI(t, s)
	list := func() int { st, _ := a.do(http.MethodGet, "/api/Licenses", nil, true); return st }

	if got := list(); got != http.StatusOK {
		t.Fatalf("fresh token: %d", got)
	}
	clock.Advance(time.Hour)
	if got := list(); got != http.StatusUnauthorized {
		t.Errorf("token past its lifetime: %d, want 401", got)
	}
	a = newAPI(t, s)
	s.ExpireTokens()
	if got := list(); got != http.StatusUnauthorized {
		t.Errorf("expired token: %d, want 401", got)
	}
	s.BreakAuth()
	status, b := a.do(http.MethodPost, "/api/Provider/Login",
		map[string]string{"UserName": msp360test.Username, "Password": msp360test.Password}, false)
	if status != http.StatusBadRequest || message(t, b) == "" {
		t.Errorf("login after BreakAuth = %d %s, want 400 with a Message", status, b)
	}
	s.Recover()
	a = newAPI(t, s)
	if got := list(); got != http.StatusOK {
		t.Errorf("after Recover and a new login: %d", got)
	}
	if got := s.Logins(); got != 3 {
		t.Errorf("Logins = %d, want 3", got)
	}
}

func TestFaults(t *testing.T) {
	s := msp360test.NewServer(t, msp360test.Options{Demo: true, Seed: 7})
	a := newAPI(t, s)
	s.FailNext(http.StatusTooManyRequests, 1, 1500*time.Millisecond)
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/Licenses", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "2" {
		t.Errorf("FailNext: %d Retry-After %q, want 429 and 2", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	s.SetFailureRate(0.5, http.StatusServiceUnavailable)
	var failures int
	for range 40 {
		if st, _ := a.do(http.MethodGet, "/api/Licenses", nil, true); st == http.StatusServiceUnavailable {
			failures++
		}
	}
	if failures == 0 || failures == 40 {
		t.Errorf("failure rate 0.5 failed %d of 40 calls", failures)
	}
	s.Recover()

	s.SetLatency(50 * time.Millisecond)
	start := time.Now()
	if st, _ := a.do(http.MethodGet, "/api/Licenses", nil, true); st != http.StatusOK {
		t.Errorf("with latency: %d", st)
	}
	if elapsed := time.Since(start); elapsed < 50*time.Millisecond {
		t.Errorf("latency 50ms answered in %s", elapsed)
	}
	s.Recover()

	s.ResetNext(1)
	if _, err := http.Get(s.URL + "/api/Licenses"); err == nil {
		t.Errorf("ResetNext: the call was answered")
	}
	if !strings.HasPrefix(s.Requests()[0].Path, "/api/Licenses") {
		t.Errorf("Requests()[0] = %+v", s.Requests()[0])
	}
}

// TestHangEndsWithClose checks that Close does not wait for a hanging call.
func TestHangEndsWithClose(t *testing.T) {
	s := msp360test.New(msp360test.Options{})
	s.HangNext(1)
	done, written := make(chan error, 1), make(chan struct{})
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { close(written) }}
	req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace),
		http.MethodGet, s.URL+"/api/Licenses", nil)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-written
	s.Close()
	if err := <-done; err == nil {
		t.Errorf("a hanging call was answered")
	}
}

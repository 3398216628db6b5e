package m365test_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors/m365/m365test"
)

// getToken runs the client-credentials grant by hand.
func getToken(t *testing.T, s *m365test.Server) string {
	t.Helper()
	status, body := postForm(t, s.URL+"/"+m365test.TenantID+"/oauth2/v2.0/token", goodForm())
	if status != http.StatusOK {
		t.Fatalf("token: HTTP %d %s", status, body)
	}
	var tok struct {
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tok); err != nil {
		t.Fatalf("token body: %v", err)
	}
	if tok.TokenType != "Bearer" || tok.ExpiresIn != 3599 || tok.AccessToken == "" {
		t.Fatalf("token = %+v, want a Bearer token expiring in 3599 s", tok)
	}
	return tok.AccessToken
}

func goodForm() url.Values {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {m365test.ClientID},
		"client_secret": {m365test.ClientSecret}, "scope": {m365test.Scope}}
}

func postForm(t *testing.T, u string, form url.Values) (int, []byte) {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// graph makes one Graph call and returns the status and the body.
func graph(t *testing.T, s *m365test.Server, tok, method, path, body string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+"/v1.0"+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// graphError decodes Graph's error body and checks its shape.
func graphError(t *testing.T, b []byte) (code, message string) {
	t.Helper()
	var e struct {
		Error struct {
			Code       string            `json:"code"`
			Message    string            `json:"message"`
			InnerError map[string]string `json:"innerError"`
		} `json:"error"`
	}
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("error body %s: %v", b, err)
	}
	for _, k := range []string{"date", "request-id", "client-request-id"} {
		if e.Error.InnerError[k] == "" {
			t.Errorf("error body %s lacks innerError.%s", b, k)
		}
	}
	return e.Error.Code, e.Error.Message
}

func TestTokenEndpoint(t *testing.T) {
	s := m365test.NewServer(t, m365test.Options{})
	tests := []struct {
		name   string
		tenant string
		edit   func(url.Values)
		status int
		code   string
	}{
		{"good", m365test.TenantID, func(url.Values) {}, 200, ""},
		{"wrong secret", m365test.TenantID, func(f url.Values) { f.Set("client_secret", "nope") }, 401, "invalid_client"},
		{"no secret", m365test.TenantID, func(f url.Values) { f.Del("client_secret") }, 401, "invalid_client"},
		{"wrong client", m365test.TenantID, func(f url.Values) { f.Set("client_id", "other") }, 400, "unauthorized_client"},
		{"wrong scope", m365test.TenantID, func(f url.Values) { f.Set("scope", "User.Read") }, 400, "invalid_scope"},
		{"wrong grant", m365test.TenantID, func(f url.Values) { f.Set("grant_type", "password") }, 400, "unsupported_grant_type"},
		{"unknown tenant", "fabrikam.example", func(url.Values) {}, 400, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := goodForm()
			tt.edit(f)
			status, body := postForm(t, s.URL+"/"+tt.tenant+"/oauth2/v2.0/token", f)
			var e struct {
				Error string `json:"error"`
			}
			_ = json.Unmarshal(body, &e)
			if status != tt.status || e.Error != tt.code {
				t.Errorf("got HTTP %d error %q, want %d %q", status, e.Error, tt.status, tt.code)
			}
		})
	}
}

func TestTwoArrayRule(t *testing.T) {
	s := m365test.NewServer(t, m365test.Options{Demo: true})
	tok := getToken(t, s)
	e3 := `{"skuId":"6fd2c87f-b296-42f0-b197-1e91e994b900","disabledPlans":[]}`
	tests := []struct {
		name    string
		body    string
		status  int
		message string
	}{
		{"no removeLicenses", `{"addLicenses":[` + e3 + `]}`, 400, "'removeLicenses'"},
		{"no addLicenses", `{"removeLicenses":[]}`, 400, "'addLicenses'"},
		{"null removeLicenses", `{"addLicenses":[` + e3 + `],"removeLicenses":null}`, 400, "'removeLicenses'"},
		{"both empty", `{"addLicenses":[],"removeLicenses":[]}`, 400, "At least one"},
		{"not JSON", `addLicenses`, 400, "Unable to read JSON"},
		{"both present", `{"addLicenses":[` + e3 + `],"removeLicenses":[]}`, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := graph(t, s, tok, "POST", "/users/"+m365test.DemoAlex+"/assignLicense", tt.body)
			if status != tt.status {
				t.Fatalf("HTTP %d %s, want %d", status, body, tt.status)
			}
			if tt.status != 200 {
				if _, msg := graphError(t, body); !strings.Contains(msg, tt.message) {
					t.Errorf("message %q, want it to mention %s", msg, tt.message)
				}
			}
		})
	}
	if got := s.Held(m365test.DemoAlex); len(got) != 1 || got[0] != m365test.DemoE3 {
		t.Errorf("Alex holds %v, want only the one good assignment", got)
	}
	if got, want := s.Writes(), len(tests); got != want {
		t.Errorf("Writes() = %d, want %d (refused calls count)", got, want)
	}
}

// Graph's refusals for the demo organisation's special users and pools.
func TestDemoRefusals(t *testing.T) {
	s := m365test.NewServer(t, m365test.Options{Demo: true})
	tok := getToken(t, s)
	body := func(add, remove string) string {
		a := "[]"
		if add != "" {
			a = `[{"skuId":"` + add + `","disabledPlans":[]}]`
		}
		r := "[]"
		if remove != "" {
			r = `["` + remove + `"]`
		}
		return `{"addLicenses":` + a + `,"removeLicenses":` + r + `}`
	}
	const e3, visio = "6fd2c87f-b296-42f0-b197-1e91e994b900", "c5928f49-12ba-48f7-ada3-0d743a3601d5"
	tests := []struct {
		name, user, body string
		status           int
		message          string
	}{
		{"no usage location", m365test.DemoLee, body(e3, ""), 400, "invalid usage location"},
		{"group license", m365test.DemoDiego, body("", e3), 400, "inherited from a group"},
		{"full pool", m365test.DemoAlex, body(visio, ""), 400, "does not have any available licenses"},
		{"unknown SKU", m365test.DemoAlex, body("00000000-0000-0000-0000-000000000000", ""), 400, "valid company License"},
		{"not held", m365test.DemoAlex, body("", e3), 400, "corresponding license"},
		{"unknown user", "nobody@contoso.example", body(e3, ""), 404, "does not exist"},
		{"upper-case UPN", strings.ToUpper(m365test.DemoAlex), body(e3, ""), 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, b := graph(t, s, tok, "POST", "/users/"+url.PathEscape(tt.user)+"/assignLicense", tt.body)
			if status != tt.status {
				t.Fatalf("HTTP %d %s, want %d", status, b, tt.status)
			}
			if status != 200 {
				if _, msg := graphError(t, b); !strings.Contains(msg, tt.message) {
					t.Errorf("message %q, want it to contain %q", msg, tt.message)
				}
			}
		})
	}
	for _, p := range s.Pools() {
		if p.Code == m365test.DemoVisio && p.Free != 0 {
			t.Errorf("demo pool %s has %d free seats, want 0", p.Code, p.Free)
		}
		if p.Code != m365test.DemoVisio && p.Free <= 0 {
			t.Errorf("demo pool %s has %d free seats, want some", p.Code, p.Free)
		}
	}
}

// subscribedSkus counts seats as they are assigned; users are found by
// object id as well as UPN.
func TestSeatCounts(t *testing.T) {
	s := m365test.NewServer(t, m365test.Options{})
	skuID := s.AddSKU("SPE_E3", 2, 1)
	id := s.AddUser(m365test.User{UPN: "x@contoso.example", UsageLocation: "NL"})
	tok := getToken(t, s)
	consumed := func() (int, int) {
		_, _, b := graph(t, s, tok, "GET", "/subscribedSkus", "")
		var v struct {
			Value []struct {
				ConsumedUnits int `json:"consumedUnits"`
				PrepaidUnits  struct {
					Enabled int `json:"enabled"`
				} `json:"prepaidUnits"`
			} `json:"value"`
		}
		if err := json.Unmarshal(b, &v); err != nil || len(v.Value) != 1 {
			t.Fatalf("subscribedSkus %s: %v", b, err)
		}
		return v.Value[0].ConsumedUnits, v.Value[0].PrepaidUnits.Enabled
	}
	if used, total := consumed(); used != 1 || total != 2 {
		t.Fatalf("before: consumed %d of %d, want 1 of 2", used, total)
	}
	status, _, b := graph(t, s, tok, "POST", "/users/"+id+"/assignLicense",
		`{"addLicenses":[{"skuId":"`+skuID+`","disabledPlans":[]}],"removeLicenses":[]}`)
	if status != 200 {
		t.Fatalf("assign by object id: HTTP %d %s", status, b)
	}
	if used, _ := consumed(); used != 2 {
		t.Errorf("after assign: consumed %d, want 2", used)
	}
	status, _, b = graph(t, s, tok, "GET", "/users/x@contoso.example/licenseDetails", "")
	if status != 200 || !strings.Contains(string(b), `"skuPartNumber":"SPE_E3"`) {
		t.Errorf("licenseDetails by UPN: HTTP %d %s", status, b)
	}
}

func TestFaults(t *testing.T) {
	s := m365test.NewServer(t, m365test.Options{Seed: 7})
	tok := getToken(t, s)
	get := func() (int, http.Header, error) {
		req, _ := http.NewRequest("GET", s.URL+"/v1.0/subscribedSkus", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, resp.Header, nil
	}
	if status, _, err := get(); err != nil || status != 200 {
		t.Fatalf("first call: %d %v", status, err)
	}

	s.ResetNext(1)
	if _, _, err := get(); err == nil {
		t.Errorf("call after ResetNext(1) succeeded, want a dropped connection (even on a reused one)")
	}
	if status, _, err := get(); err != nil || status != 200 {
		t.Errorf("call after the reset: %d %v", status, err)
	}

	s.FailNext(429, 1, 1500*time.Millisecond)
	if status, h, _ := get(); status != 429 || h.Get("Retry-After") != "2" {
		t.Errorf("FailNext(429): HTTP %d Retry-After %q, want 429 and 2", status, h.Get("Retry-After"))
	}

	s.SetFailureRate(1, 502)
	if status, _, _ := get(); status != 502 {
		t.Errorf("failure rate 1: HTTP %d, want 502", status)
	}
	s.Recover()

	s.HangNext(1)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.URL+"/v1.0/subscribedSkus", nil)
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("hung call: err = %v, want the client's deadline", err)
	}

	s.ExpireTokens()
	status, _, b := graph(t, s, tok, "GET", "/subscribedSkus", "")
	if code, _ := graphError(t, b); status != 401 || code != "InvalidAuthenticationToken" {
		t.Errorf("expired token: HTTP %d %s, want 401 InvalidAuthenticationToken", status, code)
	}
}

func TestThrottling(t *testing.T) {
	s := m365test.NewServer(t, m365test.Options{RateLimit: 2, ThrottleWindow: time.Hour})
	tok := getToken(t, s)
	for i := range 2 {
		if status, _, b := graph(t, s, tok, "GET", "/subscribedSkus", ""); status != 200 {
			t.Fatalf("call %d: HTTP %d %s", i, status, b)
		}
	}
	status, h, b := graph(t, s, tok, "GET", "/subscribedSkus", "")
	code, _ := graphError(t, b)
	secs, _ := strconv.Atoi(h.Get("Retry-After"))
	if status != 429 || code != "TooManyRequests" || secs < 1 || secs > 3600 {
		t.Errorf("call past the limit: HTTP %d %s Retry-After %q, want 429 TooManyRequests within the window", status, code, h.Get("Retry-After"))
	}
	if got := len(s.Requests()); got != 3 {
		t.Errorf("Requests() has %d entries, want 3", got)
	}
}

package uipathtest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors/fakefaults"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// The fake is exercised over plain HTTP here, so that its behaviour is
// pinned down independently of the adapter.

func token(t *testing.T, srv *uipathtest.Server) string {
	t.Helper()
	resp, err := http.PostForm(srv.URL+"/identity_/connect/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {uipathtest.ClientID},
		"client_secret": {uipathtest.ClientSecret}, "scope": {"PM.License"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		TokenType   string `json:"token_type"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 {
		t.Fatalf("token: status %d, err %v", resp.StatusCode, err)
	}
	if tok.TokenType != "Bearer" || tok.AccessToken == "" || tok.ExpiresIn <= 0 {
		t.Fatalf("token answer %+v, want a Bearer token with an expiry", tok)
	}
	return tok.AccessToken
}

type answer struct {
	status int
	header http.Header
	body   string
}

func call(t *testing.T, srv *uipathtest.Server, tok, method, path, body string) answer {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+"/lease_/api/account/"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

const acct = uipathtest.DemoAccount

func put(user string, codes ...string) string {
	b, _ := json.Marshal(map[string]any{"userIds": []string{user}, "userBundleCodes": append([]string{}, codes...), "useExternalLicense": false})
	return string(b)
}

func TestTokenAndBearerCheck(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	alloc := acct + "/user-license/user/singer-77/allocation"
	if got := call(t, srv, "", "GET", alloc, "").status; got != 401 {
		t.Errorf("without a token: status %d, want 401", got)
	}
	if got := call(t, srv, "made-up", "GET", alloc, "").status; got != 401 {
		t.Errorf("with an unknown token: status %d, want 401", got)
	}
	tok := token(t, srv)
	if got := call(t, srv, tok, "GET", alloc, "").status; got != 200 {
		t.Errorf("with a token: status %d, want 200", got)
	}
	srv.ExpireTokens()
	if got := call(t, srv, tok, "GET", alloc, "").status; got != 401 {
		t.Errorf("after ExpireTokens: status %d, want 401", got)
	}
	if got := srv.TokenRequests(); got != 1 {
		t.Errorf("TokenRequests = %d, want 1", got)
	}

	resp, err := http.PostForm(srv.URL+"/identity_/connect/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {uipathtest.ClientID},
		"client_secret": {"wrong"}, "scope": {"PM.License"},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("wrong secret: status %d, want 400 invalid_client", resp.StatusCode)
	}
}

// TestTokenTTL checks expiry by the fake's clock.
func TestTokenTTL(t *testing.T) {
	start := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	clock := fakefaults.NewClock(start)
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true, TokenTTL: time.Hour, Now: clock.Now})
	tok := token(t, srv)
	alloc := acct + "/user-license/user/singer-77/allocation"
	clock.Advance(time.Hour - time.Nanosecond)
	if got := call(t, srv, tok, "GET", alloc, "").status; got != 200 {
		t.Fatalf("token a moment before its TTL: status %d", got)
	}
	clock.Advance(time.Nanosecond)
	if got := call(t, srv, tok, "GET", alloc, "").status; got != 401 {
		t.Errorf("token at its TTL: status %d, want 401", got)
	}
	if got := srv.Requests()[0].At; !got.Equal(start.Add(time.Hour - time.Nanosecond)) {
		t.Errorf("the request log dates the first call %s, want the fake's clock", got)
	}
}

func TestReplaceSemanticsAndWrites(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	tok := token(t, srv)
	srv.AddUser(acct, "u1")
	for _, step := range []struct {
		codes []string
		want  []string
	}{
		{[]string{"RPADEVNU"}, []string{"RPADEVNU"}},
		{[]string{"ATTUNU", "TSTNU"}, []string{"ATTUNU", "TSTNU"}},
		{[]string{}, nil},
	} {
		if a := call(t, srv, tok, "PUT", acct+"/user-license", put("u1", step.codes...)); a.status != 200 {
			t.Fatalf("PUT %v: %d %s", step.codes, a.status, a.body)
		}
		if got := srv.Held(acct, "u1"); !slices.Equal(got, step.want) {
			t.Errorf("after PUT %v: held %v, want %v", step.codes, got, step.want)
		}
	}
	if got := srv.Writes(); got != 3 {
		t.Errorf("Writes = %d, want 3", got)
	}
	a := call(t, srv, tok, "GET", acct+"/user-license/user/u1/allocation", "")
	if a.status != 200 || !strings.Contains(a.body, `"userBundleLicenses":[]`) {
		t.Errorf("allocation of a user holding nothing: %d %s", a.status, a.body)
	}
	// POST on the same path reads; it must not allocate.
	call(t, srv, tok, "POST", acct+"/user-license", put("u1", "RPADEVNU"))
	if got := srv.Held(acct, "u1"); len(got) != 0 {
		t.Errorf("POST changed the allocation: held %v", got)
	}
}

func TestConflictIsAllOrNothing(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	tok := token(t, srv)
	srv.SetPool(acct, "TSTNU", 1)
	srv.AddUser(acct, "a")
	srv.AddUser(acct, "b")
	if a := call(t, srv, tok, "PUT", acct+"/user-license", put("a", "RPADEVNU", "TSTNU")); a.status != 200 {
		t.Fatalf("first TSTNU: %d %s", a.status, a.body)
	}
	for _, codes := range [][]string{{"RPADEVNU", "TSTNU"}, {"ATTUNU", "NOSUCHCODE"}, {uipathtest.FullCode}} {
		a := call(t, srv, tok, "PUT", acct+"/user-license", put("b", codes...))
		if a.status != 409 {
			t.Errorf("PUT %v: status %d, want 409", codes, a.status)
		}
		var p map[string]any
		if json.Unmarshal([]byte(a.body), &p) != nil || p["title"] == nil || p["status"] != float64(409) {
			t.Errorf("409 body %s, want ProblemDetails", a.body)
		}
		if got := srv.Held(acct, "b"); len(got) != 0 {
			t.Errorf("after a refused PUT %v: held %v, want nothing", codes, got)
		}
	}
	// Re-sending what a user holds never conflicts, even in a full pool.
	if a := call(t, srv, tok, "PUT", acct+"/user-license", put("a", "TSTNU")); a.status != 200 {
		t.Errorf("keeping a held seat in a full pool: %d %s", a.status, a.body)
	}
	want := events.Pool{Code: "TSTNU", Total: 1, Assigned: 1, Free: 0}
	if ps := srv.Pools(acct); !slices.Contains(ps, want) {
		t.Errorf("Pools = %+v, want it to contain %+v", ps, want)
	}
}

func TestUnlicensedAccountAndUnknownUser(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	tok := token(t, srv)
	srv.AddUser("no-license", "u")
	if a := call(t, srv, tok, "PUT", "no-license/user-license", put("u", "RPADEVNU")); a.status != 404 {
		t.Errorf("PUT in an account without license: %d, want 404", a.status)
	}
	if a := call(t, srv, tok, "GET", "no-license/user-license", ""); a.status != 404 {
		t.Errorf("pools of an account without license: %d, want 404", a.status)
	}
	if a := call(t, srv, tok, "GET", acct+"/user-license/user/nobody/allocation", ""); a.status != 404 {
		t.Errorf("allocation of an unknown user: %d, want 404", a.status)
	}
}

func TestPoolsView(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	a := call(t, srv, token(t, srv), "GET", acct+"/user-license", "")
	var got []struct {
		Code             string
		Allocated, Total int
	}
	if err := json.Unmarshal([]byte(a.body), &got); err != nil || a.status != 200 {
		t.Fatalf("pools: %d %s", a.status, a.body)
	}
	totals := map[string]int{}
	for _, p := range got {
		totals[p.Code] = p.Total
		if p.Code == uipathtest.FullCode && p.Allocated < p.Total {
			t.Errorf("%s pool %+v is not full", p.Code, p)
		}
	}
	for code, total := range map[string]int{"RPADEVNU": 10, "ATTUNU": 25, "TSTNU": 5} {
		if totals[code] != total {
			t.Errorf("demo pool %s total %d, want %d", code, totals[code], total)
		}
	}
}

func TestFailNext(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	tok := token(t, srv)
	alloc := acct + "/user-license/user/singer-88/allocation"

	srv.FailNext(503, 2, 0)
	for i, want := range []int{503, 503, 200} {
		if got := call(t, srv, tok, "GET", alloc, "").status; got != want {
			t.Errorf("call %d after FailNext(503, 2, 0): status %d, want %d", i, got, want)
		}
	}
	srv.FailNext(429, 1, 2*time.Second)
	a := call(t, srv, tok, "GET", alloc, "")
	if a.status != 429 || a.header.Get("Retry-After") != "2" {
		t.Errorf("FailNext(429, 1, 2s): status %d, Retry-After %q; want 429, \"2\"", a.status, a.header.Get("Retry-After"))
	}
	if got := call(t, srv, tok, "GET", alloc, "").status; got != 200 {
		t.Errorf("after the 429: status %d", got)
	}

	reqs := srv.Requests()
	if len(reqs) != 5 {
		t.Fatalf("Requests() has %d entries, want 5 (token requests are not listed)", len(reqs))
	}
	for i, r := range reqs {
		if r.Method != "GET" || !strings.HasSuffix(r.Path, "/allocation") || r.At.IsZero() {
			t.Errorf("request %d = %+v", i, r)
		}
		if i > 0 && r.At.Before(reqs[i-1].At) {
			t.Errorf("request %d is earlier than the one before", i)
		}
	}
	if got := []int{reqs[0].Status, reqs[3].Status, reqs[4].Status}; !slices.Equal(got, []int{503, 429, 200}) {
		t.Errorf("recorded statuses %v, want [503 429 200]", got)
	}
}

// With KeepRequests set, the log keeps the latest calls with their
// statuses and never more than twice the bound, however many calls come.
func TestRequestLogIsBounded(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true, KeepRequests: 3})
	tok := token(t, srv)
	alloc := acct + "/user-license/user/" + uipathtest.DemoUsers[0] + "/allocation"
	for i := range 20 {
		if i == 19 {
			srv.FailNext(503, 1, 0)
		}
		call(t, srv, tok, "GET", alloc, "")
		if n := len(srv.Requests()); n > 6 {
			t.Fatalf("after %d calls the log holds %d, over twice the bound of 3", i+1, n)
		}
	}
	reqs := srv.Requests()
	if len(reqs) < 3 {
		t.Fatalf("the log holds %d calls, want at least the latest 3", len(reqs))
	}
	last := reqs[len(reqs)-1]
	if last.Status != 503 || reqs[len(reqs)-2].Status != 200 {
		t.Errorf("latest statuses %d, %d; want 200, 503", reqs[len(reqs)-2].Status, last.Status)
	}
}

func TestResetAndHang(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	tok := token(t, srv)
	req := func(c *http.Client) error {
		r, _ := http.NewRequest("GET", srv.URL+"/lease_/api/account/"+acct+"/user-license", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		resp, err := c.Do(r)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		_, err = io.ReadAll(resp.Body)
		return err
	}
	srv.ResetNext(1)
	if err := req(http.DefaultClient); err == nil {
		t.Errorf("ResetNext: the call succeeded")
	}
	srv.HangNext(1)
	start := time.Now()
	if err := req(&http.Client{Timeout: 100 * time.Millisecond}); err == nil {
		t.Errorf("HangNext: the call succeeded")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a hung call took %s to time out", d)
	}
	if err := req(http.DefaultClient); err != nil {
		t.Errorf("after the faults: %v", err)
	}
}

func TestBreakAuthAndRecover(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	tok := token(t, srv)
	srv.BreakAuth()
	if got := call(t, srv, tok, "GET", acct+"/user-license", "").status; got != 401 {
		t.Errorf("old token after BreakAuth: %d, want 401", got)
	}
	resp, err := http.PostForm(srv.URL+"/identity_/connect/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {uipathtest.ClientID},
		"client_secret": {uipathtest.ClientSecret}, "scope": {"PM.License"},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("token after BreakAuth: %d, want 400", resp.StatusCode)
	}
	srv.Recover()
	token(t, srv)
}

func TestLatencyAndFailureRate(t *testing.T) {
	srv := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
	tok := token(t, srv)
	pools := acct + "/user-license"

	srv.SetLatency(100 * time.Millisecond)
	start := time.Now()
	if got := call(t, srv, tok, "GET", pools, "").status; got != 200 {
		t.Errorf("with latency: status %d", got)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("answer came after %s, want at least the 100ms latency", d)
	}
	srv.SetLatency(0)

	srv.SetFailureRate(1, 502)
	if got := call(t, srv, tok, "GET", pools, "").status; got != 502 {
		t.Errorf("failure rate 1: status %d, want 502", got)
	}
	srv.Recover()
	if got := call(t, srv, tok, "GET", pools, "").status; got != 200 {
		t.Errorf("after Recover: status %d", got)
	}
}

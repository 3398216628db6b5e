package licensespringtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring/licensespringtest"
)

// call sends one Management API request with key and decodes the answer.
func call(t *testing.T, s *licensespringtest.Server, key, method, path string, body, out any) (int, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Api-Key "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp.StatusCode, resp.Header
}

type page struct {
	Count   int              `json:"count"`
	Next    *string          `json:"next"`
	Results []map[string]any `json:"results"`
}

func TestPagination(t *testing.T) {
	s := licensespringtest.NewServer(t, licensespringtest.Options{})
	user := s.NewUser()
	for range 230 {
		id := s.AddLicense(licensespringtest.License{ProductShortCode: "p", MaxUsers: 1})
		if err := s.AssignUser(id, user); err != nil {
			t.Fatal(err)
		}
	}
	s.AddLicense(licensespringtest.License{ProductShortCode: "p", MaxUsers: 1})
	tests := []struct {
		name      string
		query     string
		wantCount int
		wantSizes []int
	}{
		{"limit capped at 100", "limit=500&offset=0&license_users__true_email=" + url.QueryEscape(user), 230, []int{100, 100, 30}},
		{"default limit", "", 231, []int{20}},
		{"filter is exact and case-sensitive", "limit=100&license_users__true_email=" + url.QueryEscape("USER"+user[4:]), 0, []int{0}},
		{"nobody's licenses", "limit=100&license_users__true_email=nobody@example.com", 0, []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/api/v1/licenses/?" + tt.query
			var sizes []int
			for path != "" {
				var p page
				if status, _ := call(t, s, licensespringtest.APIKey, "GET", path, nil, &p); status != 200 {
					t.Fatalf("GET %s: status %d", path, status)
				}
				if p.Count != tt.wantCount {
					t.Errorf("count = %d, want %d", p.Count, tt.wantCount)
				}
				sizes = append(sizes, len(p.Results))
				path = ""
				if p.Next != nil && len(sizes) < len(tt.wantSizes) {
					u, _ := url.Parse(*p.Next)
					path = u.RequestURI()
				}
			}
			if !slices.Equal(sizes, tt.wantSizes) {
				t.Errorf("page sizes = %v, want %v", sizes, tt.wantSizes)
			}
		})
	}
}

func TestAssignAndUnassign(t *testing.T) {
	s := licensespringtest.NewServer(t, licensespringtest.Options{Demo: true})
	studio := "/api/v1/licenses/" + licensespringtest.DemoStudioCode
	user := s.NewUser()
	msg := map[string]any{}
	steps := []struct {
		name       string
		key, path  string
		body       any
		wantStatus int
		wantField  string // "field=value" expected in the answer
	}{
		{"wrong key", "nope", studio + "/assign_user/", map[string]any{"email": user}, 401, "detail=Invalid API key."},
		{"assign", licensespringtest.APIKey, studio + "/assign_user/", map[string]any{"email": user}, 200, "message=License assigned."},
		{"assign again", licensespringtest.APIKey, studio + "/assign_user/", map[string]any{"email": user}, 400, ""},
		{"no email", licensespringtest.APIKey, studio + "/assign_user/", map[string]any{}, 400, ""},
		{"full", licensespringtest.APIKey, "/api/v1/licenses/" + licensespringtest.DemoFullCode + "/assign_user/", map[string]any{"email": user}, 400,
			"detail=License has reached the maximum number of license users."},
		{"unknown license", licensespringtest.APIKey, "/api/v1/licenses/42/assign_user/", map[string]any{"email": user}, 404, "detail=Not found."},
		{"unassign", licensespringtest.APIKey, studio + "/unassign_user/", map[string]any{"license_user_email": user}, 200, "message=License unassigned."},
		{"unassign again", licensespringtest.APIKey, studio + "/unassign_user/", map[string]any{"license_user_email": user}, 400, ""},
	}
	for i, st := range steps {
		clear(msg)
		status, _ := call(t, s, st.key, "POST", st.path, st.body, &msg)
		if status != st.wantStatus {
			t.Errorf("%s: status %d (%v), want %d", st.name, status, msg, st.wantStatus)
		}
		if st.wantField != "" {
			k, v, _ := bytes.Cut([]byte(st.wantField), []byte("="))
			if msg[string(k)] != any(string(v)) {
				t.Errorf("%s: answer %v, want %s", st.name, msg, st.wantField)
			}
		}
		if got := s.Writes(); got != i+1 {
			t.Errorf("%s: Writes = %d, want %d (refused writes count too)", st.name, got, i+1)
		}
		if st.name == "assign" && (s.Password(user) == "" || msg["new_password"] != any(s.Password(user))) {
			t.Errorf("assign: new_password %q, want the user's password %q", msg["new_password"], s.Password(user))
		}
	}
	if got := s.Held(user); len(got) != 0 {
		t.Errorf("Held = %v, want none", got)
	}
}

func TestUnassignByUserID(t *testing.T) {
	s := licensespringtest.NewServer(t, licensespringtest.Options{Demo: true})
	var lic struct {
		Users []struct {
			ID        int64  `json:"id"`
			TrueEmail string `json:"true_email"`
		} `json:"license_users"`
	}
	call(t, s, licensespringtest.APIKey, "GET", "/api/v1/licenses/"+licensespringtest.DemoCloudCode+"/", nil, &lic)
	if len(lic.Users) != 1 || lic.Users[0].TrueEmail != licensespringtest.DemoUsers[2] {
		t.Fatalf("license users = %+v, want %s", lic.Users, licensespringtest.DemoUsers[2])
	}
	status, _ := call(t, s, licensespringtest.APIKey, "POST", "/api/v1/licenses/"+licensespringtest.DemoCloudCode+"/unassign_user/",
		map[string]any{"license_user_id": lic.Users[0].ID}, nil)
	if status != 200 {
		t.Fatalf("unassign by id: status %d, want 200", status)
	}
	if got := s.Held(licensespringtest.DemoUsers[2]); len(got) != 0 {
		t.Errorf("Held = %v, want none", got)
	}
}

func TestDemo(t *testing.T) {
	s := licensespringtest.NewServer(t, licensespringtest.Options{Demo: true})
	want := []events.Pool{
		{Code: licensespringtest.DemoStudioCode, Total: 5, Assigned: 2, Free: 3},
		{Code: licensespringtest.DemoCloudCode, Total: 10, Assigned: 1, Free: 9},
		{Code: licensespringtest.DemoTrialCode, Total: 3, Assigned: 0, Free: 3},
		{Code: licensespringtest.DemoFullCode, Total: 2, Assigned: 2, Free: 0},
	}
	if got := s.Pools(); !slices.Equal(got, want) {
		t.Errorf("Pools = %+v, want %+v", got, want)
	}
	if got, want := s.Held(licensespringtest.DemoUsers[0]), []string{licensespringtest.DemoStudioCode, licensespringtest.DemoFullCode}; !slices.Equal(got, want) {
		t.Errorf("Held(%s) = %v, want %v", licensespringtest.DemoUsers[0], got, want)
	}
}

// TestSeatLimitUnderConcurrency assigns more users than seats at once.
func TestSeatLimitUnderConcurrency(t *testing.T) {
	s := licensespringtest.NewServer(t, licensespringtest.Options{})
	id := s.AddLicense(licensespringtest.License{ProductShortCode: "p", MaxUsers: 3})
	path := "/api/v1/licenses/" + strconv.FormatInt(id, 10) + "/assign_user/"
	var wg sync.WaitGroup
	statuses := make([]int, 10)
	for i := range statuses {
		user := s.NewUser()
		body := []byte(`{"email":"` + user + `"}`)
		wg.Go(func() {
			// Not call: t.Fatal may not run outside the test goroutine.
			req, _ := http.NewRequest("POST", s.URL+path, bytes.NewReader(body))
			req.Header.Set("Authorization", "Api-Key "+licensespringtest.APIKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("assign %s: %v", user, err)
				return
			}
			resp.Body.Close()
			statuses[i] = resp.StatusCode
		})
	}
	wg.Wait()
	if ok := countOf(statuses, 200); ok != 3 {
		t.Errorf("%d assignments succeeded, want 3 (statuses %v)", ok, statuses)
	}
	if p := s.Pools()[0]; p.Assigned != 3 || p.Free != 0 {
		t.Errorf("pool = %+v, want 3 assigned, 0 free", p)
	}
}

func countOf(xs []int, x int) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}

func TestFaults(t *testing.T) {
	s := licensespringtest.NewServer(t, licensespringtest.Options{Demo: true})
	list := "/api/v1/licenses/?limit=1"
	get := func() (int, http.Header) { return call(t, s, licensespringtest.APIKey, "GET", list, nil, nil) }

	s.FailNext(429, 2, 1500*time.Millisecond)
	for i := range 2 {
		if status, h := get(); status != 429 || h.Get("Retry-After") != "2" {
			t.Errorf("call %d during FailNext: %d Retry-After %q, want 429 and 2", i, status, h.Get("Retry-After"))
		}
	}
	if status, _ := get(); status != 200 {
		t.Errorf("after FailNext: %d, want 200", status)
	}

	s.ResetNext(1)
	req, _ := http.NewRequest("GET", s.URL+list, nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("ResetNext: got an answer (%d), want a broken connection", resp.StatusCode)
	}

	s.HangNext(1)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ = http.NewRequestWithContext(ctx, "GET", s.URL+list, nil)
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("HangNext: err = %v, want the client's deadline", err)
	}

	s.SetLatency(30 * time.Millisecond)
	start := time.Now()
	get()
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("SetLatency(30ms): answered in %s", d)
	}

	s.BreakAuth()
	if status, _ := get(); status != 401 {
		t.Errorf("after BreakAuth: %d, want 401", status)
	}
	s.Recover()
	if status, _ := get(); status != 200 {
		t.Errorf("after Recover: %d, want 200", status)
	}
}

// TestFailureRateIsSeeded checks that two fakes with one seed fail the same
// calls.
func TestFailureRateIsSeeded(t *testing.T) {
	run := func() []int {
		s := licensespringtest.NewServer(t, licensespringtest.Options{Seed: 7})
		s.SetFailureRate(0.5, 503)
		var got []int
		for range 20 {
			status, _ := call(t, s, licensespringtest.APIKey, "GET", "/api/v1/licenses/", nil, nil)
			got = append(got, status)
		}
		return got
	}
	a, b := run(), run()
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different failures: %v and %v", a, b)
	}
	if n := countOf(a, 503); n == 0 || n == len(a) {
		t.Errorf("%d of %d calls failed at rate 0.5", n, len(a))
	}
}

func TestRequestsAreRecorded(t *testing.T) {
	s := licensespringtest.NewServer(t, licensespringtest.Options{})
	call(t, s, licensespringtest.APIKey, "GET", "/api/v1/licenses/?limit=5", nil, nil)
	got := s.Requests()
	if len(got) != 1 || got[0].Method != "GET" || got[0].Path != "/api/v1/licenses/" || got[0].Query != "limit=5" || got[0].At.IsZero() {
		t.Errorf("Requests = %+v, want the one GET with its query and time", got)
	}
}

// The address keeps the spelling of its first assignment: the license
// list's filter matches only that spelling, the license-users list's
// true_email__iexact any, and email is a suffixed form of it.
func TestStoredSpelling(t *testing.T) {
	s := licensespringtest.NewServer(t, licensespringtest.Options{Demo: true})
	stored := s.NewStoredUser()
	if err := s.AssignUser(licensespringtest.DemoStudio, stored); err != nil {
		t.Fatal(err)
	}
	var p struct {
		Count   int `json:"count"`
		Results []struct {
			Email     string  `json:"email"`
			TrueEmail string  `json:"true_email"`
			LastLogin *string `json:"last_login"`
		} `json:"results"`
	}
	for _, tt := range []struct {
		path string
		want int
	}{
		{"/api/v1/licenses/?license_users__true_email=" + url.QueryEscape(stored), 1},
		{"/api/v1/licenses/?license_users__true_email=" + url.QueryEscape(strings.ToLower(stored)), 0},
		{"/api/v1/license-users/?true_email__iexact=" + url.QueryEscape(strings.ToUpper(stored)), 1},
	} {
		if status, _ := call(t, s, licensespringtest.APIKey, "GET", tt.path, nil, &p); status != 200 || p.Count != tt.want {
			t.Errorf("GET %s: status %d, count %d; want 200, %d", tt.path, status, p.Count, tt.want)
		}
	}
	if len(p.Results) != 1 || p.Results[0].TrueEmail != stored || p.Results[0].Email == stored || p.Results[0].LastLogin != nil {
		t.Errorf("license user %+v, want true_email %s, a suffixed email, no last_login", p.Results, stored)
	}
}

package msp360_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360/msp360test"
)

// TestGrantRace checks that a Grant lost to another caller is listed again
// and retried with another license, a bounded number of times.
func TestGrantRace(t *testing.T) {
	tests := []struct {
		name       string
		races      int
		wantErr    error
		wantWrites int
	}{
		{"one lost race", 1, nil, 2},
		{"two lost races", 2, nil, 3},
		{"every race lost", 5, vendors.ErrTransient, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := msp360test.NewServer(t, msp360test.Options{})
			s.AddLicenses("Desktop", 6)
			user := s.AddUser("joiner@example.test")
			s.RaceNextGrants(tt.races)
			out, err := newClient(t, s).Assign(context.Background(), vendors.Request{User: user, Licenses: []string{"Desktop"}})
			if got := s.Writes(); got != tt.wantWrites {
				t.Errorf("grant calls = %d, want %d", got, tt.wantWrites)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Assign: err = %v, want %v", err, tt.wantErr)
				}
				if got := s.Held(user); len(got) != 0 {
					t.Errorf("the user holds %v after the failure, want nothing", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Assign: %v", err)
			}
			if got := out.Licenses[0].Status; got != events.StatusAssigned {
				t.Errorf("status = %q, want assigned", got)
			}
			if got := s.Held(user); !reflect.DeepEqual(got, []string{"Desktop"}) {
				t.Errorf("the user holds %v, want one Desktop", got)
			}
		})
	}
}

// TestConcurrentAssignsOfTheLastSeat checks that two callers racing for one
// free license end with one assignment and one ErrCapacity, whichever wins.
func TestConcurrentAssignsOfTheLastSeat(t *testing.T) {
	s := msp360test.NewServer(t, msp360test.Options{})
	s.AddLicenses("Desktop", 1)
	users := []string{s.AddUser("a@example.test"), s.AddUser("b@example.test")}
	c := newClient(t, s)
	errs := make([]error, len(users))
	var wg sync.WaitGroup
	for i, u := range users {
		wg.Go(func() {
			_, errs[i] = c.Assign(context.Background(), vendors.Request{User: u, Licenses: []string{"Desktop"}})
		})
	}
	wg.Wait()
	var ok, full int
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, vendors.ErrCapacity):
			full++
		default:
			t.Errorf("Assign: unexpected error %v", err)
		}
	}
	if ok != 1 || full != 1 {
		t.Errorf("assigned %d, capacity errors %d; want 1 and 1", ok, full)
	}
}

// TestAssignFailures checks the permanent failures and that none of them
// writes anything.
func TestAssignFailures(t *testing.T) {
	tests := []struct {
		name    string
		req     vendors.Request
		want    error
		wantMsg string
	}{
		{"unknown type", vendors.Request{User: msp360test.DemoUserBob, Licenses: []string{"Endpoint"}},
			vendors.ErrLicenseNotFound, "Endpoint"},
		{"unknown user", vendors.Request{User: "00000000-0000-4000-8000-0000000000ff", Licenses: []string{msp360test.DemoCodeUltimate}},
			vendors.ErrUserNotFound, "User not found"},
		{"unknown account", vendors.Request{Account: "acme", User: msp360test.DemoUserBob, Licenses: []string{msp360test.DemoCodeUltimate}},
			vendors.ErrUnknownAccount, "acme"},
		{"no user", vendors.Request{Licenses: []string{msp360test.DemoCodeUltimate}}, vendors.ErrRejected, "user"},
		{"full pool stops the whole command", vendors.Request{User: msp360test.DemoUserBob,
			Licenses: []string{msp360test.DemoCodeUltimate, msp360test.DemoCodeFull}}, vendors.ErrCapacity, msp360test.DemoCodeFull},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := msp360test.NewServer(t, msp360test.Options{Demo: true})
			_, err := newClient(t, s).Assign(context.Background(), tt.req)
			if !errors.Is(err, tt.want) || vendors.Retryable(err) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("Assign: err = %v, want permanent %v mentioning %q", err, tt.want, tt.wantMsg)
			}
			if got := s.Held(msp360test.DemoUserBob); len(got) != 1 {
				t.Errorf("Bob holds %v, want his Desktop only", got)
			}
		})
	}
}

// TestGrant400ThatIsNotARace checks that a 400 on Grant after which the
// license is still free is the vendor's refusal, with its message.
func TestGrant400ThatIsNotARace(t *testing.T) {
	s := msp360test.NewServer(t, msp360test.Options{Demo: true})
	base := vendors.NewTransport("msp360", fastLimits, nil)
	grants := 0
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Path != "/api/Licenses/Grant" {
			return base.RoundTrip(r)
		}
		grants++
		return &http.Response{StatusCode: http.StatusBadRequest, Request: r,
			Header: http.Header{"Content-Type": {"application/json"}},
			Body:   io.NopCloser(strings.NewReader(`{"Message":"The UserID field is invalid.","MessageDetail":"secret-ish detail"}`))}, nil
	})}
	_, err := newClientWith(t, s, hc).Assign(context.Background(),
		vendors.Request{User: msp360test.DemoUserBob, Licenses: []string{msp360test.DemoCodeUltimate}})
	if !errors.Is(err, vendors.ErrRejected) || !strings.Contains(err.Error(), "The UserID field is invalid.") {
		t.Fatalf("Assign: err = %v, want ErrRejected with the vendor's Message", err)
	}
	if strings.Contains(err.Error(), "secret-ish") {
		t.Errorf("error %q quotes more of the body than Message", err)
	}
	if grants != 1 {
		t.Errorf("grant calls = %d, want 1 (no retry when the license is still free)", grants)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestListAndPoolsOfTheDemo checks the normalised holdings and pools
// against values written out here, not taken from the fake.
func TestListAndPoolsOfTheDemo(t *testing.T) {
	s := msp360test.NewServer(t, msp360test.Options{Demo: true})
	c := newClient(t, s)
	ctx := context.Background()

	held, err := c.List(ctx, msp360.DefaultAccount, msp360test.DemoUserAlice)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if got := events.Codes(held); !reflect.DeepEqual(got, []string{"Desktop", "SQL Server"}) {
		t.Fatalf("List codes = %v, want [Desktop SQL Server]", got)
	}
	d := held[0]
	exp, err := time.Parse(time.RFC3339, d.Expires)
	if d.ID == "" || d.Type != "Desktop" || d.Trial || !strings.HasSuffix(d.Name, " on ALICE-LAPTOP") ||
		err != nil || exp.Before(time.Now().Add(300*24*time.Hour)) {
		t.Errorf("Desktop holding = %+v, want id, type Desktop, number on ALICE-LAPTOP, expiry in a year", d)
	}

	pools, err := c.Pools(ctx, "")
	if err != nil {
		t.Fatalf("Pools: %v", err)
	}
	want := []events.Pool{
		{Code: "Desktop", Total: 6, Assigned: 2, Free: 4},
		{Code: "SQL Server", Total: 2, Assigned: 2, Free: 0},
		{Code: "Server", Total: 3, Assigned: 1, Free: 2},
		{Code: "Ultimate", Total: 2, Assigned: 0, Free: 2},
	}
	if !reflect.DeepEqual(pools, want) {
		t.Errorf("Pools = %+v, want %+v", pools, want)
	}
	if _, err := c.Pools(ctx, "acme"); !errors.Is(err, vendors.ErrUnknownAccount) {
		t.Errorf("Pools of another account: err = %v, want ErrUnknownAccount", err)
	}
}

// TestDryRunWithRepeatedCodes checks that a dry run counts a code once
// even when it is asked for twice, by type and by id.
func TestDryRunWithRepeatedCodes(t *testing.T) {
	s := msp360test.NewServer(t, msp360test.Options{Demo: true})
	c := newClient(t, s)
	writes := s.Writes()
	out, err := c.Assign(context.Background(), vendors.Request{User: msp360test.DemoUserDave, DryRun: true,
		Licenses: []string{"ultimate", "Ultimate"}})
	if err != nil {
		t.Fatalf("dry Assign: %v", err)
	}
	want := []events.LicenseResult{{Code: "ultimate", Status: events.StatusWouldAssign}, {Code: "Ultimate", Status: events.StatusAlreadyAssigned}}
	if !reflect.DeepEqual(out.Licenses, want) {
		t.Errorf("dry Assign = %v, want %v", out.Licenses, want)
	}
	if got := events.Codes(out.Held); !reflect.DeepEqual(got, []string{"SQL Server"}) {
		t.Errorf("dry Assign held %v, want what Dave holds now", got)
	}
	if got := s.Writes() - writes; got != 0 {
		t.Errorf("dry run made %d write calls", got)
	}
}

// TestHangIsTransient checks that a call the vendor never answers ends, at
// the client's timeout, as a transient error.
func TestHangIsTransient(t *testing.T) {
	s := msp360test.NewServer(t, msp360test.Options{Demo: true})
	hc := vendors.NewHTTPClient("msp360", vendors.Limits{RatePerSecond: 1000, Burst: 100, RequestTimeout: 100 * time.Millisecond}, nil)
	c := newClientWith(t, s, hc)
	if _, err := c.List(context.Background(), "", msp360test.DemoUserAlice); err != nil {
		t.Fatalf("first List: %v", err)
	}
	s.HangNext(1)
	start := time.Now()
	_, err := c.List(context.Background(), "", msp360test.DemoUserAlice)
	if !errors.Is(err, vendors.ErrTransient) {
		t.Fatalf("List of a hanging call: err = %v, want ErrTransient", err)
	}
	if elapsed := time.Since(start); elapsed < 100*time.Millisecond {
		t.Errorf("List gave up after %s, before the client timeout", elapsed)
	}
}

// TestWireTolerance serves a hand-written license list in forms the fake
// does not use (Number as a string, zoned and DateTime.MinValue dates, an
// unreadable date) and checks how they are read.
func TestWireTolerance(t *testing.T) {
	const list = `[
 {"ID":"L1","Number":"A-1","LicenseType":"Desktop","DateExpired":"2020-01-01T00:00:00Z","UserID":null,"IsTaken":false,"IsTrial":false},
 {"ID":"L2","Number":2,"LicenseType":"desktop","DateExpired":"0001-01-01T00:00:00","UserID":null},
 {"ID":"L3","Number":null,"LicenseType":"Desktop","DateExpired":"soon","UserID":"U1","ComputerName":"PC-3"},
 {"ID":"L4","Number":4,"LicenseType":"Desktop","DateExpired":"2999-12-31T23:59:59.1234567+02:00","UserID":"u1"}
]`
	var granted []string
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		body := `{"access_token":"t","expires_in":3600}`
		switch r.URL.Path {
		case "/api/Licenses":
			body = list
		case "/api/Monitoring/U1":
			body = `[{"ComputerName":"pc-3","PlanName":"Docs","LastStart":"2026-10-01T08:00:00"},` +
				`{"ComputerName":"PC-9","PlanName":"Docs","LastStart":"2026-11-01T08:00:00Z"}]`
		case "/api/Licenses/Grant":
			b, _ := io.ReadAll(r.Body)
			granted = append(granted, string(b))
			body = ""
		}
		return &http.Response{StatusCode: http.StatusOK, Request: r, Header: http.Header{},
			Body: io.NopCloser(strings.NewReader(body))}, nil
	})}
	c, err := msp360.New(msp360.Config{BaseURL: "http://mbs.invalid", Username: "u", Password: "p"}, hc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	held, err := c.List(ctx, "", "U1")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	want := []events.Holding{
		{Code: "Desktop", ID: "L3", Name: "PC-3", Type: "Desktop", Expires: "soon",
			LastUsed: time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)},
		{Code: "Desktop", ID: "L4", Name: "4", Type: "Desktop", Expires: "2999-12-31T21:59:59Z",
			LastUsed: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)},
	}
	if !reflect.DeepEqual(held, want) {
		t.Errorf("List = %+v, want %+v", held, want)
	}
	pools, err := c.Pools(ctx, "")
	if err != nil {
		t.Fatalf("Pools: %v", err)
	}
	if want := []events.Pool{{Code: "Desktop", Total: 3, Assigned: 2, Free: 1}}; !reflect.DeepEqual(pools, want) {
		t.Errorf("Pools = %+v, want %+v", pools, want)
	}
	if _, err := c.Assign(ctx, vendors.Request{User: "U2", Licenses: []string{"DESKTOP"}}); err != nil {
		t.Fatalf("Assign: %v", err)
	}
	if want := []string{`{"LicenseID":"L2","UserID":"U2"}`}; !reflect.DeepEqual(granted, want) {
		t.Errorf("grants = %v, want %v (L1 expired, L3 and L4 held)", granted, want)
	}
}

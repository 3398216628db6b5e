package msp360test_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors/fakefaults"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360/msp360test"
)

// With the switch set, an expired token is answered 403; an unknown one
// stays 401.
func TestExpiredTokenStatusSwitch(t *testing.T) {
	s := msp360test.NewServer(t, msp360test.Options{Demo: true})
	s.SetExpiredStatus(http.StatusForbidden)
	a := newAPI(t, s)
	s.ExpireTokens()
	if st, _ := a.do(http.MethodGet, "/api/Licenses", nil, true); st != http.StatusForbidden {
		t.Errorf("expired token: %d, want 403", st)
	}
	a.token = "mbs-never-issued"
	if st, _ := a.do(http.MethodGet, "/api/Licenses", nil, true); st != http.StatusUnauthorized {
		t.Errorf("unknown token: %d, want 401", st)
	}
}

// GET /api/Users lists ID and Email; GET /api/Monitoring/{UserID} the
// user's plans with their LastStart, as the fake's clock set it.
func TestUsersAndMonitoring(t *testing.T) {
	clock := fakefaults.NewClock(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC))
	s := msp360test.NewServer(t, msp360test.Options{Demo: true, Now: clock.Now})
	a := newAPI(t, s)
	st, body := a.do(http.MethodGet, "/api/Users", nil, true)
	var users []struct{ ID, Email string }
	if err := json.Unmarshal(body, &users); st != http.StatusOK || err != nil || len(users) != len(msp360test.DemoUsers) {
		t.Fatalf("users: %d %s", st, body)
	}
	s.SetLastBackup(msp360test.DemoUserBob, "BOB-PC", "Docs", clock.Now())
	st, body = a.do(http.MethodGet, "/api/Monitoring/"+msp360test.DemoUserBob, nil, true)
	var runs []struct{ ComputerName, PlanName, LastStart string }
	if err := json.Unmarshal(body, &runs); st != http.StatusOK || err != nil || len(runs) != 1 ||
		runs[0].ComputerName != "BOB-PC" || runs[0].LastStart != "2026-11-24T09:00:00" {
		t.Errorf("monitoring: %d %s; want BOB-PC last started 2026-11-24T09:00:00", st, body)
	}
	if st, _ := a.do(http.MethodGet, "/api/Monitoring/00000000-0000-4000-8000-000000000bad", nil, true); st != http.StatusNotFound {
		t.Errorf("monitoring of an unknown user: %d, want 404", st)
	}
}

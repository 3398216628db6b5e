package msp360_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360/msp360test"
)

// TestReleaseSendsTheSeedRequest checks, at the fake, that a release is the
// seed's "Release License from User" call: POST /api/Licenses/Release with a
// Bearer token and the JSON body {"LicenseID": ..., "UserID": ...}.
func TestReleaseSendsTheSeedRequest(t *testing.T) {
	s := msp360test.NewServer(t, msp360test.Options{})
	ids := s.AddLicenses("Desktop", 1)
	user := s.AddUser("leaver@example.test")
	c := newClient(t, s)
	ctx := context.Background()
	if _, err := c.Assign(ctx, vendors.Request{User: user, Licenses: []string{"Desktop"}}); err != nil {
		t.Fatalf("Assign: %v", err)
	}
	before := len(s.Requests())

	out, err := c.Release(ctx, vendors.Request{User: user, Licenses: []string{"Desktop"}})
	if err != nil {
		t.Fatalf("Release: %v", err)
	}
	if got, want := out.Licenses, []events.LicenseResult{{Code: "Desktop", Status: events.StatusReleased}}; !reflect.DeepEqual(got, want) {
		t.Errorf("Release licenses = %v, want %v", got, want)
	}

	var releases []msp360test.Request
	for _, r := range s.Requests()[before:] {
		if strings.HasPrefix(r.Path, "/api/Licenses/Re") {
			releases = append(releases, r)
		}
	}
	if len(releases) != 1 {
		t.Fatalf("release calls = %+v, want exactly one", releases)
	}
	r := releases[0]
	if r.Method != http.MethodPost || r.Path != "/api/Licenses/Release" {
		t.Errorf("release call = %s %s, want POST /api/Licenses/Release", r.Method, r.Path)
	}
	if !r.Authorized {
		t.Errorf("release call carried no valid Bearer token")
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
		t.Fatalf("release body %q: %v", r.Body, err)
	}
	if want := map[string]any{"LicenseID": ids[0], "UserID": user}; !reflect.DeepEqual(body, want) {
		t.Errorf("release body = %v, want %v", body, want)
	}
	if l, _ := s.License(ids[0]); l.UserID != "" {
		t.Errorf("after release the fake shows license %s held by %q", ids[0], l.UserID)
	}
}

// TestReleaseNeverRevokes checks that neither a release of one type nor a
// release of everything calls Revoke, and that the user's computer loses
// the license too (Release's documented effect).
func TestReleaseNeverRevokes(t *testing.T) {
	tests := []struct {
		name  string
		codes []string
		want  []events.LicenseResult
	}{
		{"one type", []string{msp360test.DemoCodeDesktop},
			[]events.LicenseResult{{Code: msp360test.DemoCodeDesktop, Status: events.StatusReleased}}},
		{"everything", nil, []events.LicenseResult{
			{Code: msp360test.DemoCodeDesktop, Status: events.StatusReleased},
			{Code: msp360test.DemoCodeFull, Status: events.StatusReleased},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := msp360test.NewServer(t, msp360test.Options{Demo: true})
			c := newClient(t, s)
			out, err := c.Release(context.Background(), vendors.Request{User: msp360test.DemoUserAlice, Licenses: tt.codes})
			if err != nil {
				t.Fatalf("Release: %v", err)
			}
			if !sameResults(out.Licenses, tt.want) {
				t.Errorf("Release licenses = %v, want %v", out.Licenses, tt.want)
			}
			for _, r := range s.Requests() {
				if strings.Contains(strings.ToLower(r.Path), "revoke") {
					t.Errorf("the adapter called %s %s; a release must never revoke", r.Method, r.Path)
				}
			}
			for _, l := range s.Licenses() {
				if l.LicenseType == msp360test.DemoCodeDesktop && l.ComputerName == "ALICE-LAPTOP" {
					t.Errorf("license %s is still on Alice's computer after Release", l.ID)
				}
			}
		})
	}
}

// TestReleaseOfWhatIsNotHeld checks the not_assigned answers: codes the
// user does not hold, known or not, ids included, write nothing.
func TestReleaseOfWhatIsNotHeld(t *testing.T) {
	s := msp360test.NewServer(t, msp360test.Options{Demo: true})
	c := newClient(t, s)
	bobs := heldIDs(s, msp360test.DemoUserBob)
	codes := []string{msp360test.DemoCodeServer, "No Such Type", bobs[0]}
	writes := s.Writes()
	out, err := c.Release(context.Background(), vendors.Request{User: msp360test.DemoUserAlice, Licenses: codes})
	if err != nil {
		t.Fatalf("Release: %v", err)
	}
	for i, r := range out.Licenses {
		if r.Code != codes[i] || r.Status != events.StatusNotAssigned {
			t.Errorf("licenses[%d] = %+v, want %s not_assigned", i, r, codes[i])
		}
	}
	if got := s.Writes() - writes; got != 0 {
		t.Errorf("release of licenses not held made %d write calls, want 0", got)
	}
	if got := s.Held(msp360test.DemoUserBob); len(got) != 1 {
		t.Errorf("Bob holds %v after Alice's release of his license id, want his Desktop", got)
	}
}

func heldIDs(s *msp360test.Server, user string) []string {
	var ids []string
	for _, l := range s.Licenses() {
		if strings.EqualFold(l.UserID, user) {
			ids = append(ids, l.ID)
		}
	}
	return ids
}

func sameResults(got, want []events.LicenseResult) bool {
	if len(got) != len(want) {
		return false
	}
	m := map[events.LicenseResult]int{}
	for _, r := range got {
		m[r]++
	}
	for _, r := range want {
		m[r]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

package msp360_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360/msp360test"
)

// TestAssignChoosesLicense checks which free license an assign of a type
// picks: paid before trial, never expired or taken ones, then the earliest
// expiry (none last), then the lowest id.
func TestAssignChoosesLicense(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	days := func(n int) time.Time { return now.Add(time.Duration(n) * 24 * time.Hour) }
	const other = "other-user"
	tests := []struct {
		name     string
		licenses []msp360test.License // of type Desktop unless said; IDs "L0", "L1", ... unless set
		code     string
		want     string // id of the license granted; "" means ErrCapacity
	}{
		{"prefers paid over trial", []msp360test.License{
			{IsTrial: true, DateExpired: days(10)}, {DateExpired: days(300)}}, "Desktop", "L1"},
		{"skips expired", []msp360test.License{
			{DateExpired: days(-1)}, {IsTrial: true, DateExpired: days(30)}}, "Desktop", "L1"},
		{"skips held by another user", []msp360test.License{
			{DateExpired: days(30), UserID: other}, {IsTrial: true, DateExpired: days(30)}}, "Desktop", "L1"},
		{"skips taken by a computer", []msp360test.License{
			{DateExpired: days(30), IsTaken: true, ComputerName: "PC-7"}, {DateExpired: days(60)}}, "Desktop", "L1"},
		{"earliest expiry first", []msp360test.License{
			{DateExpired: days(300)}, {DateExpired: days(100)}, {DateExpired: days(200)}}, "Desktop", "L1"},
		{"no expiry last", []msp360test.License{{}, {DateExpired: days(400)}}, "Desktop", "L1"},
		{"same expiry: lowest id", []msp360test.License{
			{ID: "0000000b-0000-4000-8000-000000000000", DateExpired: days(50)},
			{ID: "0000000A-0000-4000-8000-000000000000", DateExpired: days(50)}},
			"Desktop", "0000000A-0000-4000-8000-000000000000"},
		{"other types ignored", []msp360test.License{
			{LicenseType: "Server", DateExpired: days(1)}, {DateExpired: days(90)}}, "Desktop", "L1"},
		{"type compared case-insensitively", []msp360test.License{{DateExpired: days(90)}}, "dESKTOP", "L0"},
		{"none free", []msp360test.License{
			{DateExpired: days(-3)}, {DateExpired: days(30), UserID: other}, {DateExpired: days(30), IsTaken: true}},
			"Desktop", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := msp360test.NewServer(t, msp360test.Options{})
			user := s.AddUser("joiner@example.test")
			otherID := s.AddUser("other@example.test")
			ids := map[string]string{}
			for i, l := range tt.licenses {
				if l.LicenseType == "" {
					l.LicenseType = "Desktop"
				}
				if l.UserID == other {
					l.UserID = otherID
				}
				label := l.ID
				if label == "" {
					label = "L" + string(rune('0'+i))
				}
				ids[label] = s.AddLicense(l)
			}
			out, err := newClient(t, s).Assign(context.Background(), vendors.Request{User: user, Licenses: []string{tt.code}})
			if tt.want == "" {
				if !errors.Is(err, vendors.ErrCapacity) || !strings.Contains(err.Error(), tt.code) {
					t.Fatalf("Assign: err = %v, want ErrCapacity naming %s", err, tt.code)
				}
				return
			}
			if err != nil {
				t.Fatalf("Assign: %v", err)
			}
			if len(out.Licenses) != 1 || out.Licenses[0].Status != events.StatusAssigned {
				t.Errorf("Assign licenses = %v, want %s assigned", out.Licenses, tt.code)
			}
			if got := heldIDs(s, user); len(got) != 1 || got[0] != ids[tt.want] {
				t.Errorf("the user holds %v, want license %s (%s)", got, tt.want, ids[tt.want])
			}
		})
	}
}

// TestAssignByLicenseID checks codes that are one license's id.
func TestAssignByLicenseID(t *testing.T) {
	s := msp360test.NewServer(t, msp360test.Options{Demo: true})
	c := newClient(t, s)
	ctx := context.Background()
	ids := s.AddLicenses("Server", 2)
	user := msp360test.DemoUserBob

	for _, want := range []string{events.StatusAssigned, events.StatusAlreadyAssigned} {
		out, err := c.Assign(ctx, vendors.Request{User: user, Licenses: []string{ids[1]}})
		if err != nil {
			t.Fatalf("Assign %s: %v", ids[1], err)
		}
		if got := out.Licenses[0]; got.Code != ids[1] || got.Status != want {
			t.Errorf("Assign %s = %+v, want %s", ids[1], got, want)
		}
	}
	if l, _ := s.License(ids[1]); !strings.EqualFold(l.UserID, user) {
		t.Errorf("license %s is held by %q, want %s", ids[1], l.UserID, user)
	}

	_, err := c.Assign(ctx, vendors.Request{User: msp360test.DemoUserDave, Licenses: []string{ids[1]}})
	if !errors.Is(err, vendors.ErrCapacity) {
		t.Errorf("Assign of a license another user holds: err = %v, want ErrCapacity", err)
	}

	out, err := c.Release(ctx, vendors.Request{User: user, Licenses: []string{strings.ToUpper(ids[1])}})
	if err != nil {
		t.Fatalf("Release: %v", err)
	}
	if got := out.Licenses[0].Status; got != events.StatusReleased {
		t.Errorf("Release by id: status %q, want released", got)
	}
	if got := s.Held(user); len(got) != 1 || got[0] != msp360test.DemoCodeDesktop {
		t.Errorf("after release by id Bob holds %v, want only his Desktop", got)
	}
}

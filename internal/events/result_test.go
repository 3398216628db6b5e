package events_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// TestResultsValidate checks that results built by NewResult and NewFailure
// validate against result.schema.json.
func TestResultsValidate(t *testing.T) {
	at := time.Date(2026, 11, 24, 9, 0, 1, 234e6, time.FixedZone("CET", 3600))
	assign := events.NewCommand(events.SubjectAssign, "hr/workday", "wd-evt-000017", at, events.CommandData{
		Vendor: "uipath", Account: "acct-1", User: "singer-77", Licenses: []string{"RPADEVNU", "ATTUNU"},
	})
	release := events.NewCommand(events.SubjectRelease, "hr/workday", "wd-evt-000018", at, events.CommandData{
		Vendor: "m365", User: "singer-77@example.com", DryRun: true,
	})
	release.RedriveOf = "wd-evt-000010"
	release.AuthType, release.AuthID = "api_key", "webhook:bamboohr"
	listUser := events.NewCommand(events.SubjectList, "ops/publish", "list-1", at, events.CommandData{Vendor: "arcgis", User: "singer-77"})
	listPools := events.NewCommand(events.SubjectList, "ops/publish", "list-2", at, events.CommandData{Vendor: "licensespring"})
	holdings := []events.Holding{
		{Code: "usertype:creatorUT", Name: "Creator", Type: "userType"},
		{Code: "pro:desktopAdvN", ID: "desktopAdvN", Expires: "2027-06-30", Trial: true},
	}
	broken, brokenErr := events.DecodeCommand(events.SubjectAssign, command(set("data.vendor", "oracle"), set("data.user", "a\x00b")))
	if brokenErr == nil {
		t.Fatal("DecodeCommand accepted an unknown vendor")
	}
	garbage, _ := events.DecodeCommand(events.SubjectAssign, []byte("\x00\x01 not json"))

	tests := []struct {
		name   string
		result events.Result
	}{
		{"assigned", events.NewResult(assign, 42, at, events.ResultData{
			Licenses: []events.LicenseResult{
				{Code: "RPADEVNU", Status: events.StatusAssigned},
				{Code: "ATTUNU", Status: events.StatusAlreadyAssigned},
			},
			Held: []string{"RPADEVNU", "ATTUNU"}, Attempts: 1, DurationMS: 38,
		})},
		{"released all, dry run, redrive", events.NewResult(release, 0, at, events.ResultData{
			Licenses: []events.LicenseResult{{Code: "ENTERPRISEPACK", Status: events.StatusWouldRelease}},
			Held:     []string{"ENTERPRISEPACK"}, Attempts: 2,
		})},
		{"released, nothing held", events.NewResult(release, 7, at, events.ResultData{Held: []string{}})},
		{"listed a user", events.NewResult(listUser, 9, at, events.ResultData{Held: events.Codes(holdings), Holdings: holdings})},
		{"listed a user holding nothing", events.NewResult(listUser, 9, at, events.ResultData{Held: events.Codes(nil), Holdings: []events.Holding{}})},
		{"listed pools", events.NewResult(listPools, 10, at, events.ResultData{Pools: []events.Pool{
			{Code: "RPADEVNU", Total: 1000, Assigned: 1002, Free: -2},
		}})},
		{"failed at the vendor", events.NewFailure(assign, 11, at, "unused", events.Error{
			Code: events.CodeCapacityExhausted, Message: "uipath: allocate singer-77: no free seats",
		}, 3, 1500*time.Millisecond)},
		{"failed, retries exhausted", events.NewFailure(listPools, 12, at, "unused", events.Error{
			Code: events.CodeRetriesExhausted, Message: "uipath: 503", Retryable: true,
		}, 8, time.Minute)},
		{"failed validation", events.NewFailure(broken, 13, at, "fallback-13", validationError(t, brokenErr), 0, 0)},
		{"failed validation of garbage", events.NewFailure(garbage, 0, at, "LICENSE_COMMANDS:14", events.Error{
			Code: events.CodeInvalidCommand, Message: "payload is not valid JSON",
		}, 0, 0)},
	}
	sch := schema(t, resultFile)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload, err := json.Marshal(tt.result)
			if err != nil {
				t.Fatal(err)
			}
			if err := validate(sch, payload); err != nil {
				t.Errorf("result %s: %v", payload, err)
			}
		})
	}
}

func validationError(t *testing.T, err error) events.Error {
	t.Helper()
	var verr *events.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("error = %v (%T), want a *events.ValidationError", err, err)
	}
	return events.Error{Code: verr.Code, Message: verr.Message}
}

// TestResultSchemaRefuses checks that the result schema is not vacuous:
// each edit of a valid result breaks a rule it states.
func TestResultSchemaRefuses(t *testing.T) {
	sch := schema(t, resultFile)
	tests := []struct {
		name    string
		example string
		from    string
		to      string
	}{
		{"unknown status", "result-assigned.json", `"already_assigned"`, `"kept"`},
		{"unknown error code", "result-failed.json", `"capacity_exhausted"`, `"out_of_seats"`},
		{"failure without its command", "result-failed.json", `"command": {`, `"commandx": {`},
		{"success carrying an error", "result-listed-pools.json", `"dry_run": false`, `"dry_run": false, "error": {"code": "forbidden", "message": "", "retryable": false}`},
		{"assigned without held", "result-assigned.json", `"held"`, `"holding"`},
		{"id not ending in /result", "result-assigned.json", `"wd-evt-000017/result"`, `"wd-evt-000017"`},
		{"pool without free", "result-listed-pools.json", `, "free": 2}`, `}`},
		{"holding with an unknown field", "result-listed.json", `"trial": true`, `"trial": true, "seat": 3`},
		{"unknown vendor on success", "result-assigned.json", `"vendor": "uipath"`, `"vendor": "oracle"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := string(readExample(t, tt.example))
			if !strings.Contains(orig, tt.from) {
				t.Fatalf("%s does not contain %s", tt.example, tt.from)
			}
			edited := strings.Replace(orig, tt.from, tt.to, 1)
			if err := validate(sch, []byte(edited)); err == nil {
				t.Errorf("schema accepts %s with %s for %s, want it refused", tt.example, tt.to, tt.from)
			}
		})
	}
}

// TestResultCarriesAuthID checks that a result names the credential that
// sent its command, for the audit trail.
func TestResultCarriesAuthID(t *testing.T) {
	cmd, err := events.DecodeCommand(events.SubjectAssign, command(set("authtype", "api_key"), set("authid", "bearer:workday")))
	if err != nil {
		t.Fatal(err)
	}
	if got := events.NewResult(cmd, 1, time.Now(), events.ResultData{}).Data.CommandAuthID; got != "bearer:workday" {
		t.Errorf("result command_authid = %q, want %q", got, "bearer:workday")
	}
	if got := events.NewFailure(cmd, 1, time.Now(), "x", events.Error{Code: events.CodeUserNotFound}, 1, 0).Data.CommandAuthID; got != "bearer:workday" {
		t.Errorf("failure command_authid = %q, want %q", got, "bearer:workday")
	}
}

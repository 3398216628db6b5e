package licensespring_test

import (
	"os"
	"slices"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring"
)

func TestParseUserLicenses(t *testing.T) {
	seed, err := os.ReadFile("testdata/user_licenses.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data string
		want []events.Holding
	}{
		{"seed example", string(seed), []events.Holding{
			{Code: "10003", Name: "up", Type: "perpetual"},
			{Code: "1719215304208059", Name: "up", Type: "perpetual", Expires: "2031-03-16", Trial: true},
		}},
		{"schema shape, without the wrapper", `[{"id":7,"license_type":"subscription","is_trial":false,
			"validity_period":"2027-01-31","product_details":{"short_code":"cad"}}]`,
			[]events.Holding{{Code: "7", Name: "cad", Type: "subscription", Expires: "2027-01-31"}}},
		{"no licenses", `[]`, []events.Holding{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := licensespring.ParseUserLicenses([]byte(tt.data))
			if err != nil {
				t.Fatalf("ParseUserLicenses: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("holdings = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseUserLicensesRejects(t *testing.T) {
	for _, data := range []string{
		``,
		`{"status":401,"code":"signature_mismatch","message":"x"}`,
		`[{"license":{"license_type":"perpetual"}}]`,
		`[{"license":{"id":"not a number"}}]`,
	} {
		if got, err := licensespring.ParseUserLicenses([]byte(data)); err == nil {
			t.Errorf("ParseUserLicenses(%s) = %+v, nil; want an error", data, got)
		}
	}
}

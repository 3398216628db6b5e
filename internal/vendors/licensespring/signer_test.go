package licensespring_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring/licensespringtest"
)

// The documented License API signature example.
const (
	vectorKey       = "kw4qSnpSwXzgiv5yxYpZZmFEd9QAeiKTQ6OuyMja"
	vectorDate      = "Tue, 07 Jun 2011 20:51:35 GMT"
	vectorSignature = "UDysfR6MndUZReo07Y9r+vErn8vSxrnQ5ulit18iJ/Q="
)

func TestSignatureVector(t *testing.T) {
	if got := licensespring.Signature(vectorKey, vectorDate); got != vectorSignature {
		t.Errorf("Signature = %q, want %q", got, vectorSignature)
	}
}

func TestSignerHeaders(t *testing.T) {
	at, err := time.Parse(time.RFC1123, vectorDate)
	if err != nil {
		t.Fatal(err)
	}
	s := licensespring.Signer{APIKey: "here_is_the_api_key", SharedKey: vectorKey}
	// A zone other than GMT must not change the Date: it is always GMT.
	date, auth := s.Headers(at.In(time.FixedZone("CEST", 2*3600)))
	if date != vectorDate {
		t.Errorf("Date = %q, want %q", date, vectorDate)
	}
	want := `algorithm="hmac-sha256", headers="date", signature="` + vectorSignature + `", apikey="here_is_the_api_key"`
	if auth != want {
		t.Errorf("Authorization = %q, want %q", auth, want)
	}
}

// licenseAPIError is the License API's error body.
type licenseAPIError struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
}

// TestFakeChecksSignature sends the fake's License API signed requests:
// made by the adapter's Signer, with a wrong shared key, with a stale Date,
// and without headers.
func TestFakeChecksSignature(t *testing.T) {
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	fake := licensespringtest.NewServer(t, licensespringtest.Options{Demo: true, Now: func() time.Time { return now }})
	user := licensespringtest.DemoUsers[0]
	good := licensespring.Signer{APIKey: licensespringtest.LicenseAPIKey, SharedKey: licensespringtest.SharedKey}
	query := url.Values{"product": {"studio"}, "username": {user}, "password": {fake.Password(user)}}.Encode()
	tests := []struct {
		name       string
		signer     *licensespring.Signer
		at         time.Time
		wantStatus int
		wantCode   string
	}{
		{"signed by the adapter", &good, now, 200, ""},
		{"ten minutes old", &good, now.Add(-10 * time.Minute), 200, ""},
		{"wrong shared key", &licensespring.Signer{APIKey: licensespringtest.LicenseAPIKey, SharedKey: "not-the-key"}, now, 401, "signature_mismatch"},
		{"fifteen minutes old", &good, now.Add(-15 * time.Minute), 200, ""},
		{"stale date", &good, now.Add(-16 * time.Minute), 400, "date_header_diff"},
		{"date far ahead", &good, now.Add(16 * time.Minute), 400, "date_header_diff"},
		{"unknown api key", &licensespring.Signer{APIKey: "nope", SharedKey: licensespringtest.SharedKey}, now, 400, "invalid_api_key"},
		{"unsigned", nil, now, 400, "missing_headers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodGet, fake.URL+"/api/v4/user_licenses?"+query, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.signer != nil {
				tt.signer.Sign(req, tt.at)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d (%s), want %d", resp.StatusCode, body, tt.wantStatus)
			}
			if tt.wantCode == "" {
				checkUserLicenses(t, body)
				return
			}
			var e licenseAPIError
			if err := json.Unmarshal(body, &e); err != nil || e.Code != tt.wantCode || e.Status != tt.wantStatus {
				t.Errorf("error body = %s, want code %q and status %d", body, tt.wantCode, tt.wantStatus)
			}
		})
	}
}

// checkUserLicenses parses the fake's user_licenses answer for the first
// demo user and product "studio" with the seed parser.
func checkUserLicenses(t *testing.T, body []byte) {
	t.Helper()
	held, err := licensespring.ParseUserLicenses(body)
	if err != nil {
		t.Fatalf("ParseUserLicenses: %v", err)
	}
	want := []events.Holding{{Code: licensespringtest.DemoStudioCode, Name: "studio", Type: "perpetual"}}
	if !slices.Equal(held, want) {
		t.Errorf("holdings = %+v, want %+v", held, want)
	}
}

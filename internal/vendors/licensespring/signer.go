package licensespring

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/config"
)

// Signer signs requests to LicenseSpring's License API v4 (the API installed
// applications call, e.g. GET /api/v4/user_licenses). Every such request
// carries a Date header (RFC 7231, GMT; the server accepts it for 15
// minutes) and an Authorization header holding the base64 HMAC-SHA256 of
// "licenseSpring\ndate: <Date>" under the company's shared key.
type Signer struct {
	// APIKey is the License API key, sent in the clear in Authorization.
	APIKey config.Secret
	// SharedKey is the key the signature is computed with; it is never sent.
	SharedKey config.Secret
}

// Headers returns the Date and Authorization header values for a request
// made at t.
func (s Signer) Headers(t time.Time) (date, authorization string) {
	date = t.UTC().Format(http.TimeFormat)
	authorization = fmt.Sprintf(`algorithm="hmac-sha256", headers="date", signature="%s", apikey="%s"`,
		Signature(s.SharedKey.Reveal(), date), s.APIKey.Reveal())
	return date, authorization
}

// Sign sets r's Date and Authorization headers for a request made at t.
func (s Signer) Sign(r *http.Request, t time.Time) {
	date, auth := s.Headers(t)
	r.Header.Set("Date", date)
	r.Header.Set("Authorization", auth)
}

// Signature returns base64(HMAC-SHA256(sharedKey, "licenseSpring\ndate: " +
// date)), the signature of a request whose Date header is date.
func Signature(sharedKey, date string) string {
	mac := hmac.New(sha256.New, []byte(sharedKey))
	mac.Write([]byte("licenseSpring\ndate: " + date))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

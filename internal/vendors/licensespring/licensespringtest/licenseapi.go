package licensespringtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
)

// License API v4 error codes the fake answers, with their statuses. The
// status of signature_mismatch (401) follows the vendor reference; the
// others are 400 as LicenseSpring's authorization page lists them.
// invalid_credentials is ASSUMED: the reference names no code for a wrong
// license user password.
const (
	codeMissingHeaders     = "missing_headers"
	codeMissingParams      = "authorization_missing_params"
	codeHMACRequired       = "hmac_required"
	codeInvalidHeaders     = "authorization_invalid_headers"
	codeInvalidAPIKey      = "invalid_api_key"
	codeDateHeaderDiff     = "date_header_diff"
	codeSignatureMismatch  = "signature_mismatch"
	codeUnknownProduct     = "unknown_product"
	codeInvalidCredentials = "invalid_credentials"
)

// userLicenses answers GET /api/v4/user_licenses?product=&username=&password=:
// the licenses of one product the license user holds, each as
// {"license": {...}, "user": {...}} like the documented example.
func (s *Server) userLicenses(w http.ResponseWriter, r *http.Request) {
	if status, code, msg := s.verifySignature(r); code != "" {
		writeLicenseAPIError(w, status, code, msg)
		return
	}
	q := r.URL.Query()
	product, email, password := q.Get("product"), normal(q.Get("username")), q.Get("password")
	s.mu.Lock()
	defer s.mu.Unlock()
	known := false
	for _, l := range s.licenses {
		known = known || (product != "" && l.ProductShortCode == product)
	}
	if !known {
		writeLicenseAPIError(w, http.StatusBadRequest, codeUnknownProduct, "Provided product was not found")
		return
	}
	u := s.users[email]
	if u == nil || password == "" || !hmac.Equal([]byte(password), []byte(u.password)) {
		writeLicenseAPIError(w, http.StatusUnauthorized, codeInvalidCredentials, "Invalid username or password")
		return
	}
	out := []map[string]any{}
	for _, id := range s.sortedIDs() {
		if l := s.licenses[id]; l.ProductShortCode == product && slices.Contains(l.users, email) {
			out = append(out, map[string]any{"license": licenseAPIJSON(l), "user": userJSON(u)})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// verifySignature checks the Date and Authorization headers of a License API
// request; it returns an empty code when they are good.
func (s *Server) verifySignature(r *http.Request) (status int, code, msg string) {
	date, auth := r.Header.Get("Date"), r.Header.Get("Authorization")
	if date == "" || auth == "" {
		return http.StatusBadRequest, codeMissingHeaders, "Some headers are missing"
	}
	p := authParams(auth)
	if p["algorithm"] == "" || p["headers"] == "" || p["signature"] == "" || p["apikey"] == "" {
		return http.StatusBadRequest, codeMissingParams, "Authorization header is missing parameters"
	}
	if p["algorithm"] != "hmac-sha256" {
		return http.StatusBadRequest, codeHMACRequired, "Only hmac-sha256 is supported"
	}
	if p["headers"] != "date" {
		return http.StatusBadRequest, codeInvalidHeaders, "Only the date header may be signed"
	}
	if p["apikey"] != LicenseAPIKey {
		return http.StatusBadRequest, codeInvalidAPIKey, "Provided API key is invalid"
	}
	at, err := http.ParseTime(date)
	if d := s.now().Sub(at); err != nil || d > MaxDateAge || d < -MaxDateAge {
		return http.StatusBadRequest, codeDateHeaderDiff, "Date header is too far from the server time"
	}
	mac := hmac.New(sha256.New, []byte(SharedKey))
	mac.Write([]byte("licenseSpring\ndate: " + date))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(p["signature"]), []byte(want)) {
		return http.StatusUnauthorized, codeSignatureMismatch, "Signature mismatch"
	}
	return 0, "", ""
}

// authParams reads `k="v", k2="v2"` pairs.
func authParams(h string) map[string]string {
	p := make(map[string]string)
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			p[strings.ToLower(strings.TrimSpace(k))] = strings.Trim(strings.TrimSpace(v), `"`)
		}
	}
	return p
}

func writeLicenseAPIError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"status": status, "code": code, "message": msg})
}

// licenseAPIJSON is a License API v4 license object, with the fields of the
// documented example.
func licenseAPIJSON(l *license) map[string]any {
	var validity any
	if l.ValidityPeriod != "" {
		validity = l.ValidityPeriod
	}
	o := map[string]any{
		"id": l.ID, "order_store_id": "", "license_active": true, "license_enabled": true,
		"license_type": l.LicenseType, "is_trial": l.Trial, "max_license_users": l.MaxUsers,
		"validity_period": validity, "enable_maintenance_period": false, "maintenance_period": nil,
		"allow_grace_period": false, "grace_period": 0, "max_activations": 1,
		"allow_unlimited_activations": false, "times_activated": 0, "start_date": nil,
		"transfer_count": 0, "max_transfers": 0, "allow_overages": false, "max_overages": 0,
		"is_floating_cloud": false, "is_floating": false, "floating_timeout": 120, "can_borrow": false,
		"max_borrow_time": 0, "prevent_vm": false, "custom_fields": []any{}, "product_features": []any{},
		"customer": map[string]any{"email": "", "company_name": "", "reference": "", "customer_account": nil,
			"metadata": map[string]any{}},
		"product_details": map[string]any{"product_id": 10006, "product_name": l.ProductName,
			"short_code": l.ProductShortCode, "authorization_method": "user", "metadata": map[string]any{}},
		"metadata": map[string]any{}, "is_hardware_key_auth": false, "is_air_gapped": false,
	}
	if l.Trial {
		o["trial_days"] = 15
	}
	return o
}

func userJSON(u *licenseUser) map[string]any {
	return map[string]any{
		"id": u.id, "email": u.email, "first_name": "", "last_name": "", "phone_number": "",
		"is_initial_password": true, "max_activations": 1, "allow_unlimited_activations": false,
		"total_activations": 0,
	}
}

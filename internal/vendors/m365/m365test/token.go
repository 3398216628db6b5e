package m365test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// serveToken is the identity platform's v2.0 token endpoint for the client
// credentials grant, with client_id and client_secret in the form.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	tenant := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/oauth2/v2.0/token")
	s.mu.Lock()
	s.tokenReq++
	fail := s.auth.takeTokenFailure()
	broken := s.auth.broken
	s.mu.Unlock()
	if fail.status != 0 {
		code := "invalid_request"
		if fail.status == http.StatusTooManyRequests || fail.status >= 500 {
			code = "temporarily_unavailable"
		}
		writeTokenError(w, fail.status, code, fail.description)
		return
	}
	if r.Method != http.MethodPost {
		writeTokenError(w, http.StatusMethodNotAllowed, "invalid_request",
			"AADSTS900561: The endpoint only accepts POST requests.")
		return
	}
	if !strings.EqualFold(tenant, TenantID) {
		writeTokenError(w, http.StatusBadRequest, "invalid_request",
			fmt.Sprintf("AADSTS90002: Tenant '%s' not found.", tenant))
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/x-www-form-urlencoded" {
		writeTokenError(w, http.StatusBadRequest, "invalid_request",
			"AADSTS900144: The request body must contain the following parameter: 'grant_type'.")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeTokenError(w, http.StatusBadRequest, "invalid_request", "AADSTS900144: The request body could not be read.")
		return
	}
	if status, code, desc := checkTokenForm(r, broken); status != 0 {
		writeTokenError(w, status, code, desc)
		return
	}
	tok := s.issue()
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store, no-cache")
	secs := int(s.opts.TokenTTL / time.Second)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"token_type": "Bearer", "expires_in": secs, "ext_expires_in": secs, "access_token": tok,
	})
}

// checkTokenForm returns the refusal of a token request, or status 0.
func checkTokenForm(r *http.Request, broken bool) (status int, code, desc string) {
	f := r.PostForm
	switch {
	case f.Get("grant_type") == "":
		return 400, "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'grant_type'."
	case f.Get("grant_type") != "client_credentials":
		return 400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type."
	case f.Get("client_id") == "":
		return 400, "invalid_request", "AADSTS900144: The request body must contain the following parameter: 'client_id'."
	case f.Get("client_id") != ClientID:
		return 400, "unauthorized_client", fmt.Sprintf(
			"AADSTS700016: Application with identifier '%s' was not found in the directory.", f.Get("client_id"))
	case f.Get("client_secret") == "":
		return 401, "invalid_client", "AADSTS7000216: 'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type."
	case broken || f.Get("client_secret") != ClientSecret:
		return 401, "invalid_client", "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID."
	case f.Get("scope") != Scope:
		return 400, "invalid_scope", fmt.Sprintf(
			"AADSTS1002012: The provided value for scope %s is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.", f.Get("scope"))
	}
	return 0, "", ""
}

// issue creates and records a new access token.
func (s *Server) issue() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	tok := "eyJ0eXAiOiJKV1QifQ." + base64.RawURLEncoding.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[tok] = time.Now().Add(s.opts.TokenTTL)
	s.issued = append(s.issued, tok)
	return tok
}

// writeTokenError writes the identity platform's error body.
func writeTokenError(w http.ResponseWriter, status int, code, desc string) {
	now := time.Now().UTC()
	num := 0
	if rest, ok := strings.CutPrefix(desc, "AADSTS"); ok {
		digits := rest[:strings.IndexFunc(rest+":", func(r rune) bool { return r < '0' || r > '9' })]
		num, _ = strconv.Atoi(digits)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"error":             code,
		"error_description": desc + " Trace ID: 00000000-0000-0000-0000-000000000000 Timestamp: " + now.Format("2006-01-02 15:04:05Z"),
		"error_codes":       []int{num},
		"timestamp":         now.Format("2006-01-02 15:04:05Z"),
		"trace_id":          "00000000-0000-0000-0000-000000000000",
		"correlation_id":    "00000000-0000-0000-0000-000000000000",
		"error_uri":         fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", num),
	})
}

// authorized checks Graph's bearer token and answers 401 if it is not good.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		writeGraphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
		return false
	}
	s.mu.Lock()
	exp, known := s.tokens[tok]
	s.mu.Unlock()
	if !known || time.Now().After(exp) {
		writeGraphError(w, http.StatusUnauthorized, "InvalidAuthenticationToken",
			"Access token has expired or is not yet valid.")
		return false
	}
	return true
}

package msp360test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
)

// Messages of the authentication answers.
const (
	// msgDenied is ASP.NET Web API's answer to a missing, wrong or expired
	// Bearer token.
	msgDenied = "Authorization has been denied for this request."
	// msgBadLogin is ASSUMED: the reference does not document how a wrong
	// user name or password is refused; the fake answers 400 with this.
	msgBadLogin = "Incorrect user name or password."
)

// loginBody is POST /api/Provider/Login's request.
type loginBody struct {
	UserName string `json:"UserName"`
	Password string `json:"Password"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in loginBody
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeMessage(w, http.StatusBadRequest, "The request is invalid.")
		return
	}
	s.mu.Lock()
	ok := !s.authBroken && in.UserName == Username && in.Password == Password
	s.mu.Unlock()
	if !ok {
		writeMessage(w, http.StatusBadRequest, msgBadLogin)
		return
	}
	token := newToken()
	s.mu.Lock()
	s.tokens[token] = s.now().Add(s.lifetime)
	s.logins++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": token,
		"token_type":   "bearer",
		"expires_in":   int64(s.lifetime.Seconds()),
		"userName":     in.UserName,
	})
}

func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "mbs-" + hex.EncodeToString(b)
}

// denied returns the status refusing r's Bearer token, or 0 for a live
// one: 401 for a missing or unknown token, the expired-token status
// (SetExpiredStatus) for one that was issued and has expired.
func (s *Server) denied(r *http.Request) int {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return http.StatusUnauthorized
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	expires, ok := s.tokens[strings.TrimSpace(token)]
	switch {
	case !ok:
		return http.StatusUnauthorized
	case s.authBroken || !s.now().Before(expires):
		return s.expiredStatus
	}
	return 0
}

// SetExpiredStatus sets the status an expired (or revoked) token is
// answered with: 401 by default, or 403. The vendor does not document
// which; a public client of the API treats 403 as invalid credentials.
func (s *Server) SetExpiredStatus(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expiredStatus = status
}

// Logins returns how many logins succeeded.
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// IssuedTokens returns every token issued so far, so that tests can check
// that none leaks into an error or a result.
func (s *Server) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.tokens))
	for t := range s.tokens {
		out = append(out, t)
	}
	return out
}

// ExpireTokens makes every token issued so far expired; a new login gets a
// fresh one.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := s.now().Add(-1)
	for t := range s.tokens {
		s.tokens[t] = past
	}
}

// BreakAuth refuses every token issued so far and every login from now on,
// as after the API credentials were changed in the console. Recover undoes
// it for logins to come.
func (s *Server) BreakAuth() {
	s.ExpireTokens()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authBroken = true
}

package uipathtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// token is the identity service's client-credentials grant:
// POST /identity_/connect/token, form-encoded.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.tokenReqs++
	broken := s.authBroken
	s.mu.Unlock()

	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the body is not form-encoded")
		return
	}
	f := r.PostForm
	if f.Get("grant_type") != "client_credentials" {
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "only client_credentials is supported")
		return
	}
	if broken || f.Get("client_id") != s.opts.ClientID || f.Get("client_secret") != s.opts.ClientSecret {
		desc := "unknown client or wrong secret"
		if s.opts.LeakyErrors {
			desc += " (got client_secret=" + f.Get("client_secret") + ")"
		}
		oauthError(w, http.StatusBadRequest, "invalid_client", desc)
		return
	}
	scopes := strings.Fields(f.Get("scope"))
	granted := []string{Scope, UserReadScope}
	if s.opts.NoUserRead {
		granted = granted[:1]
	}
	if len(scopes) == 0 || slices.ContainsFunc(scopes, func(sc string) bool { return !slices.Contains(granted, sc) }) {
		oauthError(w, http.StatusBadRequest, "invalid_scope", "the application is granted "+strings.Join(granted, " ")+" only")
		return
	}

	tok := newToken()
	s.mu.Lock()
	s.tokens[tok] = grant{expiry: s.opts.Now().Add(s.opts.TokenTTL), scopes: scopes}
	s.issued = append(s.issued, tok)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{
		"access_token": tok,
		"expires_in":   int((s.opts.TokenTTL + time.Second - 1) / time.Second),
		"token_type":   "Bearer",
		"scope":        strings.Join(scopes, " "),
	})
}

// grant is what an issued token allows, until when.
type grant struct {
	expiry time.Time
	scopes []string
}

// authorized answers 200 when r carries a live token the fake issued and
// that token has scope, 401 without one, 403 when it lacks the scope.
func (s *Server) authorized(r *http.Request, scope string) int {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || tok == "" {
		return http.StatusUnauthorized
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.tokens[tok]
	switch {
	case !ok || !s.opts.Now().Before(g.expiry):
		return http.StatusUnauthorized
	case !slices.Contains(g.scopes, scope):
		return http.StatusForbidden
	}
	return http.StatusOK
}

// IssuedTokens returns every access token issued so far, expired ones
// included, so that tests can scan outputs for them.
func (s *Server) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

// ExpireTokens invalidates every token issued so far, as if each had
// reached its expiry; new tokens are issued as usual.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// BreakAuth invalidates every token and makes the token endpoint refuse the
// credentials (invalid_client) until Recover.
func (s *Server) BreakAuth() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
	s.authBroken = true
}

func newToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return "fake-at-" + hex.EncodeToString(b)
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

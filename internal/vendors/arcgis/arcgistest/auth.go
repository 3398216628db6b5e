package arcgistest

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// tokenGrant is what the fake remembers of a token it issued.
type tokenGrant struct {
	referer string
	expires time.Time
}

// defaultExpiration is the token lifetime when generateToken names none, in
// minutes (the portal's default).
const defaultExpiration = 60

// generateToken implements POST {portal}/generateToken with client=referer.
// Bad credentials answer HTTP 200 with error code 400, as the portal does.
func (s *Server) generateToken(w http.ResponseWriter, r *http.Request) {
	f, ok := readForm(r)
	if !ok {
		writeError(w, 400, "Unable to generate token.", "Invalid request.")
		return
	}
	if !wantsJSON(w, f) {
		return
	}
	referer := f.get("referer")
	if f.get("client") != "referer" || referer == "" {
		writeError(w, 400, "Unable to generate token.", "'referer' must be specified.")
		return
	}
	minutes := defaultExpiration
	if v := f.get("expiration"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			writeError(w, 400, "Unable to generate token.", "Invalid expiration.")
			return
		}
		minutes = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.authBroken || f.get("username") != AdminUsername || f.get("password") != AdminPassword {
		writeError(w, 400, "Unable to generate token.", "Invalid username or password.")
		return
	}
	token := newToken()
	expires := s.now().Add(time.Duration(minutes) * time.Minute)
	s.tokens[token] = tokenGrant{referer: referer, expires: expires}
	s.issued = append(s.issued, token)
	writeJSON(w, map[string]any{"token": token, "expires": expires.UnixMilli(), "ssl": false})
}

func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// checkToken answers 499 without a token and 498 for a token that is
// unknown, expired or presented from another referer, both inside HTTP 200
// as the portal does.
func (s *Server) checkToken(w http.ResponseWriter, r *http.Request, f form) bool {
	token := f.get("token")
	if token == "" {
		writeErrorFor(w, r, 499, "Token Required")
		return false
	}
	s.mu.Lock()
	grant, ok := s.tokens[token]
	valid := ok && !s.authBroken && s.now().Before(grant.expires) && r.Header.Get("Referer") == grant.referer
	s.mu.Unlock()
	if !valid {
		writeErrorFor(w, r, 498, "Invalid token.")
		return false
	}
	return true
}

// ExpireTokens invalidates every token issued so far.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.tokens)
}

// BreakAuth refuses the administrator's credentials and every token from now
// on, until Recover.
func (s *Server) BreakAuth() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authBroken = true
	clear(s.tokens)
}

// TokensIssued returns how many tokens generateToken has issued.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.issued)
}

// IssuedTokens returns every token generateToken has issued, so that a test
// can check none leaks into an error or a log.
func (s *Server) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.issued)
}

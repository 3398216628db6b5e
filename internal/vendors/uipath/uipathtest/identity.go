package uipathtest

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// The Identity service's user API: a user by id, and the directory search
// that finds users by name or e-mail. Both need UserReadScope.

// IdentityRequests returns how many Identity API calls (token requests
// aside) the fake has received.
func (s *Server) IdentityRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.identity
}

// identityAPI counts each call and applies the Bearer and scope check.
func (s *Server) identityAPI(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.identity++
		s.mu.Unlock()
		if s.checkToken(w, r, UserReadScope) {
			next.ServeHTTP(w, r)
		}
	})
}

func (s *Server) identityRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /identity_/api/User/{user}", s.getUser)
	mux.HandleFunc("GET /identity_/api/User/users/{partition}", s.searchUsers)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.problem(w, r, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// getUser answers GET /identity_/api/User/{user}: the user of any
// organisation the fake knows, or 404.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("user")
	s.mu.Lock()
	var found map[string]any
	for _, a := range s.accounts {
		if u := a.users[id]; u != nil {
			found = userObject(id, u)
			break
		}
	}
	s.mu.Unlock()
	if found == nil {
		s.problem(w, r, http.StatusNotFound, fmt.Sprintf("User %s was not found.", id))
		return
	}
	writeJSON(w, found)
}

// searchUsers answers GET /identity_/api/User/users/{partition}?searchTerm=:
// the organisation's users whose id, name or e-mail contains the term,
// without regard to case (a search, not an exact match).
func (s *Server) searchUsers(w http.ResponseWriter, r *http.Request) {
	term := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("searchTerm")))
	s.mu.Lock()
	results := []map[string]any{}
	if a := s.accounts[r.PathValue("partition")]; a != nil {
		for id, u := range a.users {
			if term == "" || strings.Contains(strings.ToLower(id), term) || strings.Contains(strings.ToLower(u.email), term) {
				results = append(results, userObject(id, u))
			}
		}
	}
	s.mu.Unlock()
	sort.Slice(results, func(i, j int) bool { return results[i]["id"].(string) < results[j]["id"].(string) })
	writeJSON(w, map[string]any{"totalCount": len(results), "results": results})
}

func userObject(id string, u *user) map[string]any {
	return map[string]any{"id": id, "userName": u.email, "email": u.email, "name": id, "surname": "",
		"displayName": id, "type": "DirectoryUser", "isActive": true}
}

package m365test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// userSegments reads the users('key') form of a user's address into the
// users/key form, and refuses, as Graph does, a key segment starting with
// $ (Graph reads it as a system segment): such a user principal name must
// be written users('$...').
func userSegments(segs []string) ([]string, error) {
	if first := segs[0]; strings.HasPrefix(first, "users(") && strings.HasSuffix(first, ")") {
		key, err := url.PathUnescape(strings.TrimSuffix(strings.TrimPrefix(first, "users("), ")"))
		if err != nil || len(key) < 2 || key[0] != '\'' || key[len(key)-1] != '\'' {
			return nil, fmt.Errorf("Bad Request - Error in query syntax.")
		}
		key = strings.ReplaceAll(key[1:len(key)-1], "''", "'")
		return append([]string{"users", url.PathEscape(key)}, segs[1:]...), nil
	}
	if len(segs) >= 2 && segs[0] == "users" && (strings.HasPrefix(segs[1], "$") || strings.HasPrefix(segs[1], "%24")) {
		return nil, fmt.Errorf("Unrecognized system segment '%s'.", segs[1])
	}
	return segs, nil
}

// filterTerm is one "property eq 'value'" of a $filter.
var filterTerm = regexp.MustCompile(`^\s*(mail|userPrincipalName)\s+eq\s+'((?:[^']|'')*)'\s*$`)

// listUsers answers GET /users?$filter=mail eq '…' or userPrincipalName eq
// '…': the users any term matches, compared without regard to case, as
// Graph compares these properties. Other filters are refused.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	filter := r.URL.Query().Get("$filter")
	type term struct{ prop, value string }
	var terms []term
	for _, part := range strings.Split(filter, " or ") {
		m := filterTerm.FindStringSubmatch(part)
		if m == nil {
			writeGraphError(w, http.StatusBadRequest, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified.")
			return
		}
		terms = append(terms, term{m[1], strings.ReplaceAll(m[2], "''", "'")})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	value := []map[string]any{}
	for _, u := range s.users {
		for _, t := range terms {
			if (t.prop == "mail" && strings.EqualFold(u.mail, t.value)) ||
				(t.prop == "userPrincipalName" && strings.EqualFold(u.upn, t.value)) {
				value = append(value, s.userObject(u))
				break
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", "value": value})
}

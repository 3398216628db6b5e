package licensespringtest

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// companyCode is the suffix the vendor appends to a license user's email
// field ("ada@example.com|tn").
const companyCode = "tn"

// routes is the fake's whole API.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/licenses/{$}", s.managed(s.listLicenses))
	mux.Handle("GET /api/v1/licenses/{id}/{$}", s.managed(s.getLicense))
	mux.Handle("POST /api/v1/licenses/{id}/assign_user/{$}", s.managed(s.assignUser))
	mux.Handle("POST /api/v1/licenses/{id}/unassign_user/{$}", s.managed(s.unassignUser))
	mux.Handle("GET /api/v1/license-users/{$}", s.managed(s.listLicenseUsers))
	mux.HandleFunc("GET /api/v4/user_licenses", s.userLicenses)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, detail("Not found."))
	})
	return s.withFaults(mux)
}

// managed checks the Management API key before h. Writes are counted first,
// so that a refused write still shows in Writes.
func (s *Server) managed(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		if r.Method == http.MethodPost {
			s.writes++
		}
		broken := s.authBroken
		s.mu.Unlock()
		switch auth := r.Header.Get("Authorization"); {
		case auth == "":
			writeJSON(w, http.StatusUnauthorized, detail("Authentication credentials were not provided."))
		case broken || auth != "Api-Key "+APIKey:
			writeJSON(w, http.StatusUnauthorized, detail("Invalid API key."))
		default:
			h(w, r)
		}
	})
}

// listLicenses answers GET /api/v1/licenses/ with limit/offset pagination
// and the license_users__true_email filter, which is an exact,
// case-sensitive match on the address as stored.
func (s *Server) listLicenses(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset, ok := paging(q)
	if !ok {
		writeJSON(w, http.StatusBadRequest, detail("Invalid limit or offset."))
		return
	}
	email, filtered := q["license_users__true_email"]
	s.mu.Lock()
	var all []map[string]any
	for _, id := range s.sortedIDs() {
		l := s.licenses[id]
		if !filtered || (len(email) > 0 && s.containsTrueEmail(l, email[0])) {
			all = append(all, s.managementJSON(l))
		}
	}
	s.mu.Unlock()
	writePage(w, r, q, all, limit, offset)
}

// writePage answers one page of all, as Django REST framework pages.
func writePage(w http.ResponseWriter, r *http.Request, q url.Values, all []map[string]any, limit, offset int) {
	page := []map[string]any{}
	if offset < len(all) {
		page = all[offset:min(offset+limit, len(all))]
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"count":    len(all),
		"next":     pageLink(r, q, limit, offset+limit, offset+limit < len(all)),
		"previous": pageLink(r, q, limit, max(offset-limit, 0), offset > 0),
		"results":  page,
	})
}

// paging reads limit (capped at MaxPageSize) and offset.
func paging(q url.Values) (limit, offset int, ok bool) {
	limit, offset = DefaultPageSize, 0
	var err error
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
			return 0, 0, false
		}
	}
	if v := q.Get("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, false
		}
	}
	return min(limit, MaxPageSize), offset, true
}

// pageLink is an absolute link to the page at offset, as Django REST
// framework builds it, or nil when there is none.
func pageLink(r *http.Request, q url.Values, limit, offset int, exists bool) any {
	if !exists {
		return nil
	}
	q = cloneValues(q)
	q.Set("limit", strconv.Itoa(limit))
	q.Set("offset", strconv.Itoa(offset))
	u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
	return u.String()
}

func cloneValues(q url.Values) url.Values {
	c := make(url.Values, len(q))
	for k, v := range q {
		c[k] = append([]string(nil), v...)
	}
	return c
}

// containsTrueEmail reports whether a user of l has exactly the stored
// address email. The caller holds mu.
func (s *Server) containsTrueEmail(l *license, email string) bool {
	for _, key := range l.users {
		if s.users[key].email == email {
			return true
		}
	}
	return false
}

// listLicenseUsers answers GET /api/v1/license-users/, paged, with the
// true_email__iexact filter (a case-insensitive exact match).
func (s *Server) listLicenseUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, offset, ok := paging(q)
	if !ok {
		writeJSON(w, http.StatusBadRequest, detail("Invalid limit or offset."))
		return
	}
	iexact, filtered := q["true_email__iexact"]
	s.mu.Lock()
	keys := make([]string, 0, len(s.users))
	for k := range s.users {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var all []map[string]any
	for _, k := range keys {
		u := s.users[k]
		if !filtered || (len(iexact) > 0 && strings.EqualFold(u.email, iexact[0])) {
			all = append(all, s.userJSON(u))
		}
	}
	s.mu.Unlock()
	writePage(w, r, q, all, limit, offset)
}

// userJSON is a license user object. The caller holds mu. As in the
// vendor's documentation, email is a suffixed form of the address; only
// true_email holds the address itself.
func (s *Server) userJSON(u *licenseUser) map[string]any {
	var lastLogin any
	if !u.lastLogin.IsZero() {
		lastLogin = u.lastLogin.UTC().Format(time.RFC3339)
	}
	return map[string]any{"id": u.id, "email": u.email + "|" + companyCode, "true_email": u.email,
		"last_login": lastLogin, "is_active": true, "is_manager": false,
		"is_initial_password": true, "initial_password": u.password}
}

// getLicense answers GET /api/v1/licenses/{id}/.
func (s *Server) getLicense(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	s.mu.Lock()
	l := s.licenses[id]
	var body map[string]any
	if ok && l != nil {
		body = s.managementJSON(l)
	}
	s.mu.Unlock()
	if body == nil {
		writeJSON(w, http.StatusNotFound, detail("Not found."))
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// assignUser answers POST /api/v1/licenses/{id}/assign_user/.
func (s *Server) assignUser(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	id, ok := pathID(r)
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, detail("JSON parse error."))
		return
	}
	if body.Email == "" {
		writeJSON(w, http.StatusBadRequest, map[string][]string{"email": {"This field is required."}})
		return
	}
	s.mu.Lock()
	pw, err := "", errNoLicense
	if ok {
		pw, err = s.assign(id, body.Email, body.Password)
	}
	s.mu.Unlock()
	if err != nil {
		writeStateError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "License assigned.", "new_password": pw})
}

// unassignUser answers POST /api/v1/licenses/{id}/unassign_user/, naming the
// user by license_user_email or license_user_id.
func (s *Server) unassignUser(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Email  string `json:"license_user_email"`
		UserID int64  `json:"license_user_id"`
	}
	id, ok := pathID(r)
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, detail("JSON parse error."))
		return
	}
	s.mu.Lock()
	err := errNoLicense
	if ok {
		err = s.unassign(id, s.emailOf(body.Email, body.UserID))
	}
	s.mu.Unlock()
	if err != nil {
		writeStateError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message": "License unassigned."})
}

// emailOf returns email, or the email of the user with id. The caller holds mu.
func (s *Server) emailOf(email string, id int64) string {
	if email != "" || id == 0 {
		return email
	}
	for _, u := range s.users {
		if u.id == id {
			return u.email
		}
	}
	return ""
}

// managementJSON is a Management API license object. The caller holds mu.
// ASSUMED (the vendor reference): users are listed in license_users,
// each with the initial password, as the platform shows it.
func (s *Server) managementJSON(l *license) map[string]any {
	users := []map[string]any{}
	for _, key := range l.users {
		users = append(users, s.userJSON(s.users[key]))
	}
	var validity any
	if l.ValidityPeriod != "" {
		validity = l.ValidityPeriod
	}
	return map[string]any{
		"id": l.ID, "license_type": l.LicenseType, "is_trial": l.Trial, "validity_period": validity,
		"max_license_users": l.MaxUsers, "product_short_code": l.ProductShortCode,
		"license_active": true, "license_enabled": true, "license_users": users,
	}
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// writeStateError answers a refused change the way LicenseSpring does
// (ASSUMED: {"detail": ...}, 404 for an unknown license, 400 otherwise).
func writeStateError(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	if errors.Is(err, errNoLicense) {
		status = http.StatusNotFound
	}
	msg := map[error]string{
		errNoLicense:   "Not found.",
		errFull:        "License has reached the maximum number of license users.",
		errAlready:     "User is already assigned to this license.",
		errNotAssigned: "License user not found.",
	}[err]
	writeJSON(w, status, detail(msg))
}

func detail(msg string) map[string]string { return map[string]string{"detail": msg} }

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

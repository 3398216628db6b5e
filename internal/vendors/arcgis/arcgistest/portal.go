package arcgistest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// maxProvisionUsers is the most users one provisionUserEntitlements call
// may name.
const maxProvisionUsers = 25

// parseUsers reads a users parameter: a JSON array inside the form field, or
// the comma-separated list the portal also takes.
func parseUsers(v string) ([]string, error) {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "[") {
		var users []string
		if err := json.Unmarshal([]byte(v), &users); err != nil {
			return nil, err
		}
		return users, nil
	}
	var users []string
	for _, u := range strings.Split(v, ",") {
		if u = strings.TrimSpace(u); u != "" {
			users = append(users, u)
		}
	}
	return users, nil
}

func notExist(user string) string {
	return fmt.Sprintf("User '%s' does not exist or is inaccessible.", user)
}

// updateUserLicenseType implements POST portals/self/updateUserLicenseType:
// form users (JSON array) and userLicenseType. A user type without a free
// seat answers status:false for that user.
func (s *Server) updateUserLicenseType(w http.ResponseWriter, _ *http.Request, f form) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	users, err := parseUsers(f.get("users"))
	if err != nil || len(users) == 0 {
		writeError(w, 400, "Unable to update user license type.", "Invalid users parameter.")
		return
	}
	t := f.get("userLicenseType")
	qty, ok := s.typeQty[t]
	if !ok {
		writeError(w, 400, fmt.Sprintf("Invalid user type '%s'.", t))
		return
	}
	results := make([]map[string]any, 0, len(users))
	for _, u := range users {
		m := s.users[u]
		switch {
		case m == nil:
			results = append(results, failed(u, notExist(u)))
		case m.userType == t:
			results = append(results, map[string]any{"username": u, "status": true})
		case s.countType(t) >= qty:
			results = append(results, failed(u, fmt.Sprintf(
				"Unable to assign user type '%s': there are no available licenses (maximum number of %d reached).", t, qty)))
		default:
			m.userType = t
			results = append(results, map[string]any{"username": u, "status": true})
		}
	}
	writeJSON(w, map[string]any{"results": results})
}

func failed(user, message string) map[string]any {
	return map[string]any{"username": user, "status": false,
		"error": map[string]any{"code": 400, "message": message, "details": []string{}}}
}

// userLicenseType implements GET community/users/{user}/userLicenseType.
func (s *Server) userLicenseType(w http.ResponseWriter, r *http.Request, _ form) {
	user := r.PathValue("user")
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.users[user]
	if m == nil {
		// This answer carries its details as a string, not a list.
		writeErrorDetail(w, 400, notExist(user), notExist(user))
		return
	}
	writeJSON(w, map[string]any{"id": m.userType, "name": userTypeNames[m.userType], "apps": []string{}})
}

// provisionRequest is the JSON inside the userEntitlements form field.
type provisionRequest struct {
	Users        []string `json:"users"`
	Entitlements []string `json:"entitlements"`
}

// provisionUserEntitlements implements POST
// content/listings/{item}/provisionUserEntitlements: it sets the named
// users' entitlements to exactly the list given (empty: revoke access).
func (s *Server) provisionUserEntitlements(w http.ResponseWriter, r *http.Request, f form) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if r.PathValue("item") != ProListingID {
		writeError(w, 400, "Item does not exist or is inaccessible.")
		return
	}
	var req provisionRequest
	if err := json.Unmarshal([]byte(f.get("userEntitlements")), &req); err != nil || req.Users == nil {
		writeError(w, 400, "Unable to provision user entitlements.", "Invalid userEntitlements parameter.")
		return
	}
	if len(req.Users) > maxProvisionUsers {
		writeError(w, 400, "Unable to provision user entitlements.",
			fmt.Sprintf("At most %d users can be provisioned per request.", maxProvisionUsers))
		return
	}
	if msg := s.checkProvision(req); msg != "" {
		writeError(w, 400, msg)
		return
	}
	for _, u := range req.Users {
		ents := slices.Clone(req.Entitlements)
		sort.Strings(ents)
		s.users[u].entitlements = slices.Compact(ents)
	}
	// Like the portal, the fake would e-mail the users about their new
	// licenses unless asked not to.
	if f.get("suppressCustomerEmail") != "true" {
		s.customerEmails++
	}
	writeJSON(w, map[string]any{"success": true})
}

// checkProvision returns why req cannot be applied, or "". s.mu is held.
func (s *Server) checkProvision(req provisionRequest) string {
	for _, u := range req.Users {
		if s.users[u] == nil {
			return notExist(u)
		}
	}
	for _, e := range req.Entitlements {
		limit, ok := s.entMax[e]
		if !ok {
			return fmt.Sprintf("Invalid entitlement '%s' for this listing.", e)
		}
		before := s.countEntitlement(e)
		after := before
		for _, u := range req.Users {
			if !slices.Contains(s.users[u].entitlements, e) {
				after++
			}
		}
		if after > limit && after > before {
			return fmt.Sprintf("Unable to provision entitlement '%s': the number of users exceeds the maximum number of users (%d) purchased.", e, limit)
		}
	}
	return ""
}

// userEntitlements implements GET
// content/listings/{item}/userEntitlements/{user}. A member without access to
// the listing gets an empty userEntitlements object.
func (s *Server) userEntitlements(w http.ResponseWriter, r *http.Request, _ form) {
	user := r.PathValue("user")
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.PathValue("item") != ProListingID {
		writeError(w, 400, "Item does not exist or is inaccessible.")
		return
	}
	m := s.users[user]
	if m == nil {
		writeError(w, 400, notExist(user))
		return
	}
	writeJSON(w, map[string]any{"userEntitlements": entitlementEntry(user, m)})
}

// entitlementEntry is a member's userEntitlements entry. A member with no
// entitlement has the list [""], as in the vendor's documentation.
func entitlementEntry(user string, m *member) map[string]any {
	ents := slices.Clone(m.entitlements)
	if len(ents) == 0 {
		ents = []string{""}
	}
	return map[string]any{"username": user, "lastLogin": epochMillis(m.proLastLogin),
		"disconnected": m.disconnected, "entitlements": ents}
}

// epochMillis is a time as the portal sends it: epoch milliseconds, -1 for
// never.
func epochMillis(t time.Time) int64 {
	if t.IsZero() {
		return -1
	}
	return t.UnixMilli()
}

// page reads start (1-based) and num; it answers which slice of n entries
// to return and the nextStart (-1 at the end).
func page(f form, n int) (from, to, next int) {
	start, err := strconv.Atoi(f.get("start"))
	if err != nil || start < 1 {
		start = 1
	}
	num, err := strconv.Atoi(f.get("num"))
	if err != nil || num < 1 {
		num = 10
	}
	num = min(num, 100)
	from = min(start-1, n)
	to = min(from+num, n)
	next = -1
	if to < n {
		next = to + 1
	}
	return from, to, next
}

// allUserEntitlements implements GET content/listings/{item}/userEntitlements:
// the members with access to the listing, paged.
// Members are provisioned on the Pro listing only; another listing has
// none.
func (s *Server) allUserEntitlements(w http.ResponseWriter, r *http.Request, f form) {
	s.mu.Lock()
	defer s.mu.Unlock()
	item := r.PathValue("item")
	if item != ProListingID && !slices.ContainsFunc(s.listings, func(l Listing) bool { return l.ItemID == item }) {
		writeError(w, 400, "Item does not exist or is inaccessible.")
		return
	}
	entries := []map[string]any{}
	for _, u := range s.sortedUsers() {
		if m := s.users[u]; len(m.entitlements) > 0 && item == ProListingID {
			entries = append(entries, entitlementEntry(u, m))
		}
	}
	from, to, next := page(f, len(entries))
	writeJSON(w, map[string]any{"total": len(entries), "start": from + 1, "num": to - from,
		"nextStart": next, "userEntitlements": append([]map[string]any{}, entries[from:to]...)})
}

// orgUsers implements GET portals/self/users: the members, paged.
func (s *Server) orgUsers(w http.ResponseWriter, _ *http.Request, f form) {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := s.sortedUsers()
	from, to, next := page(f, len(names))
	users := make([]map[string]any, 0, to-from)
	for _, u := range names[from:to] {
		users = append(users, map[string]any{"username": u, "orgId": OrgID, "role": "org_user",
			"userLicenseTypeId": s.users[u].userType})
	}
	writeJSON(w, map[string]any{"total": len(names), "start": from + 1, "num": to - from,
		"nextStart": next, "users": users})
}

// releaseLicense implements the portal admin's license/releaseLicense (the
// seed): form username, f=json, token; answers {"status":"success"}.
func (s *Server) releaseLicense(w http.ResponseWriter, _ *http.Request, f form) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	user := f.get("username")
	if user == "" {
		writeAdminError(w, 400, "The username parameter is required.")
		return
	}
	m := s.users[user]
	if m == nil {
		writeAdminError(w, 400, fmt.Sprintf("User '%s' does not exist.", user))
		return
	}
	if s.requireAppID && f.get("appId") == "" {
		writeAdminError(w, 400, "The appId parameter is required.")
		return
	}
	if !m.disconnected {
		writeAdminError(w, 400, fmt.Sprintf("User '%s' does not have a license checked out.", user))
		return
	}
	m.disconnected = false
	s.releases = append(s.releases, user)
	writeJSON(w, map[string]any{"status": "success"})
}

package arcgistest

import (
	"net/http"
	"sort"
	"strings"
)

// purchases implements GET portals/self/purchases: the app listings the
// organisation holds licenses of (ArcGIS Pro and others, never user
// types), trials apart under "trials", each in the documented shape
// {"provision":{itemId, orgId, startDate, endDate, purchased, trial,
// canDisconnect, orgEntitlements:{maxUsers, entitlements:{<name>:{num}}}},
// "listing":{...}}.
func (s *Server) purchases(w http.ResponseWriter, _ *http.Request, _ form) {
	s.mu.Lock()
	defer s.mu.Unlock()
	purchases, trials := []map[string]any{}, []map[string]any{}
	add := func(item, title string, ents map[string]int, trial bool) {
		if len(ents) == 0 {
			return
		}
		total, byName := 0, map[string]any{}
		for e, n := range ents {
			byName[e] = map[string]any{"num": n}
			total += n
		}
		start := s.now().AddDate(-1, 0, 0).UnixMilli()
		entry := map[string]any{
			"listing": map[string]any{"itemId": item, "title": title},
			"provision": map[string]any{"itemId": item, "orgId": OrgID, "startDate": start,
				"endDate": s.now().AddDate(1, 0, 0).UnixMilli(), "purchased": !trial, "trial": trial,
				"canDisconnect":   item == ProListingID,
				"orgEntitlements": map[string]any{"maxUsers": total, "entitlements": byName}},
		}
		if trial {
			trials = append(trials, entry)
		} else {
			purchases = append(purchases, entry)
		}
	}
	add(ProListingID, "ArcGIS Pro", s.entMax, s.proTrial)
	for _, l := range s.listings {
		add(l.ItemID, l.Title, l.Entitlements, l.Trial)
	}
	writeJSON(w, map[string]any{"purchases": purchases, "trials": trials})
}

// adminLicense implements the Enterprise portal admin's GET license: the
// licensed user types with their maximum and current registered members.
func (s *Server) adminLicense(w http.ResponseWriter, _ *http.Request, _ form) {
	s.mu.Lock()
	defer s.mu.Unlock()
	types := make([]string, 0, len(s.typeQty))
	for t := range s.typeQty {
		types = append(types, t)
	}
	sort.Strings(types)
	out := make([]map[string]any, 0, len(types))
	for _, t := range types {
		out = append(out, map[string]any{"id": t, "maximumRegisteredMembers": s.typeQty[t],
			"currentRegisteredMembers": s.countType(t)})
	}
	writeJSON(w, map[string]any{"userTypes": out, "features": []any{}})
}

// userCounts implements GET portals/self/users/counts?type=userLicenseType:
// how many members hold each user type, in one page (nextStart -1).
func (s *Server) userCounts(w http.ResponseWriter, _ *http.Request, f form) {
	if f.get("type") != "userLicenseType" {
		writeError(w, 400, "Invalid type parameter.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	counts := map[string]int{}
	for _, m := range s.users {
		counts[m.userType]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	results := make([]map[string]any, 0, len(keys))
	for _, k := range keys {
		results = append(results, map[string]any{"key": k, "count": counts[k]})
	}
	writeJSON(w, map[string]any{"results": results, "nextStart": -1})
}

// searchUsers implements GET portals/self/users/search?q=...: a fuzzy
// search, as the portal's is. The fake matches every member whose
// username, e-mail or e-mail's local part contains a word of q, ignoring
// case, so that a caller must still pick the exact e-mail from the
// results.
func (s *Server) searchUsers(w http.ResponseWriter, _ *http.Request, f form) {
	words := strings.Fields(strings.ToLower(f.get("q")))
	s.mu.Lock()
	defer s.mu.Unlock()
	var hits []map[string]any
	for _, u := range s.sortedUsers() {
		m := s.users[u]
		local, _, _ := strings.Cut(strings.ToLower(m.email), "@")
		for _, word := range words {
			if strings.Contains(strings.ToLower(u), word) || strings.Contains(strings.ToLower(m.email), word) ||
				(local != "" && strings.Contains(word, local)) {
				hits = append(hits, s.userJSON(u, m))
				break
			}
		}
	}
	from, to, next := page(f, len(hits))
	writeJSON(w, map[string]any{"total": len(hits), "start": from + 1, "num": to - from,
		"nextStart": next, "results": append([]map[string]any{}, hits[from:to]...)})
}

// communityUser implements GET community/users/{user}.
func (s *Server) communityUser(w http.ResponseWriter, r *http.Request, _ form) {
	user := r.PathValue("user")
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.users[user]
	if m == nil {
		writeErrorDetail(w, 400, notExist(user), notExist(user))
		return
	}
	writeJSON(w, s.userJSON(user, m))
}

// userJSON is a member as the sharing API describes one; s.mu is held.
func (s *Server) userJSON(user string, m *member) map[string]any {
	return map[string]any{"username": user, "email": m.email, "fullName": user, "orgId": OrgID,
		"role": "org_user", "userLicenseTypeId": m.userType, "lastLogin": epochMillis(m.lastLogin)}
}

package uipathtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// NeverLicensed is what the allocations read answers for a directory user
// the license service has never known (no allocation ever made, no group
// bundle). The vendor does not document it, so the fake can answer each
// way an adapter must handle.
type NeverLicensed int

const (
	// NeverLicensedNotFound answers 404, as for a user that does not
	// exist: only the Identity service tells the two apart. The default.
	NeverLicensedNotFound NeverLicensed = iota
	// NeverLicensedEmpty answers 200 with no allocations.
	NeverLicensedEmpty
	// NeverLicensedNoContent answers 204 without a body.
	NeverLicensedNoContent
)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	const prefix = "/lease_/api/account/{account}/user-license"
	mux.HandleFunc("GET "+prefix, s.getPools)
	mux.HandleFunc("PUT "+prefix, s.putAllocation)
	mux.HandleFunc("POST "+prefix, s.postAllocations)
	mux.HandleFunc("GET "+prefix+"/user/{user}/allocation", s.getAllocation)
	mux.HandleFunc("GET "+prefix+"/user/{user}/allocations", s.getAllocations)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.problem(w, r, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// getPools answers GET /user-license: the account's pools.
func (s *Server) getPools(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	a := s.accounts[r.PathValue("account")]
	if a == nil || len(a.pools) == 0 {
		s.mu.Unlock()
		s.problem(w, r, http.StatusNotFound, "No account license is allocated for the indicated organization.")
		return
	}
	view := a.poolsView()
	s.mu.Unlock()
	out := make([]map[string]any, len(view))
	for i, p := range view {
		out[i] = map[string]any{"code": p.Code, "allocated": p.Assigned, "total": p.Total}
	}
	writeJSON(w, out)
}

// getAllocation answers GET /user-license/user/{user}/allocation, the older
// read: the user's direct allocations only, nothing held through a group.
func (s *Server) getAllocation(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("user")
	s.mu.Lock()
	u := s.userLocked(r.PathValue("account"), id)
	if u == nil {
		s.mu.Unlock()
		s.problem(w, r, http.StatusNotFound, fmt.Sprintf("User %s was not found.", id))
		return
	}
	bundles := slices.Clone(u.bundles)
	external, email := u.external, u.email
	s.mu.Unlock()
	writeJSON(w, map[string]any{
		"id": id, "email": email, "name": id, "surname": "", "lastInUse": nil,
		"userBundleLicenses": nonNil(bundles), "useExternalLicense": external, "orphan": false,
	})
}

// getAllocations answers GET /user-license/user/{user}/allocations: every
// bundle the user holds, one entry per way it is held (Explicit, or Group
// with the group), each with its last use.
func (s *Server) getAllocations(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("user")
	s.mu.Lock()
	a := s.accounts[r.PathValue("account")]
	u := s.userLocked(r.PathValue("account"), id)
	if u == nil || (!u.licensed && s.opts.NeverLicensed == NeverLicensedNotFound) {
		s.mu.Unlock()
		s.problem(w, r, http.StatusNotFound, fmt.Sprintf("User %s was not found.", id))
		return
	}
	if !u.licensed && s.opts.NeverLicensed == NeverLicensedNoContent {
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	entries := []map[string]any{}
	for _, code := range u.bundles {
		entries = append(entries, allocationEntry(code, "Explicit", nil, u.lastUse[code]))
	}
	for _, gid := range u.groups {
		if g := a.groups[gid]; g != nil {
			for _, code := range g.codes {
				entries = append(entries, allocationEntry(code, "Group", &[2]string{gid, g.name}, u.lastUse[code]))
			}
		}
	}
	body := map[string]any{"id": id, "email": u.email, "name": id, "displayName": id,
		"orphan": false, "allocations": entries}
	s.mu.Unlock()
	writeJSON(w, body)
}

// allocationEntry is one entry of the allocations read; group is nil for
// a direct allocation.
func allocationEntry(code, kind string, group *[2]string, lastUse time.Time) map[string]any {
	e := map[string]any{"code": code, "allocationType": kind, "groupId": nil, "groupName": nil, "lastInUse": nil}
	if group != nil {
		e["groupId"], e["groupName"] = group[0], group[1]
	}
	if !lastUse.IsZero() {
		e["lastInUse"] = lastUse.UTC().Format(time.RFC3339)
	}
	return e
}

// allocationBody is the body of PUT (and, userIds only, POST) /user-license.
type allocationBody struct {
	UserIDs            []string  `json:"userIds"`
	UserBundleCodes    *[]string `json:"userBundleCodes"`
	UseExternalLicense bool      `json:"useExternalLicense"`
}

// putAllocation answers PUT /user-license: it replaces the direct bundles of
// every listed user, all or nothing.
func (s *Server) putAllocation(w http.ResponseWriter, r *http.Request) {
	var body allocationBody
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.UserIDs) == 0 || body.UserBundleCodes == nil {
		s.problem(w, r, http.StatusBadRequest, "The request body must carry userIds and userBundleCodes.")
		return
	}
	codes := dedupe(*body.UserBundleCodes)
	accountID := r.PathValue("account")

	s.mu.Lock()
	a := s.accounts[accountID]
	if a == nil || len(a.pools) == 0 {
		s.mu.Unlock()
		s.problem(w, r, http.StatusNotFound, "No account license is allocated for the indicated organization.")
		return
	}
	for _, id := range body.UserIDs {
		if a.users[id] == nil {
			s.mu.Unlock()
			s.problem(w, r, http.StatusBadRequest, fmt.Sprintf("User %s does not belong to the organization.", id))
			return
		}
	}
	if msg := a.overAllocation(dedupe(body.UserIDs), codes); msg != "" {
		s.mu.Unlock()
		s.problem(w, r, http.StatusConflict, msg)
		return
	}
	out := make([]map[string]any, 0, len(body.UserIDs))
	for _, id := range dedupe(body.UserIDs) {
		u := a.users[id]
		a.update(u, func() {
			u.bundles = slices.Clone(codes)
			u.external = body.UseExternalLicense
			u.licensed = true
		})
		out = append(out, map[string]any{
			"userId": id, "organizationId": accountID,
			"useExternalLicense": body.UseExternalLicense, "userBundleCodes": nonNil(slices.Clone(codes)),
		})
	}
	s.mu.Unlock()
	writeJSON(w, out)
}

// overAllocation says why giving codes to users (replacing their direct
// allocations) is refused, or "" when it fits: an unknown code, or a pool
// whose allocation would grow past its total. A user holding a code through
// a group takes no second seat for a direct copy. Like the vendor, it does
// not say which code, nor whether the code exists.
func (a *account) overAllocation(users, codes []string) string {
	for _, code := range codes {
		total, ok := a.pools[code]
		if !ok {
			return "The license allocation is not allowed because it exceeds the account license quantities."
		}
		gained := 0
		for _, id := range users {
			if !slices.Contains(a.holds(a.users[id]), code) {
				gained++
			}
		}
		if gained > 0 && a.allocated(code)+gained > total {
			return "The license allocation is not allowed because it exceeds the account license quantities."
		}
	}
	return ""
}

// postAllocations answers POST /user-license, the read-only operation on the
// same path: the allocations of the listed users. It changes nothing, so an
// adapter that POSTs an allocation sees it not applied.
func (s *Server) postAllocations(w http.ResponseWriter, r *http.Request) {
	var body allocationBody
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.UserIDs) == 0 {
		s.problem(w, r, http.StatusBadRequest, "The request body must carry userIds.")
		return
	}
	accountID := r.PathValue("account")
	s.mu.Lock()
	out := []map[string]any{}
	if a := s.accounts[accountID]; a != nil {
		for _, id := range body.UserIDs {
			if u := a.users[id]; u != nil {
				out = append(out, map[string]any{
					"userId": id, "organizationId": accountID,
					"useExternalLicense": u.external, "userBundleCodes": nonNil(slices.Clone(u.bundles)),
				})
			}
		}
	}
	s.mu.Unlock()
	writeJSON(w, out)
}

// problem answers status with an ASP.NET ProblemDetails body.
func (s *Server) problem(w http.ResponseWriter, r *http.Request, status int, detail string) {
	if s.opts.LeakyErrors {
		if auth := r.Header.Get("Authorization"); auth != "" {
			detail += " (request had Authorization: " + auth + ")"
		}
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{
		"type":   fmt.Sprintf("https://httpstatuses.io/%d", status),
		"title":  http.StatusText(status),
		"status": status,
		"detail": detail,
	})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(v)
}

func dedupe(xs []string) []string {
	out := []string{}
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

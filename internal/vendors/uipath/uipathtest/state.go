package uipathtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// account is one organisation: its pools (bundle code -> total) and its
// users' direct allocations. An account without pools has no license.
type account struct {
	pools map[string]int
	users map[string]*user
	// inUse counts the users holding each code, kept by setBundles so that
	// a PUT's capacity check does not scan every user.
	inUse map[string]int
}

// setBundles replaces what u holds, keeping the counts.
func (a *account) setBundles(u *user, codes []string) {
	for _, c := range u.bundles {
		a.inUse[c]--
	}
	u.bundles = codes
	for _, c := range codes {
		a.inUse[c]++
	}
}

type user struct {
	bundles  []string
	external bool
}

func (s *Server) accountLocked(id string) *account {
	a := s.accounts[id]
	if a == nil {
		a = &account{pools: make(map[string]int), users: make(map[string]*user), inUse: make(map[string]int)}
		s.accounts[id] = a
	}
	return a
}

// AddUser makes user known in account (created if need be), holding nothing.
// A user already known keeps its bundles.
func (s *Server) AddUser(accountID, userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accountLocked(accountID)
	if a.users[userID] == nil {
		a.users[userID] = &user{}
	}
}

// SetPool sets the total of the code pool of account (created if need be),
// which licenses the account. Allocations already made are kept, even past
// a lowered total.
func (s *Server) SetPool(accountID, code string, total int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accountLocked(accountID).pools[code] = total
}

// Held returns the bundle codes user holds in account, sorted; nil for an
// unknown user.
func (s *Server) Held(accountID, userID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[accountID]
	if a == nil || a.users[userID] == nil {
		return nil
	}
	out := slices.Clone(a.users[userID].bundles)
	sort.Strings(out)
	return out
}

// Pools returns account's pools, sorted by code.
func (s *Server) Pools(accountID string) []events.Pool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[accountID]
	if a == nil {
		return nil
	}
	return a.poolsView()
}

func (a *account) allocated(code string) int { return a.inUse[code] }

func (a *account) poolsView() []events.Pool {
	out := make([]events.Pool, 0, len(a.pools))
	for code, total := range a.pools {
		n := a.allocated(code)
		out = append(out, events.Pool{Code: code, Total: total, Assigned: n, Free: max(total-n, 0)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	const prefix = "/lease_/api/account/{account}/user-license"
	mux.HandleFunc("GET "+prefix, s.getPools)
	mux.HandleFunc("PUT "+prefix, s.putAllocation)
	mux.HandleFunc("POST "+prefix, s.postAllocations)
	mux.HandleFunc("GET "+prefix+"/user/{user}/allocation", s.getAllocation)
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

// getAllocation answers GET /user-license/user/{user}/allocation.
func (s *Server) getAllocation(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("user")
	s.mu.Lock()
	var u *user
	if a := s.accounts[r.PathValue("account")]; a != nil {
		u = a.users[id]
	}
	if u == nil {
		s.mu.Unlock()
		s.problem(w, r, http.StatusNotFound, fmt.Sprintf("User %s was not found.", id))
		return
	}
	bundles := slices.Clone(u.bundles)
	external := u.external
	s.mu.Unlock()
	writeJSON(w, map[string]any{
		"id":                 id,
		"email":              id + "@example.com",
		"name":               id,
		"surname":            "",
		"lastInUse":          nil,
		"userBundleLicenses": nonNil(bundles),
		"useExternalLicense": external,
		"orphan":             false,
	})
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
		a.setBundles(a.users[id], slices.Clone(codes))
		a.users[id].external = body.UseExternalLicense
		out = append(out, map[string]any{
			"userId": id, "organizationId": accountID,
			"useExternalLicense": body.UseExternalLicense, "userBundleCodes": nonNil(slices.Clone(codes)),
		})
	}
	s.mu.Unlock()
	writeJSON(w, out)
}

// overAllocation says why giving codes to users (replacing what they hold)
// is refused, or "" when it fits: an unknown code, or a pool whose
// allocation would grow past its total. Like the vendor, it does not say
// which code.
func (a *account) overAllocation(users, codes []string) string {
	for _, code := range codes {
		total, ok := a.pools[code]
		if !ok {
			return "The license allocation is not allowed because it exceeds the account license quantities."
		}
		gained := 0
		for _, id := range users {
			if !slices.Contains(a.users[id].bundles, code) {
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

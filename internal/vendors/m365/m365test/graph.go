package m365test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Graph's 400 messages for license assignment. ASSUMED: Graph documents the
// codes, not the wording; these are the messages Graph is reported to use.
const (
	msgNoSeats        = "Subscription with SKU %s does not have any available licenses."
	msgUnknownSKU     = "License %s does not correspond to a valid company License."
	msgUsageLocation  = "License assignment cannot be done for user with invalid usage location."
	msgGroupInherited = "User license is inherited from a group membership and it cannot be removed directly from the user."
	msgNotHeld        = "User does not have a corresponding license."
	msgMissingArray   = "Invalid value specified for property '%s' of resource 'User'."
	msgNothingToDo    = "At least one license must be added or removed."
)

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// serveGraph routes an authenticated Graph call.
func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request) {
	segs, err := userSegments(strings.Split(strings.TrimPrefix(r.URL.EscapedPath(), "/v1.0/"), "/"))
	if err != nil {
		writeGraphError(w, http.StatusBadRequest, "BadRequest", err.Error())
		return
	}
	switch {
	case len(segs) == 1 && segs[0] == "users":
		if allow(w, r, http.MethodGet) {
			s.listUsers(w, r)
		}
	case len(segs) == 1 && segs[0] == "subscribedSkus":
		if allow(w, r, http.MethodGet) {
			s.subscribedSkus(w)
		}
	case len(segs) == 3 && segs[0] == "users" && segs[2] == "licenseDetails":
		if allow(w, r, http.MethodGet) {
			s.licenseDetails(w, segs[1])
		}
	case len(segs) == 3 && segs[0] == "users" && segs[2] == "assignLicense":
		if allow(w, r, http.MethodPost) {
			s.assignLicense(w, r, segs[1])
		}
	case len(segs) == 2 && segs[0] == "users":
		if allow(w, r, http.MethodGet) {
			s.getUser(w, r, segs[1])
		}
	default:
		writeGraphError(w, http.StatusBadRequest, "BadRequest",
			fmt.Sprintf("Resource not found for the segment '%s'.", segs[len(segs)-1]))
	}
}

func allow(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	writeGraphError(w, http.StatusMethodNotAllowed, "Request_BadRequest", "The requested method is not allowed.")
	return false
}

// lookupUser resolves an escaped path segment to a user, answering 404 if
// there is none. The caller holds s.mu.
func (s *Server) lookupUser(w http.ResponseWriter, seg string) *user {
	ref, err := url.PathUnescape(seg)
	if err == nil {
		if u := s.findUser(ref); u != nil {
			return u
		}
	}
	writeGraphError(w, http.StatusNotFound, "Request_ResourceNotFound", fmt.Sprintf(
		"Resource '%s' does not exist or one of its queried reference-property objects are not present.", ref))
	return nil
}

func (s *Server) subscribedSkus(w http.ResponseWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	value := make([]map[string]any, len(s.skus))
	for i, k := range s.skus {
		value[i] = map[string]any{
			"capabilityStatus": "Enabled",
			"consumedUnits":    s.consumed(k),
			"id":               TenantID + "_" + k.id,
			"prepaidUnits":     map[string]int{"enabled": k.enabled, "suspended": k.suspended, "warning": k.warning, "lockedOut": 0},
			"servicePlans":     servicePlans(k),
			"skuId":            k.id,
			"skuPartNumber":    k.part,
			"appliesTo":        k.appliesTo,
			"accountId":        TenantID,
			"accountName":      "Contoso",
			"subscriptionIds":  []string{guidFor("subscription", k.part)},
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#subscribedSkus", "value": value})
}

func (s *Server) licenseDetails(w http.ResponseWriter, seg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(w, seg)
	if u == nil {
		return
	}
	value := []map[string]any{}
	for _, k := range s.skus {
		if !u.holds(k.id) {
			continue
		}
		value = append(value, map[string]any{
			"id":            base64.RawURLEncoding.EncodeToString([]byte(u.id + k.id)),
			"skuId":         k.id,
			"skuPartNumber": k.part,
			"servicePlans":  servicePlans(k),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context": fmt.Sprintf("https://graph.microsoft.com/v1.0/$metadata#users('%s')/licenseDetails", u.id),
		"value":          value})
}

// getUser answers GET /users/{id}, with only the properties $select names
// when it names some (licenseAssignmentStates and signInActivity are
// returned only then, as Graph does).
func (s *Server) getUser(w http.ResponseWriter, r *http.Request, seg string) {
	selected := strings.Split(r.URL.Query().Get("$select"), ",")
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.lookupUser(w, seg)
	if u == nil {
		return
	}
	obj := s.userObject(u)
	if len(selected) == 1 && selected[0] == "" {
		writeJSON(w, http.StatusOK, obj)
		return
	}
	obj["licenseAssignmentStates"] = s.assignmentStates(u)
	if slices.Contains(selected, "signInActivity") {
		if s.opts.NoPremium {
			writeGraphError(w, http.StatusForbidden, "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
				"Neither tenant is B2C or tenant doesn't have premium license")
			return
		}
		obj["signInActivity"] = signInActivity(u)
	}
	out := map[string]any{"@odata.context": obj["@odata.context"], "id": u.id}
	for _, name := range selected {
		if v, ok := obj[strings.TrimSpace(name)]; ok {
			out[strings.TrimSpace(name)] = v
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// assignmentStates is a user's licenseAssignmentStates: one entry per
// direct assignment (assignedByGroup null) and one per group that gives a
// SKU. The caller holds s.mu.
func (s *Server) assignmentStates(u *user) []map[string]any {
	out := []map[string]any{}
	entry := func(k *sku, group any) map[string]any {
		return map[string]any{"assignedByGroup": group, "disabledPlans": []string{}, "error": "None",
			"lastUpdatedDateTime": "2026-11-01T08:00:00Z", "skuId": k.id, "state": "Active"}
	}
	for _, k := range s.skus {
		if u.direct[k.id] {
			out = append(out, entry(k, nil))
		}
		if g := u.group[k.id]; g != "" {
			out = append(out, entry(k, g))
		}
	}
	return out
}

func signInActivity(u *user) map[string]any {
	var last any
	if !u.lastSignIn.IsZero() {
		last = u.lastSignIn.UTC().Format(time.RFC3339)
	}
	return map[string]any{"lastSignInDateTime": last, "lastNonInteractiveSignInDateTime": last,
		"lastSuccessfulSignInDateTime": last}
}

// assignLicense applies one addLicenses/removeLicenses change, all or
// nothing, after Graph's checks.
func (s *Server) assignLicense(w http.ResponseWriter, r *http.Request, seg string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	s.bodies = append(s.bodies, body)
	u := s.lookupUser(w, seg)
	if u == nil {
		return
	}
	var add, remove []string
	if err == nil {
		add, remove, err = parseAssign(body)
	}
	if err != nil {
		writeGraphError(w, http.StatusBadRequest, "Request_BadRequest", err.Error())
		return
	}
	if msg := s.checkAssign(u, add, remove); msg != "" {
		writeGraphError(w, http.StatusBadRequest, "Request_BadRequest", msg)
		return
	}
	for _, id := range add {
		u.direct[strings.ToLower(id)] = true
	}
	for _, id := range remove {
		delete(u.direct, strings.ToLower(id))
	}
	writeJSON(w, http.StatusOK, s.userObject(u))
}

// parseAssign reads an assignLicense body; both arrays must be present
// (null counts as missing) and not both empty.
func parseAssign(body []byte) (add, remove []string, err error) {
	var raw map[string]json.RawMessage
	if json.Unmarshal(body, &raw) != nil {
		return nil, nil, errors.New("Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")
	}
	var adds []struct {
		SkuID         string   `json:"skuId"`
		DisabledPlans []string `json:"disabledPlans"`
	}
	for _, f := range []struct {
		name string
		dst  any
	}{{"addLicenses", &adds}, {"removeLicenses", &remove}} {
		v, ok := raw[f.name]
		if !ok || string(v) == "null" || json.Unmarshal(v, f.dst) != nil {
			return nil, nil, fmt.Errorf(msgMissingArray, f.name)
		}
	}
	if len(adds) == 0 && len(remove) == 0 {
		return nil, nil, errors.New(msgNothingToDo)
	}
	for _, a := range adds {
		add = append(add, a.SkuID)
	}
	return add, remove, nil
}

// checkAssign returns Graph's refusal of a change, or "". The caller holds
// s.mu.
func (s *Server) checkAssign(u *user, add, remove []string) string {
	for _, id := range append(append([]string(nil), add...), remove...) {
		if !guidPattern.MatchString(id) || s.skuByID(id) == nil {
			return fmt.Sprintf(msgUnknownSKU, id)
		}
	}
	for _, id := range remove {
		id = strings.ToLower(id)
		switch {
		case u.group[id] != "" && !u.direct[id]:
			return msgGroupInherited
		case !u.direct[id]:
			return msgNotHeld
		}
	}
	if len(add) > 0 && u.usageLocation == "" {
		return msgUsageLocation
	}
	for _, id := range add {
		k := s.skuByID(id)
		if !u.holds(k.id) && s.consumed(k) >= k.enabled {
			return fmt.Sprintf(msgNoSeats, k.id)
		}
	}
	return ""
}

// userObject is the user resource Graph returns. The caller holds s.mu.
func (s *Server) userObject(u *user) map[string]any {
	assigned := []map[string]any{}
	for _, k := range s.skus {
		if u.holds(k.id) {
			assigned = append(assigned, map[string]any{"skuId": k.id, "disabledPlans": []string{}})
		}
	}
	var loc any
	if u.usageLocation != "" {
		loc = u.usageLocation
	}
	return map[string]any{
		"@odata.context":    "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
		"id":                u.id,
		"businessPhones":    []string{},
		"displayName":       u.displayName,
		"userPrincipalName": u.upn,
		"mail":              u.mail,
		"usageLocation":     loc,
		"assignedLicenses":  assigned,
	}
}

func servicePlans(k *sku) []map[string]any {
	return []map[string]any{{
		"servicePlanId":      guidFor("plan", k.part),
		"servicePlanName":    k.part + "_CORE",
		"provisioningStatus": "Success",
		"appliesTo":          "User",
	}}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeGraphError writes Graph's error body, innerError included.
func writeGraphError(w http.ResponseWriter, status int, code, msg string) {
	id := guidFor("request", time.Now().String())
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code":    code,
		"message": msg,
		"innerError": map[string]string{
			"date":              time.Now().UTC().Format("2006-01-02T15:04:05"),
			"request-id":        id,
			"client-request-id": id,
		},
	}})
}

package uipath

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"
)

// allocations is the answer of GET /user-license/user/{userId}/allocations:
// every bundle the user holds, one entry per way it is held.
//
// ASSUMED: the reference documents the answer's top level only. The entries'
// fields are read as {"code","allocationType":"Explicit"|"Group","groupId",
// "groupName","lastInUse"}; useExternalLicense is read should the answer
// carry it (absent, the PUT sends false). Change the reading here, and only
// here, if the service answers otherwise.
type allocations struct {
	ID                 string            `json:"id"`
	Email              string            `json:"email"`
	Allocations        []allocationEntry `json:"allocations"`
	UseExternalLicense bool              `json:"useExternalLicense"`
}

type allocationEntry struct {
	Code           string `json:"code"`
	AllocationType string `json:"allocationType"`
	GroupID        string `json:"groupId"`
	GroupName      string `json:"groupName"`
	LastInUse      string `json:"lastInUse"`
}

// direct reports whether e is the user's own allocation rather than one
// through a group (or any other rule the service may add).
func (e allocationEntry) direct() bool { return strings.EqualFold(e.AllocationType, "Explicit") }

// group names the group of e: its name where the service tells, else its id.
func (e allocationEntry) group() string {
	if e.GroupName != "" {
		return e.GroupName
	}
	return e.GroupID
}

// lastUsed is e's last use; zero when the service reports none or a time
// it cannot read (a last use is information, never a reason to fail).
func (e allocationEntry) lastUsed() time.Time {
	t, err := time.Parse(time.RFC3339Nano, e.LastInUse)
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// UnmarshalJSON reads the answer's documented object, and a bare list of
// entries (or an empty list) as the answer for a user holding that.
func (a *allocations) UnmarshalJSON(data []byte) error {
	if trimmed := bytes.TrimSpace(data); len(trimmed) > 0 && trimmed[0] == '[' {
		*a = allocations{}
		return json.Unmarshal(trimmed, &a.Allocations)
	}
	type plain allocations
	return json.Unmarshal(data, (*plain)(a))
}

// allocateRequest is the body of PUT /user-license.
type allocateRequest struct {
	UserIDs            []string `json:"userIds"`
	UserBundleCodes    []string `json:"userBundleCodes"`
	UseExternalLicense bool     `json:"useExternalLicense"`
}

// allocated is one entry of the PUT's answer.
type allocated struct {
	UserID             string   `json:"userId"`
	OrganizationID     string   `json:"organizationId"`
	UseExternalLicense bool     `json:"useExternalLicense"`
	UserBundleCodes    []string `json:"userBundleCodes"`
}

// pool is one entry of GET /user-license.
type pool struct {
	Code      string `json:"code"`
	Allocated int    `json:"allocated"`
	Total     int    `json:"total"`
}

// free is never negative, even for a pool allocated past its total.
func (p pool) free() int { return max(p.Total-p.Allocated, 0) }

package m365

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Graph's wire types, limited to the fields seatkeeper reads.
type (
	subscribedSku struct {
		SkuID         string `json:"skuId"`
		SkuPartNumber string `json:"skuPartNumber"`
		ConsumedUnits int    `json:"consumedUnits"`
		AppliesTo     string `json:"appliesTo"`
		PrepaidUnits  struct {
			Enabled   int `json:"enabled"`
			Suspended int `json:"suspended"`
			Warning   int `json:"warning"`
		} `json:"prepaidUnits"`
	}
	// assignmentState is one entry of a user's licenseAssignmentStates:
	// assignedByGroup is null for a direct assignment, else the group's
	// object id.
	assignmentState struct {
		SkuID           string  `json:"skuId"`
		AssignedByGroup *string `json:"assignedByGroup"`
		State           string  `json:"state"`
	}
	signInActivity struct {
		LastSignIn           *time.Time `json:"lastSignInDateTime"`
		LastNonInteractive   *time.Time `json:"lastNonInteractiveSignInDateTime"`
		LastSuccessfulSignIn *time.Time `json:"lastSuccessfulSignInDateTime"`
	}
	licensedUser struct {
		ID                      string            `json:"id"`
		LicenseAssignmentStates []assignmentState `json:"licenseAssignmentStates"`
		SignInActivity          *signInActivity   `json:"signInActivity"`
	}
	assignedLicense struct {
		SkuID         string   `json:"skuId"`
		DisabledPlans []string `json:"disabledPlans"`
	}
	// assignLicenseBody always carries both arrays: Graph refuses a body
	// without either one (see newAssignLicenseBody).
	assignLicenseBody struct {
		AddLicenses    []assignedLicense `json:"addLicenses"`
		RemoveLicenses []string          `json:"removeLicenses"`
	}
)

// holdsSeat reports whether a licenseAssignmentStates entry takes a seat.
//
// ASSUMED: Graph documents the states (Active, ActiveWithError, Disabled,
// Error) but not which of them hold a seat. A group assignment in Error
// (CountViolation, MutuallyExclusiveViolation, ...) is read as none; a
// direct assignment is always held, so that a release still removes it.
// Change it here if Graph counts them otherwise.
func holdsSeat(s assignmentState) bool {
	if s.AssignedByGroup == nil {
		return true
	}
	switch s.State {
	case "", "Active", "ActiveWithError":
		return true
	}
	return false
}

// lastUse is the user's latest sign-in, interactive or not: Graph reports
// sign-ins per user, so it stands for every seat of the user.
func (a *signInActivity) lastUse() time.Time {
	var last time.Time
	if a == nil {
		return last
	}
	for _, t := range []*time.Time{a.LastSignIn, a.LastNonInteractive, a.LastSuccessfulSignIn} {
		if t != nil && t.After(last) {
			last = t.UTC()
		}
	}
	return last
}

// newAssignLicenseBody builds a body whose two arrays are never null, so
// they encode as [] rather than null or not at all.
func newAssignLicenseBody(add, remove []string) assignLicenseBody {
	b := assignLicenseBody{AddLicenses: []assignedLicense{}, RemoveLicenses: []string{}}
	for _, id := range add {
		b.AddLicenses = append(b.AddLicenses, assignedLicense{SkuID: id, DisabledPlans: []string{}})
	}
	b.RemoveLicenses = append(b.RemoveLicenses, remove...)
	return b
}

// userLicenses reads what user holds, directly or from a group, from the
// user's licenseAssignmentStates (licenseDetails does not say which), with
// the last sign-in where the tenant can tell.
func (c *Client) userLicenses(ctx context.Context, user string) (heldSet, error) {
	var u licensedUser
	read := func(fields string) error {
		return c.do(ctx, call{op: "user", method: http.MethodGet,
			path: userPath(user, "?$select="+fields), out: &u, notFound: vendors.ErrUserNotFound})
	}
	var err error
	if c.noSignIns.Load() {
		err = read("id,licenseAssignmentStates")
	} else if err = read("id,licenseAssignmentStates,signInActivity"); errors.Is(err, vendors.ErrForbidden) {
		// signInActivity needs Entra ID P1/P2 and AuditLog.Read.All;
		// without them the rest is still readable. Only when it is does
		// the refusal concern the sign-ins, which are not asked for again.
		if err = read("id,licenseAssignmentStates"); err == nil {
			c.noSignIns.Store(true)
		}
	}
	if err != nil {
		return heldSet{}, err
	}
	return c.newHeldSet(ctx, u)
}

// assignLicense adds and removes SKUs (skuIds) in one call, which Graph
// applies all or nothing.
func (c *Client) assignLicense(ctx context.Context, user string, add, remove []string) error {
	return c.do(ctx, call{op: "assignLicense", method: http.MethodPost,
		path: userPath(user, "/assignLicense"), body: newAssignLicenseBody(add, remove),
		notFound: vendors.ErrUserNotFound})
}

// userPath is the path of a user's resource; user is a UPN or object id.
// A UPN starting with $ is written users('...'), because Graph reads a
// segment starting with $ as one of its own.
func userPath(user, rest string) string {
	if strings.HasPrefix(user, "$") {
		return "/users('" + url.PathEscape(strings.ReplaceAll(user, "'", "''")) + "')" + rest
	}
	return "/users/" + url.PathEscape(user) + rest
}

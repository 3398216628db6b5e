package vendortest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Fidelity is what the fidelity cases need besides the Harness.
type Fidelity struct {
	// UnknownCode is a well-formed license code that names no license at
	// the vendor.
	UnknownCode string
	// CaseInsensitiveIDs is set for a vendor whose user ids compare
	// without regard to case (e-mails, GUIDs): a command may spell the
	// user in another case than the vendor stores it. Vendors with
	// case-sensitive ids leave it false and skip that case.
	CaseInsensitiveIDs bool
	// NewStoredUser, when set, creates a user the vendor stores in a
	// spelling of its own (mixed case) and returns that spelling; nil
	// uses Harness.NewUser.
	NewStoredUser func(t *testing.T) string
}

// RunFidelity checks that a dry run reports exactly what the real command
// would (an unknown code as license_not_found, a full pool as
// capacity_exhausted) and, for vendors with case-insensitive ids, that a
// user spelled in another case is the same user.
func RunFidelity(t *testing.T, h Harness, f Fidelity) {
	t.Helper()
	ctx := context.Background()
	req := func(user string, dry bool, codes ...string) vendors.Request {
		return vendors.Request{Account: h.Account, User: user, Licenses: codes, DryRun: dry}
	}

	t.Run("dry_run_reports_unknown_code", func(t *testing.T) {
		user := h.NewUser(t)
		writes := h.Writes()
		_, dryErr := h.Vendor.Assign(ctx, req(user, true, h.Codes[1], f.UnknownCode))
		if !errors.Is(dryErr, vendors.ErrLicenseNotFound) {
			t.Errorf("dry assign of unknown %s: err = %v, want ErrLicenseNotFound", f.UnknownCode, dryErr)
		}
		if got := h.Writes(); got != writes {
			t.Errorf("dry run made %d write calls, want 0", got-writes)
		}
		_, realErr := h.Vendor.Assign(ctx, req(user, false, f.UnknownCode))
		if vendors.Code(realErr) != vendors.Code(dryErr) {
			t.Errorf("real assign of %s fails %q (%v), the dry run %q", f.UnknownCode, vendors.Code(realErr), realErr, vendors.Code(dryErr))
		}
		sameReleaseAnswer(t, h, user, f.UnknownCode)
	})

	t.Run("dry_run_reports_full_pool", func(t *testing.T) {
		user := h.NewUser(t)
		writes := h.Writes()
		_, dryErr := h.Vendor.Assign(ctx, req(user, true, h.Codes[1], h.FullCode))
		if !errors.Is(dryErr, vendors.ErrCapacity) || vendors.Retryable(dryErr) {
			t.Errorf("dry assign of full %s: err = %v, want ErrCapacity (permanent)", h.FullCode, dryErr)
		}
		if got := h.Writes(); got != writes {
			t.Errorf("dry run made %d write calls, want 0", got-writes)
		}
		_, realErr := h.Vendor.Assign(ctx, req(user, false, h.FullCode))
		if vendors.Code(realErr) != vendors.Code(dryErr) {
			t.Errorf("real assign of %s fails %q (%v), the dry run %q", h.FullCode, vendors.Code(realErr), realErr, vendors.Code(dryErr))
		}
	})

	if f.CaseInsensitiveIDs {
		t.Run("user_in_another_case", func(t *testing.T) {
			runOtherCase(t, h, f)
		})
	}
}

// sameReleaseAnswer checks that a dry release of code answers what the
// real release then does.
func sameReleaseAnswer(t *testing.T, h Harness, user, code string) {
	t.Helper()
	ctx := context.Background()
	r := vendors.Request{Account: h.Account, User: user, Licenses: []string{code}}
	dry := r
	dry.DryRun = true
	dryOut, dryErr := h.Vendor.Release(ctx, dry)
	realOut, realErr := h.Vendor.Release(ctx, r)
	if (dryErr == nil) != (realErr == nil) || (dryErr != nil && vendors.Code(dryErr) != vendors.Code(realErr)) {
		t.Errorf("release of %s: dry run err %v, real err %v; want the same answer", code, dryErr, realErr)
		return
	}
	if dryErr == nil && statusOf(dryOut, code) != statusOf(realOut, code) {
		t.Errorf("release of %s: dry run %q, real %q; want the same", code, statusOf(dryOut, code), statusOf(realOut, code))
	}
}

func statusOf(out vendors.Outcome, code string) string {
	for _, l := range out.Licenses {
		if l.Code == code {
			return l.Status
		}
	}
	return ""
}

// runOtherCase assigns to a user as the vendor stores it, then addresses
// the user in another case: the assign finds the seat held, the list
// shows it, the release frees it.
func runOtherCase(t *testing.T, h Harness, f Fidelity) {
	ctx := context.Background()
	stored := h.NewUser(t)
	if f.NewStoredUser != nil {
		stored = f.NewStoredUser(t)
	}
	other := swapCase(stored)
	if other == stored {
		t.Fatalf("user %q has no letter to change the case of", stored)
	}
	req := func(user string, dry bool, codes ...string) vendors.Request {
		return vendors.Request{Account: h.Account, User: user, Licenses: codes, DryRun: dry}
	}
	a := h.Codes[0]
	mustOutcome(t, "assign", h.Vendor.Assign, ctx, req(stored, false, a))

	writes := h.Writes()
	out := mustOutcome(t, "dry assign in another case", h.Vendor.Assign, ctx, req(other, true, a))
	wantStatuses(t, out, map[string]string{a: events.StatusAlreadyAssigned})
	out = mustOutcome(t, "assign in another case", h.Vendor.Assign, ctx, req(other, false, a))
	wantStatuses(t, out, map[string]string{a: events.StatusAlreadyAssigned})
	if got := h.Writes(); got != writes {
		t.Errorf("assign of a held license in another case made %d write calls, want 0", got-writes)
	}
	held, err := h.Vendor.List(ctx, h.Account, other)
	if err != nil {
		t.Fatalf("List(%s): %v", other, err)
	}
	if !slices.Contains(events.Codes(held), a) {
		t.Errorf("List(%s) = %v, want %s held", other, events.Codes(held), a)
	}
	out = mustOutcome(t, "release in another case", h.Vendor.Release, ctx, req(other, false, a))
	wantStatuses(t, out, map[string]string{a: events.StatusReleased})
	if slices.Contains(h.Held(t, stored), a) {
		t.Errorf("after a release in another case the fake still shows %s held by %s", a, stored)
	}
}

// swapCase changes the case of every letter of s.
func swapCase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, s)
}

// DirectoryCase binds an adapter's Directory to its fake.
type DirectoryCase struct {
	Directory vendors.Directory
	Account   string
	// NewMember adds a user with a fresh e-mail and returns the e-mail as
	// the vendor stores it and the id FindUser must answer.
	NewMember func(t *testing.T) (email, id string)
	// Share, when set, adds a second user with email (e-mails are not
	// unique at the vendor); nil for a vendor where they are.
	Share func(t *testing.T, email string)
	// Unknown is an e-mail no user has and the answer FindUser gives for
	// it: vendors.ErrUserNotFound, or the e-mail itself for a vendor whose
	// users are their e-mails and come into being on first assignment.
	Unknown string
	// UnknownIsUser says that FindUser answers Unknown with the e-mail
	// itself rather than ErrUserNotFound.
	UnknownIsUser bool
}

// RunDirectory checks FindUser: an exact match in any case, no match and
// several matches.
func RunDirectory(t *testing.T, d DirectoryCase) {
	t.Helper()
	ctx := context.Background()
	t.Run("finds_member_in_any_case", func(t *testing.T) {
		email, id := d.NewMember(t)
		for _, spelled := range []string{email, swapCase(email), strings.ToUpper(email)} {
			got, err := d.Directory.FindUser(ctx, d.Account, spelled)
			if err != nil || got != id {
				t.Errorf("FindUser(%s) = %q, %v; want %q", spelled, got, err, id)
			}
		}
	})
	t.Run("unknown_email", func(t *testing.T) {
		got, err := d.Directory.FindUser(ctx, d.Account, d.Unknown)
		switch {
		case d.UnknownIsUser && (err != nil || got != d.Unknown):
			t.Errorf("FindUser(%s) = %q, %v; want the e-mail itself", d.Unknown, got, err)
		case !d.UnknownIsUser && !errors.Is(err, vendors.ErrUserNotFound):
			t.Errorf("FindUser(%s) = %q, %v; want ErrUserNotFound", d.Unknown, got, err)
		}
	})
	if d.Share != nil {
		t.Run("shared_email_is_ambiguous", func(t *testing.T) {
			email, _ := d.NewMember(t)
			d.Share(t, email)
			got, err := d.Directory.FindUser(ctx, d.Account, email)
			if !errors.Is(err, vendors.ErrAmbiguousUser) || vendors.Retryable(err) {
				t.Errorf("FindUser(%s) with two members = %q, %v; want ErrAmbiguousUser", email, got, err)
			}
		})
	}
}

// Package vendortest is the conformance suite every vendor adapter runs
// against its own fake: the same promises, checked the same way, for every
// vendor.
package vendortest

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// Harness binds an adapter to its fake for the suite.
type Harness struct {
	// Vendor is the adapter, pointed at the fake.
	Vendor vendors.Vendor
	// Account is the account to name in requests ("" uses the default).
	Account string
	// NewUser creates a user at the fake holding no license of Codes and
	// returns its identifier.
	NewUser func(t *testing.T) string
	// Codes are two license codes with free seats.
	Codes [2]string
	// FullCode is a license code whose pool has no free seat.
	FullCode string
	// Held returns the codes the fake says user holds.
	Held func(t *testing.T, user string) []string
	// Pools returns the fake's own view of the account's pools.
	Pools func(t *testing.T) []events.Pool
	// Writes counts the fake's state-changing calls so far.
	Writes func() int
	// ExpireTokens invalidates every token the fake has issued; nil for a
	// vendor that authenticates with a static key.
	ExpireTokens func()
	// BreakAuth makes the fake refuse the adapter's credentials from now on
	// (until the test ends).
	BreakAuth func(t *testing.T)
	// FailNext makes the fake's next n license API calls answer status,
	// with a Retry-After of retryAfter when it is not zero.
	FailNext func(status, n int, retryAfter time.Duration)
	// ResetNext makes the fake drop the connection of its next n calls
	// without answering.
	ResetNext func(n int)
}

// Run runs the conformance suite. Subtests share the fake; each uses users
// of its own.
func Run(t *testing.T, h Harness) {
	t.Helper()
	ctx := context.Background()
	req := func(user string, dry bool, codes ...string) vendors.Request {
		return vendors.Request{Account: h.Account, User: user, Licenses: codes, DryRun: dry}
	}

	t.Run("assign_release_cycle", func(t *testing.T) {
		user := h.NewUser(t)
		a, b := h.Codes[0], h.Codes[1]

		out := mustOutcome(t, "assign", h.Vendor.Assign, ctx, req(user, false, a))
		wantStatuses(t, out, map[string]string{a: events.StatusAssigned})
		checkHeld(t, h, user, out.Held)
		checkList(t, h, user)

		writes := h.Writes()
		out = mustOutcome(t, "assign again", h.Vendor.Assign, ctx, req(user, false, a))
		wantStatuses(t, out, map[string]string{a: events.StatusAlreadyAssigned})
		if got := h.Writes(); got != writes {
			t.Errorf("assign of a held license made %d write calls, want 0", got-writes)
		}
		checkHeld(t, h, user, out.Held)

		out = mustOutcome(t, "assign second", h.Vendor.Assign, ctx, req(user, false, a, b))
		wantStatuses(t, out, map[string]string{a: events.StatusAlreadyAssigned, b: events.StatusAssigned})
		checkHeld(t, h, user, out.Held)
		checkList(t, h, user)

		out = mustOutcome(t, "release", h.Vendor.Release, ctx, req(user, false, a))
		wantStatuses(t, out, map[string]string{a: events.StatusReleased})
		checkHeld(t, h, user, out.Held)
		checkList(t, h, user)

		writes = h.Writes()
		out = mustOutcome(t, "release again", h.Vendor.Release, ctx, req(user, false, a))
		wantStatuses(t, out, map[string]string{a: events.StatusNotAssigned})
		if got := h.Writes(); got != writes {
			t.Errorf("release of a license not held made %d write calls, want 0", got-writes)
		}
		checkList(t, h, user)
	})

	t.Run("release_all", func(t *testing.T) {
		user := h.NewUser(t)
		mustOutcome(t, "assign", h.Vendor.Assign, ctx, req(user, false, h.Codes[0], h.Codes[1]))
		out := mustOutcome(t, "release all", h.Vendor.Release, ctx, req(user, false))
		wantStatuses(t, out, map[string]string{h.Codes[0]: events.StatusReleased, h.Codes[1]: events.StatusReleased})
		checkHeld(t, h, user, out.Held)
		for _, code := range h.Held(t, user) {
			if code == h.Codes[0] || code == h.Codes[1] {
				t.Errorf("after release-all the fake still shows %s held", code)
			}
		}
		checkList(t, h, user)
	})

	t.Run("dry_run_changes_nothing", func(t *testing.T) {
		user := h.NewUser(t)
		mustOutcome(t, "assign", h.Vendor.Assign, ctx, req(user, false, h.Codes[0]))
		before, writes := h.Held(t, user), h.Writes()
		out := mustOutcome(t, "dry assign", h.Vendor.Assign, ctx, req(user, true, h.Codes[0], h.Codes[1]))
		wantStatuses(t, out, map[string]string{h.Codes[0]: events.StatusAlreadyAssigned, h.Codes[1]: events.StatusWouldAssign})
		out = mustOutcome(t, "dry release", h.Vendor.Release, ctx, req(user, true, h.Codes[0], h.Codes[1]))
		wantStatuses(t, out, map[string]string{h.Codes[0]: events.StatusWouldRelease, h.Codes[1]: events.StatusNotAssigned})
		out = mustOutcome(t, "dry release all", h.Vendor.Release, ctx, req(user, true))
		wantStatuses(t, out, map[string]string{h.Codes[0]: events.StatusWouldRelease})
		if got := h.Writes(); got != writes {
			t.Errorf("dry runs made %d write calls, want 0", got-writes)
		}
		if got := h.Held(t, user); !sameSet(got, before) {
			t.Errorf("dry runs changed the fake: held %v, was %v", got, before)
		}
	})

	t.Run("pools_match_fake", func(t *testing.T) {
		user := h.NewUser(t)
		mustOutcome(t, "assign", h.Vendor.Assign, ctx, req(user, false, h.Codes[0]))
		got, err := h.Vendor.Pools(ctx, h.Account)
		if err != nil {
			t.Fatalf("Pools: %v", err)
		}
		want := h.Pools(t)
		sortPools(got)
		sortPools(want)
		if !slices.Equal(got, want) {
			t.Errorf("Pools = %+v, want the fake's %+v", got, want)
		}
		for _, p := range got {
			if !p.TotalUnknown && p.Free != max(p.Total-p.Assigned, 0) {
				t.Errorf("pool %s: free %d, want total-assigned = %d", p.Code, p.Free, p.Total-p.Assigned)
			}
		}
	})

	t.Run("capacity_exhausted", func(t *testing.T) {
		user := h.NewUser(t)
		_, err := h.Vendor.Assign(ctx, req(user, false, h.FullCode))
		if !errors.Is(err, vendors.ErrCapacity) {
			t.Fatalf("assign of a full pool: err = %v, want ErrCapacity", err)
		}
		if vendors.Retryable(err) {
			t.Errorf("capacity exhaustion is retryable; want permanent")
		}
		if slices.Contains(h.Held(t, user), h.FullCode) {
			t.Errorf("the fake shows %s assigned despite the failure", h.FullCode)
		}
	})

	if h.ExpireTokens != nil {
		t.Run("token_expiry_is_invisible", func(t *testing.T) {
			user := h.NewUser(t)
			mustOutcome(t, "assign", h.Vendor.Assign, ctx, req(user, false, h.Codes[0]))
			h.ExpireTokens()
			if _, err := h.Vendor.List(ctx, h.Account, user); err != nil {
				t.Fatalf("List after token expiry: %v, want a transparent refresh", err)
			}
			h.ExpireTokens()
			out := mustOutcome(t, "release", h.Vendor.Release, ctx, req(user, false, h.Codes[0]))
			wantStatuses(t, out, map[string]string{h.Codes[0]: events.StatusReleased})
		})
	}

	t.Run("rate_limited_carries_wait", func(t *testing.T) {
		user := h.NewUser(t)
		h.FailNext(429, 1, time.Second)
		_, err := h.Vendor.List(ctx, h.Account, user)
		if !errors.Is(err, vendors.ErrRateLimited) || !vendors.Retryable(err) {
			t.Fatalf("List during 429: err = %v, want ErrRateLimited (transient)", err)
		}
		if got := vendors.RetryAfterOf(err); got != time.Second {
			t.Errorf("RetryAfter = %s, want 1s", got)
		}
		if _, err := h.Vendor.List(ctx, h.Account, user); err != nil {
			t.Errorf("List after the 429 window: %v", err)
		}
	})

	t.Run("server_errors_are_transient", func(t *testing.T) {
		user := h.NewUser(t)
		for _, status := range []int{500, 502, 503} {
			h.FailNext(status, 1, 0)
			_, err := h.Vendor.List(ctx, h.Account, user)
			if !errors.Is(err, vendors.ErrTransient) {
				t.Errorf("List during %d: err = %v, want ErrTransient", status, err)
			}
		}
		h.ResetNext(1)
		if _, err := h.Vendor.List(ctx, h.Account, user); !errors.Is(err, vendors.ErrTransient) {
			t.Errorf("List over a reset connection: err = %v, want ErrTransient", err)
		}
		if _, err := h.Vendor.List(ctx, h.Account, user); err != nil {
			t.Errorf("List after recovery: %v", err)
		}
	})

	// Last: it leaves the fake refusing the adapter.
	t.Run("persistent_auth_failure", func(t *testing.T) {
		user := h.NewUser(t)
		h.BreakAuth(t)
		_, err := h.Vendor.Assign(ctx, req(user, false, h.Codes[0]))
		if !errors.Is(err, vendors.ErrAuth) {
			t.Fatalf("assign with refused credentials: err = %v, want ErrAuth", err)
		}
		if vendors.Retryable(err) {
			t.Errorf("auth failure is retryable; want permanent")
		}
	})
}

type opFunc func(context.Context, vendors.Request) (vendors.Outcome, error)

func mustOutcome(t *testing.T, what string, op opFunc, ctx context.Context, req vendors.Request) vendors.Outcome {
	t.Helper()
	out, err := op(ctx, req)
	if err != nil {
		t.Fatalf("%s %v for %s: %v", what, req.Licenses, req.User, err)
	}
	return out
}

func wantStatuses(t *testing.T, out vendors.Outcome, want map[string]string) {
	t.Helper()
	got := make(map[string]string, len(out.Licenses))
	for _, l := range out.Licenses {
		got[l.Code] = l.Status
	}
	for code, status := range want {
		if got[code] != status {
			t.Errorf("status of %s = %q, want %q (all: %v)", code, got[code], status, out.Licenses)
		}
	}
}

// checkHeld compares an outcome's Held with the fake's state.
func checkHeld(t *testing.T, h Harness, user string, held []events.Holding) {
	t.Helper()
	if got, want := events.Codes(held), h.Held(t, user); !sameSet(got, want) {
		t.Errorf("outcome held %v, the fake says %v", got, want)
	}
}

// checkList compares the adapter's List with the fake's state.
func checkList(t *testing.T, h Harness, user string) {
	t.Helper()
	held, err := h.Vendor.List(context.Background(), h.Account, user)
	if err != nil {
		t.Fatalf("List(%s): %v", user, err)
	}
	checkHeld(t, h, user, held)
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

func sortPools(p []events.Pool) {
	sort.Slice(p, func(i, j int) bool { return p[i].Code < p[j].Code })
}

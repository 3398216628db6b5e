package handlers_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// directory is a vendor whose users are found by e-mail: users maps an
// e-mail to its user ids (several: ambiguous).
type directory struct {
	users   map[string][]string
	held    map[string][]string
	lookups int
}

func (d *directory) Name() string           { return "m365" }
func (d *directory) DefaultAccount() string { return "tenant" }
func (d *directory) FindUser(_ context.Context, _ string, email string) (string, error) {
	d.lookups++
	switch ids := d.users[email]; len(ids) {
	case 0:
		return "", vendors.Errorf(vendors.ErrUserNotFound, "find_user", 0, "no user has %s", email)
	case 1:
		return ids[0], nil
	}
	return "", vendors.Errorf(vendors.ErrAmbiguousUser, "find_user", 0, "several users have %s", email)
}
func (d *directory) known(user string) bool {
	for _, ids := range d.users {
		for _, id := range ids {
			if id == user {
				return true
			}
		}
	}
	return false
}
func (d *directory) Assign(_ context.Context, r vendors.Request) (vendors.Outcome, error) {
	if !d.known(r.User) {
		return vendors.Outcome{}, vendors.Errorf(vendors.ErrUserNotFound, "assign", 404, "no user %s", r.User)
	}
	var out vendors.Outcome
	for _, c := range r.Licenses {
		d.held[r.User] = append(d.held[r.User], c)
		out.Licenses = append(out.Licenses, events.LicenseResult{Code: c, Status: events.StatusAssigned})
	}
	return out, nil
}
func (d *directory) Release(context.Context, vendors.Request) (vendors.Outcome, error) {
	return vendors.Outcome{}, errors.New("not used")
}
func (d *directory) List(context.Context, string, string) ([]events.Holding, error) { return nil, nil }
func (d *directory) Pools(context.Context, string) ([]events.Pool, error)           { return nil, nil }

// identities is an identity cache in memory.
type identities map[string]string

func (m identities) Lookup(_ context.Context, v, a, k string) (string, bool, error) {
	u, ok := m[v+"/"+a+"/"+k]
	return u, ok, nil
}
func (m identities) Remember(_ context.Context, v, a, k, u string) error {
	m[v+"/"+a+"/"+k] = u
	return nil
}
func (m identities) Forget(_ context.Context, v, a, k string) error {
	delete(m, v+"/"+a+"/"+k)
	return nil
}

func newHandler(d *directory, ids identities) *handlers.Handler {
	return handlers.New(handlers.Options{
		Store: newMemStore(), Vendors: vendors.NewRegistry(d), Identities: ids, Owner: "test",
		Policy: vendors.RetryPolicy{InitialInterval: time.Millisecond, MaxInterval: time.Millisecond,
			InProcessBudget: time.Second, TotalBudget: time.Minute, MaxDeferral: time.Second},
	})
}

func byEmail(id, email, person string) handlers.Delivery {
	return handlers.Delivery{Seq: 1, Command: events.NewCommand(events.SubjectAssign, "hr", id, time.Now(),
		events.CommandData{Vendor: "m365", Email: email, Person: person, Licenses: []string{"SPE_E3"}})}
}

func decode(t *testing.T, r handlers.Reply) events.Result {
	t.Helper()
	var res events.Result
	if err := jsonUnmarshal(r.Payload, &res); err != nil {
		t.Fatal(err)
	}
	return res
}

// TestIdentityFromEmail: the e-mail is resolved through the vendor's
// directory once per person, then from the cache; the result carries the
// e-mail, the person and the user.
func TestIdentityFromEmail(t *testing.T) {
	d := &directory{users: map[string][]string{"ana@example.com": {"u-ana"}}, held: map[string][]string{}}
	ids := identities{}
	h := newHandler(d, ids)
	for i, id := range []string{"c1", "c2"} {
		r, err := h.Handle(t.Context(), byEmail(id, "ana@example.com", "E1"))
		if err != nil {
			t.Fatal(err)
		}
		res := decode(t, r)
		if res.Type != events.SubjectAssigned || res.Data.User != "u-ana" || res.Data.Email != "ana@example.com" || res.Data.Person != "E1" {
			t.Errorf("command %d: %s user %q email %q person %q %+v", i+1, res.Type, res.Data.User, res.Data.Email, res.Data.Person, res.Data.Error)
		}
	}
	if d.lookups != 1 {
		t.Errorf("%d directory lookups for two commands of one person, want 1", d.lookups)
	}
}

func TestIdentityNoMatchOrSeveral(t *testing.T) {
	d := &directory{users: map[string][]string{"twin@example.com": {"u-1", "u-2"}}, held: map[string][]string{}}
	h := newHandler(d, identities{})
	for email, code := range map[string]string{"nobody@example.com": events.CodeUserNotFound, "twin@example.com": events.CodeAmbiguousUser} {
		r, err := h.Handle(t.Context(), byEmail("c-"+email, email, ""))
		if err != nil {
			t.Fatal(err)
		}
		if res := decode(t, r); res.Data.Error == nil || res.Data.Error.Code != code || len(d.held) != 0 {
			t.Errorf("%s: %s %+v (held %v), want %s and nothing assigned", email, res.Type, res.Data.Error, d.held, code)
		}
	}
}

// TestStaleCachedIdentity: a cached id the vendor no longer knows is
// forgotten and the command deferred; its next delivery resolves afresh.
func TestStaleCachedIdentity(t *testing.T) {
	d := &directory{users: map[string][]string{"ana@example.com": {"u-new"}}, held: map[string][]string{}}
	ids := identities{"m365/tenant/person:E1": "u-gone"}
	h := newHandler(d, ids)
	_, err := h.Handle(t.Context(), byEmail("c1", "ana@example.com", "E1"))
	var deferral *vendors.Deferral
	if !errors.As(err, &deferral) {
		t.Fatalf("Handle with a stale cached id = %v, want a deferral", err)
	}
	if _, ok := ids["m365/tenant/person:E1"]; ok {
		t.Error("the stale id is still cached")
	}
	r, err := h.Handle(t.Context(), byEmail("c1", "ana@example.com", "E1"))
	if err != nil {
		t.Fatal(err)
	}
	if res := decode(t, r); res.Type != events.SubjectAssigned || res.Data.User != "u-new" {
		t.Errorf("redelivery: %s user %q %+v, want assigned to u-new", res.Type, res.Data.User, res.Data.Error)
	}
}

// TestLaneKeyByEmail: commands that name an e-mail instead of a user are
// ordered per e-mail, not all in one lane of the vendor (which would run
// every joiner's command one after another).
func TestLaneKeyByEmail(t *testing.T) {
	h := newHandler(&directory{}, identities{})
	key := func(email, user string) string {
		return h.LaneKey(events.NewCommand(events.SubjectAssign, "hr", "id", time.Now(),
			events.CommandData{Vendor: "m365", Account: "t1", Email: email, User: user}))
	}
	if a, b := key("a@example.com", ""), key("b@example.com", ""); a == b {
		t.Errorf("two e-mails share the lane %q", a)
	}
	if a, b := key("a@example.com", ""), key("A@Example.com", ""); a != b {
		t.Errorf("one address in two cases has lanes %q and %q", a, b)
	}
	if a, b := key("", "u1"), key("", "u2"); a == b {
		t.Errorf("two users share the lane %q", a)
	}
}

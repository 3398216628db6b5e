package consumer_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// Every vendor end to end through JetStream: assign → list → release → list
// show the expected held sets; list without a user shows the pools. Then no
// log line or result of the whole run carries a credential or a token.
func TestEveryVendorEndToEnd(t *testing.T) {
	fx := fixtures(t, nil)
	e := newEnv(t, withVendors(registry(fx)))
	for _, f := range fx {
		t.Run(f.name, func(t *testing.T) {
			user := f.newUser()
			cmd := func(typ, id string, codes ...string) events.Command {
				c := command(typ, f.name+"-"+id, user, codes...)
				c.Data.Vendor, c.Data.Account = f.name, ""
				return c
			}
			e.publish(cmd(events.SubjectAssign, "assign", f.code), "")
			r := e.result(f.name + "-assign")
			if r.Type != events.SubjectAssigned || statuses(r)[f.code] != events.StatusAssigned {
				t.Fatalf("assign: %s %v %+v", r.Type, r.Data.Licenses, r.Data.Error)
			}
			if !slices.Contains(f.held(user), f.code) {
				t.Errorf("the fake does not show %s held after assign: %v", f.code, f.held(user))
			}

			e.publish(cmd(events.SubjectList, "list1"), "")
			r = e.result(f.name + "-list1")
			if !slices.Contains(r.Data.Held, f.code) || !sameSet(r.Data.Held, f.held(user)) {
				t.Errorf("list after assign: held %v, fake %v", r.Data.Held, f.held(user))
			}
			if len(r.Data.Holdings) != len(r.Data.Held) {
				t.Errorf("list: %d holdings for %d held codes", len(r.Data.Holdings), len(r.Data.Held))
			}

			e.publish(cmd(events.SubjectRelease, "release", f.code), "")
			r = e.result(f.name + "-release")
			if r.Type != events.SubjectReleased || statuses(r)[f.code] != events.StatusReleased {
				t.Fatalf("release: %s %v %+v", r.Type, r.Data.Licenses, r.Data.Error)
			}

			e.publish(cmd(events.SubjectList, "list2"), "")
			r = e.result(f.name + "-list2")
			if slices.Contains(r.Data.Held, f.code) || !sameSet(r.Data.Held, f.held(user)) {
				t.Errorf("list after release: held %v, fake %v", r.Data.Held, f.held(user))
			}

			pools := command(events.SubjectList, f.name+"-pools", "")
			pools.Data.Vendor, pools.Data.Account = f.name, ""
			e.publish(pools, "")
			r = e.result(f.name + "-pools")
			i := slices.IndexFunc(r.Data.Pools, func(p events.Pool) bool { return p.Code == f.code })
			if r.Type != events.SubjectListed || i < 0 {
				t.Fatalf("pools: %s %+v, want a pool %s", r.Type, r.Data.Pools, f.code)
			}
			if p := r.Data.Pools[i]; p.Total < msp360Seats || p.Free != p.Total-p.Assigned {
				t.Errorf("pool %+v: want at least %d seats and free = total - assigned", p, msp360Seats)
			}
		})
	}
	t.Run("no_secrets_in_logs_or_results", func(t *testing.T) {
		assertNoSecrets(t, e, allSecrets(fx))
	})
}

// assertNoSecrets scans every log line and every result of e for secrets.
func assertNoSecrets(t *testing.T, e *env, secrets []string) {
	t.Helper()
	var haystack strings.Builder
	for _, entry := range e.logs.All() {
		b, _ := json.Marshal(entry.ContextMap())
		fmt.Fprintf(&haystack, "%s %s\n", entry.Message, b)
	}
	e.mu.Lock()
	for _, r := range e.results {
		haystack.Write(r.raw)
		haystack.WriteByte('\n')
	}
	n := len(e.results)
	e.mu.Unlock()
	text := haystack.String()
	for _, s := range secrets {
		if len(s) < 6 {
			t.Fatalf("secret %q is too short to scan for meaningfully", s)
		}
		if strings.Contains(text, s) {
			t.Errorf("a secret (%d chars, starting %q) appears in the logs or results", len(s), s[:3])
		}
	}
	if lower := strings.ToLower(text); strings.Contains(lower, "bearer ") || strings.Contains(lower, "api-key ") {
		t.Errorf("an Authorization header value appears in the logs or results")
	}
	t.Logf("scanned %d log lines and %d results (%d bytes) for %d secrets", len(e.logs.All()), n, len(text), len(secrets))
}

package consumer_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/lifecycle"
	"github.com/seatkeeper/seatkeeper/internal/people"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
)

// TestReclaimExemptByPolicy: a seat whose user is a person the policy's
// reclaim.exempt matches is exempt, beside the command's explicit list,
// and is never warned about; an idle seat of a person it does not match
// is warned about as usual.
func TestReclaimExemptByPolicy(t *testing.T) {
	policy, err := people.ParsePolicy([]byte("rules: []\nreclaim:\n  exempt: person.title.contains(\"Director\")\n"))
	if err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, nil)
	w.so.PersonPolicy = policy
	w.startWorker()
	ctx := context.Background()
	kv, err := w.js.KeyValue(ctx, events.PeopleBucket)
	if err != nil {
		t.Fatal(err)
	}
	for person, p := range map[string]struct{ user, title string }{
		"E1": {"rc-director", "Sales Director"}, "E2": {"rc-clerk", "Clerk"},
	} {
		rec, _ := json.Marshal(people.Record{Person: person, Email: p.user + "@example.com", Attributes: map[string]any{"title": p.title}})
		if _, err := kv.Put(ctx, "person."+person, rec); err != nil {
			t.Fatal(err)
		}
		if err := (consumer.Identities{KV: kv}).Remember(ctx, "uipath", account, "person:"+person, p.user); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	w.seatUp("rc-director", now.Add(-200*day))
	w.seatUp("rc-clerk", now.Add(-200*day))
	w.seatUp("rc-listed", now.Add(-200*day))
	w.publish(reclaimCommand("reclaim-policy", 90, 7, false, "rc-listed"))
	got := verdicts(w.reclaimed("reclaim-policy"))
	want := map[string]string{
		"rc-director/" + lcCode: lifecycle.VerdictExempt, "rc-clerk/" + lcCode: lifecycle.VerdictIdle,
		"rc-listed/" + lcCode: lifecycle.VerdictExempt,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	testproc.Settled(t, w.js)
	if n := countOn(t, w.js, events.SubjectReclaimWarning); n != 1 {
		t.Errorf("%d warnings, want 1 (the clerk's; the exempt director is never warned)", n)
	}
}

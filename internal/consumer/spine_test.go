package consumer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// The demo organisation's users, who hold nothing at the start.
var (
	user1 = uipathtest.DemoUsers[0]
	user2 = uipathtest.DemoUsers[1]
	user3 = uipathtest.DemoUsers[2]
)

// Acceptance 1: assign → one license.assigned event with per-license
// statuses and held; the fake shows the allocation.
func TestAssignPublishesOneResult(t *testing.T) {
	e := newEnv(t)
	e.publish(command(events.SubjectAssign, "a-1", user1, "RPADEVNU", "ATTUNU"), "")
	r := e.result("a-1")
	if r.Type != events.SubjectAssigned {
		t.Fatalf("type = %s, want %s (error %+v)", r.Type, events.SubjectAssigned, r.Data.Error)
	}
	if got := statuses(r); got["RPADEVNU"] != events.StatusAssigned || got["ATTUNU"] != events.StatusAssigned {
		t.Errorf("statuses = %v, want both assigned", got)
	}
	if !sameSet(r.Data.Held, []string{"RPADEVNU", "ATTUNU"}) {
		t.Errorf("held = %v, want [RPADEVNU ATTUNU]", r.Data.Held)
	}
	if got := e.fake.Held(account, user1); !sameSet(got, []string{"RPADEVNU", "ATTUNU"}) {
		t.Errorf("fake holds %v for %s, want [RPADEVNU ATTUNU]", got, user1)
	}
	if r.ID != "a-1/result" || r.Source != events.ResultSource || r.Subject != "uipath/"+account+"/"+user1 || r.Data.CommandSeq == 0 {
		t.Errorf("envelope = id %q source %q subject %q seq %d", r.ID, r.Source, r.Subject, r.Data.CommandSeq)
	}
	if r.Data.Attempts != 1 {
		t.Errorf("attempts = %d, want 1", r.Data.Attempts)
	}
	if n := e.storedResults("a-1"); n != 1 {
		t.Errorf("LICENSE_EVENTS holds %d results for a-1, want 1", n)
	}
}

// Acceptance 2: the same command id twice, once within the dedup window and
// once under another Nats-Msg-Id → one change at the vendor; the result is
// replayed with the same content.
func TestSameCommandIDChangesTheVendorOnce(t *testing.T) {
	e := newEnv(t)
	cmd := command(events.SubjectAssign, "dup-1", user1, "RPADEVNU")
	e.publish(cmd, "")
	first := e.await(1, byCommand("dup-1"))[0]
	if ack := e.publish(cmd, ""); !ack.Duplicate {
		t.Errorf("second publish with the same Nats-Msg-Id was not deduplicated by JetStream")
	}
	e.publish(cmd, "dup-1-resent-days-later")
	all := e.await(2, byCommand("dup-1"))
	if got := e.fake.Writes(); got != 1 {
		t.Errorf("the fake received %d PUTs, want 1", got)
	}
	if !bytes.Equal(all[1].raw, first.raw) {
		t.Errorf("replayed result differs:\n got %s\nwant %s", all[1].raw, first.raw)
	}
}

// Acceptance 3: assign of a held bundle → already_assigned with no PUT;
// release of a bundle not held → not_assigned; release with no licenses →
// every bundle released.
func TestIdempotentOperations(t *testing.T) {
	e := newEnv(t)
	e.publish(command(events.SubjectAssign, "i-1", user2, "RPADEVNU", "TSTNU"), "")
	e.result("i-1")
	writes := e.fake.Writes()

	e.publish(command(events.SubjectAssign, "i-2", user2, "RPADEVNU"), "")
	if got := statuses(e.result("i-2")); got["RPADEVNU"] != events.StatusAlreadyAssigned {
		t.Errorf("assign of a held bundle: %v, want already_assigned", got)
	}
	if got := e.fake.Writes(); got != writes {
		t.Errorf("assign of a held bundle made %d PUTs, want 0", got-writes)
	}

	e.publish(command(events.SubjectRelease, "i-3", user2, "ATTUNU"), "")
	if got := statuses(e.result("i-3")); got["ATTUNU"] != events.StatusNotAssigned {
		t.Errorf("release of a bundle not held: %v, want not_assigned", got)
	}

	e.publish(command(events.SubjectRelease, "i-4", user2), "")
	r := e.result("i-4")
	if got := statuses(r); got["RPADEVNU"] != events.StatusReleased || got["TSTNU"] != events.StatusReleased {
		t.Errorf("release-all: %v, want both released", got)
	}
	if r.Data.Held == nil || len(r.Data.Held) != 0 {
		t.Errorf("held after release-all = %#v, want an empty list", r.Data.Held)
	}
	if got := e.fake.Held(account, user2); len(got) != 0 {
		t.Errorf("fake still holds %v", got)
	}
	raw := e.await(1, byCommand("i-4"))[0].raw
	if !bytes.Contains(raw, []byte(`"held":[]`)) {
		t.Errorf("release-all result does not carry an empty held list: %s", raw)
	}
}

// Acceptance 4a: 503 twice and then 200 → assigned, attempts = 3.
func TestTransientFailuresAreRetried(t *testing.T) {
	e := newEnv(t)
	e.fake.FailNext(http.StatusServiceUnavailable, 2, 0)
	e.publish(command(events.SubjectAssign, "t-1", user1, "ATTUNU"), "")
	r := e.result("t-1")
	if r.Type != events.SubjectAssigned || r.Data.Attempts != 3 {
		t.Errorf("got %s with attempts %d (error %+v), want assigned with attempts 3", r.Type, r.Data.Attempts, r.Data.Error)
	}
}

// Acceptance 4b: 429 with Retry-After: 2 → the next call to the vendor comes
// no sooner than 2 s later.
func TestRetryAfterIsHonoured(t *testing.T) {
	e := newEnv(t)
	e.fake.FailNext(http.StatusTooManyRequests, 1, 2*time.Second)
	e.publish(command(events.SubjectAssign, "r-1", user1, "ATTUNU"), "")
	r := e.result("r-1")
	if r.Type != events.SubjectAssigned {
		t.Fatalf("got %s (%+v), want assigned", r.Type, r.Data.Error)
	}
	reqs := e.fake.Requests()
	i := slices.IndexFunc(reqs, func(q uipathtest.Request) bool { return q.Status == http.StatusTooManyRequests })
	if i < 0 || i+1 >= len(reqs) {
		t.Fatalf("no call after the 429 among %d calls", len(reqs))
	}
	if gap := reqs[i+1].At.Sub(reqs[i].At); gap < 2*time.Second {
		t.Errorf("next call came %s after the 429, want at least 2s", gap)
	}
}

// Acceptance 5: 409 → license.failed capacity_exhausted, not retried.
func TestCapacityExhaustedIsNotRetried(t *testing.T) {
	e := newEnv(t)
	e.publish(command(events.SubjectAssign, "c-1", user3, "RPADEVPRONU"), "")
	r := e.result("c-1")
	if r.Type != events.SubjectFailed || r.Data.Error == nil || r.Data.Error.Code != events.CodeCapacityExhausted {
		t.Fatalf("got %s %+v, want failed capacity_exhausted", r.Type, r.Data.Error)
	}
	if r.Data.Attempts != 1 || e.fake.Writes() != 1 {
		t.Errorf("attempts %d, PUTs %d: want 1 and 1", r.Data.Attempts, e.fake.Writes())
	}
	if r.Data.Error.Retryable {
		t.Errorf("capacity_exhausted marked retryable")
	}
	if r.Data.Command == nil || r.Data.Command.User != user3 {
		t.Errorf("failure does not carry the command's data: %+v", r.Data.Command)
	}
}

// Acceptance 6: invalid input → license.failed naming the problem; the
// message is terminated; the worker goes on serving.
func TestInvalidCommandsFailClearly(t *testing.T) {
	e := newEnv(t)
	valid := func(typ string) map[string]any {
		return map[string]any{"specversion": "1.0", "type": typ, "source": "test", "id": "x",
			"data": map[string]any{"vendor": "uipath", "user": "u", "licenses": []string{"ATTUNU"}}}
	}
	enc := func(m map[string]any) []byte { b, _ := json.Marshal(m); return b }
	mismatch := valid(events.SubjectRelease)
	mismatch["id"] = "bad-type"
	unknown := valid(events.SubjectAssign)
	unknown["id"] = "bad-vendor"
	unknown["data"].(map[string]any)["vendor"] = "oracle"
	huge := valid(events.SubjectAssign)
	huge["id"] = "bad-size"
	huge["data"].(map[string]any)["reason"] = strings.Repeat("x", events.MaxPayloadBytes)
	cases := []struct {
		name    string
		payload []byte
		code    string
		mention string
	}{
		{"malformed JSON", []byte(`{"specversion": "1.0", "type": `), events.CodeInvalidCommand, "not valid JSON"},
		{"not CloudEvents", []byte(`{"user": "jdoe", "license": "ATTUNU"}`), events.CodeInvalidCommand, "specversion"},
		{"type does not match subject", enc(mismatch), events.CodeInvalidCommand, "does not match subject"},
		{"unknown vendor", enc(unknown), events.CodeUnknownVendor, "oracle"},
		{"oversized payload", enc(huge), events.CodeInvalidCommand, "limit"},
	}
	for _, c := range cases {
		ack := e.publishRaw(events.SubjectAssign, c.payload, "")
		got := e.await(1, func(r events.Result) bool { return r.Data.CommandSeq == ack.Sequence })[0].res
		if got.Type != events.SubjectFailed || got.Data.Error == nil {
			t.Errorf("%s: got %s, want license.failed", c.name, got.Type)
			continue
		}
		if got.Data.Error.Code != c.code || !strings.Contains(got.Data.Error.Message, c.mention) {
			t.Errorf("%s: error %+v, want code %s and a message mentioning %q", c.name, got.Data.Error, c.code, c.mention)
		}
	}
	// Still serving.
	e.publish(command(events.SubjectAssign, "after-bad", user1, "ATTUNU"), "")
	if r := e.result("after-bad"); r.Type != events.SubjectAssigned {
		t.Errorf("valid command after the bad ones: %s %+v", r.Type, r.Data.Error)
	}
	// Terminated: once everything is settled nothing is pending, nothing
	// was redelivered.
	e.settled()
	info, err := e.svc.Consumer.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.NumRedelivered != 0 || info.Delivered.Stream != info.AckFloor.Stream {
		t.Errorf("consumer: %d redelivered, delivered up to %d, acked up to %d; want none redelivered and all acked",
			info.NumRedelivered, info.Delivered.Stream, info.AckFloor.Stream)
	}
}

func TestUnconfiguredVendorAndListing(t *testing.T) {
	e := newEnv(t)
	cmd := command(events.SubjectAssign, "nc-1", "jdoe", "creatorUT")
	cmd.Data.Vendor = "arcgis"
	e.publish(cmd, "")
	if r := e.result("nc-1"); r.Data.Error == nil || r.Data.Error.Code != events.CodeVendorNotConfigured {
		t.Errorf("unconfigured vendor: %+v, want vendor_not_configured", r.Data.Error)
	}

	pools := command(events.SubjectList, "pools-1", "")
	pools.Data.Account = "" // the vendor's default account
	e.publish(pools, "")
	r := e.result("pools-1")
	if r.Type != events.SubjectListed || len(r.Data.Pools) == 0 {
		t.Fatalf("pools: %s %+v, want listed with pools", r.Type, r.Data)
	}
	for _, p := range r.Data.Pools {
		if p.Code == "RPADEVNU" && (p.Total != 10 || p.Free != p.Total-p.Assigned) {
			t.Errorf("pool %+v, want total 10 and free = total - assigned", p)
		}
	}
	if r.Data.Account != account {
		t.Errorf("account = %q, want the default %q", r.Data.Account, account)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

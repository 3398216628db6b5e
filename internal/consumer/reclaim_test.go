package consumer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/lifecycle"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
)

const day = 24 * time.Hour

// notices returns the events stored on subject whose id has the prefix,
// waiting for at least n of them.
func notices[T any](w *world, subject string, n int, keep func(events.Notice[T]) bool) []events.Notice[T] {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cons, err := w.js.OrderedConsumer(ctx, events.EventStream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		w.t.Fatal(err)
	}
	var out []events.Notice[T]
	for len(out) < n {
		m, err := cons.Next(jetstream.FetchMaxWait(time.Minute))
		if err != nil {
			w.t.Fatalf("%d of %d %s events: %v", len(out), n, subject, err)
		}
		var e events.Notice[T]
		if err := json.Unmarshal(m.Data(), &e); err != nil {
			w.t.Fatal(err)
		}
		validateAgainst(w.t, strings.TrimPrefix(subject, "license.")+".schema.json", m.Data())
		if keep(e) {
			out = append(out, e)
		}
	}
	return out
}

// reclaimed waits for the report of reclaim id.
func (w *world) reclaimed(id string) events.ReclaimedData {
	w.t.Helper()
	if r := w.result(id); r.Type != events.SubjectReclaimed {
		w.t.Fatalf("reclaim %s: %s %+v", id, r.Type, r.Data.Error)
	}
	return notices(w, events.SubjectReclaimed, 1, func(e events.Notice[events.ReclaimedData]) bool {
		return e.Data.CommandID == id
	})[0].Data
}

func verdicts(d events.ReclaimedData) map[string]string {
	m := map[string]string{}
	for _, s := range d.Seats {
		m[s.User+"/"+s.Code] = s.Verdict
	}
	return m
}

func reclaimCommand(id string, inactive, warn int, dry bool, exempt ...string) events.Command {
	return events.NewCommand(events.SubjectReclaim, "test/admin", id, time.Now(), events.CommandData{
		Vendor: "uipath", Account: account, InactiveDays: inactive, WarnDays: warn, DryRun: dry, Exempt: exempt,
	})
}

// seatUp assigns lcCode to user through the worker (so the ledger knows
// it) by an assign dated a year back, and sets its last use at the fake;
// zero for none reported.
func (w *world) seatUp(user string, lastUse time.Time) {
	w.t.Helper()
	w.seatUpAt(user, time.Now().Add(-365*day), lastUse)
}

// seatUpAt is seatUp with the assign dated at.
func (w *world) seatUpAt(user string, at, lastUse time.Time) {
	w.t.Helper()
	w.fake.AddUser(account, user)
	cmd := command(events.SubjectAssign, "seat-"+user, user, lcCode)
	cmd.Time = at
	w.publish(cmd)
	if r := w.result("seat-" + user); r.Type != events.SubjectAssigned {
		w.t.Fatalf("assign %s: %s %+v", user, r.Type, r.Data.Error)
	}
	w.fake.SetLastUse(account, user, lcCode, lastUse)
}

func TestReclaimDryRunListsExactlyTheIdleSeats(t *testing.T) {
	w := newWorld(t, nil)
	w.startWorker()
	now := time.Now()
	w.seatUp("rc-ana", now.Add(-100*day))
	w.seatUp("rc-bo", now.Add(-10*day))
	w.seatUp("rc-cy", now.Add(-200*day))
	w.seatUp("rc-dee", time.Time{})
	w.publish(reclaimCommand("reclaim-dry", 90, 7, true, "rc-cy"))
	got := verdicts(w.reclaimed("reclaim-dry"))
	want := map[string]string{
		"rc-ana/" + lcCode: lifecycle.VerdictIdle, "rc-bo/" + lcCode: lifecycle.VerdictActive,
		"rc-cy/" + lcCode: lifecycle.VerdictExempt, "rc-dee/" + lcCode: lifecycle.VerdictUnknown,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("report %v, want %v", got, want)
	}
	testproc.Settled(t, w.js)
	if n := countOn(t, w.js, events.SubjectReclaimWarning); n != 0 {
		t.Errorf("a dry run warned %d times", n)
	}
	if held := w.fake.Held(account, "rc-ana"); len(held) == 0 {
		t.Error("a dry run released a seat")
	}
}

func TestReclaimWarnsThenReleasesIdleSeatsOnly(t *testing.T) {
	w := newWorld(t, nil)
	w.startWorker()
	now := time.Now()
	w.seatUp("rc-ana", now.Add(-100*day))
	w.seatUp("rc-bo", now.Add(-10*day))
	w.seatUp("rc-cy", now.Add(-200*day))
	// No warning period: the re-check is due at once.
	w.publish(reclaimCommand("reclaim-1", 90, 0, false, "rc-cy"))
	rep := w.reclaimed("reclaim-1")
	if v := verdicts(rep); v["rc-ana/"+lcCode] != lifecycle.VerdictIdle || v["rc-cy/"+lcCode] != lifecycle.VerdictExempt {
		t.Fatalf("report %v", v)
	}
	warn := notices(w, events.SubjectReclaimWarning, 1, func(events.Notice[events.ReclaimWarningData]) bool { return true })[0]
	if warn.Data.User != "rc-ana" || warn.Data.Code != lcCode {
		t.Errorf("warning %+v, want rc-ana's", warn.Data)
	}
	recheck := lifecycle.DerivedID("reclaim-1", "recheck/rc-ana/"+lcCode)
	if r := w.reclaimed(recheck); verdicts(r)["rc-ana/"+lcCode] != "released" {
		t.Fatalf("re-check: %+v", r)
	}
	rel := w.result(lifecycle.DerivedID(recheck, "release"))
	if rel.Type != events.SubjectReleased || rel.Data.CommandSource != events.ReclaimSource {
		t.Fatalf("release: %s from %s %+v", rel.Type, rel.Data.CommandSource, rel.Data.Error)
	}
	if held := w.fake.Held(account, "rc-ana"); len(held) != 0 {
		t.Errorf("rc-ana still holds %v", held)
	}
	for _, u := range []string{"rc-bo", "rc-cy"} {
		if held := w.fake.Held(account, u); len(held) != 1 {
			t.Errorf("%s holds %v, want its seat kept", u, held)
		}
	}
	testproc.Settled(t, w.js)
	if n := countOn(t, w.js, events.SubjectReclaimWarning); n != 1 {
		t.Errorf("%d warnings, want 1 (the exempt and the active seat are never warned)", n)
	}
}

// A seat seatkeeper assigned less than inactive_days ago is too new to
// judge: young, never warned, whatever the vendor says of its last use
// (here an old one, from before the assign); an older seat with the same
// last use is idle.
func TestReclaimLeavesASeatYoungerThanTheThresholdAlone(t *testing.T) {
	w := newWorld(t, nil)
	w.startWorker()
	now := time.Now().UTC().Truncate(time.Second)
	w.seatUpAt("rc-new", now.Add(-3*day), now.Add(-100*day))
	w.seatUpAt("rc-new-unused", now.Add(-time.Hour), time.Time{})
	w.seatUpAt("rc-old", now.Add(-120*day), now.Add(-100*day))
	w.publish(reclaimCommand("reclaim-young-dry", 90, 7, true))
	rep := w.reclaimed("reclaim-young-dry")
	want := map[string]string{
		"rc-new/" + lcCode: lifecycle.VerdictYoung, "rc-new-unused/" + lcCode: lifecycle.VerdictYoung,
		"rc-old/" + lcCode: lifecycle.VerdictIdle,
	}
	if got := verdicts(rep); !maps.Equal(got, want) {
		t.Fatalf("dry run %v, want %v", got, want)
	}
	if rep.Counts[lifecycle.VerdictYoung] != 2 || rep.Counts[lifecycle.VerdictIdle] != 1 {
		t.Errorf("counts %v, want 2 young and 1 idle", rep.Counts)
	}
	for _, s := range rep.Seats {
		if s.User == "rc-new" && !s.Assigned.Equal(now.Add(-3*day)) {
			t.Errorf("rc-new assigned %s in the report, want %s", s.Assigned, now.Add(-3*day))
		}
	}

	w.publish(reclaimCommand("reclaim-young", 90, 7, false))
	if got := verdicts(w.reclaimed("reclaim-young")); !maps.Equal(got, want) {
		t.Fatalf("real run %v, want %v", got, want)
	}
	testproc.Settled(t, w.js)
	warned := notices(w, events.SubjectReclaimWarning, 1, func(events.Notice[events.ReclaimWarningData]) bool { return true })
	if n := countOn(t, w.js, events.SubjectReclaimWarning); n != 1 || warned[0].Data.User != "rc-old" {
		t.Errorf("%d warnings, the first of %s; want one, of rc-old", n, warned[0].Data.User)
	}
}

// A warned seat used before its release is kept: the re-check reads the
// last use again. The test plays the scheduler: it publishes the pending
// re-check at once instead of waiting out the warning.
func TestReclaimKeepsASeatUsedDuringTheWarning(t *testing.T) {
	w := newWorld(t, nil)
	w.startWorker()
	w.seatUp("rc-eve", time.Now().Add(-100*day))
	w.publish(reclaimCommand("reclaim-2", 90, 7, false))
	if v := verdicts(w.reclaimed("reclaim-2")); v["rc-eve/"+lcCode] != lifecycle.VerdictIdle {
		t.Fatalf("report %v", v)
	}
	seat := lifecycle.Seat{Vendor: "uipath", Account: account, User: "rc-eve", Code: lcCode}
	st, err := w.js.Stream(context.Background(), events.CommandStream)
	if err != nil {
		t.Fatal(err)
	}
	pending, err := st.GetLastMsgForSubject(context.Background(), seat.RecheckSubject())
	if err != nil {
		t.Fatalf("no re-check scheduled: %v", err)
	}
	if due := pending.Header.Get(jetstream.ScheduleHeader); due == "" {
		t.Fatalf("re-check without a schedule: %v", pending.Header)
	}
	// A second reclaim a day later does not warn again nor put the release off.
	w.publish(reclaimCommand("reclaim-3", 90, 7, false))
	w.reclaimed("reclaim-3")
	again, _ := st.GetLastMsgForSubject(context.Background(), seat.RecheckSubject())
	if again.Sequence != pending.Sequence {
		t.Errorf("a second reclaim rescheduled the re-check")
	}

	w.fake.SetLastUse(account, "rc-eve", lcCode, time.Now())
	msg := &nats.Msg{Subject: events.SubjectReclaim, Data: pending.Data, Header: nats.Header{"Content-Type": {events.ContentType}}}
	if _, err := w.js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	var cmd events.Command
	if err := json.Unmarshal(pending.Data, &cmd); err != nil {
		t.Fatal(err)
	}
	if v := verdicts(w.reclaimed(cmd.ID)); v["rc-eve/"+lcCode] != lifecycle.VerdictActive {
		t.Errorf("re-check of a seat used during its warning: %v, want it active (kept)", v)
	}
	if held := w.fake.Held(account, "rc-eve"); len(held) != 1 {
		t.Errorf("rc-eve holds %v, want the seat kept", held)
	}
	testproc.Settled(t, w.js)
	if n := countOn(t, w.js, events.SubjectReclaimWarning); n != 1 {
		t.Errorf("%d warnings, want 1", n)
	}
}

// validateAgainst checks payload against a schema of docs/schema.
func validateAgainst(t *testing.T, file string, payload []byte) {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	sch, err := c.Compile("../../docs/schema/" + file)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(inst); err != nil {
		t.Errorf("%s does not validate against docs/schema/%s: %v", payload, file, err)
	}
}

// countOn counts the messages stored on subject in the result stream.
func countOn(t *testing.T, js jetstream.JetStream, subject string) int {
	t.Helper()
	ctx := context.Background()
	st, err := js.Stream(ctx, events.EventStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(subject))
	if err != nil {
		t.Fatal(err)
	}
	return int(info.State.Subjects[subject])
}

package consumer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/natstest"
	"github.com/seatkeeper/seatkeeper/internal/people"
)

// BenchmarkPeopleReconciled measures person events reconciled per second
// by the people consumer alone: decode, read the record, plan, publish the
// license commands, store the record, publish person.reconciled, ack. The
// commands are left queued: the vendors' part is the command pipeline's
// benchmark.
func BenchmarkPeopleReconciled(b *testing.B) {
	const n = 2000
	srv := natstest.RunServer(b, nil)
	nc := natstest.Connect(b, srv.ClientURL())
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	settings := consumer.DefaultSettings(32)
	if _, err := consumer.Setup(ctx, js, settings); err != nil {
		b.Fatal(err)
	}
	policy, err := people.ParsePolicy([]byte(`rules:
  - name: engineering
    when: person.department == "Engineering"
    grant: {uipath: [RPADEVNU], licensespring: ["1001"]}
  - name: employees
    when: person.employment_type == "employee"
    grant: {m365: [SPE_E3]}
`))
	if err != nil {
		b.Fatal(err)
	}
	cons, kv, err := consumer.SetupPeople(ctx, js, settings)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{}, n)
	sub, err := nc.Subscribe(events.SubjectPersonReconciled, func(*nats.Msg) { done <- struct{}{} })
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Unsubscribe()
	b.ResetTimer()
	for run := range b.N {
		b.StopTimer()
		for i := range n {
			ev := events.NewPersonEvent(events.SubjectPersonJoined, "hr", fmt.Sprintf("r%d-hire-%d", run, i), time.Now(),
				events.PersonData{Person: fmt.Sprintf("R%dE%d", run, i), Email: fmt.Sprintf("p%d@example.com", i),
					Attributes: map[string]any{"department": "Engineering", "employment_type": "employee"}})
			payload, _ := json.Marshal(ev)
			if _, err := js.PublishAsync(ev.Type, payload, jetstream.WithMsgID(ev.ID)); err != nil {
				b.Fatal(err)
			}
		}
		<-js.PublishAsyncComplete()
		b.StartTimer()
		start := time.Now()
		pctx, cancel := context.WithCancel(ctx)
		p, err := consumer.StartPeople(pctx, consumer.PeopleOptions{JS: js, Consumer: cons, Bucket: kv, Policy: policy, Logger: zap.NewNop()})
		if err != nil {
			b.Fatal(err)
		}
		for range n {
			<-done
		}
		elapsed := time.Since(start)
		cancel()
		<-p.Done()
		b.ReportMetric(float64(n)/elapsed.Seconds(), "people/s")
	}
}

// BenchmarkPeopleEndToEnd measures joiners per second end to end against
// zero-latency fakes: each joiner's event reconciled, and its license
// commands (one per vendor that can find users by e-mail) resolved from
// the e-mail and applied through the worker, until every result is out.
func BenchmarkPeopleEndToEnd(b *testing.B) {
	for _, only := range []string{"licensespring", "m365", "msp360", "all"} {
		b.Run(only, func(b *testing.B) { benchPeopleEndToEnd(b, only, 300) })
	}
}

func benchPeopleEndToEnd(b *testing.B, only string, n int) {
	for run := range b.N {
		b.StopTimer()
		vs := directoryVendors(b, n)
		if only != "all" {
			vs = slices.DeleteFunc(vs, func(v *directoryVendor) bool { return v.name != only })
		}
		var grants string
		for i, v := range vs {
			if i > 0 {
				grants += ", "
			}
			grants += fmt.Sprintf("%s: [%q]", v.name, v.eng)
		}
		policy, err := people.ParsePolicy([]byte("rules:\n  - name: all\n    when: person.employment_type == \"employee\"\n    grant: {" + grants + "}\n"))
		if err != nil {
			b.Fatal(err)
		}
		e := newPeopleEnv(b, vs, policy)
		evs := make([]events.PersonEvent, n)
		for i := range n {
			email := fmt.Sprintf("r%d-p%d@example.com", run, i)
			for _, v := range vs {
				v.addPerson(email)
			}
			evs[i] = personEvent(events.SubjectPersonJoined, fmt.Sprintf("r%d-hire-%d", run, i), fmt.Sprintf("R%dE%d", run, i), email,
				time.Now(), map[string]any{"employment_type": "employee"})
		}
		b.StartTimer()
		start := time.Now()
		for _, ev := range evs {
			e.publishPerson(ev, "")
		}
		for _, ev := range evs {
			e.reconciled(ev.ID)
		}
		b.Logf("all reconciled after %s", time.Since(start))
		for _, ev := range evs {
			r, results := e.applied(ev.ID)
			for id, res := range results {
				if res.Type != events.SubjectAssigned {
					b.Fatalf("%s: %s %+v (%s)", id, res.Type, res.Data.Error, r.Data.EventID)
				}
			}
		}
		elapsed := time.Since(start)
		b.ReportMetric(float64(n)/elapsed.Seconds(), "people/s")
		b.ReportMetric(float64(n*len(vs))/elapsed.Seconds(), "commands/s")
		b.Logf("%d joiners at %d vendors in %s", n, len(vs), elapsed)
	}
}

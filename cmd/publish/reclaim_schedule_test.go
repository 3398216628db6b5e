package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/natstest"
)

// A reclaim on a schedule runs at every firing, each time under an id of
// its own (the server fires the same payload), so each run reports; a
// new schedule replaces the vendor account's earlier one, --cancel ends it.
func TestReclaimOnASchedule(t *testing.T) {
	e := newEnv(t, testPolicy())
	if o := e.run("", "assign", "--vendor", "uipath", "--user", "singer-77", "--license", "ATTUNU", "--time", longAgo(), "--wait"); o.status != exitOK {
		t.Fatalf("assign: %d %s", o.status, o.stderr)
	}
	e.fake.SetLastUse(account, "singer-77", "ATTUNU", time.Now().Add(-120*24*time.Hour))
	reports := e.reclaimReports()

	if o := e.run("", "reclaim", "--vendor", "uipath", "--inactive", "90d", "--dry-run", "--cron", "@weekly", "--id", "weekly"); o.status != exitOK {
		t.Fatalf("reclaim --cron: %d\n%s%s", o.status, o.stdout, o.stderr)
	}
	if o := e.run("", "reclaim", "--vendor", "uipath", "--inactive", "90d", "--dry-run", "--every", "1s", "--id", "weekly"); o.status != exitOK {
		t.Fatalf("reclaim --every: %d\n%s%s", o.status, o.stdout, o.stderr)
	}
	o := e.run("", "schedules")
	t.Logf("schedules:\n%s", o.stdout)
	if !strings.Contains(o.stdout, "@every 1s") || strings.Contains(o.stdout, "@weekly") || !strings.Contains(o.stdout, "1 release pending") {
		t.Fatalf("schedules, want the one reclaim run on its newest schedule:\n%s%s", o.stdout, o.stderr)
	}

	ids := map[string]bool{}
	for len(ids) < 2 {
		var n events.Notice[events.ReclaimedData]
		select {
		case n = <-reports:
		case <-time.After(30 * time.Second):
			t.Fatalf("after 30s, %d reports of the scheduled reclaim, want 2: %v", len(ids), ids)
		}
		if n.Data.Counts["idle"] != 1 {
			t.Errorf("run %s: counts %v, want singer-77's idle seat", n.ID, n.Data.Counts)
		}
		ids[n.ID] = true
	}
	t.Logf("two runs: %v", ids)

	if o := e.run("", "reclaim", "--vendor", "uipath", "--cancel"); o.status != exitOK {
		t.Fatalf("reclaim --cancel: %d %s", o.status, o.stderr)
	}
	if o := e.run("", "schedules"); !strings.Contains(o.stdout, "0 releases pending") {
		t.Fatalf("schedules after --cancel:\n%s", o.stdout)
	}
	if o := e.run("", "reclaim", "--vendor", "uipath", "--inactive", "90d", "--cron", "x", "--every", "1s"); o.status != exitUsage {
		t.Errorf("--cron with --every: %d, want %d", o.status, exitUsage)
	}
}

// reclaimReports delivers every license.reclaimed report stored from now on.
func (e *env) reclaimReports() <-chan events.Notice[events.ReclaimedData] {
	e.t.Helper()
	js, err := jetstream.New(natstest.Connect(e.t, e.url))
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	cons, err := js.OrderedConsumer(ctx, events.EventStream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{events.SubjectReclaimed}, DeliverPolicy: jetstream.DeliverNewPolicy,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	out := make(chan events.Notice[events.ReclaimedData], 16)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		var n events.Notice[events.ReclaimedData]
		if json.Unmarshal(m.Data(), &n) == nil {
			out <- n
		}
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(cc.Stop)
	return out
}

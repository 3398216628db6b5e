package bench_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring/licensespringtest"
)

// BenchmarkDrainWithAVendorDown drains a backlog of commands (100,000 under
// -full) split evenly between two vendors and interleaved in publish order,
// the first command the failing vendor's: UiPath is healthy, LicenseSpring
// answers every call 503 for the first half of the drain, then recovers.
//
// "The first half" is counted in commands: LicenseSpring is down from the
// worker's start until half of all commands have their result. Its own
// commands cannot finish while it is down, so that half is UiPath's: every
// healthy command runs while the other vendor is failing, and the failing
// vendor recovers when the last healthy command has finished.
//
// The same UiPath commands are also drained alone (same server setup, same
// worker configuration, no LicenseSpring commands), once before and once
// after, and compared with the mean of the two. Each command's finish
// time is when its result reaches a subscriber, from the worker's exec. The
// benchmark reports the healthy commands' p50, p99 and last finish times
// with the other vendor down, their p99 alone and the difference, how long
// the failing vendor's commands took to finish once it recovered, the
// worker's peak RSS over the whole drain, and fails unless LICENSE_EVENTS
// holds exactly one result for every command.
func BenchmarkDrainWithAVendorDown(b *testing.B) {
	n := size(2000, 100000)
	var mixed, before, after drainTimes
	for range b.N {
		b.StopTimer()
		before = drainAlone(b, n/2)
		b.StartTimer()
		mixed = drainWithOutage(b, n)
		b.StopTimer()
		after = drainAlone(b, n/2)
		b.StartTimer()
	}
	// Alone is drained before and after the outage, and the two p99s
	// averaged: the machine's pace drifts within minutes (docs/performance.md,
	// "Draining with a vendor down"), and a drift that changes pace steadily
	// over the three drains then cancels out.
	p99 := mixed.percentile(0.99)
	aloneP99 := (before.percentile(0.99) + after.percentile(0.99)) / 2
	b.ReportMetric(seconds(before.percentile(0.99)), "alone-before-p99-s")
	b.ReportMetric(seconds(after.percentile(0.99)), "alone-after-p99-s")
	b.ReportMetric(seconds(mixed.percentile(0.50)), "healthy-p50-s")
	b.ReportMetric(seconds(p99), "healthy-p99-s")
	b.ReportMetric(seconds(mixed.percentile(1)), "healthy-max-s")
	b.ReportMetric(seconds(aloneP99), "alone-p99-s")
	b.ReportMetric(seconds(p99-aloneP99), "p99-over-alone-s")
	b.ReportMetric(seconds(mixed.recovered), "recovered-drain-s")
	b.ReportMetric(mixed.peakRSS, "peak-RSS-MiB")
	b.ReportMetric(float64(mixed.scheduled)/float64(n/2), "schedule-writes/down-cmd")
	b.ReportMetric(float64(mixed.results)/float64(n), "results/cmd")
}

func seconds(d time.Duration) float64 { return d.Seconds() }

// drainTimes is what one drain measured.
type drainTimes struct {
	// healthy are the healthy vendor's finish times, sorted.
	healthy []time.Duration
	// recovered is from the failing vendor's recovery to its last result.
	recovered time.Duration
	peakRSS   float64
	// scheduled are the command stream's writes besides the commands
	// themselves: schedules and the copies they published.
	scheduled uint64
	// results are the results LICENSE_EVENTS holds.
	results int
}

// percentile returns the p-th percentile (0 < p ≤ 1) of the healthy finish times.
func (d drainTimes) percentile(p float64) time.Duration {
	if len(d.healthy) == 0 {
		return 0
	}
	return d.healthy[min(len(d.healthy)-1, int(float64(len(d.healthy))*p))]
}

// Ids of the two vendors' commands tell them apart in the results.
const (
	healthyTag = "-h-"
	downTag    = "-d-"
)

// drainAlone drains n of the healthy vendor's commands with no other
// vendor's commands queued.
func drainAlone(b *testing.B, n int) drainTimes {
	run := fmt.Sprintf("alone-%d", time.Now().UnixNano())
	return drain(b, n, nil, func(_ []string, i int) *nats.Msg {
		return commandMsg(run+healthyTag, i)
	})
}

// drainWithOutage drains n commands, every other one the failing vendor's.
func drainWithOutage(b *testing.B, n int) drainTimes {
	run := fmt.Sprintf("outage-%d", time.Now().UnixNano())
	return drain(b, n, func(ls *licensespringtest.Server) {
		ls.SetFailureRate(1, http.StatusServiceUnavailable)
	}, func(licenses []string, i int) *nats.Msg {
		if i%2 == 0 {
			return licensespringMsg(run+downTag, i/2, licenses)
		}
		return commandMsg(run+healthyTag, i/2)
	})
}

// drain queues n commands on a fresh server, makes LicenseSpring fail with
// down (when not nil) until half of them have their result, and drains them
// with the worker binary configured for both vendors.
func drain(b *testing.B, n int, down func(*licensespringtest.Server),
	msg func(licenses []string, i int) *nats.Msg) drainTimes {
	b.Helper()
	srv := startServer(b, false)
	defer srv.Shutdown()
	nc, js := connect(b, srv, 4000)
	setup(b, js)
	uipathFake := newFake(b)
	ls := licensespringtest.NewServer(b, licensespringtest.Options{KeepRequests: 1})
	licenses := make([]string, users/licenseUsers)
	for i := range licenses {
		id := ls.AddLicense(licensespringtest.License{ProductShortCode: "bench", MaxUsers: licenseUsers})
		licenses[i] = strconv.FormatInt(id, 10)
	}
	publishAll(b, js, n, func(i int) *nats.Msg { return msg(licenses, i) })

	fin := watchFinishes(b, nc, n)
	if down != nil {
		down(ls)
		fin.onHalf = ls.Recover
	}
	env := append(workerEnv(b, uipathFake.URL), "NATS_URL="+srv.ClientURL(),
		"LICENSESPRING_BASE_URL="+ls.URL, "LICENSESPRING_API_KEY="+licensespringtest.APIKey,
		"LICENSESPRING_RATE_LIMIT=0", "LICENSESPRING_MAX_CONCURRENCY="+strconv.Itoa(concurrency))
	env = slices.DeleteFunc(env, func(v string) bool { return strings.HasPrefix(v, "SEATKEEPER_CONCURRENCY=") })
	if _, err := workerBinary(); err != nil { // built outside the timed span
		b.Fatalf("build the worker: %v", err)
	}
	fin.begin()
	w := spawn(b, env...)
	w.waitReady(b)
	fin.wait(b, w, 30*time.Minute)
	kb, err := w.status("VmHWM")
	if err != nil {
		b.Fatal(err)
	}
	w.stop(b)

	out := fin.times(b)
	out.peakRSS = float64(kb) / 1024
	out.results = countResults(b, js, fin.ids())
	out.scheduled = streamWrites(b, js, events.CommandStream) - uint64(n)
	return out
}

// licenseUsers are the seats of one LicenseSpring license. The users are
// spread over licenses this size because a license object lists its
// users, and the fake builds it for every list call.
const licenseUsers = 100

// licensespringMsg returns the i-th LicenseSpring command of a run: an
// assign of the user's license the first time a user comes round, a
// release the next.
func licensespringMsg(run string, i int, licenses []string) *nats.Msg {
	typ := events.SubjectAssign
	if (i/users)%2 == 1 {
		typ = events.SubjectRelease
	}
	return commandMessage(typ, fmt.Sprintf("%s-%07d", run, i), events.CommandData{
		Vendor: "licensespring", User: fmt.Sprintf("bench-user-%05d@example.com", i%users), Licenses: []string{licenses[i%users/licenseUsers]},
	})
}

// streamWrites returns the last sequence of a stream: every message ever
// stored in it.
func streamWrites(b *testing.B, js jetstream.JetStream, name string) uint64 {
	b.Helper()
	s, err := js.Stream(context.Background(), name)
	if err != nil {
		b.Fatal(err)
	}
	return s.CachedInfo().State.LastSeq
}

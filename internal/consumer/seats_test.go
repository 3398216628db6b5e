package consumer_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// 150 assigns of 150 different licenses to one user, published in a
// burst, with increasing and with decreasing time, through one worker and
// through two: every one is assigned, none superseded, although parking,
// redelivery and the second replica deliver them out of order. Each
// command is about its own seat; ordering is per seat.
func TestManyLicensesOfOneUserAreAllAssigned(t *testing.T) {
	for _, tc := range []struct {
		name     string
		replicas int
		step     time.Duration
	}{
		{"one worker, increasing time", 1, time.Second},
		{"one worker, decreasing time", 1, -time.Second},
		{"two workers, increasing time", 2, time.Second},
		{"two workers, decreasing time", 2, -time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const licenses = 150
			e := newEnv(t, startLater)
			user := "burst-user"
			e.fake.AddUser(account, user)
			base := time.Now().Add(-time.Hour)
			var ids []string
			for i := range licenses {
				code := fmt.Sprintf("LIC%03d", i)
				e.fake.SetPool(account, code, 1)
				c := command(events.SubjectAssign, fmt.Sprintf("burst-%03d", i), user, code)
				c.Time = base.Add(time.Duration(i) * tc.step)
				e.publish(c, "")
				ids = append(ids, c.ID)
			}
			e.start()
			if tc.replicas == 2 {
				e.startReplica("test-worker-2")
			}
			assigned, superseded, other := 0, 0, 0
			for i, id := range ids {
				r := e.result(id)
				switch statuses(r)[fmt.Sprintf("LIC%03d", i)] {
				case events.StatusAssigned:
					assigned++
				case events.StatusSkippedSuperseded:
					superseded++
				default:
					other++
					t.Errorf("%s: %s %+v", id, r.Type, r.Data.Error)
				}
			}
			held := len(e.fake.Held(account, user))
			if assigned != licenses || held != licenses {
				t.Errorf("assigned %d, superseded %d, other %d; the user holds %d; want all %d assigned and held",
					assigned, superseded, other, held, licenses)
			}
			e.settled()
			dups, lost := duplicatesAndLost(t, e, ids)
			t.Logf("scenario=licenses-of-one-user commands=%d replicas=%d time_step=%s assigned=%d superseded=%d held=%d duplicates=%d lost=%d",
				licenses, tc.replicas, tc.step, assigned, superseded, held, dups, lost)
		})
	}
}

package consumer_test

import (
	"sync"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
)

// personCounts records person outcomes as /metrics counts them.
type personCounts struct {
	mu sync.Mutex
	n  map[[2]string]int
}

func (c *personCounts) ObservePerson(eventType, outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[[2]string{eventType, outcome}]++
}

func (c *personCounts) get(eventType, outcome string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[[2]string{eventType, outcome}]
}

// TestPersonOutcomesObservedAndSenderCarried: each person outcome is
// counted by event type and outcome (reconciled, an error code), and the
// sender of a person event (its authid) reaches its outcome and the
// results of the commands derived from it.
func TestPersonOutcomesObservedAndSenderCarried(t *testing.T) {
	vs := directoryVendors(t, 2)
	counts := &personCounts{n: map[[2]string]int{}}
	e := newPeopleEnv(t, vs, peoplePolicy(t, vs, false), func(o *consumer.PeopleOptions) { o.Observer = counts })
	const email = "ines.ko@example.com"
	for _, v := range vs {
		v.addPerson(email)
	}
	join := personEvent(events.SubjectPersonJoined, "hire-55", "E55", email, hired, map[string]any{"department": "Engineering", "title": "Clerk"})
	join.AuthType, join.AuthID = "app_user", "webhook:bamboohr"
	e.publishPerson(join, "")
	r, results := e.applied(join.ID)
	if r.Data.EventAuthID != join.AuthID {
		t.Errorf("person.reconciled event_authid %q, want %q", r.Data.EventAuthID, join.AuthID)
	}
	for id, res := range results {
		if res.Data.CommandAuthID != join.AuthID {
			t.Errorf("%s: command_authid %q, want %q", id, res.Data.CommandAuthID, join.AuthID)
		}
	}
	e.publishRaw(events.SubjectPersonJoined, []byte(`{"specversion":"1.0","type":"person.joined","source":"hr","id":"bad-55","data":{"person":"E1"}}`), "")
	e.reconciled("bad-55")
	e.settled()
	if n := counts.get(events.SubjectPersonJoined, "reconciled"); n != 1 {
		t.Errorf("person.joined reconciled counted %d times, want 1", n)
	}
	if n := counts.get(events.SubjectPersonJoined, events.CodeInvalidCommand); n != 1 {
		t.Errorf("person.joined invalid_command counted %d times, want 1", n)
	}
}

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/handlers"
)

// personWatch collects person outcomes (by event id) and license results
// (by command id) from the moment it subscribes, so that a fast worker is
// not missed; what was settled before (a re-run) it reads from the people
// and command buckets.
type personWatch struct {
	c        *client
	mu       sync.Mutex
	outcomes map[string]events.PersonResult
	results  map[string]result
	arrived  chan struct{}
	subs     []*nats.Subscription
}

// connectPeople connects to NATS and, with wait, subscribes to person
// outcomes and command results before anything is published. done closes
// both; a nil client comes with the exit status to return.
func (a *app) connectPeople(server string, wait bool) (c *client, watch *personWatch, done func(), status int) {
	c, err := connect(server)
	if err != nil {
		return nil, nil, nil, a.unreachable(err)
	}
	if !wait {
		return c, nil, c.close, exitOK
	}
	if watch, err = c.watchPeople(); err != nil {
		c.close()
		fmt.Fprintf(a.stderr, "publish: %v\n", err)
		return nil, nil, nil, exitFailed
	}
	return c, watch, func() { watch.stop(); c.close() }, exitOK
}

func (c *client) watchPeople() (*personWatch, error) {
	w := &personWatch{c: c, outcomes: map[string]events.PersonResult{}, results: map[string]result{}, arrived: make(chan struct{}, 1)}
	subjects := append(append([]string{}, events.PersonResultSubjects...), events.ResultSubjects...)
	for _, subj := range subjects {
		s, err := c.nc.Subscribe(subj, w.offer)
		if err != nil {
			w.stop()
			return nil, err
		}
		w.subs = append(w.subs, s)
	}
	if err := c.nc.Flush(); err != nil {
		w.stop()
		return nil, err
	}
	return w, nil
}

func (w *personWatch) offer(m *nats.Msg) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if m.Subject == events.SubjectPersonReconciled || m.Subject == events.SubjectPersonFailed || m.Subject == events.SubjectPersonScheduled {
		var r events.PersonResult
		if json.Unmarshal(m.Data, &r) == nil {
			// A dated event's outcome, for now, is that it was scheduled;
			// its person.reconciled, when it comes, says more.
			if _, seen := w.outcomes[r.Data.EventID]; !seen || r.Type != events.SubjectPersonScheduled {
				w.outcomes[r.Data.EventID] = r
			}
		}
	} else {
		var r events.Result
		if json.Unmarshal(m.Data, &r) == nil {
			w.results[r.Data.CommandID] = result{raw: append([]byte(nil), m.Data...), res: r}
		}
	}
	select {
	case w.arrived <- struct{}{}:
	default:
	}
}

func (w *personWatch) stop() {
	for _, s := range w.subs {
		_ = s.Unsubscribe()
	}
}

// settled is what waiting found for a set of person events.
type settled struct {
	outcomes map[string]events.PersonResult
	results  map[string]result
	done     bool
}

// wait waits until every event in persons (event id → person id) has an
// outcome and every command of those outcomes a result, or ctx ends.
func (w *personWatch) wait(ctx context.Context, persons map[string]string) settled {
	poll := time.NewTicker(time.Second)
	defer poll.Stop()
	for {
		missingEvents, missingResults := w.missing(persons)
		if len(missingEvents) == 0 && len(missingResults) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return w.snapshot(false)
		case <-w.arrived:
		case <-poll.C:
			w.fromStores(ctx, missingEvents, persons, missingResults)
		}
	}
	return w.snapshot(true)
}

func (w *personWatch) missing(persons map[string]string) (pendingEvents, pendingResults []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for id := range persons {
		o, ok := w.outcomes[id]
		if !ok {
			pendingEvents = append(pendingEvents, id)
			continue
		}
		for _, c := range o.Data.Commands {
			if _, ok := w.results[c.ID]; !ok {
				pendingResults = append(pendingResults, c.ID)
			}
		}
	}
	return pendingEvents, pendingResults
}

// fromStores reads what the worker settled before the watch began: a
// person's record names the last event applied to it, the command bucket
// holds every command's result.
func (w *personWatch) fromStores(ctx context.Context, eventIDs []string, persons map[string]string, commandIDs []string) {
	if kv, err := w.c.js.KeyValue(ctx, events.PeopleBucket); err == nil {
		for _, id := range eventIDs {
			rec, _, err := consumer.PersonRecord(ctx, kv, persons[id])
			if err != nil || rec == nil || rec.LastResult == nil || rec.Last.EventID != id {
				continue
			}
			lr := rec.LastResult
			ev := events.PersonEvent{ID: id, Type: lr.EventType, Source: lr.EventSource, Data: events.PersonData{Person: rec.Person, Email: rec.Email}}
			r := events.NewPersonResult(ev, rec.Last.Seq, rec.Last.Time, *rec.LastResult)
			w.mu.Lock()
			w.outcomes[id] = r
			w.mu.Unlock()
		}
	}
	kv, err := w.c.js.KeyValue(ctx, events.CommandBucket)
	if err != nil {
		return
	}
	store := consumer.KVStore{KV: kv}
	for _, id := range commandIDs {
		rec, err := handlers.LookupRecord(ctx, store, id)
		var r events.Result
		if err != nil || !rec.Done || json.Unmarshal(rec.Result, &r) != nil {
			continue
		}
		w.mu.Lock()
		w.results[id] = result{raw: rec.Result, res: r}
		w.mu.Unlock()
	}
}

func (w *personWatch) snapshot(done bool) settled {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := settled{outcomes: map[string]events.PersonResult{}, results: map[string]result{}, done: done}
	for k, v := range w.outcomes {
		s.outcomes[k] = v
	}
	for k, v := range w.results {
		s.results[k] = v
	}
	return s
}

package people

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// Record is what the people bucket keeps about a person: the last applied
// event and what policy granted after it.
type Record struct {
	Person     string         `json:"person"`
	Email      string         `json:"email,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
	// Granted is what policy granted the person, per vendor.
	Granted map[string][]string `json:"granted"`
	Left    bool                `json:"left,omitempty"`
	Last    Mark                `json:"last"`
	// LastResult is the outcome of the last applied event: a redelivery
	// of that event publishes it, and its commands, again.
	LastResult *events.PersonResultData `json:"last_result,omitempty"`
}

// Mark places an event in a person's history: events apply in Time order,
// ties broken by stream sequence.
type Mark struct {
	EventID string    `json:"event_id"`
	Time    time.Time `json:"time"`
	Seq     uint64    `json:"seq,omitempty"`
}

// Input is one delivery of a person event.
type Input struct {
	Event events.PersonEvent
	// Seq is the event's stream sequence, Published its stream time (the
	// event's time when it carries none).
	Seq       uint64
	Published time.Time
}

// Plan is what reconciling a person event decided.
type Plan struct {
	// Record is the person's record after the event; Store says whether it
	// changed and must be written (not for a replay or a skipped event).
	Record Record
	Store  bool
	// Commands are the license commands to publish, in order.
	Commands []events.Command
	// Result is the data of the person.reconciled event (or, with Error
	// set, person.failed).
	Result events.PersonResultData
}

// Reconcile plans a person event against the person's record (nil for a
// person seen for the first time). vendors are the vendors a leaver's
// release_all covers beyond those policy granted at; nil means those the
// policy names.
func (p *Policy) Reconcile(prev *Record, in Input, vendors []string) Plan {
	ev := in.Event
	at := ev.OrderTime()
	if at.IsZero() {
		at = in.Published
	}
	mark := Mark{EventID: ev.ID, Time: at, Seq: in.Seq}
	if prev != nil && prev.Last.EventID == ev.ID && prev.LastResult != nil {
		return Plan{Record: *prev, Commands: commandsOf(ev, at, prev.Email, *prev.LastResult), Result: *prev.LastResult}
	}
	if prev != nil && prev.Last.EventID != "" && before(mark, prev.Last) {
		return Plan{Record: *prev, Result: events.PersonResultData{
			Granted: prev.Granted,
			Skipped: &events.Skip{Reason: events.SkipSuperseded, NewerEvent: prev.Last.EventID, NewerTime: prev.Last.Time},
		}}
	}
	var was map[string][]string
	email := ev.Data.Email
	if prev != nil {
		was = prev.Granted
		if email == "" {
			email = prev.Email
		}
	}
	next := Record{Person: ev.Data.Person, Email: email, Attributes: ev.Data.Attributes, Last: mark}
	res := events.PersonResultData{EventID: ev.ID, EventSource: ev.Source, EventType: ev.Type, EventSeq: in.Seq}
	if ev.Type == events.SubjectPersonLeft {
		if prev != nil {
			next.Attributes = prev.Attributes
		}
		if email == "" {
			res.Error = &events.Error{Code: events.CodeUserNotFound, Message: fmt.Sprintf(
				"person %s is not known here and the event has no e-mail: there is nothing to release", ev.Data.Person)}
			return Plan{Record: next, Result: res}
		}
		next.Left, next.Granted = true, map[string][]string{}
	} else {
		next.Granted, res.Rules = p.Desired(ev.Data.Person, email, ev.Data.Attributes)
	}
	res.Granted = next.Granted
	all := ev.Type == events.SubjectPersonLeft && p.Offboarding.ReleaseAll
	if vendors == nil {
		vendors = p.vendors
	}
	res.Commands = diff(ev.ID, was, next.Granted, all, vendors)
	next.LastResult = &res
	return Plan{Record: next, Store: true, Commands: commandsOf(ev, at, email, res), Result: res}
}

func before(a, b Mark) bool {
	return a.Time.Before(b.Time) || (a.Time.Equal(b.Time) && a.Seq < b.Seq)
}

// Desired returns the union of the grants of every rule that matches the
// person, and each rule's verdict.
func (p *Policy) Desired(person, email string, attributes map[string]any) (map[string][]string, []events.RuleOutcome) {
	subject := make(map[string]any, len(attributes)+2)
	for k, v := range attributes {
		subject[k] = v
	}
	subject["id"], subject["email"] = person, email
	desired := map[string][]string{}
	outcomes := make([]events.RuleOutcome, 0, len(p.Rules))
	act := activation(subject)
	for i := range p.Rules {
		r := &p.Rules[i]
		ok, err := r.match(act)
		o := events.RuleOutcome{Name: r.Name, Matched: ok}
		if err != nil {
			o.Error = err.Error()
		}
		outcomes = append(outcomes, o)
		if !ok {
			continue
		}
		for v, codes := range r.Grant {
			for _, c := range codes {
				if !slices.Contains(desired[v], c) {
					desired[v] = append(desired[v], c)
				}
			}
		}
	}
	return desired, outcomes
}

// diff plans the commands that take a person from what policy granted
// before to what it grants now: per vendor, a release of what is no longer
// granted, then an assign of what is newly granted. With all, every vendor
// in vendors (and every vendor granted before) gets a release of
// everything the person holds there.
func diff(eventID string, before, after map[string][]string, all bool, vendors []string) []events.PlannedCommand {
	names := map[string]bool{}
	for v := range before {
		names[v] = true
	}
	for v := range after {
		names[v] = true
	}
	if all {
		for _, v := range vendors {
			names[v] = true
		}
	}
	sorted := make([]string, 0, len(names))
	for v := range names {
		sorted = append(sorted, v)
	}
	sort.Strings(sorted)
	var out []events.PlannedCommand
	for _, v := range sorted {
		if all {
			out = append(out, events.PlannedCommand{ID: CommandID(eventID, v, events.SubjectRelease), Type: events.SubjectRelease, Vendor: v, All: true})
			continue
		}
		if gone := minus(before[v], after[v]); len(gone) > 0 {
			out = append(out, events.PlannedCommand{ID: CommandID(eventID, v, events.SubjectRelease), Type: events.SubjectRelease, Vendor: v, Licenses: gone})
		}
		if added := minus(after[v], before[v]); len(added) > 0 {
			out = append(out, events.PlannedCommand{ID: CommandID(eventID, v, events.SubjectAssign), Type: events.SubjectAssign, Vendor: v, Licenses: added})
		}
	}
	return out
}

func minus(a, b []string) []string {
	var out []string
	for _, c := range a {
		if !slices.Contains(b, c) {
			out = append(out, c)
		}
	}
	return out
}

// CommandID is the id of the command of type typ (license.assign or
// license.release) that person event eventID leads to at vendor: derived,
// so that a replayed event publishes the same ids and every command is
// processed once.
func CommandID(eventID, vendor, typ string) string {
	op := "assign"
	if typ == events.SubjectRelease {
		op = "release"
	}
	return eventID + "/" + vendor + "/" + op
}

// commandsOf builds the license commands of a planned outcome: each carries
// the event's time (so that per-seat ordering follows the HR facts), the
// person's e-mail (resolved to the vendor's user id by the worker), the
// person's id and the event's sender (authtype, authid).
func commandsOf(ev events.PersonEvent, at time.Time, email string, res events.PersonResultData) []events.Command {
	cmds := make([]events.Command, 0, len(res.Commands))
	for _, pc := range res.Commands {
		cmd := events.NewCommand(pc.Type, ev.Source, pc.ID, at, events.CommandData{
			Vendor: pc.Vendor, Email: email, Person: ev.Data.Person,
			Licenses: slices.Clone(pc.Licenses), Reason: ev.Type + " " + ev.ID,
		})
		// Who sent the event sent its commands: the audit trail says so.
		cmd.AuthType, cmd.AuthID = ev.AuthType, ev.AuthID
		cmds = append(cmds, cmd)
	}
	return cmds
}

package events

import "time"

// PersonResult is the outcome of one person event, published on
// person.reconciled or person.failed with id <event id>/reconciled.
type PersonResult struct {
	SpecVersion     string           `json:"specversion"`
	Type            string           `json:"type"`
	Source          string           `json:"source"`
	ID              string           `json:"id"`
	Time            time.Time        `json:"time"`
	Subject         string           `json:"subject,omitempty"`
	DataContentType string           `json:"datacontenttype"`
	Data            PersonResultData `json:"data"`
}

// PersonResultData is the data of a PersonResult: the plan the policy made
// for the person and the ids of the license commands that carry it out.
// Each command's own result follows on the license result subjects.
type PersonResultData struct {
	EventID     string `json:"event_id"`
	EventSource string `json:"event_source,omitempty"`
	EventType   string `json:"event_type,omitempty"`
	EventSeq    uint64 `json:"event_seq,omitempty"`
	// EventAuthID repeats the event's authid attribute: who sent it.
	EventAuthID string `json:"event_authid,omitempty"`
	Person      string `json:"person,omitempty"`
	Email       string `json:"email,omitempty"`
	// Rules says, for each rule of the policy, whether it matched; a rule
	// that could not be evaluated (an attribute it reads is missing) does
	// not match and carries the reason.
	Rules []RuleOutcome `json:"rules,omitzero"`
	// Commands are the license commands published for the person, in order.
	Commands []PlannedCommand `json:"commands"`
	// Granted is what policy grants the person after this event, per vendor.
	Granted map[string][]string `json:"granted"`
	// Skipped is set when the event was not applied: an event about the
	// person with a later time was applied already.
	Skipped *Skip `json:"skipped,omitempty"`
	DryRun  bool  `json:"dry_run,omitempty"`
	// Scheduled is set on person.scheduled only: when the event will be
	// reconciled (its effective time).
	Scheduled time.Time `json:"scheduled,omitzero"`
	// Error is set on person.failed only.
	Error *Error `json:"error,omitempty"`
}

// RuleOutcome is one rule's verdict on a person.
type RuleOutcome struct {
	Name    string `json:"name"`
	Matched bool   `json:"matched"`
	// Error says why the rule could not be evaluated (it then does not
	// match), e.g. an attribute it reads is missing.
	Error string `json:"error,omitempty"`
}

// PlannedCommand is one license command a person event leads to.
type PlannedCommand struct {
	ID       string   `json:"id"`
	Type     string   `json:"type"`
	Vendor   string   `json:"vendor"`
	Licenses []string `json:"licenses,omitzero"`
	// All marks a release of everything the person holds at the vendor
	// (offboarding.release_all); Licenses is then empty.
	All bool `json:"all,omitempty"`
}

// Skip says why a person event was not applied.
type Skip struct {
	Reason string `json:"reason"`
	// NewerEvent is the id of the applied event that supersedes this one.
	NewerEvent string    `json:"newer_event,omitempty"`
	NewerTime  time.Time `json:"newer_time,omitzero"`
}

// Reasons a person event is skipped.
const (
	SkipSuperseded = "superseded"
)

// PersonResultID returns the id of the outcome of the person event eventID.
func PersonResultID(eventID string) string { return eventID + "/reconciled" }

// PersonScheduledID returns the id of the person.scheduled outcome of the
// person event eventID: apart from its person.reconciled, which follows.
func PersonScheduledID(eventID string) string { return eventID + "/scheduled" }

// NewPersonScheduled returns the person.scheduled outcome of ev: it will
// be reconciled at its effective time.
func NewPersonScheduled(ev PersonEvent, seq uint64, at time.Time) PersonResult {
	r := NewPersonResult(ev, seq, at, PersonResultData{Scheduled: ev.Data.Effective.UTC()})
	r.Type, r.ID = SubjectPersonScheduled, PersonScheduledID(ev.ID)
	return r
}

// NewPersonResult returns the outcome of ev with the envelope filled in;
// with data.Error set it is a person.failed event.
func NewPersonResult(ev PersonEvent, seq uint64, at time.Time, data PersonResultData) PersonResult {
	data.EventID, data.EventSource, data.EventType, data.EventSeq = ev.ID, ev.Source, ev.Type, seq
	data.EventAuthID = ev.AuthID
	if data.Person == "" {
		data.Person = ev.Data.Person
	}
	if data.Email == "" {
		data.Email = ev.Data.Email
	}
	if data.Commands == nil {
		data.Commands = []PlannedCommand{}
	}
	if data.Granted == nil {
		data.Granted = map[string][]string{}
	}
	typ := SubjectPersonReconciled
	if data.Error != nil {
		typ = SubjectPersonFailed
	}
	subject := ""
	if data.Person != "" {
		subject = "person/" + data.Person
	}
	return PersonResult{
		SpecVersion: SpecVersion, Type: typ, Source: ResultSource, ID: PersonResultID(ev.ID),
		Time: at.UTC(), Subject: subject, DataContentType: DataContentType, Data: data,
	}
}

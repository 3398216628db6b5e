package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// Subjects of the people stream: HR facts about a person.
const (
	SubjectPersonJoined  = "person.joined"
	SubjectPersonChanged = "person.changed"
	SubjectPersonLeft    = "person.left"
)

// Subjects on which the outcome of a person event is published, on the
// result stream beside the license results.
const (
	SubjectPersonReconciled = "person.reconciled"
	SubjectPersonFailed     = "person.failed"
	// SubjectPersonScheduled says that an event with a future effective
	// time was scheduled: its person.reconciled follows at that time.
	SubjectPersonScheduled = "person.scheduled"
)

// PersonSchedulePrefix is the first two tokens of the people stream's
// schedule subjects, one per dated event:
// person.schedule.<person>.<event id>. The people consumer never receives
// them; JetStream publishes each event on its own subject when it is due.
const (
	PersonSchedulePrefix   = "person.schedule"
	PersonScheduleSubjects = PersonSchedulePrefix + ".>"
)

// The people stream, its durable consumer and the people bucket.
const (
	PeopleStream   = "PEOPLE_EVENTS"
	PeopleConsumer = "seatkeeper-people"
	PeopleBucket   = "seatkeeper_people"
)

// PersonSubjects lists the subjects of the people stream.
var PersonSubjects = []string{SubjectPersonJoined, SubjectPersonChanged, SubjectPersonLeft}

// PersonResultSubjects lists the subjects person outcomes are published on.
var PersonResultSubjects = []string{SubjectPersonReconciled, SubjectPersonFailed, SubjectPersonScheduled}

// Limits on a person event, beside the command limits it shares (payload,
// id, field length).
const (
	// MaxPersonEventIDLength leaves room in MaxIDLength for the suffix of
	// the longest command id derived from a person event
	// ("/licensespring/release"), so that every derived id is itself a
	// valid command id.
	MaxPersonEventIDLength = MaxIDLength - 24
	MaxAttributes          = 64
	MaxAttributeNameBytes  = 64
	MaxEmailBytes          = 254
)

// PersonEvent is an HR fact about a person: a CloudEvents 1.0 event in
// structured JSON mode published on person.joined, person.changed or
// person.left.
type PersonEvent struct {
	SpecVersion     string    `json:"specversion"`
	Type            string    `json:"type"`
	Source          string    `json:"source"`
	ID              string    `json:"id"`
	Time            time.Time `json:"time,omitzero"`
	DataContentType string    `json:"datacontenttype,omitempty"`
	// AuthType and AuthID are the CloudEvents Auth Context extension, as
	// on a command: who sent the event (the HTTP ingress sets them).
	AuthType string     `json:"authtype,omitempty"`
	AuthID   string     `json:"authid,omitempty"`
	Data     PersonData `json:"data"`
}

// PersonData is the data of a PersonEvent. Joined and changed events carry
// the person's full current attributes, not a patch.
type PersonData struct {
	// Person is the HR system's id of the person.
	Person string `json:"person"`
	Email  string `json:"email,omitempty"`
	// Attributes are strings, numbers, booleans or lists of strings, named
	// so that a policy can write person.<name>.
	Attributes map[string]any `json:"attributes,omitempty"`
	// Effective is when the fact takes effect (a leaving date, a move's
	// start date): an event whose effective time is in the future is
	// scheduled and reconciled then. Zero is now.
	Effective time.Time `json:"effective,omitzero"`
}

// OrderTime is when the event applies: its effective time when that is
// later than its time, else its time. Events for one person apply in this
// order, and the commands derived from it carry it.
func (ev PersonEvent) OrderTime() time.Time {
	if ev.Data.Effective.After(ev.Time) {
		return ev.Data.Effective
	}
	return ev.Time
}

// NewPersonEvent returns a person event of type typ with the envelope
// fields filled in.
func NewPersonEvent(typ, source, id string, at time.Time, data PersonData) PersonEvent {
	return PersonEvent{SpecVersion: SpecVersion, Type: typ, Source: source, ID: id,
		Time: at.UTC(), DataContentType: DataContentType, Data: data}
}

var personAttributeKinds = map[string]string{
	"specversion": "string", "type": "string", "source": "string", "id": "string",
	"time": "string", "datacontenttype": "string", "data": "object",
}

var personDataKinds = map[string]string{"person": "string", "email": "string", "attributes": "object", "effective": "string"}

// attributeName is what a CEL field selection (person.department) can name.
var attributeName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// DecodePersonEvent decodes and validates a person event published on
// subject, with the same checks and limits as DecodeCommand. On failure it
// returns a *ValidationError (code invalid_command) and whatever of the
// event could be decoded, so that the failure can name the event.
func DecodePersonEvent(subject string, payload []byte) (PersonEvent, error) {
	var ev PersonEvent
	if len(payload) > MaxPayloadBytes {
		return ev, invalid("payload is %d bytes, over the %d-byte limit", len(payload), MaxPayloadBytes)
	}
	if !utf8.Valid(payload) {
		return ev, invalid("payload is not valid UTF-8")
	}
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		if len(trimmed) > 0 && !json.Valid(trimmed) {
			return ev, invalid("payload is not valid JSON")
		}
		return ev, invalid("payload is not a JSON object: want a CloudEvents event")
	}
	var w wireCommand
	if err := json.Unmarshal(trimmed, &w); err != nil {
		return ev, jsonError("", err)
	}
	var cmd Command
	fill(&cmd, &w)
	ev = PersonEvent{SpecVersion: cmd.SpecVersion, Type: cmd.Type, Source: cmd.Source, ID: cmd.ID,
		Time: cmd.Time, DataContentType: cmd.DataContentType, AuthType: cmd.AuthType, AuthID: cmd.AuthID}
	if len(ev.ID) > 0 && !validPersonEventID(ev.ID) {
		ev.ID = ""
	}
	_ = json.Unmarshal(w.Data, &ev.Data) // best effort, for the failure
	if err := checkMembers("", trimmed, personAttributeKinds, true); err != nil {
		return ev, err
	}
	if err := checkPersonEnvelope(subject, &ev, &w); err != nil {
		return ev, err
	}
	ev.Data = PersonData{}
	if w.Data[0] == '{' {
		if err := checkMembers("data.", w.Data, personDataKinds, false); err != nil {
			return ev, err
		}
	}
	if err := json.Unmarshal(w.Data, &ev.Data); err != nil {
		return ev, jsonError("data.", err)
	}
	return ev, checkPersonData(&ev)
}

func checkPersonEnvelope(subject string, ev *PersonEvent, w *wireCommand) error {
	// The envelope rules are the commands'; only the id's length and the
	// types differ.
	probe := Command{SpecVersion: ev.SpecVersion, Source: ev.Source, ID: derefOr(w.ID), Type: SubjectAssign,
		AuthType: ev.AuthType, AuthID: ev.AuthID}
	if err := checkEnvelope(SubjectAssign, &probe, &wireCommand{
		SpecVersion: w.SpecVersion, Type: &probe.Type, Source: w.Source, ID: w.ID, Time: w.Time,
		DataContentType: w.DataContentType, Data: w.Data,
	}); err != nil {
		return err
	}
	if !validPersonEventID(*w.ID) {
		return invalid("id must be 1 to %d printable characters for a person event", MaxPersonEventIDLength)
	}
	if w.Type == nil || *w.Type == "" {
		return invalid("type is missing")
	}
	if !isPersonType(ev.Type) {
		return invalid("type %s is not a person event type: want one of %s", quote(ev.Type), strings.Join(PersonSubjects, ", "))
	}
	if ev.Type != subject {
		return invalid("type %q does not match subject %s", ev.Type, quote(subject))
	}
	return nil
}

func checkPersonData(ev *PersonEvent) error {
	d := &ev.Data
	if d.Person == "" {
		return invalid("data.person is missing: the HR system's id of the person")
	}
	if err := checkString("data.person", d.Person, MaxUserBytes); err != nil {
		return err
	}
	if d.Email == "" && ev.Type != SubjectPersonLeft {
		return invalid("data.email is missing: %s needs the person's e-mail", ev.Type)
	}
	if d.Email != "" && !validEmail(d.Email) {
		return invalid("data.email %s is not an e-mail address", quote(d.Email))
	}
	if len(d.Attributes) > MaxAttributes {
		return invalid("data.attributes has %d names, over the limit of %d", len(d.Attributes), MaxAttributes)
	}
	for name, v := range d.Attributes {
		field := fieldName("data.attributes.", name)
		if len(name) > MaxAttributeNameBytes || !attributeName.MatchString(name) {
			return invalid("%s: an attribute name is lower-case letters, digits and _, not starting with a digit, at most %d bytes", field, MaxAttributeNameBytes)
		}
		if err := checkAttribute(field, v); err != nil {
			return err
		}
	}
	return nil
}

func checkAttribute(field string, v any) error {
	switch v := v.(type) {
	case string:
		return checkString(field, v, MaxFieldBytes)
	case float64, bool:
		return nil
	case []any:
		if len(v) > MaxLicenses {
			return invalid("%s has %d values, over the limit of %d", field, len(v), MaxLicenses)
		}
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return invalid("%s[%d] must be a string: a list attribute holds strings", field, i)
			}
			if err := checkString(fmt.Sprintf("%s[%d]", field, i), s, MaxFieldBytes); err != nil {
				return err
			}
		}
		return nil
	case nil:
		return invalid("%s must be a string, number, boolean or list of strings, not null", field)
	}
	return invalid("%s must be a string, number, boolean or list of strings, not an object", field)
}

// validEmail is a plausibility check, not RFC 5322: one @, something on
// both sides, no spaces or control characters. The vendor's directory is
// the judge of whether the address exists.
func validEmail(s string) bool {
	if len(s) > MaxEmailBytes || checkString("", s, MaxEmailBytes) != nil || strings.ContainsAny(s, " \t<>") {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && strings.Count(s, "@") == 1
}

func validPersonEventID(id string) bool {
	return validID(id) && utf8.RuneCountInString(id) <= MaxPersonEventIDLength
}

func isPersonType(t string) bool {
	for _, s := range PersonSubjects {
		if s == t {
			return true
		}
	}
	return false
}

func derefOr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

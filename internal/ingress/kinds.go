package ingress

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// A Validator is the worker's own decoder for one family of events: it
// takes the subject an event is published on and its structured JSON, and
// returns an error naming the field when the worker would refuse it.
type Validator func(subject string, payload []byte) error

// Kinds maps each event type the ingress accepts to the validator of its
// family. An event of type T is published on subject T.
type Kinds map[string]Validator

// DefaultKinds accepts the license commands, validated by
// events.DecodeCommand, and the person events (on PEOPLE_EVENTS), validated
// by events.DecodePersonEvent: exactly as the worker decodes them.
func DefaultKinds() Kinds {
	k := Kinds{}
	for _, subject := range events.CommandSubjects {
		k[subject] = validateCommand
	}
	for _, subject := range events.PersonSubjects {
		k[subject] = validatePerson
	}
	return k
}

func validateCommand(subject string, payload []byte) error {
	_, err := events.DecodeCommand(subject, payload)
	return err
}

func validatePerson(subject string, payload []byte) error {
	_, err := events.DecodePersonEvent(subject, payload)
	return err
}

// types lists the accepted types, sorted, for messages.
func (k Kinds) types() string {
	ts := make([]string, 0, len(k))
	for t := range k {
		ts = append(ts, t)
	}
	slices.Sort(ts)
	return strings.Join(ts, ", ")
}

// Attributes of the CloudEvents Auth Context extension that the ingress
// sets on every event it publishes: who sent it, by the configured name of
// the credential. A sender's own values are replaced: they are the
// ingress's claim, not the sender's.
const (
	attrAuthType = "authtype"
	attrAuthID   = "authid"
	// authTypeAPIKey is the extension's value for "a non-user API key",
	// which is what a bearer token or a webhook secret is.
	authTypeAPIKey = "api_key"
)

// Event is one validated event of a request, as it will be published on
// the subject Type.
type Event struct {
	ID      string
	Type    string
	Payload []byte // structured JSON, with the auth context set
}

// invalidEvent says why one event is refused.
type invalidEvent struct {
	ID     string
	Type   string
	Code   string // events.CodeInvalidCommand or events.CodeUnknownVendor
	Detail string
	Field  string
}

func (e *invalidEvent) Error() string { return e.Detail }

// prepare validates raw (one event in structured JSON) with its family's
// validator, sets the auth context for cred, and validates the result
// again: what is published is exactly what the worker was shown to accept.
func (k Kinds) prepare(raw []byte, cred Credential) (Event, error) {
	var head struct {
		ID   any `json:"id"`
		Type any `json:"type"`
	}
	_ = json.Unmarshal(raw, &head)
	id, _ := head.ID.(string)
	typ, _ := head.Type.(string)
	validate, ok := k[typ]
	if !ok {
		field, detail := "type", fmt.Sprintf("type %s is not accepted here: want one of %s", quote(typ), k.types())
		if head.Type == nil {
			detail = "type is missing"
		}
		return Event{}, &invalidEvent{ID: id, Type: typ, Code: events.CodeInvalidCommand, Detail: detail, Field: field}
	}
	if err := validate(typ, raw); err != nil {
		return Event{}, refusal(id, typ, err)
	}
	payload, err := withAuthContext(raw, cred)
	if err != nil {
		return Event{}, refusal(id, typ, err)
	}
	if err := validate(typ, payload); err != nil {
		return Event{}, refusal(id, typ, fmt.Errorf("with the auth context set: %w", err))
	}
	return Event{ID: id, Type: typ, Payload: payload}, nil
}

func refusal(id, typ string, err error) *invalidEvent {
	inv := &invalidEvent{ID: id, Type: typ, Code: events.CodeInvalidCommand, Detail: err.Error()}
	var verr *events.ValidationError
	if errors.As(err, &verr) {
		inv.Code = verr.Code
		inv.Field = fieldOf(verr.Message)
	}
	return inv
}

// withAuthContext returns the JSON object raw with authtype and authid set
// for cred. When raw names neither, the two members go in front of its own,
// which keep their bytes and order; otherwise the object is decoded and
// encoded again with the sender's values replaced (members sorted, values
// kept byte for byte). A name spelt with escapes ("auth\u0069d") escapes the
// first test, and then appears twice: the validation that follows refuses
// it, so a sender cannot choose its own authid either way.
func withAuthContext(raw []byte, cred Credential) ([]byte, error) {
	authID, _ := json.Marshal(cred.AuthID())
	if !bytes.Contains(raw, []byte(`"authtype"`)) && !bytes.Contains(raw, []byte(`"authid"`)) {
		rest := bytes.TrimLeft(raw, " \t\r\n")[1:] // past the '{'
		out := make([]byte, 0, len(raw)+64)
		out = append(out, `{"authtype":"`+authTypeAPIKey+`","authid":`...)
		out = append(out, authID...)
		if len(bytes.TrimSpace(rest)) > 1 { // not "}": members follow
			out = append(out, ',')
		}
		return append(out, rest...), nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return nil, err
	}
	members[attrAuthType], _ = json.Marshal(authTypeAPIKey)
	members[attrAuthID] = authID
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(members); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// fieldOf returns the field a validation message is about. The worker's
// messages start with the field they are about ("data.user is missing",
// "type \"x\" does not match subject ..."); messages about the payload as a
// whole name none.
func fieldOf(msg string) string {
	msg = strings.TrimPrefix(msg, "not a CloudEvents event: ")
	word, _, _ := strings.Cut(msg, " ")
	if word == "payload" || word == "attribute" || word == "" {
		return ""
	}
	for _, c := range word {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '[' || c == ']') {
			return ""
		}
	}
	return word
}

// quote returns s quoted for a message, at most 64 bytes of it.
func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return fmt.Sprintf("%q", s)
}

package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on a command (docs/design.md §3).
const (
	MaxPayloadBytes = 64 << 10
	MaxLicenses     = 50
	MaxIDLength     = 200
	MaxUserBytes    = 256
	// MaxFieldBytes bounds every other string of a command.
	MaxFieldBytes = 1024
)

// ValidationError says why a command was refused. Code is CodeInvalidCommand
// or CodeUnknownVendor; Message names the offending field.
type ValidationError struct {
	Code    string
	Message string
}

func (e *ValidationError) Error() string { return e.Message }

func invalid(format string, args ...any) *ValidationError {
	return &ValidationError{Code: CodeInvalidCommand, Message: fmt.Sprintf(format, args...)}
}

// wireCommand mirrors Command with every attribute optional, so that a missing
// attribute can be told from an empty one.
type wireCommand struct {
	SpecVersion     *string         `json:"specversion"`
	Type            *string         `json:"type"`
	Source          *string         `json:"source"`
	ID              *string         `json:"id"`
	Time            *string         `json:"time"`
	DataContentType *string         `json:"datacontenttype"`
	RedriveOf       *string         `json:"redriveof"`
	AuthType        *string         `json:"authtype"`
	AuthID          *string         `json:"authid"`
	Data            json.RawMessage `json:"data"`
}

// DecodeCommand decodes and validates a command published on subject. On
// failure it returns a *ValidationError and whatever of the command could be
// decoded, so that the failure can name the command.
func DecodeCommand(subject string, payload []byte) (Command, error) {
	var cmd Command
	if len(payload) > MaxPayloadBytes {
		return cmd, invalid("payload is %d bytes, over the %d-byte limit", len(payload), MaxPayloadBytes)
	}
	// JSON text is UTF-8 (RFC 8259); encoding/json would quietly turn bad
	// bytes into U+FFFD, so that two readers of one payload could disagree.
	if !utf8.Valid(payload) {
		return cmd, invalid("payload is not valid UTF-8")
	}
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 {
		return cmd, invalid("payload is empty: want a CloudEvents JSON object")
	}
	if trimmed[0] != '{' {
		if !json.Valid(trimmed) {
			return cmd, invalid("payload is not valid JSON")
		}
		return cmd, invalid("payload is not a JSON object: want a CloudEvents event")
	}
	var w wireCommand
	if err := json.Unmarshal(trimmed, &w); err != nil {
		return cmd, jsonError("", err)
	}
	fill(&cmd, &w)
	if err := checkMembers("", trimmed, attributeKinds, true); err != nil {
		return cmd, bestEffortData(&cmd, &w, err)
	}
	if err := checkEnvelope(subject, &cmd, &w); err != nil {
		return cmd, bestEffortData(&cmd, &w, err)
	}
	if err := decodeData(w.Data, &cmd.Data); err != nil {
		return cmd, err
	}
	return cmd, checkData(&cmd)
}

// bestEffortData decodes what it can of the data of a command refused
// before its data was decoded, so that the failure can still say which
// vendor and user it concerned, and returns err.
func bestEffortData(cmd *Command, w *wireCommand, err error) error {
	_ = json.Unmarshal(w.Data, &cmd.Data)
	return err
}

func fill(cmd *Command, w *wireCommand) {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	cmd.SpecVersion = str(w.SpecVersion)
	cmd.Type = str(w.Type)
	cmd.Source = str(w.Source)
	cmd.ID = str(w.ID)
	cmd.DataContentType = str(w.DataContentType)
	cmd.RedriveOf = str(w.RedriveOf)
	cmd.AuthType = str(w.AuthType)
	cmd.AuthID = str(w.AuthID)
	if w.Time != nil {
		cmd.Time, _ = time.Parse(time.RFC3339Nano, *w.Time)
	}
	if !validID(cmd.ID) {
		cmd.ID = ""
	}
}

func checkEnvelope(subject string, cmd *Command, w *wireCommand) error {
	if w.SpecVersion == nil {
		return invalid("not a CloudEvents event: specversion is missing")
	}
	if cmd.SpecVersion != SpecVersion {
		return invalid("specversion %s is not supported: want %q", quote(cmd.SpecVersion), SpecVersion)
	}
	if w.ID == nil || *w.ID == "" {
		return invalid("id is missing")
	}
	if !validID(*w.ID) {
		return invalid("id must be 1 to %d printable characters", MaxIDLength)
	}
	if w.Source == nil || *w.Source == "" {
		return invalid("source is missing")
	}
	if err := checkString("source", cmd.Source, MaxFieldBytes); err != nil {
		return err
	}
	if w.Type == nil || *w.Type == "" {
		return invalid("type is missing")
	}
	if !isCommandType(cmd.Type) {
		return invalid("type %s is not a command type: want one of %s", quote(cmd.Type), strings.Join(CommandSubjects, ", "))
	}
	if cmd.Type != subject {
		return invalid("type %q does not match subject %s", cmd.Type, quote(subject))
	}
	if w.Time != nil && !validTime(*w.Time) {
		return invalid("time %s is not an RFC 3339 timestamp", quote(*w.Time))
	}
	if w.DataContentType != nil {
		if err := checkString("datacontenttype", *w.DataContentType, MaxFieldBytes); err != nil {
			return err
		}
		if !jsonMediaType.MatchString(*w.DataContentType) {
			return invalid("datacontenttype %s is not supported: want %q", quote(*w.DataContentType), DataContentType)
		}
	}
	if w.RedriveOf != nil && !validID(*w.RedriveOf) {
		return invalid("redriveof must be 1 to %d printable characters", MaxIDLength)
	}
	if err := checkString("authtype", cmd.AuthType, MaxFieldBytes); err != nil {
		return err
	}
	if err := checkString("authid", cmd.AuthID, MaxFieldBytes); err != nil {
		return err
	}
	if len(w.Data) == 0 || string(w.Data) == "null" {
		return invalid("data is missing")
	}
	return nil
}

func decodeData(raw json.RawMessage, data *CommandData) error {
	*data = CommandData{}
	if raw[0] == '{' {
		// Every name is now one of CommandData's, spelt exactly: no
		// unknown field is left for the decoder to refuse.
		if err := checkMembers("data.", raw, dataKinds, false); err != nil {
			return err
		}
	}
	if err := json.Unmarshal(raw, data); err != nil {
		return jsonError("data.", err)
	}
	return nil
}

func checkData(cmd *Command) error {
	d := &cmd.Data
	if d.Vendor == "" {
		return invalid("data.vendor is missing")
	}
	if err := checkEdges(d); err != nil {
		return err
	}
	if !KnownVendor(d.Vendor) {
		return &ValidationError{Code: CodeUnknownVendor, Message: fmt.Sprintf(
			"data.vendor %s is not one of %s", quote(d.Vendor), strings.Join(Vendors, ", "))}
	}
	if err := checkString("data.account", d.Account, MaxUserBytes); err != nil {
		return err
	}
	if err := checkString("data.reason", d.Reason, MaxFieldBytes); err != nil {
		return err
	}
	if err := checkReclaimFields(cmd); err != nil {
		return err
	}
	if d.User == "" && d.Email == "" && cmd.Type != SubjectList && cmd.Type != SubjectReclaim {
		return invalid("data.user is missing: %s needs the vendor's user id (or data.email)", cmd.Type)
	}
	if err := checkString("data.user", d.User, MaxUserBytes); err != nil {
		return err
	}
	if d.Email != "" && !validEmail(d.Email) {
		return invalid("data.email %s is not an e-mail address", quote(d.Email))
	}
	if err := checkString("data.person", d.Person, MaxUserBytes); err != nil {
		return err
	}
	if err := checkUntil(cmd); err != nil {
		return err
	}
	if cmd.Type == SubjectList {
		d.Licenses = nil // ignored for list
		return nil
	}
	if len(d.Licenses) == 0 && cmd.Type == SubjectAssign {
		return invalid("data.licenses is empty: license.assign needs at least one license code")
	}
	if len(d.Licenses) > MaxLicenses {
		return invalid("data.licenses has %d codes, over the limit of %d", len(d.Licenses), MaxLicenses)
	}
	seen := make(map[string]bool, len(d.Licenses))
	for i, code := range d.Licenses {
		field := fmt.Sprintf("data.licenses[%d]", i)
		if code == "" {
			return invalid("%s is empty", field)
		}
		if err := checkString(field, code, MaxUserBytes); err != nil {
			return err
		}
		if seen[code] {
			return invalid("%s %s is listed twice", field, quote(code))
		}
		seen[code] = true
	}
	return nil
}

// checkEdges refuses spaces at the edges of the names a command matches on:
// " singer-77" is a different user to the vendor, and trimming on the wire
// would make two ids of one command mean different things. The tools that
// write commands (publish, its files) trim them.
func checkEdges(d *CommandData) error {
	fields := []struct{ name, value string }{{"data.vendor", d.Vendor}, {"data.account", d.Account}, {"data.user", d.User}}
	for i, code := range d.Licenses {
		fields = append(fields, struct{ name, value string }{fmt.Sprintf("data.licenses[%d]", i), code})
	}
	for _, f := range fields {
		if f.value != strings.TrimSpace(f.value) {
			return invalid("%s %s has spaces at its start or end", f.name, quote(f.value))
		}
	}
	return nil
}

func checkString(field, s string, max int) error {
	if len(s) > max {
		return invalid("%s is %d bytes, over the limit of %d", field, len(s), max)
	}
	if !utf8.ValidString(s) {
		return invalid("%s is not valid UTF-8", field)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return invalid("%s contains a control character", field)
		}
	}
	return nil
}

// rfc3339 is the part of RFC 3339 that time.Parse and JSON Schema's
// date-time format agree on. time.Parse alone also takes "T9:00:00", a comma
// before the fraction and offsets such as +24:00 or +01:60 (which
// time.Time.MarshalJSON then refuses); the date-time format alone also takes
// a lower-case t or z and a leap second.
var rfc3339 = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$`)

// jsonMediaType is application/json, optionally with parameters.
var jsonMediaType = regexp.MustCompile(`^application/json( *;.*)?$`)

func validTime(s string) bool {
	if !rfc3339.MatchString(s) {
		return false
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

func validID(id string) bool {
	if id == "" || utf8.RuneCountInString(id) > MaxIDLength || !utf8.ValidString(id) {
		return false
	}
	for _, r := range id {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

func isCommandType(t string) bool {
	for _, s := range CommandSubjects {
		if s == t {
			return true
		}
	}
	return false
}

// jsonError turns a decoding error into a message that names the field.
func jsonError(prefix string, err error) *ValidationError {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tim *time.ParseError
	switch {
	case errors.As(err, &tim): // data.until is the one time in data
		return invalid("%suntil %s is not an RFC 3339 timestamp", prefix, quote(tim.Value))
	case errors.As(err, &syn):
		return invalid("payload is not valid JSON: %s at byte %d", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return invalid("%s must be a JSON object, not %s", strings.TrimSuffix(prefix, "."), typ.Value)
		}
		kind := jsonKind(typ.Type.Kind().String())
		if field == "licenses" && kind == "string" { // an element, not the list
			return invalid("%slicenses must be a list of strings, not of %ss", prefix, typ.Value)
		}
		return invalid("%s%s must be a %s, not %s", prefix, field, kind, typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return invalid("%s is not a known field", fieldName(prefix, name))
	}
	return invalid("%spayload is not valid JSON: %v", prefix, err)
}

func jsonKind(kind string) string {
	switch kind {
	case "slice":
		return "list"
	case "struct", "map":
		return "object"
	case "bool":
		return "boolean"
	}
	return kind
}

// CheckTime refuses a command time more than maxSkew ahead of now (the
// worker's clock): a command's time orders it among the commands for its
// seats, so a mistyped year would otherwise freeze them for decades.
func CheckTime(at, now time.Time, maxSkew time.Duration) *ValidationError {
	if at.IsZero() || maxSkew <= 0 || !at.After(now.Add(maxSkew)) {
		return nil
	}
	return invalid("time %s is %s ahead of the worker's clock, more than the %s allowed: a command's time is when its fact happened, never in the future",
		at.UTC().Format(time.RFC3339), at.Sub(now).Round(time.Second), maxSkew)
}

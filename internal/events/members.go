package events

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// attributeKinds names the JSON kind of each envelope attribute a command may
// carry; any other lower-case name is an extension attribute and is ignored.
var attributeKinds = map[string]string{
	"specversion": "string", "type": "string", "source": "string", "id": "string",
	"time": "string", "datacontenttype": "string", "redriveof": "string",
	"authtype": "string", "authid": "string", "data": "object",
}

// dataKinds names the JSON kind of each field of a command's data; no other
// field is allowed.
var dataKinds = map[string]string{
	"vendor": "string", "account": "string", "user": "string",
	"email": "string", "person": "string",
	"licenses": "list", "reason": "string", "dry_run": "boolean",
	"until": "string", "inactive_days": "number", "warn_days": "number", "exempt": "list",
}

// checkMembers refuses what encoding/json would quietly accept in the JSON
// object raw: a name given twice (it keeps the last value, other readers keep
// the first), a name that differs from a known one only in case (it matches
// names case-insensitively, a CloudEvents reader does not) and null for a
// known name (it leaves the field unset, a JSON Schema reader sees the wrong
// type). Names not in known are refused unless extensible, where they must
// be CloudEvents attribute names.
func checkMembers(prefix string, raw []byte, known map[string]string, extensible bool) error {
	seen := make(map[string]bool, len(known))
	return eachMember(raw, func(name string, value []byte) error {
		field := fieldName(prefix, name)
		if seen[name] {
			return invalid("%s appears twice", field)
		}
		seen[name] = true
		kind, ok := known[name]
		switch {
		case ok && name == "data":
			// checkEnvelope says "data is missing" of a null data.
		case ok && string(value) == "null":
			return invalid("%s must be a %s, not null", field, kind)
		case ok:
		case !extensible:
			return invalid("%s is not a known field", field)
		case name == "data_base64":
			return invalid("data_base64 is not supported: data must be a JSON object")
		case !isAttributeName(name):
			return invalid("attribute name %s is not lower-case letters and digits", quote(name))
		}
		return nil
	})
}

// eachMember calls fn with the name and the raw value of each member of the
// JSON object raw, in order, until fn returns an error. raw must be valid
// JSON, as json.Unmarshal has already found it to be: the walk then needs
// no checks, and allocates only for the names (and decodes only those that
// hold escapes). One pass, where json.Decoder's tokens cost an allocation
// each.
func eachMember(raw []byte, fn func(name string, value []byte) error) error {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return invalid("payload is not a JSON object")
	}
	i++
	for {
		i = skipSpace(raw, i)
		switch raw[i] {
		case '}':
			return nil
		case ',':
			i = skipSpace(raw, i+1)
		}
		end := skipString(raw, i)
		name, err := unquote(raw[i:end])
		if err != nil {
			return invalid("payload is not valid JSON: %v", err)
		}
		i = skipSpace(raw, skipSpace(raw, end)+1) // past the colon
		vend := skipValue(raw, i)
		if err := fn(name, raw[i:vend]); err != nil {
			return err
		}
		i = vend
	}
}

func skipSpace(raw []byte, i int) int {
	for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string that starts at raw[i].
func skipString(raw []byte, i int) int {
	for j := i + 1; j < len(raw); j++ {
		switch raw[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(raw)
}

// skipValue returns the index just past the value that starts at raw[i].
func skipValue(raw []byte, i int) int {
	switch raw[i] {
	case '"':
		return skipString(raw, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(raw); {
			switch raw[j] {
			case '"':
				j = skipString(raw, j)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
			j++
		}
		return len(raw)
	}
	j := i // a number, true, false or null
	for j < len(raw) {
		switch raw[j] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return j
		}
		j++
	}
	return j
}

// unquote returns the JSON string quoted (quotes included) as Go text, as
// encoding/json reads it.
func unquote(quoted []byte) (string, error) {
	if bytes.IndexByte(quoted, '\\') < 0 && utf8.Valid(quoted) {
		return string(quoted[1 : len(quoted)-1]), nil
	}
	var s string
	err := json.Unmarshal(quoted, &s)
	return s, err
}

// isAttributeName reports whether name follows the CloudEvents 1.0 naming
// convention: lower-case ASCII letters and digits.
func isAttributeName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// fieldName returns prefix+name for a message, quoting a name that is long or
// not plain.
func fieldName(prefix, name string) string {
	if len(name) == 0 || len(name) > 64 {
		return prefix + quote(name)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c > '~' || c == '"' || c == '\\' {
			return prefix + quote(name)
		}
	}
	return prefix + name
}

// quote returns s in double quotes for a message, shortened so that a hostile
// payload cannot make the message itself huge: at most 64 bytes of quoted
// text, then an ellipsis.
func quote(s string) string {
	const max = 64
	out := []byte{'"'}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		var q string
		if r == utf8.RuneError && n == 1 {
			q = `\x` + strconv.FormatUint(uint64(s[i]), 16)
		} else {
			q = strconv.Quote(s[i : i+n])
			q = q[1 : len(q)-1]
		}
		if len(out)-1+len(q) > max {
			out = append(out, "…"...)
			break
		}
		out = append(out, q...)
		i += n
	}
	return string(append(out, '"'))
}

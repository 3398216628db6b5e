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
	"data": "object",
}

// dataKinds names the JSON kind of each field of a command's data; no other
// field is allowed.
var dataKinds = map[string]string{
	"vendor": "string", "account": "string", "user": "string",
	"licenses": "list", "reason": "string", "dry_run": "boolean",
}

// checkMembers refuses what encoding/json would quietly accept in the JSON
// object raw: a name given twice (it keeps the last value, other readers keep
// the first), a name that differs from a known one only in case (it matches
// names case-insensitively, a CloudEvents reader does not) and null for a
// known name (it leaves the field unset, a JSON Schema reader sees the wrong
// type). Names not in known are refused unless extensible, where they must
// be CloudEvents attribute names.
func checkMembers(prefix string, raw []byte, known map[string]string, extensible bool) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil { // the opening brace
		return jsonError(prefix, err)
	}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return jsonError(prefix, err)
		}
		name, _ := tok.(string)
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return jsonError(prefix, err)
		}
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
	}
	return nil
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

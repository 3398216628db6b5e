package ingress

import (
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Token is a named bearer token. The name goes into the audit trail; the
// value never leaves this package.
type Token struct {
	Name  string
	value string
}

// WebhookSecret is a named Standard Webhooks signing secret.
type WebhookSecret struct {
	Name string
	key  []byte
}

// Limits on credentials.
const (
	// MinTokenLength keeps guessable tokens out.
	MinTokenLength = 16
	// MinSecretBytes and MaxSecretBytes are the Standard Webhooks bounds on
	// a symmetric signing secret (24 to 64 bytes).
	MinSecretBytes = 24
	MaxSecretBytes = 64
	secretPrefix   = "whsec_"
)

var credentialName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ParseTokens reads a list of bearer tokens: entries separated by commas or
// new lines, each "name:token". A list of one may leave out the name, which
// is then "default". Several entries let a token be rotated: add the new
// one, move the callers, remove the old one.
func ParseTokens(s string) ([]Token, error) {
	entries, err := parseEntries(s)
	if err != nil {
		return nil, err
	}
	tokens := make([]Token, 0, len(entries))
	for _, e := range entries {
		if len(e.value) < MinTokenLength {
			return nil, fmt.Errorf("the token named %q is shorter than %d characters", e.name, MinTokenLength)
		}
		tokens = append(tokens, Token{Name: e.name, value: e.value})
	}
	return tokens, nil
}

// ParseSecrets reads a list of Standard Webhooks secrets in the form
// ParseTokens reads, each value "whsec_" + base64 of the key bytes (the
// form the specification gives them in). The key is the decoded bytes, as
// the specification's reference libraries read it.
func ParseSecrets(s string) ([]WebhookSecret, error) {
	entries, err := parseEntries(s)
	if err != nil {
		return nil, err
	}
	secrets := make([]WebhookSecret, 0, len(entries))
	for _, e := range entries {
		enc, ok := strings.CutPrefix(e.value, secretPrefix)
		if !ok {
			return nil, fmt.Errorf("the secret named %q does not start with %q", e.name, secretPrefix)
		}
		key, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return nil, fmt.Errorf("the secret named %q is not %s followed by base64", e.name, secretPrefix)
		}
		if len(key) < MinSecretBytes || len(key) > MaxSecretBytes {
			return nil, fmt.Errorf("the secret named %q is %d bytes: want %d to %d", e.name, len(key), MinSecretBytes, MaxSecretBytes)
		}
		secrets = append(secrets, WebhookSecret{Name: e.name, key: key})
	}
	return secrets, nil
}

type entry struct{ name, value string }

// parseEntries splits a credential list. Its errors name entries by name or
// position, never by value.
func parseEntries(s string) ([]entry, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' })
	var out []entry
	seen := map[string]bool{}
	for i, f := range fields {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		name, value, named := strings.Cut(f, ":")
		if !named {
			if len(fields) > 1 {
				return nil, fmt.Errorf("entry %d has no name: with several entries each is name:value", i+1)
			}
			name, value = "default", f
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !credentialName.MatchString(name) {
			return nil, fmt.Errorf("entry %d: a name is 1 to 64 letters, digits, '.', '_' or '-'", i+1)
		}
		if seen[name] {
			return nil, fmt.Errorf("the name %q is given twice", name)
		}
		seen[name] = true
		if value == "" {
			return nil, fmt.Errorf("the entry named %q has no value", name)
		}
		out = append(out, entry{name: name, value: value})
	}
	if strings.TrimSpace(s) != "" && len(out) == 0 {
		return nil, errors.New("no entry")
	}
	return out, nil
}

package consumer

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// exemptByPolicy returns the users at a vendor account whose person the
// policy's reclaim.exempt matches; nil when there is no such expression.
// A user is tied to a person through the identity cache (the user id a
// person's e-mail resolved to there); a person's attributes come from
// their record. A person the expression cannot evaluate is not exempt.
func (lc *Lifecycle) exemptByPolicy(ctx context.Context, vendor, account string) (map[string]bool, error) {
	if !lc.people.HasReclaimExempt() || lc.peopleKV == nil {
		return nil, nil
	}
	prefix := "identity." + vendor + "." + kvToken(account) + "."
	lister, err := lc.peopleKV.ListKeysFiltered(ctx, prefix+"*")
	if err != nil {
		return nil, fmt.Errorf("read the identity cache: %w", err)
	}
	out := map[string]bool{}
	for key := range lister.Keys() {
		person, ok := strings.CutPrefix(fromKVToken(strings.TrimPrefix(key, prefix)), "person:")
		if !ok {
			continue
		}
		e, err := lc.peopleKV.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read the identity cache: %w", err)
		}
		rec, _, err := PersonRecord(ctx, lc.peopleKV, person)
		if err != nil {
			return nil, err
		}
		if rec == nil {
			continue
		}
		if exempt, _ := lc.people.ExemptFromReclaim(person, rec.Email, rec.Attributes); exempt {
			out[string(e.Value())] = true
		}
	}
	return out, nil
}

// fromKVToken reverses kvToken.
func fromKVToken(tok string) string {
	enc, ok := strings.CutPrefix(tok, "=")
	if !ok {
		return tok
	}
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return ""
	}
	return string(b)
}

package handlers

import (
	"encoding/hex"
	"strings"
)

// ParseLedgerKey is the inverse of LedgerKey: the vendor, account and
// user a ledger key names; ok is false for a key LedgerKey does not make.
// A reclaim finds the users seatkeeper has given seats to through it.
func ParseLedgerKey(key string) (vendor, account, user string, ok bool) {
	parts := strings.SplitN(key, ".", 3)
	if len(parts) != 3 {
		return "", "", "", false
	}
	a, okA := unescapeKey(parts[1])
	u, okU := unescapeKey(parts[2])
	if !okA || !okU {
		return "", "", "", false
	}
	return parts[0], a, u, true
}

// unescapeKey undoes escapeKey: "=" alone is the empty string, "=XX" the
// byte of hex value XX.
func unescapeKey(s string) (string, bool) {
	if s == "=" {
		return "", true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", false
		}
		v, err := hex.DecodeString(s[i+1 : i+3])
		if err != nil {
			return "", false
		}
		b.WriteByte(v[0])
		i += 2
	}
	return b.String(), true
}

// LedgerAccountKeys is the filter of the ledger keys of one vendor
// account (a user's dots are kept in its key, so the user is any number of
// tokens).
func LedgerAccountKeys(vendor, account string) string {
	return vendor + "." + escapeKey(account, false) + ".>"
}

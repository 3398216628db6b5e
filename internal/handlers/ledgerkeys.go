package handlers

import (
	"encoding/base64"
	"strings"
)

// ParseLedgerKey is the inverse of LedgerKey: the vendor, account and
// user a ledger key names; ok is false for a key LedgerKey does not make.
// A reclaim finds the users seatkeeper has given seats to through it.
func ParseLedgerKey(key string) (vendor, account, user string, ok bool) {
	parts := strings.Split(key, ".")
	if len(parts) != 3 {
		return "", "", "", false
	}
	a, err1 := base64.RawURLEncoding.DecodeString(parts[1])
	u, err2 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil {
		return "", "", "", false
	}
	return parts[0], string(a), string(u), true
}

// LedgerAccountKeys is the filter of the ledger keys of one vendor
// account.
func LedgerAccountKeys(vendor, account string) string {
	return vendor + "." + base64.RawURLEncoding.EncodeToString([]byte(account)) + ".*"
}

package handlers

import "testing"

// Whatever LedgerKey makes, ParseLedgerKey reads back, and the account
// filter matches it: a change to the key's form must change both.
func TestParseLedgerKeyInvertsLedgerKey(t *testing.T) {
	for _, c := range [][3]string{
		{"arcgis", "org", "jdoe"},
		{"m365", "contoso.onmicrosoft.com", "ana.smith@contoso.example"},
		{"uipath", "a1b2c3d4-0000", "user with spaces/and.dots*>"},
		{"licensespring", "", ".leading..dots."},
	} {
		key := LedgerKey(c[0], c[1], c[2])
		v, a, u, ok := ParseLedgerKey(key)
		if !ok || v != c[0] || a != c[1] || u != c[2] {
			t.Errorf("ParseLedgerKey(%q) = %q %q %q %v, want %q", key, v, a, u, ok, c)
		}
		if f := LedgerAccountKeys(c[0], c[1]); !matchKV(f, key) {
			t.Errorf("filter %q does not match %q", f, key)
		}
	}
}

// matchKV matches a KV key against a filter with * for one token.
func matchKV(filter, key string) bool {
	fs, ks := splitDots(filter), splitDots(key)
	for i := range fs {
		switch {
		case fs[i] == ">":
			return i < len(ks)
		case i >= len(ks), fs[i] != "*" && fs[i] != ks[i]:
			return false
		}
	}
	return len(fs) == len(ks)
}

func splitDots(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

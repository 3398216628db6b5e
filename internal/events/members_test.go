package events

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzEachMember checks the single-pass member walk against json.Decoder:
// for any JSON object, the same names (escapes decoded) and the same raw
// values, in the same order.
func FuzzEachMember(f *testing.F) {
	for _, seed := range []string{
		`{}`, ` { "a" : 1 , "b":[1,{"c":"}"}], "d":{"e":[]} } `,
		`{"id":"x\"y","data":{"vendor":"uipath","licenses":["A","B"]}}`,
		`{"\u0069d":"1","i\\d":null,"t":true,"f":false,"n":-1.5e3}`,
		"{\"tab\":\t\"\\t\",\n\"nl\"\r:\"]\"}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		raw = bytes.TrimSpace(raw)
		if !json.Valid(raw) || len(raw) == 0 || raw[0] != '{' {
			return
		}
		type member struct {
			name  string
			value string
		}
		var want []member
		dec := json.NewDecoder(bytes.NewReader(raw))
		if _, err := dec.Token(); err != nil {
			t.Fatal(err)
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			var value json.RawMessage
			if err := dec.Decode(&value); err != nil {
				t.Fatal(err)
			}
			want = append(want, member{tok.(string), string(value)})
		}
		var got []member
		err := eachMember(raw, func(name string, value []byte) error {
			got = append(got, member{name, string(value)})
			return nil
		})
		if err != nil {
			t.Fatalf("eachMember(%q): %v", raw, err)
		}
		if len(got) != len(want) {
			t.Fatalf("eachMember(%q) = %q, json.Decoder %q", raw, got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("eachMember(%q) member %d = %q, json.Decoder %q", raw, i, got[i], want[i])
			}
		}
	})
}

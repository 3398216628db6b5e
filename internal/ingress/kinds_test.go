package ingress

import "testing"

func TestFieldOf(t *testing.T) {
	for msg, want := range map[string]string{
		"data.vendor is missing":                           "data.vendor",
		"data.licenses[2] is empty":                        "data.licenses[2]",
		`type "x" does not match subject "license.assign"`: "type",
		"not a CloudEvents event: specversion is missing":  "specversion",
		"payload is not valid JSON":                        "",
		`attribute name "Foo" is not lower-case letters`:   "",
		`data."Vendor" is not a known field`:               "",
	} {
		if got := fieldOf(msg); got != want {
			t.Errorf("fieldOf(%q) = %q, want %q", msg, got, want)
		}
	}
}

func TestPrepareSetsTheAuthContext(t *testing.T) {
	raw := []byte(`{"specversion":"1.0","type":"license.list","source":"hr","id":"x","authtype":"user","authid":"someone","data":{"vendor":"m365"}}`)
	ev, err := DefaultKinds().prepare(raw, Credential{Scheme: "webhook", Name: "platform"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"authid":"webhook:platform","authtype":"api_key","data":{"vendor":"m365"},"id":"x","source":"hr","specversion":"1.0","type":"license.list"}`
	if string(ev.Payload) != want {
		t.Errorf("payload\n%s\nwant\n%s", ev.Payload, want)
	}
	plain := []byte(` {"specversion":"1.0","type":"license.list","source":"hr","id":"y","data":{"vendor":"m365"}}`)
	ev, err = DefaultKinds().prepare(plain, Credential{Scheme: "bearer", Name: "workday"})
	if err != nil {
		t.Fatal(err)
	}
	want = `{"authtype":"api_key","authid":"bearer:workday","specversion":"1.0","type":"license.list","source":"hr","id":"y","data":{"vendor":"m365"}}`
	if string(ev.Payload) != want {
		t.Errorf("payload\n%s\nwant\n%s", ev.Payload, want)
	}
	escaped := []byte(`{"specversion":"1.0","type":"license.list","source":"hr","id":"z","auth\u0069d":"bearer:admin","data":{"vendor":"m365"}}`)
	if _, err := DefaultKinds().prepare(escaped, Credential{Scheme: "bearer", Name: "workday"}); err == nil || err.(*invalidEvent).Field != "authid" {
		t.Errorf("an escaped authid: %v, want a refusal naming authid", err)
	}
	if _, err := DefaultKinds().prepare([]byte(`{"specversion":"1.0","id":"x"}`), Credential{}); err == nil || err.(*invalidEvent).Field != "type" {
		t.Errorf("no type: %v, want a refusal naming type", err)
	}
}

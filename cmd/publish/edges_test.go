package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlagsAndRowsAreTrimmed: a space typed around a flag's value, or left
// in a flat NDJSON row, is cut before the command is published, as the CSV
// reader does; the wire contract would refuse it.
func TestFlagsAndRowsAreTrimmed(t *testing.T) {
	e := newEnv(t, testPolicy())
	o := e.run("", "assign", "--vendor", " uipath", "--user", " singer-77 ", "--license", "ATTUNU ", "--wait")
	if o.status != exitOK {
		t.Fatalf("assign with spaces: exit %d\n%s%s", o.status, o.stdout, o.stderr)
	}
	path := filepath.Join(t.TempDir(), "hr.ndjson")
	writeFile(t, path, `{"type":" assign","vendor":"uipath ","user":" singer-88","licenses":[" TSTNU"]}`+"\n")
	if o := e.run("", "batch", "--file", path, "--wait"); o.status != exitOK {
		t.Fatalf("batch with spaces: exit %d\n%s%s", o.status, o.stdout, o.stderr)
	}
	for user, want := range map[string]string{"singer-77": "ATTUNU", "singer-88": "TSTNU"} {
		if got := e.fake.Held(account, user); len(got) != 1 || got[0] != want {
			t.Errorf("%s holds %v, want [%s]", user, got, want)
		}
	}
}

// TestUnreachableNATSHasItsOwnStatus: a script can tell "NATS is down,
// nothing was published, run it again" from "a command failed".
func TestUnreachableNATSHasItsOwnStatus(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "nats://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	path := filepath.Join(t.TempDir(), "hr.csv")
	if err := os.WriteFile(path, []byte("type,vendor,user,licenses\nassign,uipath,singer-77,ATTUNU\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"assign", "--vendor", "uipath", "--user", "singer-77", "--license", "ATTUNU"},
		{"list", "--vendor", "uipath"},
		{"batch", "--file", path},
		{"pools"},
		{"watch", "--no-follow"},
		{"redrive", "--since", "1h"},
	} {
		var stdout, stderr bytes.Buffer
		args = append(args, "--server", url)
		if got := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr); got != exitNoNATS {
			t.Errorf("publish %s: exit %d, want %d\n%s", strings.Join(args, " "), got, exitNoNATS, stderr.String())
		}
	}
}

package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seatkeeper/seatkeeper/internal/events"
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
		{"schedules"},
		{"reclaim", "--vendor", "arcgis", "--inactive", "90d", "--dry-run"},
		{"reclaim", "--vendor", "arcgis", "--inactive", "90d", "--every", "7d"},
		{"person", "joined", "--person", "E1", "--email", "ana@example.com"},
	} {
		var stdout, stderr bytes.Buffer
		args = append(args, "--server", url)
		if got := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr); got != exitNoNATS {
			t.Errorf("publish %s: exit %d, want %d\n%s", strings.Join(args, " "), got, exitNoNATS, stderr.String())
		}
	}
}

// TestHoldingsShowTheColumnsTheVendorFills: a column that is a dash on
// every line says nothing.
func TestHoldingsShowTheColumnsTheVendorFills(t *testing.T) {
	for _, tt := range []struct {
		name     string
		holdings []events.Holding
		want     string
	}{
		{"codes only", []events.Holding{{Code: "RPADEVNU"}, {Code: "ATTUNU"}}, "CODE\nRPADEVNU\nATTUNU\n"},
		{"some expiries", []events.Holding{{Code: "A", Expires: "2031-03-16"}, {Code: "B"}},
			"CODE  EXPIRES\nA     2031-03-16\nB     -\n"},
		{"a group seat", []events.Holding{{Code: "E3", ID: "6fd2c87f", Source: events.SourceGroup, Group: "Sales"}},
			"CODE  ID        SOURCE\nE3    6fd2c87f  group Sales\n"},
		{"none", []events.Holding{}, "(no licenses)\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			printResult(&b, events.Result{Type: events.SubjectListed, Data: events.ResultData{Holdings: tt.holdings}})
			got := trimLines(b.String())
			_, got, _ = strings.Cut(got, "\n") // the result's first line
			if got != tt.want {
				t.Errorf("printed:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

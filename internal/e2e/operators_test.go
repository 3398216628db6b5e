package e2e_test

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/natstest"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
)

// runWorkerArgs runs the worker binary with args and env until it exits,
// and returns its output and exit status.
func runWorkerArgs(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin.worker, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append(testproc.BaseEnv(), env...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return string(out), ee.ExitCode()
	case err != nil:
		t.Fatalf("worker %v: %v", args, err)
	}
	return string(out), 0
}

// A worker with no vendor configured and no -sandbox would report ready and
// fail every command with vendor_not_configured: it refuses to start,
// exit 2, naming the variables. Its help lists every variable with its
// default and exits 0; a value of the wrong form names the variable and the
// form it takes.
func TestWorkerRefusesToPretend(t *testing.T) {
	ports := []string{"SEATKEEPER_EMBEDDED_LISTEN=127.0.0.1:0", "SEATKEEPER_HTTP_ADDR=127.0.0.1:0"}
	out, code := runWorkerArgs(t, ports)
	if code != 2 || !strings.Contains(out, "no vendor is configured") || !strings.Contains(out, "UIPATH_*") ||
		!strings.Contains(out, "-sandbox") || strings.Contains(out, `"msg":"ready"`) {
		t.Errorf("worker without vendors: exit %d, output:\n%s\nwant 2, naming the variables and -sandbox, never ready", code, out)
	}

	for _, help := range []string{"-h", "--help"} {
		out, code = runWorkerArgs(t, nil, help)
		if code != 0 {
			t.Errorf("worker %s: exit %d, want 0\n%s", help, code, out)
		}
		for _, want := range []string{"-sandbox", "NATS_URL", "SEATKEEPER_CONCURRENCY        256", "SEATKEEPER_DATA_DIR           ./data",
			"UIPATH_CLIENT_SECRET", "M365_GRAPH_URL", "_FILE"} {
			if !strings.Contains(out, want) {
				t.Errorf("worker %s lacks %q:\n%s", help, want, out)
			}
		}
	}

	for _, tt := range []struct {
		env, want string
		args      []string
	}{
		{"SEATKEEPER_CONCURRENCY=lots", `SEATKEEPER_CONCURRENCY="lots": want a whole number`, []string{"-sandbox"}},
		{"SEATKEEPER_ACK_WAIT=30", `SEATKEEPER_ACK_WAIT="30": want a duration`, []string{"-sandbox"}},
		{"UIPATH_RATE_LIMIT=fast", `UIPATH_RATE_LIMIT="fast": want a number`, nil},
	} {
		out, code = runWorkerArgs(t, append(ports, tt.env), tt.args...)
		if code != 2 || !strings.Contains(out, tt.want) || strings.Contains(out, "envconfig") {
			t.Errorf("worker with %s: exit %d, output:\n%s\nwant 2 and %q", tt.env, code, out, tt.want)
		}
	}
	out, code = runWorkerArgs(t, ports, "-sandbox", "-nosuchflag")
	if code != 2 || !strings.Contains(out, "-nosuchflag") {
		t.Errorf("worker with an unknown flag: exit %d, output:\n%s\nwant 2 naming the flag", code, out)
	}
}

// The sandbox's fakes keep their state under the data directory: after a
// restart, the fake still holds what the ledger says it assigned. A second
// sandbox worker on the same NATS would answer from fakes of its own, so it
// refuses, saying why.
func TestSandboxRestartAgreesWithItsLedger(t *testing.T) {
	dir := t.TempDir()
	ports := []string{"SEATKEEPER_EMBEDDED_LISTEN=127.0.0.1:0", "SEATKEEPER_HTTP_ADDR=127.0.0.1:0"}
	w := startWorker(t, dir, ports, "-sandbox")
	env := []string{"NATS_URL=" + w.natsURL(t)}
	stdout, stderr, code := runPublish(t, env, "assign", "--vendor", "uipath", "--user", "singer-77", "--license", "TSTNU", "--wait")
	if code != 0 || !strings.Contains(stdout, "TSTNU  assigned") {
		t.Fatalf("assign: exit %d\n%s%s", code, stdout, stderr)
	}

	out, code := runWorkerArgs(t, append([]string{"SEATKEEPER_HTTP_ADDR=127.0.0.1:0"}, env...), "-sandbox")
	if code != 2 || !strings.Contains(out, "another sandbox worker runs on this NATS") {
		t.Errorf("a second sandbox worker on the same NATS: exit %d, output:\n%s\nwant 2 and why", code, out)
	}

	if err := w.Stop(syscall.SIGTERM, 30*time.Second); err != nil {
		t.Fatalf("worker exit after SIGTERM: %v", err)
	}
	firstID := workerID(t, w)
	w = startWorker(t, dir, ports, "-sandbox")
	env = []string{"NATS_URL=" + w.natsURL(t)}
	if id := workerID(t, w); id != firstID || id == "" {
		t.Errorf("worker id %q after the restart, %q before: want the same (it resumes its own claims)", id, firstID)
	}
	stdout, stderr, code = runPublish(t, env, "list", "--vendor", "uipath", "--user", "singer-77")
	if code != 0 || !strings.Contains(stdout, "TSTNU") {
		t.Errorf("list after the restart: exit %d, want TSTNU held\n%s%s", code, stdout, stderr)
	}
	stdout, stderr, code = runPublish(t, env, "assign", "--vendor", "uipath", "--user", "singer-77", "--license", "TSTNU", "--wait")
	if code != 0 || !strings.Contains(stdout, "TSTNU  already_assigned") {
		t.Errorf("assign again after the restart: exit %d, want already_assigned\n%s%s", code, stdout, stderr)
	}
	stdout, stderr, code = runPublish(t, env, "release", "--vendor", "uipath", "--user", "singer-77", "--wait")
	if code != 0 || !strings.Contains(stdout, "TSTNU  released") {
		t.Errorf("release after the restart: exit %d, want TSTNU released\n%s%s", code, stdout, stderr)
	}
}

// Spaces typed around a flag's value are cut by publish; on the wire they
// are refused, naming the field, instead of failing later as an unknown
// user.
func TestWhitespaceOneRule(t *testing.T) {
	w := startWorker(t, t.TempDir(), []string{"SEATKEEPER_EMBEDDED_LISTEN=127.0.0.1:0", "SEATKEEPER_HTTP_ADDR=127.0.0.1:0"}, "-sandbox")
	env := []string{"NATS_URL=" + w.natsURL(t)}
	stdout, stderr, code := runPublish(t, env, "assign", "--vendor", " uipath", "--user", " singer-77", "--license", "TSTNU ", "--wait")
	if code != 0 || !strings.Contains(stdout, "/singer-77 (") || !strings.Contains(stdout, "TSTNU  assigned") {
		t.Errorf("assign with spaces around the values: exit %d, want 0 and singer-77 assigned TSTNU\n%s%s", code, stdout, stderr)
	}

	nc := natstest.Connect(t, w.natsURL(t))
	results := testproc.Subscribe(t, nc)
	cmd := `{"specversion":"1.0","type":"license.assign","source":"test/ws","id":"ws-1","data":{"vendor":"uipath","user":" singer-88","licenses":["TSTNU"]}}`
	if err := nc.Publish(events.SubjectAssign, []byte(cmd)); err != nil {
		t.Fatal(err)
	}
	results.WaitDistinct(t, 1, 30*time.Second)
	r := results.ByID()["ws-1"]
	if len(r) != 1 || r[0].Data.Error == nil || r[0].Data.Error.Code != events.CodeInvalidCommand ||
		!strings.Contains(r[0].Data.Error.Message, "data.user") {
		t.Errorf("a command with a space before the user: %+v, want invalid_command naming data.user", r)
	}
}

// workerID is the SEATKEEPER_WORKER_ID a worker logs at start.
func workerID(t *testing.T, w *worker) string {
	t.Helper()
	cfg, _ := w.waitLog("starting", time.Second)["config"].(map[string]any)
	id, _ := cfg["SEATKEEPER_WORKER_ID"].(string)
	return id
}

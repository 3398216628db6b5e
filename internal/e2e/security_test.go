package e2e_test

import (
	"context"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/natsconn/natsconntest"
	"github.com/seatkeeper/seatkeeper/internal/testproc"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// The worker and publish binaries reach a secured NATS through each way a
// client can prove who it is, set only by the nats CLI's variables: the
// worker becomes ready and publish lists the pools. With wrong credentials
// both fail with an error that names the settings to check and carries no
// secret; no secret reaches the worker's log.
func TestBinariesOverSecuredNATS(t *testing.T) {
	for _, s := range natsconntest.Setups(t) {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			srv := natsconntest.Run(t, s)
			url := srv.ClientURL()
			fake := uipathtest.NewServer(t, uipathtest.Options{Demo: true})
			env := append(uipathEnv(url, fake, "SEATKEEPER_WORKER_ID=secure-"+s.Name), natsconntest.EnvList(s.Env)...)

			w := startWorker(t, t.TempDir(), env)
			clientEnv := append([]string{"NATS_URL=" + url}, natsconntest.EnvList(s.Env)...)
			stdout, stderr, code := runPublish(t, clientEnv, "list", "--vendor", "uipath", "--timeout", "30s")
			if code != 0 || !strings.Contains(stdout, "ATTUNU") {
				t.Errorf("publish list: exit %d, stdout %q, stderr %q; want 0 and the pools", code, stdout, stderr)
			}

			wrongEnv := append([]string{"NATS_URL=" + url}, natsconntest.EnvList(s.Wrong)...)
			stdout, stderr, code = runPublish(t, wrongEnv, "list", "--vendor", "uipath", "--timeout", "5s")
			if code != 4 || !strings.Contains(stderr, "connect to NATS at "+url) {
				t.Errorf("publish list with wrong credentials: exit %d, stderr %q; want 4 (no NATS) and the reason", code, stderr)
			}
			t.Logf("publish with wrong credentials: %s", strings.TrimSpace(stderr))
			noSecret(t, "publish's output", stdout+stderr, s.Secrets)

			out, err := runWorkerToExit(t, append(uipathEnv(url, fake, "SEATKEEPER_WORKER_ID=refused-"+s.Name),
				natsconntest.EnvList(s.Wrong)...))
			if err == nil || !strings.Contains(out, "connect to NATS at "+url) {
				t.Errorf("worker with wrong credentials: %v, output:\n%s\nwant a failed exit naming the server", err, out)
			}
			noSecret(t, "the refused worker's output", out, s.Secrets)
			noSecret(t, "the worker's log", w.logText(), s.Secrets)
		})
	}
}

// The embedded server can require a user and password or a token: a
// client without them is refused, one with wrong ones too (and told which
// settings were refused), one with them publishes and gets its result; the
// worker's log, at debug level with nats-server's own lines, holds no
// secret.
func TestEmbeddedServerRequiresAuth(t *testing.T) {
	tests := []struct {
		name        string
		worker      []string
		right       []string
		wrong       []string
		secrets     []string
		wantRefusal string
	}{
		{
			name:    "user-password",
			worker:  []string{"SEATKEEPER_EMBEDDED_USER=operator", "SEATKEEPER_EMBEDDED_PASSWORD=embedded-pw-7c41d09e"},
			right:   []string{"NATS_USER=operator", "NATS_PASSWORD=embedded-pw-7c41d09e"},
			wrong:   []string{"NATS_USER=operator", "NATS_PASSWORD=guess-pw-0000"},
			secrets: []string{"embedded-pw-7c41d09e", "guess-pw-0000"},
		},
		{
			name:    "token",
			worker:  []string{"SEATKEEPER_EMBEDDED_TOKEN=embedded-tok-93be5a21"},
			right:   []string{"NATS_TOKEN=embedded-tok-93be5a21"},
			wrong:   []string{"NATS_TOKEN=guess-tok-0000"},
			secrets: []string{"embedded-tok-93be5a21", "guess-tok-0000"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := startWorker(t, t.TempDir(), append([]string{
				"SEATKEEPER_EMBEDDED_LISTEN=127.0.0.1:0",
				"SEATKEEPER_HTTP_ADDR=127.0.0.1:0",
				"SEATKEEPER_LOG_LEVEL=debug",
			}, tt.worker...), "-sandbox")
			url := []string{"NATS_URL=" + w.natsURL(t)}

			for name, env := range map[string][]string{"no": nil, "wrong": tt.wrong} {
				stdout, stderr, code := runPublish(t, append(url, env...), "list", "--vendor", "uipath", "--timeout", "5s")
				if code != 4 || !strings.Contains(stderr, "Authorization Violation") {
					t.Errorf("publish with %s credentials: exit %d, stderr %q; want 4 (no NATS) and an authorization violation", name, code, stderr)
				}
				noSecret(t, "publish's output", stdout+stderr, tt.secrets)
			}
			stdout, stderr, code := runPublish(t, append(url, tt.right...), "assign", "--vendor", "uipath",
				"--user", uipathtest.DemoUsers[0], "--license", "ATTUNU", "--wait", "--timeout", "30s")
			if code != 0 || !strings.HasPrefix(stdout, "license.assigned ") {
				t.Errorf("authenticated publish: exit %d, stdout %q, stderr %q; want 0 and license.assigned", code, stdout, stderr)
			}
			if err := w.Stop(syscall.SIGTERM, 30*time.Second); err != nil {
				t.Errorf("worker exit after SIGTERM: %v", err)
			}
			noSecret(t, "the worker's log", w.logText(), tt.secrets)
			if !strings.Contains(w.logText(), `"******"`) {
				t.Errorf("the worker does not log its embedded server's secret setting, masked")
			}
		})
	}
}

// With no SEATKEEPER_EMBEDDED_LISTEN the embedded server listens on
// 127.0.0.1:4222 and nowhere else: publish reaches it without NATS_URL, and
// the machine's other addresses refuse the port.
func TestEmbeddedServerDefaultsToLoopback(t *testing.T) {
	if l, err := net.Listen("tcp", "127.0.0.1:4222"); err != nil {
		t.Skipf("127.0.0.1:4222 is taken (a worker or nats-server running here?): %v", err)
	} else {
		l.Close()
	}
	w := startWorker(t, t.TempDir(), []string{"SEATKEEPER_HTTP_ADDR=127.0.0.1:0"}, "-sandbox")
	started := w.waitLog("embedded nats-server started", time.Second)
	if got := started["listen"]; got != "nats://127.0.0.1:4222" {
		t.Errorf("embedded server listens on %v, want nats://127.0.0.1:4222", got)
	}
	stdout, stderr, code := runPublish(t, nil, "list", "--vendor", "uipath", "--timeout", "30s")
	if code != 0 || !strings.Contains(stdout, "ATTUNU") {
		t.Errorf("publish list without NATS_URL: exit %d, stdout %q, stderr %q; want 0 and the pools", code, stdout, stderr)
	}
	ips := externalIPs(t)
	if len(ips) == 0 {
		t.Log("this machine has no non-loopback address to try")
	}
	for _, ip := range ips {
		addr := net.JoinHostPort(ip.String(), "4222")
		if c, err := net.DialTimeout("tcp", addr, 2*time.Second); err == nil {
			c.Close()
			t.Errorf("the embedded server is reachable on %s; want loopback only", addr)
		}
	}
}

// externalIPs returns the machine's non-loopback unicast addresses.
func externalIPs(t *testing.T) []net.IP {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	var ips []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.IsGlobalUnicast() {
			ips = append(ips, n.IP)
		}
	}
	return ips
}

// runWorkerToExit runs a worker that is expected to fail at start and
// returns its combined output.
func runWorkerToExit(t *testing.T, env []string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin.worker)
	cmd.Dir = t.TempDir()
	cmd.Env = append(testproc.BaseEnv(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// noSecret fails the test if text holds any of secrets.
func noSecret(t *testing.T, where, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s holds a secret (%.6s...)", where, s)
		}
	}
}

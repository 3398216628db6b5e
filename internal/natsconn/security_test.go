package natsconn_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/seatkeeper/seatkeeper/internal/natsconn"
	"github.com/seatkeeper/seatkeeper/internal/natsconn/natsconntest"
)

// natsVars are the variables natsconn reads; each test starts from none of
// them, whatever the machine running the tests has set.
var natsVars = []string{"NATS_URL", "NATS_USER", "NATS_PASSWORD", "NATS_TOKEN", "NATS_CREDS",
	"NATS_NKEY", "NATS_CA", "NATS_CERT", "NATS_KEY", "NATS_PASSWORD_FILE", "NATS_TOKEN_FILE"}

// load reads the configuration from exactly env, as the worker and publish
// do.
func load(t *testing.T, env map[string]string) natsconn.Config {
	t.Helper()
	for _, k := range natsVars {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	c, err := natsconn.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func with(env map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for k, v := range env {
		out[k] = v
	}
	return out
}

// Every way of authenticating, read from the environment: the right
// settings connect and may use JetStream; the wrong ones, and none, are
// refused with an error that says so and carries no secret.
func TestConnectEachSecurityPath(t *testing.T) {
	for _, s := range natsconntest.Setups(t) {
		t.Run(s.Name, func(t *testing.T) {
			srv := natsconntest.Run(t, s)
			url := srv.ClientURL()

			cfg := load(t, with(s.Env, "NATS_URL", url))
			nc, err := cfg.Connect("natsconn-test", "")
			if err != nil {
				t.Fatalf("Connect with %v: %v", keys(s.Env), err)
			}
			defer nc.Close()
			js, err := jetstream.New(nc)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if _, err := js.AccountInfo(ctx); err != nil {
				t.Errorf("JetStream over the authenticated connection: %v", err)
			}

			for name, env := range map[string]map[string]string{"wrong": s.Wrong, "none": nil} {
				cfg := load(t, with(env, "NATS_URL", url))
				nc, err := cfg.Connect("natsconn-test", "")
				if err == nil {
					nc.Close()
					t.Errorf("%s credentials: connected, want refused", name)
					continue
				}
				t.Logf("%s credentials: %v", name, err)
				msg := err.Error()
				if !strings.Contains(msg, "connect to NATS at "+url) {
					t.Errorf("%s credentials: error %q does not name the server", name, msg)
				}
				if !refusal(err) {
					t.Errorf("%s credentials: error %q does not say why it was refused", name, msg)
				}
				if name == "wrong" && !namesAny(msg, s.Wrong) {
					t.Errorf("wrong credentials: error %q names none of the settings %v", msg, keys(s.Wrong))
				}
				for _, secret := range s.Secrets {
					if strings.Contains(msg, secret) {
						t.Errorf("%s credentials: error %q carries a secret", name, msg)
					}
				}
			}
		})
	}
}

// refusal reports whether err says the server refused the client: an
// authorization violation, or a failed TLS handshake.
func refusal(err error) bool {
	if errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrSecureConnRequired) {
		return true
	}
	msg := strings.ToLower(err.Error())
	for _, s := range []string{"authorization violation", "tls", "certificate", "x509"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func namesAny(msg string, env map[string]string) bool {
	for k := range env {
		if strings.Contains(msg, k) {
			return true
		}
	}
	return false
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// NATS_PASSWORD and NATS_TOKEN may come from files, like every secret.
func TestSecretsFromFiles(t *testing.T) {
	for _, s := range []natsconntest.Setup{natsconntest.UserPassword(t), natsconntest.Token(t)} {
		t.Run(s.Name, func(t *testing.T) {
			srv := natsconntest.Run(t, s)
			env := map[string]string{"NATS_URL": srv.ClientURL()}
			for k, v := range s.Env {
				if k == "NATS_USER" {
					env[k] = v
					continue
				}
				path := filepath.Join(t.TempDir(), "secret")
				if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				env[k+"_FILE"] = path
			}
			cfg := load(t, env)
			if printed := cfg.Password.String() + cfg.Token.String(); strings.Contains(printed, s.Secrets[0]) {
				t.Errorf("the configuration prints its secret: %q", printed)
			}
			nc, err := cfg.Connect("natsconn-test", "")
			if err != nil {
				t.Fatalf("Connect with secrets from files: %v", err)
			}
			nc.Close()
		})
	}
}

// A setting that names a file which is not there fails before any
// connection is tried, naming the variable.
func TestMissingFiles(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		cfg  natsconn.Config
		want string
	}{
		{natsconn.Config{NKey: missing}, "NATS_NKEY"},
	}
	for _, tt := range tests {
		_, err := tt.cfg.Options("test")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Options(%+v) error = %v, want one naming %s", tt.cfg, err, tt.want)
		}
	}
	// The CA, certificate and credentials files are read when connecting.
	for _, cfg := range []natsconn.Config{{CA: missing}, {Cert: missing, Key: missing}, {Creds: missing}} {
		if nc, err := cfg.Connect("test", "nats://127.0.0.1:1"); err == nil {
			nc.Close()
			t.Errorf("Connect(%+v) succeeded", cfg)
		} else if !strings.Contains(err.Error(), "missing") {
			t.Errorf("Connect(%+v) error = %v, want one naming the file", cfg, err)
		}
	}
}

// Package natsconntest runs nats-servers that require each of the ways a
// NATS client can prove who it is — user and password, token, nkey,
// credentials file (operator mode), mutual TLS with a private CA — and
// gives the NATS_* variables of a client that passes and of one that is
// refused. Every key, seed and certificate is made fresh in the test's
// temporary directory.
package natsconntest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/seatkeeper/seatkeeper/internal/natstest"
)

// Setup is one way of securing a server, with the client settings that
// pass it and some that do not.
type Setup struct {
	Name string
	// Apply makes server options require this setup.
	Apply func(*server.Options)
	// Env are the NATS_* variables (NATS_URL aside) of a client that passes.
	Env map[string]string
	// Wrong are the variables of a client the server refuses.
	Wrong map[string]string
	// Secrets are values that must never appear in a log line, an error
	// or any output: passwords, tokens, seeds, key material.
	Secrets []string
}

// EnvList returns env as NAME=value pairs.
func EnvList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// Setups returns every setup, in a fixed order: user/password, token,
// nkey, creds, mtls.
func Setups(t testing.TB) []Setup {
	t.Helper()
	return []Setup{UserPassword(t), Token(t), NKey(t), Creds(t), MutualTLS(t)}
}

// Run starts a JetStream server (natstest.Options) that requires s.
func Run(t testing.TB, s Setup) *server.Server {
	t.Helper()
	opts := natstest.Options(t.TempDir())
	s.Apply(opts)
	return natstest.RunServer(t, opts)
}

// UserPassword requires user "seatkeeper" with a random password.
func UserPassword(t testing.TB) Setup {
	t.Helper()
	pass := "pw-" + randomHex(t)
	return Setup{
		Name: "user-password",
		Apply: func(o *server.Options) {
			o.Username, o.Password = "seatkeeper", pass
		},
		Env:     map[string]string{"NATS_USER": "seatkeeper", "NATS_PASSWORD": pass},
		Wrong:   map[string]string{"NATS_USER": "seatkeeper", "NATS_PASSWORD": "not-" + pass},
		Secrets: []string{pass},
	}
}

// Token requires a random token.
func Token(t testing.TB) Setup {
	t.Helper()
	tok := "tok-" + randomHex(t)
	return Setup{
		Name:    "token",
		Apply:   func(o *server.Options) { o.Authorization = tok },
		Env:     map[string]string{"NATS_TOKEN": tok},
		Wrong:   map[string]string{"NATS_TOKEN": "not-" + tok},
		Secrets: []string{tok},
	}
}

// NKey requires one nkey user; the wrong client signs with another.
func NKey(t testing.TB) Setup {
	t.Helper()
	dir := t.TempDir()
	good, goodSeed := newUser(t)
	_, wrongSeed := newUser(t)
	pub, err := good.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return Setup{
		Name:    "nkey",
		Apply:   func(o *server.Options) { o.Nkeys = []*server.NkeyUser{{Nkey: pub}} },
		Env:     map[string]string{"NATS_NKEY": writeFile(t, dir, "user.nk", goodSeed)},
		Wrong:   map[string]string{"NATS_NKEY": writeFile(t, dir, "stranger.nk", wrongSeed)},
		Secrets: []string{string(goodSeed), string(wrongSeed)},
	}
}

// Creds runs the server in operator mode with one account that may use
// JetStream; the client's credentials file holds a user JWT the account
// signed and the user's seed. The wrong client's user is signed by an
// account the server does not know.
func Creds(t testing.TB) Setup {
	t.Helper()
	dir := t.TempDir()
	op := newPair(t, nkeys.CreateOperator)
	opPub := publicKey(t, op)
	// JetStream needs the server's system account.
	sys := newPair(t, nkeys.CreateAccount)
	sysClaims := jwt.NewAccountClaims(publicKey(t, sys))
	sysClaims.Name = "SYS"
	sysJWT, err := sysClaims.Encode(op)
	if err != nil {
		t.Fatal(err)
	}
	operator := jwt.NewOperatorClaims(opPub)
	operator.Name = "seatkeeper-test"
	operator.SystemAccount = sysClaims.Subject
	if _, err := operator.Encode(op); err != nil {
		t.Fatal(err)
	}
	acct := newPair(t, nkeys.CreateAccount)
	claims := jwt.NewAccountClaims(publicKey(t, acct))
	claims.Name = "seatkeeper"
	claims.Limits.JetStreamLimits = jwt.JetStreamLimits{MemoryStorage: -1, DiskStorage: -1, Streams: -1, Consumer: -1}
	acctJWT, err := claims.Encode(op)
	if err != nil {
		t.Fatal(err)
	}
	goodCreds, goodSeed := userCreds(t, acct)
	goodFile := writeFile(t, dir, "user.creds", goodCreds)
	wrongCreds, wrongSeed := userCreds(t, newPair(t, nkeys.CreateAccount))
	wrongFile := writeFile(t, dir, "stranger.creds", wrongCreds)
	return Setup{
		Name: "creds",
		Apply: func(o *server.Options) {
			resolver := &server.MemAccResolver{}
			for _, a := range [][2]string{{claims.Subject, acctJWT}, {sysClaims.Subject, sysJWT}} {
				if err := resolver.Store(a[0], a[1]); err != nil {
					t.Fatal(err)
				}
			}
			o.TrustedOperators = []*jwt.OperatorClaims{operator}
			o.AccountResolver = resolver
			o.SystemAccount = sysClaims.Subject
		},
		Env:     map[string]string{"NATS_CREDS": goodFile},
		Wrong:   map[string]string{"NATS_CREDS": wrongFile},
		Secrets: []string{string(goodSeed), string(wrongSeed)},
	}
}

// MutualTLS requires TLS with a client certificate from a private CA. The
// wrong client presents a certificate from another CA.
func MutualTLS(t testing.TB) Setup {
	t.Helper()
	pki, other := NewPKI(t), NewPKI(t)
	return Setup{
		Name: "mtls",
		Apply: func(o *server.Options) {
			o.TLSConfig = pki.ServerTLS(t)
			o.TLS, o.TLSVerify = true, true
		},
		Env:     map[string]string{"NATS_CA": pki.CA, "NATS_CERT": pki.ClientCert, "NATS_KEY": pki.ClientKey},
		Wrong:   map[string]string{"NATS_CA": pki.CA, "NATS_CERT": other.ClientCert, "NATS_KEY": other.ClientKey},
		Secrets: []string{pki.KeyMaterial(t), other.KeyMaterial(t)},
	}
}

// userCreds makes a user signed by acct and returns its credentials file
// contents and its seed.
func userCreds(t testing.TB, acct nkeys.KeyPair) (creds, seed []byte) {
	t.Helper()
	user, seed := newUser(t)
	uc := jwt.NewUserClaims(publicKey(t, user))
	uc.Name = "seatkeeper-worker"
	userJWT, err := uc.Encode(acct)
	if err != nil {
		t.Fatal(err)
	}
	creds, err = jwt.FormatUserConfig(userJWT, seed)
	if err != nil {
		t.Fatal(err)
	}
	return creds, seed
}

func newUser(t testing.TB) (nkeys.KeyPair, []byte) {
	t.Helper()
	kp := newPair(t, nkeys.CreateUser)
	seed, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	return kp, seed
}

func newPair(t testing.TB, create func() (nkeys.KeyPair, error)) nkeys.KeyPair {
	t.Helper()
	kp, err := create()
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func publicKey(t testing.TB, kp nkeys.KeyPair) string {
	t.Helper()
	pub, err := kp.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func writeFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func randomHex(t testing.TB) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// Package natsconn connects to NATS the way the nats CLI does, from the same
// environment variables (NATS_URL, NATS_USER, NATS_PASSWORD, NATS_TOKEN,
// NATS_CREDS, NATS_NKEY, NATS_CA, NATS_CERT, NATS_KEY), so one environment
// serves seatkeeper and the CLI alike.
package natsconn

import (
	"fmt"
	neturl "net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/seatkeeper/seatkeeper/internal/config"
)

// Config is the NATS connection configuration, read with prefix "NATS".
type Config struct {
	URL      string        `envconfig:"URL"`
	User     string        `envconfig:"USER"`
	Password config.Secret `envconfig:"PASSWORD"`
	Token    config.Secret `envconfig:"TOKEN"`
	// Creds is the path of a credentials file (JWT and seed).
	Creds string `envconfig:"CREDS"`
	// NKey is the path of an nkey seed file.
	NKey string `envconfig:"NKEY"`
	// CA is the path of a PEM file of CAs to trust; Cert and Key are the
	// client certificate and key for mutual TLS.
	CA   string `envconfig:"CA"`
	Cert string `envconfig:"CERT"`
	Key  string `envconfig:"KEY"`
}

// Load reads Config from the environment.
func Load() (Config, error) {
	var c Config
	err := config.Process("NATS", &c)
	return c, err
}

// Validate checks that the settings make sense together.
func (c Config) Validate() error {
	if (c.Cert == "") != (c.Key == "") {
		return fmt.Errorf("NATS_CERT and NATS_KEY go together: set both or neither")
	}
	if c.Password != "" && c.User == "" {
		return fmt.Errorf("NATS_PASSWORD is set without NATS_USER")
	}
	return nil
}

// Options returns the connection options for c, named name. The connection
// reconnects without limit: a NATS outage delays work, it loses none.
func (c Config) Options(name string) ([]nats.Option, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectJitter(250*time.Millisecond, time.Second),
		nats.RetryOnFailedConnect(true),
	}
	if c.User != "" {
		opts = append(opts, nats.UserInfo(c.User, c.Password.Reveal()))
	}
	if c.Token != "" {
		opts = append(opts, nats.Token(c.Token.Reveal()))
	}
	if c.Creds != "" {
		opts = append(opts, nats.UserCredentials(c.Creds))
	}
	if c.NKey != "" {
		o, err := nats.NkeyOptionFromSeed(c.NKey)
		if err != nil {
			return nil, fmt.Errorf("NATS_NKEY: %w", err)
		}
		opts = append(opts, o)
	}
	if c.CA != "" {
		opts = append(opts, nats.RootCAs(c.CA))
	}
	if c.Cert != "" {
		opts = append(opts, nats.ClientCert(c.Cert, c.Key))
	}
	return opts, nil
}

// Connect connects to c.URL (or url, when c.URL is empty) with c's options
// plus extra. The first connection is tried once: a wrong URL is reported at
// once rather than retried forever; later disconnections are retried
// without limit.
func (c Config) Connect(name, url string, extra ...nats.Option) (*nats.Conn, error) {
	if c.URL != "" {
		url = c.URL
	}
	opts, err := c.Options(name)
	if err != nil {
		return nil, err
	}
	opts = append(opts, extra...)
	opts = append(opts, nats.RetryOnFailedConnect(false))
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w%s", Redact(url), err, c.hint(err))
	}
	return nc, nil
}

// hint says what a refused client presented, so that an operator knows
// which settings to check. It names variables, never their values.
func (c Config) hint(err error) string {
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "authorization violation") || strings.Contains(msg, "authentication"):
		if vars := c.credentialVars(); vars != "" {
			return " (the server refused the credentials in " + vars + ")"
		}
		return " (the server requires credentials: set NATS_USER and NATS_PASSWORD, NATS_TOKEN, NATS_NKEY or NATS_CREDS)"
	case !strings.Contains(msg, "tls"):
		return ""
	case c.Cert != "" && !strings.Contains(msg, "failed to verify certificate"):
		// Under TLS 1.3 the client learns of a refused certificate only
		// as a closed connection.
		return " (the server may have refused the client certificate in NATS_CERT)"
	case c.CA == "":
		return " (set NATS_CA to the CA that signed the server's certificate)"
	}
	return ""
}

// credentialVars names the credential settings that are set.
func (c Config) credentialVars() string {
	var vars []string
	for _, v := range []struct {
		name string
		set  bool
	}{
		{"NATS_USER/NATS_PASSWORD", c.User != ""},
		{"NATS_TOKEN", c.Token != ""},
		{"NATS_NKEY", c.NKey != ""},
		{"NATS_CREDS", c.Creds != ""},
	} {
		if v.set {
			vars = append(vars, v.name)
		}
	}
	return strings.Join(vars, ", ")
}

// Redact returns a NATS URL list with any user info replaced, fit to print.
func Redact(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		u, err := neturl.Parse(strings.TrimSpace(p))
		if err != nil {
			parts[i] = "(unparsable URL)"
			continue
		}
		if u.User != nil {
			u.User = neturl.User("redacted")
		}
		parts[i] = u.String()
	}
	return strings.Join(parts, ",")
}

package ingress

import (
	"errors"
	"fmt"
	"time"

	"github.com/seatkeeper/seatkeeper/internal/config"
)

// Config is the ingress's configuration (prefix SEATKEEPER_). An empty Addr
// leaves the ingress off.
type Config struct {
	Addr string `envconfig:"INGRESS_ADDR" desc:"listen address of POST /v1/events (empty: the ingress is off)"`
	// Token holds the bearer tokens, Secret the Standard Webhooks secrets:
	// each a list of name:value entries (see ParseTokens, ParseSecrets).
	Token   config.Secret `envconfig:"INGRESS_TOKEN" desc:"bearer tokens, name:token entries (also _FILE)"`
	Secret  config.Secret `envconfig:"INGRESS_SECRET" desc:"Standard Webhooks secrets, name:whsec_... entries (also _FILE)"`
	TLSCert string        `envconfig:"INGRESS_TLS_CERT" desc:"PEM certificate: the ingress speaks HTTPS"`
	TLSKey  string        `envconfig:"INGRESS_TLS_KEY" desc:"PEM key of the certificate"`
	// Rate and Burst bound each client's requests (per second, and at once).
	Rate           float64       `envconfig:"INGRESS_RATE" default:"50" desc:"requests a second per credential (429 past it)"`
	Burst          int           `envconfig:"INGRESS_BURST" default:"100" desc:"requests at once per credential"`
	PublishTimeout time.Duration `envconfig:"INGRESS_PUBLISH_TIMEOUT" default:"5s" desc:"wait for JetStream before answering 503"`
	ReadTimeout    time.Duration `envconfig:"INGRESS_READ_TIMEOUT" default:"30s" desc:"HTTP read timeout"`
	WriteTimeout   time.Duration `envconfig:"INGRESS_WRITE_TIMEOUT" default:"30s" desc:"HTTP write timeout"`
}

// Enabled reports whether the ingress is turned on.
func (c Config) Enabled() bool { return c.Addr != "" }

// Validate names every setting that is wrong. Messages name the variable,
// never a token's or secret's value.
func (c Config) Validate() error {
	if !c.Enabled() {
		return nil
	}
	var errs []error
	tokens, err := ParseTokens(c.Token.Reveal())
	if err != nil {
		errs = append(errs, fmt.Errorf("SEATKEEPER_INGRESS_TOKEN: %w", err))
	}
	secrets, err := ParseSecrets(c.Secret.Reveal())
	if err != nil {
		errs = append(errs, fmt.Errorf("SEATKEEPER_INGRESS_SECRET: %w", err))
	}
	if err == nil && len(tokens) == 0 && len(secrets) == 0 {
		errs = append(errs, errors.New("SEATKEEPER_INGRESS_ADDR is set but neither SEATKEEPER_INGRESS_TOKEN nor SEATKEEPER_INGRESS_SECRET is: no caller could authenticate"))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("SEATKEEPER_INGRESS_TLS_CERT and SEATKEEPER_INGRESS_TLS_KEY go together: set both or neither"))
	}
	if c.Rate <= 0 {
		errs = append(errs, fmt.Errorf("SEATKEEPER_INGRESS_RATE %v: want a positive number of requests a second", c.Rate))
	}
	if c.Burst < 1 {
		errs = append(errs, fmt.Errorf("SEATKEEPER_INGRESS_BURST %d: want at least 1", c.Burst))
	}
	for name, d := range map[string]time.Duration{
		"SEATKEEPER_INGRESS_PUBLISH_TIMEOUT": c.PublishTimeout,
		"SEATKEEPER_INGRESS_READ_TIMEOUT":    c.ReadTimeout,
		"SEATKEEPER_INGRESS_WRITE_TIMEOUT":   c.WriteTimeout,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive", name))
		}
	}
	return errors.Join(errs...)
}

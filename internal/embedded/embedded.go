// Package embedded runs the worker's own nats-server with JetStream when no
// NATS_URL is configured (docs/design.md §6).
package embedded

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/config"
)

// Config configures the embedded server.
type Config struct {
	// Listen is host:port for clients (publish, the nats CLI, audit
	// consumers). Loopback by default.
	Listen string
	// DataDir holds JetStream's files.
	DataDir string
	// Sync is "always" (fsync before every acknowledgement) or an interval
	// such as "2m".
	Sync string
	// User and Password, or Token, make the server require authentication.
	User     string
	Password config.Secret
	Token    config.Secret
}

// ParseSync reads a Sync setting.
func ParseSync(s string) (always bool, interval time.Duration, err error) {
	if s == "" || s == "always" {
		return true, 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return false, 0, fmt.Errorf("SEATKEEPER_EMBEDDED_SYNC %q: want \"always\" or a positive interval such as 2m", s)
	}
	return false, d, nil
}

// Options returns the nats-server options for c.
func (c Config) Options() (*server.Options, error) {
	host, portStr, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return nil, fmt.Errorf("SEATKEEPER_EMBEDDED_LISTEN %q: %w", c.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("SEATKEEPER_EMBEDDED_LISTEN %q: bad port", c.Listen)
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	always, interval, err := ParseSync(c.Sync)
	if err != nil {
		return nil, err
	}
	return &server.Options{
		ServerName:    "seatkeeper-embedded",
		Host:          host,
		Port:          port,
		JetStream:     true,
		StoreDir:      c.DataDir,
		SyncAlways:    always,
		SyncInterval:  interval,
		Username:      c.User,
		Password:      c.Password.Reveal(),
		Authorization: c.Token.Reveal(),
		NoSigs:        true,
	}, nil
}

// Start starts the server and waits until it accepts connections.
func Start(c Config, log *zap.Logger) (*server.Server, error) {
	opts, err := c.Options()
	if err != nil {
		return nil, err
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats-server: %w", err)
	}
	s.SetLoggerV2(zapLogger{log.Named("nats-server").Sugar()}, false, false, false)
	go s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("embedded nats-server on %s did not start within 30s", c.Listen)
	}
	return s, nil
}

// zapLogger routes nats-server's log lines to zap.
type zapLogger struct{ s *zap.SugaredLogger }

func (l zapLogger) Noticef(format string, v ...any) { l.s.Debugf(format, v...) }
func (l zapLogger) Warnf(format string, v ...any)   { l.s.Warnf(format, v...) }
func (l zapLogger) Fatalf(format string, v ...any)  { l.s.Errorf(format, v...) }
func (l zapLogger) Errorf(format string, v ...any)  { l.s.Errorf(format, v...) }
func (l zapLogger) Debugf(format string, v ...any)  { l.s.Debugf(format, v...) }
func (l zapLogger) Tracef(format string, v ...any)  { l.s.Debugf(format, v...) }

package main

import (
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/embedded"
)

// Config is the worker's own configuration (prefix SEATKEEPER_). The desc
// tags are what worker -h prints.
type Config struct {
	Concurrency      int           `envconfig:"CONCURRENCY" default:"256" desc:"commands one worker runs at once; each vendor's *_MAX_CONCURRENCY bounds its requests in flight"`
	DataDir          string        `envconfig:"DATA_DIR" default:"./data" desc:"embedded server's storage, the sandbox's state; one worker each"`
	EmbeddedListen   string        `envconfig:"EMBEDDED_LISTEN" default:"127.0.0.1:4222" desc:"embedded server's client address (used when NATS_URL is empty)"`
	EmbeddedSync     string        `envconfig:"EMBEDDED_SYNC" default:"always" desc:"embedded server fsync: always, or an interval such as 2m"`
	EmbeddedUser     string        `envconfig:"EMBEDDED_USER" desc:"make the embedded server require this user (with SEATKEEPER_EMBEDDED_PASSWORD)"`
	EmbeddedPassword config.Secret `envconfig:"EMBEDDED_PASSWORD" desc:"the embedded server's password (also _FILE)"`
	EmbeddedToken    config.Secret `envconfig:"EMBEDDED_TOKEN" desc:"make the embedded server require this token (also _FILE)"`
	HTTPAddr         string        `envconfig:"HTTP_ADDR" default:"127.0.0.1:9464" desc:"/healthz, /readyz, /metrics"`
	LogLevel         string        `envconfig:"LOG_LEVEL" default:"info" desc:"debug, info, warn or error"`
	Replicas         int           `envconfig:"REPLICAS" default:"1" desc:"stream and bucket replicas: 1, 3 or 5"`
	Sandbox          bool          `envconfig:"SANDBOX" desc:"same as -sandbox"`
	ShutdownTimeout  time.Duration `envconfig:"SHUTDOWN_TIMEOUT" default:"25s" desc:"how long in-flight commands may finish on SIGTERM"`
	CommandMaxAge    time.Duration `envconfig:"COMMAND_MAX_AGE" default:"168h" desc:"how long commands stay in LICENSE_COMMANDS"`
	EventMaxAge      time.Duration `envconfig:"EVENT_MAX_AGE" default:"8760h" desc:"how long results stay in LICENSE_EVENTS (the audit trail)"`
	DedupTTL         time.Duration `envconfig:"DEDUP_TTL" default:"720h" desc:"how long a command id is remembered (at least the command max age)"`
	AckWait          time.Duration `envconfig:"ACK_WAIT" default:"30s" desc:"consumer AckWait, also the claim lease (at least 3s)"`
	MaxClockSkew     time.Duration `envconfig:"MAX_CLOCK_SKEW" default:"5m" desc:"how far ahead of this worker's clock a command's time may be before it is invalid_command"`
	RetryInProcess   time.Duration `envconfig:"RETRY_IN_PROCESS" default:"20s" desc:"transient failures retried in-process before the command is handed back"`
	RetryBudget      time.Duration `envconfig:"RETRY_BUDGET" default:"24h" desc:"from the first attempt to retries_exhausted"`
	PoolRefresh      time.Duration `envconfig:"POOL_REFRESH" default:"5m" desc:"how often the pool gauges are refreshed (0: only on list)"`
	PoolLow          float64       `envconfig:"POOL_LOW" default:"0.1" desc:"announce license.pool_low when an assign leaves less than this fraction of a pool free (0: off)"`
	BreakerThreshold int           `envconfig:"BREAKER_THRESHOLD" default:"5" desc:"transient failures in a row that open a vendor's circuit breaker"`
	BreakerCooldown  time.Duration `envconfig:"BREAKER_COOLDOWN" default:"30s" desc:"how long an open circuit holds a vendor's commands back"`
	WorkerID         string        `envconfig:"WORKER_ID" desc:"this replica's name in claims (default: the host name and a digest of the data directory)"`

	// derivedID says WorkerID is defaultWorkerID's: the data directory
	// must then be this worker's alone.
	derivedID bool
}

func loadConfig() (Config, error) {
	var c Config
	if err := config.Process("SEATKEEPER", &c); err != nil {
		return c, err
	}
	if c.WorkerID == "" {
		id, err := defaultWorkerID(c.DataDir)
		if err != nil {
			return c, fmt.Errorf("SEATKEEPER_DATA_DIR %s: %w", c.DataDir, err)
		}
		c.WorkerID, c.derivedID = id, true
	}
	return c, c.Validate()
}

// Validate names every setting that is out of range.
func (c Config) Validate() error {
	var errs []error
	if c.Concurrency < 1 || c.Concurrency > 4096 {
		errs = append(errs, fmt.Errorf("SEATKEEPER_CONCURRENCY %d: want 1 to 4096", c.Concurrency))
	}
	if c.Replicas != 1 && c.Replicas != 3 && c.Replicas != 5 {
		errs = append(errs, fmt.Errorf("SEATKEEPER_REPLICAS %d: want 1, 3 or 5", c.Replicas))
	}
	if _, _, err := embedded.ParseSync(c.EmbeddedSync); err != nil {
		errs = append(errs, err)
	}
	if _, err := zapcore.ParseLevel(c.LogLevel); err != nil {
		errs = append(errs, fmt.Errorf("SEATKEEPER_LOG_LEVEL %q: want debug, info, warn or error", c.LogLevel))
	}
	for name, d := range map[string]time.Duration{
		"SEATKEEPER_SHUTDOWN_TIMEOUT": c.ShutdownTimeout, "SEATKEEPER_COMMAND_MAX_AGE": c.CommandMaxAge,
		"SEATKEEPER_EVENT_MAX_AGE": c.EventMaxAge, "SEATKEEPER_DEDUP_TTL": c.DedupTTL,
		"SEATKEEPER_ACK_WAIT": c.AckWait, "SEATKEEPER_RETRY_IN_PROCESS": c.RetryInProcess,
		"SEATKEEPER_RETRY_BUDGET": c.RetryBudget, "SEATKEEPER_MAX_CLOCK_SKEW": c.MaxClockSkew,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive", name))
		}
	}
	if c.PoolRefresh < 0 {
		errs = append(errs, fmt.Errorf("SEATKEEPER_POOL_REFRESH %s: want 0 (off) or a positive interval", c.PoolRefresh))
	}
	if c.PoolLow < 0 || c.PoolLow >= 1 {
		errs = append(errs, fmt.Errorf("SEATKEEPER_POOL_LOW %g: want a fraction from 0 (off) to below 1", c.PoolLow))
	}
	if c.BreakerThreshold < 1 {
		errs = append(errs, fmt.Errorf("SEATKEEPER_BREAKER_THRESHOLD %d: want at least 1", c.BreakerThreshold))
	}
	if c.BreakerCooldown <= 0 {
		errs = append(errs, errors.New("SEATKEEPER_BREAKER_COOLDOWN must be positive"))
	}
	if c.AckWait < 3*time.Second {
		errs = append(errs, fmt.Errorf("SEATKEEPER_ACK_WAIT %s: want at least 3s", c.AckWait))
	}
	if c.DedupTTL < c.CommandMaxAge {
		errs = append(errs, fmt.Errorf("SEATKEEPER_DEDUP_TTL %s is shorter than SEATKEEPER_COMMAND_MAX_AGE %s: a redelivered command could run twice", c.DedupTTL, c.CommandMaxAge))
	}
	if c.EmbeddedPassword != "" && c.EmbeddedUser == "" {
		errs = append(errs, errors.New("SEATKEEPER_EMBEDDED_PASSWORD is set without SEATKEEPER_EMBEDDED_USER"))
	}
	return errors.Join(errs...)
}

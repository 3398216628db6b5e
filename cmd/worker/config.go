package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/embedded"
)

// Config is the worker's own configuration (prefix SEATKEEPER_).
type Config struct {
	Concurrency      int           `envconfig:"CONCURRENCY" default:"256"`
	DataDir          string        `envconfig:"DATA_DIR" default:"./data"`
	EmbeddedListen   string        `envconfig:"EMBEDDED_LISTEN" default:"127.0.0.1:4222"`
	EmbeddedSync     string        `envconfig:"EMBEDDED_SYNC" default:"always"`
	EmbeddedUser     string        `envconfig:"EMBEDDED_USER"`
	EmbeddedPassword config.Secret `envconfig:"EMBEDDED_PASSWORD"`
	EmbeddedToken    config.Secret `envconfig:"EMBEDDED_TOKEN"`
	HTTPAddr         string        `envconfig:"HTTP_ADDR" default:"127.0.0.1:9464"`
	LogLevel         string        `envconfig:"LOG_LEVEL" default:"info"`
	Replicas         int           `envconfig:"REPLICAS" default:"1"`
	Sandbox          bool          `envconfig:"SANDBOX"`
	ShutdownTimeout  time.Duration `envconfig:"SHUTDOWN_TIMEOUT" default:"25s"`
	CommandMaxAge    time.Duration `envconfig:"COMMAND_MAX_AGE" default:"168h"`
	EventMaxAge      time.Duration `envconfig:"EVENT_MAX_AGE" default:"8760h"`
	DedupTTL         time.Duration `envconfig:"DEDUP_TTL" default:"720h"`
	AckWait          time.Duration `envconfig:"ACK_WAIT" default:"30s"`
	MaxClockSkew     time.Duration `envconfig:"MAX_CLOCK_SKEW" default:"5m"`
	RetryInProcess   time.Duration `envconfig:"RETRY_IN_PROCESS" default:"20s"`
	RetryBudget      time.Duration `envconfig:"RETRY_BUDGET" default:"24h"`
	PoolRefresh      time.Duration `envconfig:"POOL_REFRESH" default:"5m"`
	PoolLow          float64       `envconfig:"POOL_LOW" default:"0.1"`
	BreakerThreshold int           `envconfig:"BREAKER_THRESHOLD" default:"5"`
	BreakerCooldown  time.Duration `envconfig:"BREAKER_COOLDOWN" default:"30s"`
	WorkerID         string        `envconfig:"WORKER_ID"`
}

func loadConfig() (Config, error) {
	var c Config
	if err := config.Process("SEATKEEPER", &c); err != nil {
		return c, err
	}
	if c.WorkerID == "" {
		host, _ := os.Hostname()
		c.WorkerID = host + "-" + strconv.Itoa(os.Getpid())
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

package main

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// envPrefixes are the prefixes of every variable the worker reads.
var envPrefixes = []string{"SEATKEEPER_", "NATS_", "UIPATH_", "MSP360_", "LICENSESPRING_", "ARCGIS_", "M365_"}

// cleanEnv unsets every variable the worker reads, for the test's duration,
// so that the machine's environment cannot change what the test sees.
func cleanEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		for _, p := range envPrefixes {
			if strings.HasPrefix(name, p) {
				t.Setenv(name, "") // restores the old value when the test ends
				if err := os.Unsetenv(name); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	cleanEnv(t)
	got, err := loadConfig()
	if err != nil {
		t.Fatalf("loadConfig with an empty environment: %v", err)
	}
	host, _ := os.Hostname()
	if !strings.HasPrefix(got.WorkerID, host+"-") || strings.Contains(got.WorkerID, strconv.Itoa(os.Getpid())) {
		t.Errorf("WorkerID = %q, want the host name and a digest of the data directory, no pid", got.WorkerID)
	}
	got.WorkerID, got.derivedID = "", false
	want := Config{
		Concurrency:      256,
		DataDir:          "./data",
		EmbeddedListen:   "127.0.0.1:4222",
		EmbeddedSync:     "always",
		HTTPAddr:         "127.0.0.1:9464",
		LogLevel:         "info",
		Replicas:         1,
		ShutdownTimeout:  25 * time.Second,
		CommandMaxAge:    7 * 24 * time.Hour,
		EventMaxAge:      365 * 24 * time.Hour,
		DedupTTL:         30 * 24 * time.Hour,
		AckWait:          30 * time.Second,
		MaxClockSkew:     5 * time.Minute,
		RetryInProcess:   20 * time.Second,
		RetryBudget:      24 * time.Hour,
		PoolRefresh:      5 * time.Minute,
		PoolLow:          0.1,
		BreakerThreshold: 5,
		BreakerCooldown:  30 * time.Second,
	}
	if got != want {
		t.Errorf("defaults:\ngot  %+v\nwant %+v", got, want)
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	cleanEnv(t)
	t.Setenv("SEATKEEPER_CONCURRENCY", "8")
	t.Setenv("SEATKEEPER_REPLICAS", "3")
	t.Setenv("SEATKEEPER_EMBEDDED_SYNC", "2m")
	t.Setenv("SEATKEEPER_ACK_WAIT", "45s")
	t.Setenv("SEATKEEPER_WORKER_ID", "worker-a")
	t.Setenv("SEATKEEPER_SANDBOX", "true")
	c, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.Concurrency != 8 || c.Replicas != 3 || c.EmbeddedSync != "2m" || c.AckWait != 45*time.Second ||
		c.WorkerID != "worker-a" || !c.Sandbox {
		t.Errorf("loadConfig = %+v, want the environment's values", c)
	}
}

func TestConfigLoadRejectsInvalid(t *testing.T) {
	cleanEnv(t)
	t.Setenv("SEATKEEPER_REPLICAS", "2")
	if _, err := loadConfig(); err == nil || !strings.Contains(err.Error(), "SEATKEEPER_REPLICAS") {
		t.Errorf("loadConfig with 2 replicas: %v, want an error naming SEATKEEPER_REPLICAS", err)
	}
}

func validConfig() Config {
	return Config{
		Concurrency: 256, EmbeddedSync: "always", LogLevel: "info", Replicas: 1,
		ShutdownTimeout: 25 * time.Second, CommandMaxAge: 168 * time.Hour, EventMaxAge: 8760 * time.Hour,
		DedupTTL: 720 * time.Hour, AckWait: 30 * time.Second, RetryInProcess: 20 * time.Second,
		RetryBudget: 24 * time.Hour, BreakerThreshold: 5, BreakerCooldown: 30 * time.Second,
		MaxClockSkew: 5 * time.Minute,
	}
}

func TestConfigValidate(t *testing.T) {
	const password = "pw-7f3a9c-do-not-print"
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   []string // substrings of the error; none: valid
	}{
		{"defaults", func(*Config) {}, nil},
		{"concurrency 1", func(c *Config) { c.Concurrency = 1 }, nil},
		{"concurrency 4096", func(c *Config) { c.Concurrency = 4096 }, nil},
		{"concurrency 0", func(c *Config) { c.Concurrency = 0 }, []string{"SEATKEEPER_CONCURRENCY 0"}},
		{"concurrency 4097", func(c *Config) { c.Concurrency = 4097 }, []string{"SEATKEEPER_CONCURRENCY 4097"}},
		{"3 replicas", func(c *Config) { c.Replicas = 3 }, nil},
		{"5 replicas", func(c *Config) { c.Replicas = 5 }, nil},
		{"2 replicas", func(c *Config) { c.Replicas = 2 }, []string{"SEATKEEPER_REPLICAS 2"}},
		{"breaker threshold 0", func(c *Config) { c.BreakerThreshold = 0 }, []string{"SEATKEEPER_BREAKER_THRESHOLD 0"}},
		{"breaker cooldown 0", func(c *Config) { c.BreakerCooldown = 0 }, []string{"SEATKEEPER_BREAKER_COOLDOWN"}},
		{"pool refresh off", func(c *Config) { c.PoolRefresh = 0 }, nil},
		{"pool refresh negative", func(c *Config) { c.PoolRefresh = -time.Second }, []string{"SEATKEEPER_POOL_REFRESH"}},
		{"pool low off", func(c *Config) { c.PoolLow = 0 }, nil},
		{"pool low a whole pool", func(c *Config) { c.PoolLow = 1 }, []string{"SEATKEEPER_POOL_LOW"}},
		{"0 replicas", func(c *Config) { c.Replicas = 0 }, []string{"SEATKEEPER_REPLICAS 0"}},
		{"sync interval", func(c *Config) { c.EmbeddedSync = "2m" }, nil},
		{"sync empty", func(c *Config) { c.EmbeddedSync = "" }, nil},
		{"sync garbage", func(c *Config) { c.EmbeddedSync = "sometimes" }, []string{"SEATKEEPER_EMBEDDED_SYNC"}},
		{"sync negative", func(c *Config) { c.EmbeddedSync = "-1s" }, []string{"SEATKEEPER_EMBEDDED_SYNC"}},
		{"log level debug", func(c *Config) { c.LogLevel = "debug" }, nil},
		{"log level garbage", func(c *Config) { c.LogLevel = "loud" }, []string{"SEATKEEPER_LOG_LEVEL"}},
		{"shutdown timeout 0", func(c *Config) { c.ShutdownTimeout = 0 }, []string{"SEATKEEPER_SHUTDOWN_TIMEOUT must be positive"}},
		{"command max age 0", func(c *Config) { c.CommandMaxAge = 0 }, []string{"SEATKEEPER_COMMAND_MAX_AGE must be positive"}},
		{"event max age negative", func(c *Config) { c.EventMaxAge = -time.Hour }, []string{"SEATKEEPER_EVENT_MAX_AGE must be positive"}},
		{"dedup TTL 0", func(c *Config) { c.DedupTTL = 0 }, []string{"SEATKEEPER_DEDUP_TTL must be positive", "could run twice"}},
		{"ack wait 0", func(c *Config) { c.AckWait = 0 }, []string{"SEATKEEPER_ACK_WAIT must be positive", "want at least 3s"}},
		{"ack wait 3s", func(c *Config) { c.AckWait = 3 * time.Second }, nil},
		{"ack wait 2s", func(c *Config) { c.AckWait = 2 * time.Second }, []string{"SEATKEEPER_ACK_WAIT 2s: want at least 3s"}},
		{"retry in process 0", func(c *Config) { c.RetryInProcess = 0 }, []string{"SEATKEEPER_RETRY_IN_PROCESS must be positive"}},
		{"retry budget 0", func(c *Config) { c.RetryBudget = 0 }, []string{"SEATKEEPER_RETRY_BUDGET must be positive"}},
		{"dedup TTL equals max age", func(c *Config) { c.DedupTTL = c.CommandMaxAge }, nil},
		{"dedup TTL shorter than max age", func(c *Config) { c.DedupTTL = time.Hour },
			[]string{"SEATKEEPER_DEDUP_TTL 1h0m0s is shorter than SEATKEEPER_COMMAND_MAX_AGE 168h0m0s"}},
		{"user and password", func(c *Config) { c.EmbeddedUser, c.EmbeddedPassword = "seatkeeper", password }, nil},
		{"user without password", func(c *Config) { c.EmbeddedUser = "seatkeeper" }, nil},
		{"password without user", func(c *Config) { c.EmbeddedPassword = password },
			[]string{"SEATKEEPER_EMBEDDED_PASSWORD is set without SEATKEEPER_EMBEDDED_USER"}},
		{"everything wrong at once", func(c *Config) {
			c.Concurrency, c.Replicas, c.LogLevel, c.AckWait, c.EmbeddedPassword = -1, 4, "x", time.Second, password
		}, []string{"SEATKEEPER_CONCURRENCY", "SEATKEEPER_REPLICAS", "SEATKEEPER_LOG_LEVEL", "SEATKEEPER_ACK_WAIT", "SEATKEEPER_EMBEDDED_PASSWORD"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			tc.change(&c)
			err := c.Validate()
			if len(tc.want) == 0 {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error mentioning %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), password) {
				t.Errorf("Validate() = %q: it prints the password", err)
			}
		})
	}
}

// TestDefaultWorkerIDIsStable: a restart of the same deployment keeps its
// name in claims (so it resumes its own at once); replicas on one host,
// each with its own data directory, get different names, and two workers
// cannot share one data directory.
func TestDefaultWorkerIDIsStable(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	t.Setenv("SEATKEEPER_DATA_DIR", dir)
	first, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	again, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if first.WorkerID != again.WorkerID || !first.derivedID {
		t.Errorf("worker ids %q then %q for one data directory, want one derived id", first.WorkerID, again.WorkerID)
	}
	t.Setenv("SEATKEEPER_DATA_DIR", t.TempDir())
	other, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if other.WorkerID == first.WorkerID {
		t.Errorf("two data directories give the same worker id %q", other.WorkerID)
	}

	release, err := lockDataDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockDataDir(dir); !errors.Is(err, errDataDirInUse) || !strings.Contains(err.Error(), "SEATKEEPER_DATA_DIR") {
		t.Errorf("second lock of %s: %v, want errDataDirInUse naming SEATKEEPER_DATA_DIR", dir, err)
	}
	release()
	release, err = lockDataDir(dir)
	if err != nil {
		t.Errorf("lock after release: %v", err)
	} else {
		release()
	}
}

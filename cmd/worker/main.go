// Command worker consumes license commands from NATS JetStream, applies them
// at the vendors' license APIs and publishes one result event per command.
//
// With no NATS_URL it starts an embedded nats-server with JetStream; with
// -sandbox it points every vendor at an in-process fake with a demo
// organisation.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/embedded"
	"github.com/seatkeeper/seatkeeper/internal/metrics"
	"github.com/seatkeeper/seatkeeper/internal/natsconn"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "worker:", err)
	}
	os.Exit(exitStatus(err))
}

// run runs the worker until ctx ends. A configuration it refuses is a
// configError; -h prints the usage and returns flag.ErrHelp.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, natsCfg, releaseDir, err := configure(args, stdout)
	if err != nil {
		return err
	}
	defer releaseDir()
	personPolicy, policySource, err := loadPolicy(cfg.Sandbox) // people.go
	if err != nil {
		return err
	}
	log, err := newLogger(stdout, cfg.LogLevel)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	log.Info("starting", zap.Any("config", config.Printable("SEATKEEPER", cfg)), zap.Any("nats", config.Printable("NATS", natsCfg)))

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := metrics.New(reg)

	// The configured ports first, the embedded server's and the HTTP
	// listener's: the sandbox fakes then take ports of their own, which
	// could otherwise be one of those.
	nc, shutdownNATS, err := connect(cfg, natsCfg, log)
	if err != nil {
		return err
	}
	defer shutdownNATS()
	httpLn, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return err
	}
	defer httpLn.Close() // in case it is never served

	if cfg.Sandbox {
		log.Warn("SANDBOX MODE: every vendor is an in-process fake with a demo organisation; no real license is changed")
		release, err := claimSandbox(ctx, nc, cfg.WorkerID, cfg.Replicas, log)
		if err != nil {
			return refuse(err)
		}
		defer release()
	}
	breaker := vendors.BreakerConfig{Threshold: cfg.BreakerThreshold, Cooldown: cfg.BreakerCooldown}
	vendorReg, stopFakes, err := buildVendors(cfg.Sandbox, cfg.DataDir, breaker, m, log)
	if err != nil {
		return refuse(err)
	}
	defer stopFakes()
	for _, name := range vendorReg.Names() {
		m.Retries.WithLabelValues(name) // present from the start, so rate() works
	}

	probes := newProbes(nc, reg).withVendors(vendorReg)
	httpSrv := serveHTTP(httpLn, probes, log)
	defer shutdownHTTP(httpSrv)

	stopIngress, err := startIngress(ctx, nc, cfg.Replicas, reg, log)
	if err != nil {
		return err
	}
	defer stopIngress()

	opts := serviceOptions(cfg, nc, vendorReg, log, m)
	opts.PersonPolicy = personPolicy // reclaim.exempt
	svc, err := consumer.Start(ctx, opts)
	if err != nil {
		return err
	}
	probes.setService(svc)
	if err := startPeople(ctx, svc, opts.Settings, policySource, consumer.PeopleOptions{
		Policy: personPolicy, Vendors: vendorReg.Names(), MaxClockSkew: cfg.MaxClockSkew, Logger: log, Observer: m}); err != nil {
		return err
	}
	go refreshGauges(ctx, svc, vendorReg, m, cfg.PoolRefresh, log)
	log.Info("ready", zap.String("consumer", svc.Consumer.CachedInfo().Name), zap.Strings("vendors", vendorReg.Names()))

	<-svc.Done()
	log.Info("stopped", zap.NamedError("loop_error", svc.Err()))
	return svc.Err()
}

// serviceOptions are the consumer's settings from the configuration.
func serviceOptions(cfg Config, nc *nats.Conn, reg *vendors.Registry, log *zap.Logger, m *metrics.Metrics) consumer.ServiceOptions {
	settings := consumer.DefaultSettings(cfg.Concurrency)
	settings.Replicas = cfg.Replicas
	settings.CommandMaxAge, settings.EventMaxAge = cfg.CommandMaxAge, cfg.EventMaxAge
	settings.CommandTTL, settings.AckWait = cfg.DedupTTL, cfg.AckWait
	policy := vendors.DefaultRetryPolicy()
	policy.InProcessBudget, policy.TotalBudget = cfg.RetryInProcess, cfg.RetryBudget
	return consumer.ServiceOptions{
		Conn: nc, Settings: settings, Vendors: reg, Policy: policy,
		Owner: cfg.WorkerID, Concurrency: cfg.Concurrency, ShutdownTimeout: cfg.ShutdownTimeout,
		Logger: log, Observer: m, MaxClockSkew: cfg.MaxClockSkew,
		PoolLow: cfg.PoolLow, PoolLowInterval: 10 * time.Second,
	}
}

// connect connects to NATS_URL, or starts the embedded server and connects
// to it in-process. The returned function drains the connection and stops
// the embedded server.
func connect(cfg Config, nc natsconn.Config, log *zap.Logger) (*nats.Conn, func(), error) {
	name := "seatkeeper-worker " + cfg.WorkerID
	onEvents := []nats.Option{
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn("NATS disconnected", zap.Error(err)) }),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("NATS reconnected", zap.String("server", c.ConnectedUrlRedacted())) }),
	}
	if nc.URL != "" {
		conn, err := nc.Connect(name, "", onEvents...)
		if err != nil {
			return nil, nil, err
		}
		log.Info("connected to NATS", zap.String("server", conn.ConnectedUrlRedacted()))
		return conn, func() { drain(conn) }, nil
	}
	srv, err := embedded.Start(embedded.Config{
		Listen: cfg.EmbeddedListen, DataDir: cfg.DataDir, Sync: cfg.EmbeddedSync,
		User: cfg.EmbeddedUser, Password: cfg.EmbeddedPassword, Token: cfg.EmbeddedToken,
	}, log)
	if err != nil {
		return nil, nil, err
	}
	log.Info("embedded nats-server started", zap.String("listen", srv.ClientURL()),
		zap.String("data_dir", cfg.DataDir), zap.String("sync", cfg.EmbeddedSync))
	opts := append(onEvents, nats.InProcessServer(srv))
	if cfg.EmbeddedUser != "" {
		opts = append(opts, nats.UserInfo(cfg.EmbeddedUser, cfg.EmbeddedPassword.Reveal()))
	}
	if cfg.EmbeddedToken != "" {
		opts = append(opts, nats.Token(cfg.EmbeddedToken.Reveal()))
	}
	conn, err := nats.Connect(srv.ClientURL(), append(opts, nats.Name(name), nats.MaxReconnects(-1))...)
	if err != nil {
		srv.Shutdown()
		return nil, nil, fmt.Errorf("connect to the embedded server: %w", err)
	}
	return conn, func() {
		drain(conn)
		srv.Shutdown()
		srv.WaitForShutdown()
	}, nil
}

// drain flushes what the connection still has to send (acks, results).
func drain(nc *nats.Conn) {
	done := make(chan struct{})
	nc.SetClosedHandler(func(*nats.Conn) { close(done) })
	if err := nc.Drain(); err != nil {
		nc.Close()
		return
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		nc.Close()
	}
}

func newLogger(w io.Writer, level string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	enc := zap.NewProductionEncoderConfig()
	enc.TimeKey = "time"
	enc.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.Lock(zapcore.AddSync(w)), lvl)
	return zap.New(core), nil
}

var errNotReady = errors.New("not ready")

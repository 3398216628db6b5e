package main

import (
	"context"
	"net"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/ingress"
)

// startIngress serves the HTTP ingress when SEATKEEPER_INGRESS_ADDR is set
// (docs/design.md §12). The returned function stops it; run defers it, so
// it stops taking events before the NATS connection drains.
func startIngress(ctx context.Context, nc *nats.Conn, replicas int, reg prometheus.Registerer, log *zap.Logger) (func(), error) {
	var cfg ingress.Config
	if err := config.Process("SEATKEEPER", &cfg); err != nil {
		return nil, err
	}
	if !cfg.Enabled() {
		return func() {}, nil
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tokens, _ := ingress.ParseTokens(cfg.Token.Reveal()) // Validate parsed them
	secrets, _ := ingress.ParseSecrets(cfg.Secret.Reveal())
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	opts := ingress.Options{
		Tokens: tokens, Secrets: secrets, Rate: cfg.Rate, Burst: cfg.Burst,
		PublishTimeout: cfg.PublishTimeout, Publisher: &ingress.JetStreamPublisher{JS: js},
		Metrics: ingress.NewMetrics(reg), Logger: log,
	}
	if len(secrets) > 0 {
		if opts.Replay, err = ingress.NewKVReplayGuard(ctx, js, replicas); err != nil {
			return nil, err
		}
	}
	h, err := ingress.NewHandler(opts)
	if err != nil {
		return nil, err
	}
	srv, err := ingress.Listen(cfg, h, log)
	if err != nil {
		return nil, err
	}
	go srv.Serve()
	log.Info("serving the HTTP ingress", zap.String("addr", srv.Addr().String()), zap.Bool("tls", srv.TLS()),
		zap.Strings("tokens", credentialNames(tokens, nil)), zap.Strings("secrets", credentialNames(nil, secrets)),
		zap.Any("config", config.Printable("SEATKEEPER", cfg)))
	if host, _, _ := net.SplitHostPort(srv.Addr().String()); !srv.TLS() && !net.ParseIP(host).IsLoopback() {
		log.Warn("the HTTP ingress listens beyond this machine without TLS: tokens and events cross the network in clear; set SEATKEEPER_INGRESS_TLS_CERT and _KEY or put a TLS proxy in front")
	}
	return func() { srv.Shutdown(5 * time.Second) }, nil
}

// credentialNames lists the names of the credentials, never their values.
func credentialNames(tokens []ingress.Token, secrets []ingress.WebhookSecret) []string {
	names := []string{}
	for _, t := range tokens {
		names = append(names, t.Name)
	}
	for _, s := range secrets {
		names = append(names, s.Name)
	}
	return names
}

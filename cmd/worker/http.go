package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/metrics"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
)

// probes answers /healthz and /readyz.
type probes struct {
	nc      *nats.Conn
	svc     atomic.Pointer[consumer.Service]
	reg     *prometheus.Registry
	vendors *vendors.Registry
}

func newProbes(nc *nats.Conn, reg *prometheus.Registry) *probes {
	return &probes{nc: nc, reg: reg, vendors: vendors.NewRegistry()}
}

// withVendors makes readiness report the vendors' circuit breakers.
func (p *probes) withVendors(vs *vendors.Registry) *probes {
	p.vendors = vs
	return p
}

func (p *probes) setService(s *consumer.Service) { p.svc.Store(s) }

// readiness reports whether the worker can take commands, with details.
func (p *probes) readiness() (bool, map[string]string) {
	d := map[string]string{"nats": p.nc.Status().String(), "consumer": "unbound"}
	problem := ""
	if s := p.svc.Load(); s != nil {
		if s.Bound() {
			d["consumer"] = "bound"
		}
		// Results that cannot be published: the cause, named.
		if problem = s.Problem(); problem != "" {
			d["results"] = problem
		}
	}
	// A vendor's open circuit does not make the worker unready: restarting
	// it would not help. It is reported for the operator.
	for _, name := range p.vendors.Names() {
		v, _ := p.vendors.Get(name)
		if b, ok := v.(*vendors.Breaker); ok {
			d["vendor_"+name] = "circuit " + b.State()
		}
	}
	return p.nc.IsConnected() && d["consumer"] == "bound" && problem == "", d
}

func (p *probes) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		ok, details := p.readiness()
		status := http.StatusOK
		details["status"] = "ready"
		if !ok {
			status = http.StatusServiceUnavailable
			details["status"] = errNotReady.Error()
		}
		writeJSON(w, status, details)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(p.reg, promhttp.HandlerOpts{}))
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// serveHTTP serves the probes and metrics on ln in the background. run
// listens early, so that a port conflict fails the start.
func serveHTTP(ln net.Listener, p *probes, log *zap.Logger) *http.Server {
	srv := &http.Server{Handler: p.handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", zap.Error(err))
		}
	}()
	log.Info("serving probes and metrics", zap.String("addr", ln.Addr().String()))
	return srv
}

func shutdownHTTP(srv *http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
}

// refreshGauges keeps the consumer-pending and license-pool gauges current.
func refreshGauges(ctx context.Context, svc *consumer.Service, reg *vendors.Registry, m *metrics.Metrics, every time.Duration, log *zap.Logger) {
	pending := time.NewTicker(15 * time.Second)
	defer pending.Stop()
	var pools <-chan time.Time
	if every > 0 {
		t := time.NewTicker(every)
		defer t.Stop()
		pools = t.C
		refreshPools(ctx, reg, m, log)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-pending.C:
			if info, err := svc.Consumer.Info(ctx); err == nil {
				m.ConsumerPending.Set(float64(info.NumPending))
			}
		case <-pools:
			refreshPools(ctx, reg, m, log)
		}
	}
}

func refreshPools(ctx context.Context, reg *vendors.Registry, m *metrics.Metrics, log *zap.Logger) {
	for _, name := range reg.Names() {
		v, _ := reg.Get(name)
		account := v.DefaultAccount()
		if account == "" {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		pools, err := v.Pools(cctx, account)
		cancel()
		if err != nil {
			log.Warn("refresh license pools", zap.String("vendor", name), zap.Error(err))
			continue
		}
		m.ObservePools(name, account, pools)
	}
}

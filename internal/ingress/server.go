package ingress

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// Server is the ingress's own HTTP listener, apart from the probes': it
// faces senders, the probes face the orchestrator.
type Server struct {
	srv *http.Server
	ln  net.Listener
	tls bool
	log *zap.Logger
}

// Listen binds cfg.Addr for h, with TLS when cfg names a certificate and
// key. Binding early makes a taken port fail the start.
func Listen(cfg Config, h http.Handler, log *zap.Logger) (*Server, error) {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, log: log, srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       2 * time.Minute,
		// Binary mode carries attributes in headers; a command is at
		// most 64 KiB.
		MaxHeaderBytes: 128 << 10,
		ErrorLog:       zap.NewStdLog(log),
	}}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			ln.Close()
			return nil, err
		}
		s.srv.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		s.tls = true
	}
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// TLS reports whether the server speaks HTTPS.
func (s *Server) TLS() bool { return s.tls }

// Serve serves until Shutdown.
func (s *Server) Serve() {
	var err error
	if s.tls {
		err = s.srv.ServeTLS(s.ln, "", "")
	} else {
		err = s.srv.Serve(s.ln)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("ingress: server stopped", zap.Error(err))
	}
}

// Shutdown stops taking requests and waits for those in flight, up to
// timeout: a sender whose request is cut retries it, and ids make that
// safe.
func (s *Server) Shutdown(timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
	}
}

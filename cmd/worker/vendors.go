package main

import (
	"fmt"
	"net/http"

	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath"
	"github.com/seatkeeper/seatkeeper/internal/vendors/uipath/uipathtest"
)

// adapterConfig is what every adapter's Config provides.
type adapterConfig interface {
	Configured() bool
	Validate() error
	Limits() vendors.Limits
}

// vendorSpec knows how to build one vendor, from the environment or, in
// sandbox mode, against its in-process fake.
type vendorSpec struct {
	name string
	// load reads the vendor's configuration from the environment.
	load func() (adapterConfig, error)
	// sandbox starts the vendor's fake with its demo organisation and
	// returns a configuration pointing at it.
	sandbox func() (adapterConfig, func())
	// build makes the adapter.
	build func(adapterConfig, *http.Client) (vendors.Vendor, error)
}

// spec returns the vendorSpec of an adapter whose Config type is C.
func spec[C adapterConfig, V vendors.Vendor](name, prefix string, newFn func(C, *http.Client) (V, error), sandbox func() (C, func())) vendorSpec {
	return vendorSpec{
		name: name,
		load: func() (adapterConfig, error) {
			var c C
			err := config.Process(prefix, &c)
			return c, err
		},
		sandbox: func() (adapterConfig, func()) { return sandbox() },
		build: func(c adapterConfig, hc *http.Client) (vendors.Vendor, error) {
			return newFn(c.(C), hc)
		},
	}
}

// allVendors lists every adapter seatkeeper has.
var allVendors = []vendorSpec{
	spec("uipath", uipath.EnvPrefix, uipath.New, func() (uipath.Config, func()) {
		f := uipathtest.New(uipathtest.Options{Demo: true})
		return uipath.Config{
			BaseURL: f.URL, ClientID: uipathtest.ClientID, ClientSecret: uipathtest.ClientSecret,
			Scope: uipathtest.Scope, AccountID: uipathtest.DemoAccount, RateLimit: 50, MaxConcurrency: 8,
		}, f.Close
	}),
}

// buildVendors builds the registry: from the environment, or against the
// fakes in sandbox mode. It returns a function that stops the fakes.
func buildVendors(sandbox bool, obs vendors.Observer, log *zap.Logger) (*vendors.Registry, func(), error) {
	reg := vendors.NewRegistry()
	var stops []func()
	stop := func() {
		for _, s := range stops {
			s()
		}
	}
	for _, s := range allVendors {
		var cfg adapterConfig
		if sandbox {
			c, closeFake := s.sandbox()
			stops = append(stops, closeFake)
			cfg = c
		} else {
			c, err := s.load()
			if err != nil {
				stop()
				return nil, nil, fmt.Errorf("%s configuration: %w", s.name, err)
			}
			if !c.Configured() {
				log.Info("vendor not configured; its commands fail with vendor_not_configured", zap.String("vendor", s.name))
				continue
			}
			cfg = c
		}
		if err := cfg.Validate(); err != nil {
			stop()
			return nil, nil, fmt.Errorf("%s configuration: %w", s.name, err)
		}
		v, err := s.build(cfg, vendors.NewHTTPClient(s.name, cfg.Limits(), obs))
		if err != nil {
			stop()
			return nil, nil, fmt.Errorf("%s: %w", s.name, err)
		}
		reg.Register(v)
		log.Info("vendor configured", zap.String("vendor", s.name), zap.Any("config", cfg))
	}
	return reg, stop, nil
}

package main

import (
	"fmt"
	"net/http"

	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/vendors"
	"github.com/seatkeeper/seatkeeper/internal/vendors/arcgis"
	"github.com/seatkeeper/seatkeeper/internal/vendors/arcgis/arcgistest"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring"
	"github.com/seatkeeper/seatkeeper/internal/vendors/licensespring/licensespringtest"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365"
	"github.com/seatkeeper/seatkeeper/internal/vendors/m365/m365test"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360"
	"github.com/seatkeeper/seatkeeper/internal/vendors/msp360/msp360test"
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
	name   string
	prefix string
	// load reads the vendor's configuration from the environment.
	load func() (adapterConfig, error)
	// sandbox starts the vendor's fake with its demo organisation and
	// returns a configuration pointing at it.
	sandbox func() (adapterConfig, sandboxFake)
	// build makes the adapter.
	build func(adapterConfig, *http.Client) (vendors.Vendor, error)
	// zero returns a pointer to an empty Config, for worker -h.
	zero func() any
}

// title heads the vendor's variables in worker -h.
func (s vendorSpec) title() string { return "Vendor " + s.name }

// spec returns the vendorSpec of an adapter whose Config type is C.
func spec[C adapterConfig, V vendors.Vendor](name, prefix string, newFn func(C, *http.Client) (V, error), sandbox func() (C, sandboxFake)) vendorSpec {
	return vendorSpec{
		name:   name,
		prefix: prefix,
		load: func() (adapterConfig, error) {
			var c C
			err := config.Process(prefix, &c)
			return c, err
		},
		sandbox: func() (adapterConfig, sandboxFake) { return sandbox() },
		build: func(c adapterConfig, hc *http.Client) (vendors.Vendor, error) {
			return newFn(c.(C), hc)
		},
		zero: func() any { return new(C) },
	}
}

// Sandbox fakes answer at once, so they get generous limits, and keep only
// their latest calls: the worker may run for days.
const (
	sandboxRate        = 200
	sandboxConcurrency = 16
	sandboxRequestLog  = 1000
)

// allVendors lists every adapter seatkeeper has, each with its sandbox
// wiring: the fake's demo organisation and the credentials it accepts.
var allVendors = []vendorSpec{
	spec("uipath", "UIPATH", uipath.New, func() (uipath.Config, sandboxFake) {
		f := uipathtest.New(uipathtest.Options{Demo: true, KeepRequests: sandboxRequestLog})
		return uipath.Config{
			BaseURL: f.URL, ClientID: uipathtest.ClientID, ClientSecret: uipathtest.ClientSecret,
			Scope: uipathtest.Scope, AccountID: uipathtest.DemoAccount,
			RateLimit: sandboxRate, MaxConcurrency: sandboxConcurrency,
		}, f
	}),
	spec("msp360", "MSP360", msp360.New, func() (msp360.Config, sandboxFake) {
		f := msp360test.New(msp360test.Options{Demo: true, KeepRequests: sandboxRequestLog})
		f.AddUser(sandboxPerson) // people.go
		return msp360.Config{
			BaseURL: f.URL, Username: msp360test.Username, Password: msp360test.Password,
			RateLimit: sandboxRate, MaxConcurrency: sandboxConcurrency,
		}, f
	}),
	spec("licensespring", "LICENSESPRING", licensespring.New, func() (licensespring.Config, sandboxFake) {
		f := licensespringtest.New(licensespringtest.Options{Demo: true, KeepRequests: sandboxRequestLog})
		return licensespring.Config{
			BaseURL: f.URL, APIKey: licensespringtest.APIKey,
			RateLimit: sandboxRate, MaxConcurrency: sandboxConcurrency,
		}, f
	}),
	spec("arcgis", "ARCGIS", arcgis.New, func() (arcgis.Config, sandboxFake) {
		f := arcgistest.New(arcgistest.Options{Demo: true, KeepRequests: sandboxRequestLog})
		return arcgis.Config{
			PortalURL: f.PortalURL(), AdminURL: f.AdminURL(),
			Username: arcgistest.AdminUsername, Password: arcgistest.AdminPassword,
			ProListingID: arcgistest.ProListingID, ReleaseUserType: arcgistest.FallbackUserType,
			RateLimit: sandboxRate, MaxConcurrency: sandboxConcurrency,
		}, f
	}),
	spec("m365", "M365", m365.New, func() (m365.Config, sandboxFake) {
		f := m365test.New(m365test.Options{Demo: true, KeepRequests: sandboxRequestLog})
		f.AddUser(m365test.User{UPN: sandboxPerson, DisplayName: "Ana Smith", UsageLocation: "DE"}) // people.go
		return m365.Config{
			TenantID: m365test.TenantID, ClientID: m365test.ClientID, ClientSecret: m365test.ClientSecret,
			LoginURL: f.URL, GraphURL: f.URL,
			RateLimit: sandboxRate, MaxConcurrency: sandboxConcurrency,
		}, f
	}),
}

// checkVendorsConfigured refuses a worker with no vendor configured and
// no sandbox: it would report ready and fail every command with
// vendor_not_configured. A vendor whose variables cannot be read is named.
func checkVendorsConfigured() error {
	for _, s := range allVendors {
		c, err := s.load()
		if err != nil {
			return fmt.Errorf("%s configuration: %w", s.name, err)
		}
		if c.Configured() {
			return nil
		}
	}
	return fmt.Errorf("no vendor is configured: set the variables of at least one (%s; worker -h lists them), or run worker -sandbox (SEATKEEPER_SANDBOX=true) against built-in fakes", vendorVariables())
}

// observer is what the vendors' transports and breakers report to.
type observer interface {
	vendors.Observer
	vendors.CircuitObserver
}

// buildVendors builds the registry: from the environment, or against the
// fakes in sandbox mode, their state kept under dataDir. It returns a
// function that stops the fakes.
func buildVendors(sandbox bool, dataDir string, breaker vendors.BreakerConfig, obs observer, log *zap.Logger) (*vendors.Registry, func(), error) {
	reg := vendors.NewRegistry()
	var stops []func()
	stop := func() {
		for _, s := range stops {
			s()
		}
	}
	for _, s := range allVendors {
		var cfg adapterConfig
		var state *sandboxState
		if sandbox {
			c, fake := s.sandbox()
			stops = append(stops, fake.Close)
			st, err := openSandboxState(dataDir, s.name, fake, log)
			if err != nil {
				stop()
				return nil, nil, fmt.Errorf("%s sandbox state: %w", s.name, err)
			}
			cfg, state = c, st
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
		hc := vendors.NewHTTPClient(s.name, cfg.Limits(), obs)
		if state != nil {
			hc.Transport = state.wrap(hc.Transport)
		}
		v, err := s.build(cfg, hc)
		if err != nil {
			stop()
			return nil, nil, fmt.Errorf("%s: %w", s.name, err)
		}
		reg.Register(vendors.NewBreaker(v, breaker, obs))
		log.Info("vendor configured", zap.String("vendor", s.name), zap.Any("config", config.Printable(s.prefix, cfg)))
	}
	return reg, stop, nil
}

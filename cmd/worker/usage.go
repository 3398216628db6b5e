package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/kelseyhightower/envconfig"

	"github.com/seatkeeper/seatkeeper/internal/ingress"
	"github.com/seatkeeper/seatkeeper/internal/natsconn"
)

// configError is a configuration the worker refuses to start with: the
// usage exit status, 2, rather than a failure's.
type configError struct{ err error }

func (e configError) Error() string { return e.err.Error() }
func (e configError) Unwrap() error { return e.err }

// refuse marks err, if any, as a configuration error.
func refuse(err error) error {
	if err == nil {
		return nil
	}
	return configError{err}
}

// configure parses the flags and reads the configuration, refusing one the
// worker cannot run with before anything starts. When the worker keeps
// anything in its data directory, or takes its id from it, it holds the
// directory's lock until release.
func configure(args []string, stdout io.Writer) (cfg Config, natsCfg natsconn.Config, release func(), err error) {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	sandbox := fs.Bool("sandbox", false, "point every vendor at an in-process fake with a demo organisation (also SEATKEEPER_SANDBOX=true)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(stdout, fs)
			return cfg, natsCfg, nil, err
		}
		return cfg, natsCfg, nil, refuse(fmt.Errorf("%w (worker -h lists the flags and variables)", err))
	}
	if fs.NArg() > 0 {
		return cfg, natsCfg, nil, refuse(fmt.Errorf("unexpected argument %q (worker -h lists the flags and variables)", fs.Arg(0)))
	}
	if cfg, err = loadConfig(); err != nil {
		return cfg, natsCfg, nil, refuse(err)
	}
	cfg.Sandbox = cfg.Sandbox || *sandbox
	if natsCfg, err = natsconn.Load(); err == nil {
		err = natsCfg.Validate()
	}
	if err == nil && !cfg.Sandbox {
		err = checkVendorsConfigured()
	}
	if err != nil {
		return cfg, natsCfg, nil, refuse(err)
	}
	release = func() {}
	if cfg.derivedID || cfg.Sandbox || natsCfg.URL == "" {
		if release, err = lockDataDir(cfg.DataDir); err != nil {
			return cfg, natsCfg, nil, refuse(err)
		}
	}
	return cfg, natsCfg, release, nil
}

// exitStatus is the process's exit status for run's error: 0 for none and
// for -h, 2 for a configuration the worker refuses, else 1.
func exitStatus(err error) int {
	var cerr configError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &cerr):
		return 2
	}
	return 1
}

// envFormat is how printUsage lists a group of variables: name, default,
// meaning.
const envFormat = `{{range .}}  {{usage_key .}}	{{usage_default .}}	{{usage_description .}}
{{end}}`

// printUsage writes worker -h: the flags, then every environment variable
// the worker reads, with its default.
func printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, `worker: applies license commands from NATS JetStream at the vendors' license APIs

Usage: worker [-sandbox]

`)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprint(w, `
Configuration is the environment. Every secret may instead be given as <NAME>_FILE,
the path of a file holding it. A worker needs at least one vendor configured, or
-sandbox.

`)
	group := func(title, prefix string, spec any) {
		fmt.Fprintf(w, "%s:\n", title)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  VARIABLE\tDEFAULT\tMEANING")
		_ = envconfig.Usagef(prefix, spec, tw, envFormat)
		_ = tw.Flush()
		fmt.Fprintln(w)
	}
	group("NATS (the nats CLI's names; NATS_URL empty: the embedded server)", "NATS", &natsconn.Config{})
	group("Worker", "SEATKEEPER", &Config{})
	group("HTTP ingress (off unless SEATKEEPER_INGRESS_ADDR is set)", "SEATKEEPER", &ingress.Config{})
	for _, s := range allVendors {
		group(s.title(), s.prefix, s.zero())
	}
}

// vendorVariables names the variables that configure each vendor, for the
// refusal of a worker that has none.
func vendorVariables() string {
	var names []string
	for _, s := range allVendors {
		names = append(names, s.prefix+"_*")
	}
	return strings.Join(names, ", ")
}

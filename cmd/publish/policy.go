package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/seatkeeper/seatkeeper/internal/people"
)

// runPolicy runs "publish policy check FILE": it compiles the policy as the
// worker will and exits 2 naming the bad rule and its position.
func runPolicy(_ context.Context, a *app, args []string) int {
	args, verb := takeVerb(args, "check")
	if verb == "" || len(args) == 0 || strings.HasPrefix(args[len(args)-1], "-") {
		return a.usagef("policy: want \"publish policy check FILE\"")
	}
	args = []string{"check", args[len(args)-1]} // ignore --server: nothing is published
	p, err := people.LoadPolicy(args[1])
	var rerr *people.RuleError
	switch {
	case errors.As(err, &rerr):
		fmt.Fprintf(a.stderr, "%s: %v\n", args[1], err)
		return exitUsage
	case err != nil:
		fmt.Fprintf(a.stderr, "publish: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(a.stdout, "%s: ok: %s", args[1], plural(len(p.Rules), "rule"))
	if v := p.Vendors(); len(v) > 0 {
		fmt.Fprintf(a.stdout, " granting at %s", strings.Join(v, ", "))
	}
	if p.Offboarding.ReleaseAll {
		fmt.Fprint(a.stdout, "; leavers lose every seat (offboarding.release_all)")
	}
	fmt.Fprintln(a.stdout)
	return exitOK
}

// policyFrom loads the policy at path, else at SEATKEEPER_POLICY_FILE.
func policyFrom(path string) (*people.Policy, string, error) {
	if path == "" {
		path = os.Getenv("SEATKEEPER_POLICY_FILE")
	}
	if path == "" {
		return nil, "", errors.New("no policy: give --policy FILE or set SEATKEEPER_POLICY_FILE")
	}
	p, err := people.LoadPolicy(path)
	return p, path, err
}

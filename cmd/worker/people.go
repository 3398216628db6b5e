package main

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"github.com/seatkeeper/seatkeeper/deploy"
	"github.com/seatkeeper/seatkeeper/internal/config"
	"github.com/seatkeeper/seatkeeper/internal/consumer"
	"github.com/seatkeeper/seatkeeper/internal/events"
	"github.com/seatkeeper/seatkeeper/internal/people"
)

// sandboxPerson is a person the sandbox's MSP360 and Microsoft 365 fakes
// know by e-mail (LicenseSpring takes any address), so that the README can
// take one person through joining, a move and leaving across three vendors.
const sandboxPerson = "ana.smith@example.com"

// PeopleConfig configures the people reconciler (prefix SEATKEEPER_).
type PeopleConfig struct {
	// PolicyFile is the YAML policy mapping people to licenses. Unset,
	// person events wait in their stream until a worker with a policy
	// runs; the sandbox loads the example policy instead.
	PolicyFile string `envconfig:"POLICY_FILE"`
}

// loadPolicy reads and compiles the policy before anything starts, so that a
// bad rule stops the worker with an error naming the rule and its position.
// It returns a nil policy, and says so, when there is none to load.
func loadPolicy(sandbox bool) (*people.Policy, string, error) {
	var c PeopleConfig
	if err := config.Process("SEATKEEPER", &c); err != nil {
		return nil, "", err
	}
	switch {
	case c.PolicyFile != "":
		p, err := people.LoadPolicy(c.PolicyFile)
		if err != nil {
			return nil, "", fmt.Errorf("SEATKEEPER_POLICY_FILE %s: %w", c.PolicyFile, err)
		}
		return p, c.PolicyFile, nil
	case sandbox:
		p, err := people.ParsePolicy(deploy.PolicyExample)
		return p, "deploy/policy.example.yaml (sandbox)", err
	}
	return nil, "", nil
}

// startPeople starts reconciling person events with o.Policy; with no
// policy it only creates the people stream, so that events published
// meanwhile wait there rather than be lost.
func startPeople(ctx context.Context, svc *consumer.Service, s consumer.Settings, source string, o consumer.PeopleOptions) error {
	policy, log := o.Policy, o.Logger
	if policy == nil {
		if _, _, err := consumer.SetupPeople(ctx, svc.JS, s); err != nil {
			return err
		}
		log.Warn("no SEATKEEPER_POLICY_FILE: person events wait in their stream until a worker with a policy runs",
			zap.String("stream", events.PeopleStream))
		return nil
	}
	if _, err := consumer.StartPeopleService(ctx, svc.JS, s, o); err != nil {
		return err
	}
	log.Info("reconciling person events", zap.String("policy", source), zap.Int("rules", len(policy.Rules)),
		zap.Bool("release_all", policy.Offboarding.ReleaseAll))
	return nil
}

// Package vendors defines what seatkeeper needs of a vendor's license API: the
// Vendor interface every adapter implements, the error classes adapters
// translate their answers into, the retry policy, the HTTP transport that
// enforces each vendor's rate limit and concurrency cap, and the Registry the
// worker builds from configuration. Adapters live in sub-packages and import
// this one; this package imports none of them.
//
// Every adapter package internal/vendors/<name> has the same shape, so that
// the worker wires them alike:
//
//	type Config struct{ ... }                // envconfig fields without the prefix; secrets as config.Secret;
//	                                         // RateLimit (RATE_LIMIT) and MaxConcurrency (MAX_CONCURRENCY)
//	func (c Config) Configured() bool        // the required settings are present
//	func (c Config) Validate() error         // names the variable, never the secret
//	func (c Config) Limits() vendors.Limits
//	func New(cfg Config, hc *http.Client) (*Client, error) // hc nil: NewHTTPClient(name, cfg.Limits(), nil)
//
// Its fake, internal/vendors/<name>/<name>test, has New(Options) *Server and
// NewServer(t, Options) *Server, exported credentials and demo ids
// (Options.Demo seeds the organisation worker -sandbox shows), state
// inspection (Held, Pools, Writes, Requests) and faults (FailNext, ResetNext,
// SetLatency, SetFailureRate, HangNext, ExpireTokens, BreakAuth, Recover).
package vendors

import (
	"context"

	"github.com/seatkeeper/seatkeeper/internal/events"
)

// Vendor is one vendor's license API, bound to its credentials.
//
// Every operation is idempotent: it reads the vendor's current state and
// changes only the difference, so a retried or replayed command never
// double-assigns. An operation makes no retries of its own beyond one token
// refresh; the caller retries transient errors.
type Vendor interface {
	// Name is the vendor's name as commands spell it ("uipath", ...).
	Name() string
	// DefaultAccount is the account used when a command names none; empty
	// when the vendor has no configured default.
	DefaultAccount() string
	// Assign gives the user every license in req.Licenses it does not hold.
	Assign(ctx context.Context, req Request) (Outcome, error)
	// Release takes the licenses in req.Licenses from the user, or every
	// license the user holds when req.Licenses is empty.
	Release(ctx context.Context, req Request) (Outcome, error)
	// List returns the licenses the user holds.
	List(ctx context.Context, account, user string) ([]events.Holding, error)
	// Pools returns the account's license pools.
	Pools(ctx context.Context, account string) ([]events.Pool, error)
}

// Directory finds a user's id at a vendor from an e-mail, through the
// vendor's own directory. Adapters implement it where the vendor can.
type Directory interface {
	// FindUser returns the id of the one user whose e-mail (or the
	// vendor's equivalent sign-in name) is email, compared as the vendor
	// compares it. No match is ErrUserNotFound; several are
	// ErrAmbiguousUser: never a guess.
	FindUser(ctx context.Context, account, email string) (string, error)
}

// Request is an assign or release request.
type Request struct {
	Account  string
	User     string
	Licenses []string
	// DryRun reads the current state and reports what would change
	// (would_assign, would_release) without changing anything.
	DryRun bool
}

// Outcome is what an assign or release did.
type Outcome struct {
	// Licenses has one entry per requested code (for a release of
	// everything: per code the user held).
	Licenses []events.LicenseResult
	// Held is what the user holds after the operation (for a dry run: what
	// the user holds now).
	Held []events.Holding
}

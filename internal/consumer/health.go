package consumer

import (
	"context"
	"sync"
	"time"

	"go.uber.org/zap"
)

// health is what the loop knows of its own trouble, for readiness.
type health struct {
	mu      sync.Mutex
	results string // why results cannot be published; "" while they can
}

func (h *health) resultFailed(reason string, err error) {
	h.mu.Lock()
	h.results = "results cannot be published (" + reason + "): " + err.Error()
	h.mu.Unlock()
}

func (h *health) resultPublished() {
	h.mu.Lock()
	h.results = ""
	h.mu.Unlock()
}

func (h *health) problem() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.results
}

// Problem names what keeps the loop from finishing commands (results that
// cannot be published), or is empty.
func (l *Loop) Problem() string { return l.health.problem() }

// healInterval spaces attempts to re-create missing streams, buckets and
// the consumer.
const healInterval = 2 * time.Second

// heal re-creates whatever of the streams, buckets and consumer is missing
// (Options.Heal), at most once per healInterval.
func (l *Loop) heal(ctx context.Context) {
	if l.opts.Heal == nil {
		return
	}
	l.healMu.Lock()
	defer l.healMu.Unlock()
	if time.Since(l.healedAt) < healInterval {
		return
	}
	l.healedAt = time.Now()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := l.opts.Heal(ctx); err != nil {
		l.log.Warn("re-create streams, buckets and consumer", zap.Error(err))
		return
	}
	l.log.Info("checked streams, buckets and consumer; re-created what was missing")
}

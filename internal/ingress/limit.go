package ingress

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter is a token bucket per client (per credential name): one
// integration platform in a loop slows only itself.
type limiter struct {
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	clients map[string]*rate.Limiter
}

func newLimiter(perSecond float64, burst int) *limiter {
	return &limiter{rate: rate.Limit(perSecond), burst: burst, clients: map[string]*rate.Limiter{}}
}

// allow takes one request of client at now. When the client is over its
// rate it returns false and how long until a request would be allowed,
// rounded up to whole seconds for Retry-After.
func (l *limiter) allow(client string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	lim, ok := l.clients[client]
	if !ok {
		// Clients are the configured credentials, so the map is bounded.
		lim = rate.NewLimiter(l.rate, l.burst)
		l.clients[client] = lim
	}
	l.mu.Unlock()
	r := lim.ReserveN(now, 1)
	delay := r.DelayFrom(now)
	if delay == 0 {
		return true, 0
	}
	r.CancelAt(now)
	return false, time.Duration(math.Ceil(delay.Seconds())) * time.Second
}

// perMinute is the rate in requests a minute, as the webhook validation
// handshake states it.
func (l *limiter) perMinute() int {
	return max(1, int(float64(l.rate)*60))
}

package lifecycle

import "github.com/seatkeeper/seatkeeper/internal/events"

// DefaultPoolLow is the default threshold: a pool runs low when less than
// this fraction of its seats is free.
const DefaultPoolLow = 0.1

// Low reports whether pool has less than threshold of its seats free. A
// pool without a known total (0: unlimited or not reported) is never low.
func Low(pool events.Pool, threshold float64) bool {
	if pool.Total <= 0 {
		return false
	}
	return float64(pool.Free) < threshold*float64(pool.Total)
}

// Cross decides on one observation of a pool: low is its state now, to be
// remembered; fire is set when it has just crossed into running low, which
// is announced once — not again until it has gone back above the
// threshold.
func Cross(wasLow bool, pool events.Pool, threshold float64) (low, fire bool) {
	low = Low(pool, threshold)
	return low, low && !wasLow
}

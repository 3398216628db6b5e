// Package lifecycle decides, without NATS, what happens to seats after they
// are handed out (docs/design.md §11): which expiries an assign schedules
// and a release cancels, on which subject and under which id; when a pool
// has crossed into running low, and when a worker's estimate of it says
// it is worth reading at once; and which seats a reclaim finds idle or too
// young to judge.
// The JetStream glue that acts on these decisions lives in
// internal/consumer.
package lifecycle

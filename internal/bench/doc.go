// Package bench holds seatkeeper's performance benchmarks (docs/design.md §9):
// the worker measured against raw JetStream on the same server, in one
// process and one run. The benchmarks are in the package's test files; the
// numbers and how to reproduce them are in docs/performance.md.
//
// By default every benchmark runs a small size, enough for CI to keep them
// working; -full runs the sizes docs/performance.md reports:
//
//	go test -run '^$' -bench . -benchtime=1x ./internal/bench -full
package bench

//go:build !unix

package main

import "os"

// lockFile does nothing where flock is not available: replicas on one
// such host need their own SEATKEEPER_WORKER_ID and data directory.
func lockFile(*os.File) error { return nil }

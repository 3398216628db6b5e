package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// defaultWorkerID names a worker that was given no SEATKEEPER_WORKER_ID:
// the host's name and a digest of its data directory. A restart of the
// same deployment (same host or pod name, same directory) keeps the name,
// so it resumes its own claims at once instead of waiting out their lease;
// two replicas on one host differ by their data directories, which
// lockDataDir keeps to one worker each. The process id would change at
// every restart.
func defaultWorkerID(dataDir string) (string, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return "", err
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "worker"
	}
	sum := sha256.Sum256([]byte(abs))
	return host + "-" + hex.EncodeToString(sum[:4]), nil
}

// errDataDirInUse says another worker holds the data directory.
var errDataDirInUse = errors.New("another worker is running with this data directory")

// lockDataDir creates the data directory if need be and holds its lock
// file until release is called (or the process ends, however it ends).
func lockDataDir(dataDir string) (release func(), err error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("SEATKEEPER_DATA_DIR %s: %w", dataDir, err)
	}
	path := filepath.Join(dataDir, "worker.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("SEATKEEPER_DATA_DIR %s: %w", dataDir, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		abs, _ := filepath.Abs(dataDir)
		return nil, fmt.Errorf("SEATKEEPER_DATA_DIR %s: %w (%v): give each worker on a host its own SEATKEEPER_DATA_DIR",
			abs, errDataDirInUse, err)
	}
	return func() { f.Close() }, nil
}

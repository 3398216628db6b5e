// Package testproc holds helpers for tests that run seatkeeper's binaries
// and read its streams: building the binaries once in TestMain, running
// them as subprocesses whose output is collected, and collecting or
// reading back the results they publish.
package testproc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Build builds each package of pkgs (a binary's name → its import path or
// directory) into dir under that name, for a TestMain. The go tool's output
// goes to stderr.
func Build(dir string, pkgs map[string]string) error {
	for name, pkg := range pkgs {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), pkg)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("build %s: %w", pkg, err)
		}
	}
	return nil
}

// BaseEnv is PATH, HOME and TMPDIR only: no NATS_* or vendor variables from
// the machine running the tests reach a subprocess.
func BaseEnv() []string {
	var env []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return env
}

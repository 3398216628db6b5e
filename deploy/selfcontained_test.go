package deploy

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// outsideRefs are ways a file can point at a design or vendor reference
// kept outside the repository. The design lives in docs/design.md. (The
// patterns are spelt so that this file does not match them.)
var outsideRefs = regexp.MustCompile(`DESIGN` + `\.md|(^|[^a-z])shared` + `/|vendors/[a-z0-9]+` + `\.md`)

// TestNothingPointsOutsideTheRepository reads every file of the repository
// (skipping data, build output and binaries) for a reference to a design
// file outside it: a reader of the repository alone must find what it
// cites.
func TestNothingPointsOutsideTheRepository(t *testing.T) {
	root := ".."
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the repository root: %v", err)
	}
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "data", "bin", "node_modules":
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil || !info.Mode().IsRegular() || info.Size() > 1<<20 {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.ContainsRune(string(b[:min(len(b), 8000)]), 0) {
			return nil // a binary
		}
		checked++
		for n, line := range strings.Split(string(b), "\n") {
			if m := outsideRefs.FindString(line); m != "" {
				t.Errorf("%s:%d refers to %q outside the repository: %s", path, n+1, m, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 100 {
		t.Errorf("checked %d files, want the whole repository", checked)
	}
}
